// Child process of bench/recovery_bench.ts: the generated cluster's 10 replica servers in a process
// of their own. Prints one line, the JSON list of their addresses, then serves until stdin closes
// (the parent ends or stops it).

import { generateCluster, startGeneratedServers } from './_recovery_cluster.ts';

const { addresses, stop } = await startGeneratedServers(generateCluster());
process.stdout.write(`${JSON.stringify(addresses)}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  stop();
  process.exit(0);
});
