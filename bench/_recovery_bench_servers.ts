// Child process of bench/recovery_bench.ts: replica servers of the generated cluster in a process
// of their own, all 10 of them or, with `--node I`, only node I (the bench then starts one process
// per node, as run.sh runs replica servers). Prints one line, the JSON list of their addresses,
// then serves until stdin closes (the parent ends or stops it).

import { generateCluster, startGeneratedServers } from './_recovery_cluster.ts';

const at = process.argv.indexOf('--node');
const cluster = generateCluster();
const { addresses, stop } = await startGeneratedServers(at >= 0 ? [cluster[Number(process.argv[at + 1])]] : cluster);
process.stdout.write(`${JSON.stringify(addresses)}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  stop();
  process.exit(0);
});
