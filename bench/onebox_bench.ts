// Onebox throughput beside raw LevelDB, in one run (issue "A onebox cluster", Benchmark):
//   1. `./run.sh bench` fillseq + readrandom against the running onebox, default options (1 thread);
//   2. the same with --thread_num 8;
//   3. raw LevelDB (`level`) on this machine: awaited puts/gets one at a time, and 8 in flight,
//      with the same key and value sizes (16+16 byte keys, 100-byte values).
// The cluster numbers include what raw LevelDB does not: gRPC client -> primary, prepare to two
// secondaries, commit, on 2 cores shared by 5 processes. Run: node --import tsx bench/onebox_bench.ts [-n N]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';

const root = new URL('..', import.meta.url).pathname;
const n = Number(process.argv[process.argv.indexOf('-n') + 1]) || 10000;

function cluster(threads: number): string[] {
  const per = Math.floor(n / threads);
  const r = spawnSync(join(root, 'run.sh'), ['bench', '--app_name', 'temp', '-t', 'fillseq_pegasus,readrandom_pegasus', '-n', String(per), '--thread_num', String(threads)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench failed (is the onebox running? ./run.sh start_onebox -m 1 -w):\n${r.stdout}${r.stderr}`);
  return r.stdout.split('\n').filter((l) => /ops\/sec|Percentiles|Statistics for/.test(l));
}

async function rawLevel(inFlight: number): Promise<{ put: number; get: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'pegasus-ts-level-'));
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  const key = (i: number) => new TextEncoder().encode(String(i).padStart(16, '0') + String(i).padStart(16, '0'));
  const value = new Uint8Array(100).fill(7);
  const run = async (op: (i: number) => Promise<unknown>) => {
    const start = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < n) await op(next++);
    }));
    return n / ((performance.now() - start) / 1000);
  };
  const put = await run((i) => db.put(key(i), value));
  const get = await run((i) => db.get(key((i * 7919) % n)));
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  return { put, get };
}

console.log(`onebox benchmark, ${new Date().toISOString()}, n = ${n}`);
console.log('-- cluster, 1 thread');
console.log(cluster(1).join('\n'));
console.log('-- cluster, --thread_num 8');
console.log(cluster(8).join('\n'));
for (const inFlight of [1, 8]) {
  const r = await rawLevel(inFlight);
  console.log(`-- raw LevelDB, ${inFlight} in flight: put ${Math.round(r.put)} ops/sec, get ${Math.round(r.get)} ops/sec`);
}
