// Learning benchmark: how long a returning replica server takes to make its partition healthy
// again, beside a raw LevelDB copy of the same rows, in one run.
//
// Measured, per iteration (a fresh cluster and fresh dirs each time):
// * fill: N keys (hash_key `k` + 9 digits, sort_key `s`, random values of --value_size bytes)
//   written through the primary's client_write path with --concurrency writes in flight;
// * learning, full copy: a secondary is stopped, removed from the config (ballot + 1, as the meta
//   does), its data dir deleted, and the server started again at the same address with nothing;
//   the fake meta assigns it as learner. Timed from just before the server starts to the moment
//   the partition is healthy: the meta config has the primary and 2 secondaries, the returner
//   reports PS_SECONDARY, both at the meta's ballot, and the returner's last_committed_decree
//   equals the primary's. The copy goes by checkpoint (LevelDB snapshot rows, 1000 per chunk);
//   the phases come from the servers' log lines (ms resolution);
// * learning, from the log: the same secondary is stopped and removed again, --behind overwrites
//   are written without it, and it comes back with its data: it learns the missed decrees from
//   the primary's log. Timed the same way;
// * raw LevelDB copy: after all servers are stopped, the primary's data rows are read from its
//   LevelDB (`level`, keyEncoding/valueEncoding 'view' as replica_storage.ts) with nextv(1000) and
//   written to a fresh LevelDB in batches of 1000, one batch awaited at a time.
// Bytes = the N rows' pegasus keys + values (what a full copy transfers); the same figure is used
// for the learn and the raw copy. After each learn the 3 replicas' partition_digest (row count +
// checksum + decree) must agree and count N rows, else the run fails (exit 1).
//
// The whole cluster (fake meta, 3 replica servers, the writing client) runs in this one Node
// process over real gRPC on loopback and real LevelDB, so JavaScript work of the teacher and the
// learner share one thread; on the 2-core project VM, with other work running, figures are
// indicative only. Config sync runs every 100 ms (the test cluster's setting), which bounds how
// soon the primary sees the learner assignment and the returner sees its upgrade.
// Node only, like the replica *_node_test.ts files (denoland/deno#36788 when in-process servers stop).
//
// Run: node --import tsx bench/learning_bench.ts [--keys 100000] [--value_size 100] [--iterations 3]
//        [--behind 5000] [--concurrency 128]

import { rmSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { Level } from 'level';
import type { Gpid, NodeAddress, PartitionDigestResponse } from '../packages/proto/src/index.ts';
import { TestCluster, bytes } from '../packages/replica/src/_test_cluster.ts';
import { RDB_SUBDIR, replicaDirName } from '../packages/replica/src/replica_files.ts';
import { DATA_PREFIX, prefixRange } from '../packages/replica/src/storage_format.ts';

/** A failed check or a timeout: reported as one line, exit 1, no stack trace. */
class BenchFailure extends Error {}

const P: Gpid = { app_id: 1, partition_index: 0 };
const HASH_KEY_LEN = 10;
const ROWS_PER_BATCH = 1000;

type Options = { keys: number; valueSize: number; iterations: number; behind: number; concurrency: number };

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      keys: { type: 'string', default: '100000' },
      value_size: { type: 'string', default: '100' },
      iterations: { type: 'string', default: '3' },
      behind: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '128' },
    },
  });
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new BenchFailure(`--${name} must be an integer >= ${min}, got ${v}`);
    return n;
  };
  const o = {
    keys: int('keys', values.keys, 1),
    valueSize: int('value_size', values.value_size, 0),
    iterations: int('iterations', values.iterations, 1),
    behind: int('behind', values.behind, 0),
    concurrency: int('concurrency', values.concurrency, 1),
  };
  if (o.behind > o.keys) throw new BenchFailure('--behind must not exceed --keys (the missed writes overwrite existing keys)');
  return o;
}

const hashKey = (i: number): Uint8Array => bytes(`k${String(i).padStart(HASH_KEY_LEN - 1, '0')}`);
const SORT_KEY = bytes('s');

/** xorshift32 values: incompressible enough that LevelDB's snappy does not shrink them away. */
function makeValues(seed: number, size: number): () => Uint8Array {
  let x = seed >>> 0 || 1;
  return () => {
    const v = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      v[i] = x & 0xff;
    }
    return v;
  };
}

async function poll(what: string, probe: () => Promise<true | string> | true | string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: true | string = 'no answer yet';
  for (;;) {
    try {
      last = await probe();
    } catch (e) {
      last = `threw ${e instanceof Error ? e.message : String(e)}`;
    }
    if (last === true) return;
    if (Date.now() > deadline) throw new BenchFailure(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Writes keys [0, count) (value from `nextValue`) with `concurrency` writes in flight. */
async function writeKeys(c: TestCluster, primary: NodeAddress, count: number, concurrency: number, nextValue: () => Uint8Array): Promise<number> {
  let next = 0;
  let lastDecree = 0;
  const client = c.client(primary);
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        const res = await client.call('client_write', { pid: P, op: 'put', hash_key: hashKey(i), sort_key: SORT_KEY, value: nextValue() }, 30000);
        if (!res.ok) throw new BenchFailure(`write of key ${i}: ${res.err} ${res.detail}`);
        if (res.res.err !== 'ERR_OK') throw new BenchFailure(`write of key ${i}: ${res.res.err}`);
        lastDecree = Math.max(lastDecree, res.res.decree);
      }
    }),
  );
  return lastDecree;
}

const infoOf = (c: TestCluster, node: NodeAddress) =>
  c.servers.get(node)?.replicaInfos().find((r) => r.pid.app_id === P.app_id && r.pid.partition_index === P.partition_index);

/** Stops `node` and removes it from the partition's config at ballot + 1, as the meta would. */
async function removeSecondary(c: TestCluster, primary: NodeAddress, keep: NodeAddress, node: NodeAddress): Promise<void> {
  await c.stopServer(node);
  const ballot = c.meta.config(P).ballot + 1;
  c.meta.setConfig(P, { ballot, secondaries: [keep], last_drops: [node] });
  await poll(`${primary} to serve at ballot ${ballot} without ${node}`, () => {
    const i = infoOf(c, primary);
    return (i?.status === 'PS_PRIMARY' && i.ballot === ballot) || `${i?.status} at ballot ${i?.ballot}`;
  }, 10000);
}

/** Healthy: meta config has 3 members; primary and returner agree with it; returner caught up. */
function healthy(c: TestCluster, primary: NodeAddress, returner: NodeAddress): true | string {
  const cfg = c.meta.config(P);
  const a = infoOf(c, primary);
  const r = infoOf(c, returner);
  const ok = cfg.primary === primary && cfg.secondaries.length === 2 && cfg.secondaries.includes(returner) &&
    a?.status === 'PS_PRIMARY' && a.ballot === cfg.ballot &&
    r?.status === 'PS_SECONDARY' && r.ballot === cfg.ballot && r.last_committed_decree === a.last_committed_decree;
  return ok || `meta ${cfg.primary}+[${cfg.secondaries.join(',')}]@${cfg.ballot}; primary ${a?.status}@${a?.ballot} lcd ${a?.last_committed_decree}; returner ${r?.status}@${r?.ballot} lcd ${r?.last_committed_decree}`;
}

type LearnResult = { ms: number; phases: string; detail: string };

/** Starts `returner` (its data dir as it is), assigns it as learner, waits until healthy. */
async function learn(c: TestCluster, primary: NodeAddress, returner: NodeAddress, kind: 'full' | 'log'): Promise<LearnResult> {
  const logFrom = c.logs.length;
  const wallStart = Date.now();
  const t0 = performance.now();
  await c.startServer(returner, 'returner');
  c.meta.learners.push({ pid: P, learner: returner });
  await poll(`the partition to be healthy with ${returner}`, () => healthy(c, primary, returner), 20 * 60 * 1000);
  const ms = performance.now() - t0;
  // Phases from the servers' log lines (ISO time first, ms resolution).
  const lines = c.logs.slice(logFrom);
  const at = (re: RegExp): { ms: number; m: RegExpExecArray } | undefined => {
    for (const l of lines) {
      const m = re.exec(l);
      if (m) return { ms: Date.parse(l.slice(0, l.indexOf(' '))) - wallStart, m };
    }
    return undefined;
  };
  const asked = at(/learning from .*: (asking for a full copy|incremental, have decree \d+)/);
  const learned = at(/learned from \S+: (?:full copy of (\d+) rows, )?(\d+) mutations/);
  const upgraded = at(new RegExp(`meta upgraded ${returner.replace(/\./g, '\\.')} to secondary`));
  if (!asked || !learned || !upgraded) throw new BenchFailure(`${kind} learn: missing log lines (asked ${!!asked}, learned ${!!learned}, upgraded ${!!upgraded})`);
  const full = learned.m[1] !== undefined;
  if (kind === 'full' && !full) throw new BenchFailure(`expected a full copy, the returner learned: ${learned.m[0]}`);
  if (kind === 'log' && full) throw new BenchFailure(`expected learning from the log, the returner learned: ${learned.m[0]}`);
  // The primary may log the upgrade a few ms before the learner logs its end: one phase for both.
  const phases = `start+invite ${asked.ms} ms, stream+apply ${learned.ms - asked.ms} ms, upgrade+config ${Math.round(ms) - learned.ms} ms`;
  const detail = full ? `${learned.m[1]} rows + ${learned.m[2]} mutations` : `${learned.m[2]} mutations (${asked.m[1]})`;
  return { ms, phases, detail };
}

/** All 3 digests agree (decree, rows, checksum) and count `keys` rows. */
async function verify(c: TestCluster, nodes: NodeAddress[], keys: number, what: string): Promise<PartitionDigestResponse> {
  const ds = await Promise.all(nodes.map((n) => c.digest(n, P)));
  const show = ds.map((d, i) => `${nodes[i]}=${d.err}/${d.status}/decree ${d.last_committed_decree}/${d.row_count} rows/${d.checksum}`).join('; ');
  const d0 = ds[0];
  const same = ds.every((d) => d.err === 'ERR_OK' && d.last_committed_decree === d0.last_committed_decree && d.row_count === d0.row_count && d.checksum === d0.checksum);
  if (!same) throw new BenchFailure(`after ${what}: the replicas differ: ${show}`);
  if (d0.row_count !== keys) throw new BenchFailure(`after ${what}: ${d0.row_count} rows, expected ${keys}: ${show}`);
  return d0;
}

/** Copies the data rows of the LevelDB at `source` into a fresh LevelDB at `target`. */
async function rawCopy(source: string, target: string): Promise<{ ms: number; rows: number; bytes: number }> {
  const src = new Level<Uint8Array, Uint8Array>(source, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: false });
  const dst = new Level<Uint8Array, Uint8Array>(target, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: true });
  await src.open();
  await dst.open();
  let rows = 0;
  let size = 0;
  let ms = 0;
  try {
    const t0 = performance.now();
    const it = src.iterator(prefixRange(DATA_PREFIX));
    try {
      for (;;) {
        const batch = await it.nextv(ROWS_PER_BATCH);
        if (batch.length === 0) break;
        await dst.batch(batch.map(([key, value]) => ({ type: 'put' as const, key, value })));
        rows += batch.length;
        for (const [k, v] of batch) size += k.length - 1 + v.length; // pegasus key (no 'd' prefix) + value
      }
    } finally {
      await it.close();
    }
    ms = performance.now() - t0;
  } finally {
    await src.close();
    await dst.close();
  }
  return { ms, rows, bytes: size };
}

type IterationResult = { fillMs: number; full: LearnResult; log?: LearnResult; raw: { ms: number; rows: number; bytes: number } };

async function iteration(o: Options, n: number, scratch: string): Promise<IterationResult> {
  const c = await TestCluster.start({ servers: 3 });
  try {
    const [A, B, C] = c.nodes;
    c.meta.createApp(P.app_id, 'learn_bench', 1, () => [A, B, C]);
    await c.waitStatus(A, P, 'PS_PRIMARY');
    await c.waitStatus(B, P, 'PS_SECONDARY');
    await c.waitStatus(C, P, 'PS_SECONDARY');
    // The probe writes key 0, which the fill overwrites: the partition ends with exactly N rows.
    await c.waitWritable(A, P, `k${'0'.repeat(HASH_KEY_LEN - 1)}`);

    let t = performance.now();
    await writeKeys(c, A, o.keys, o.concurrency, makeValues(n * 7919 + 1, o.valueSize));
    const fillMs = performance.now() - t;
    console.log(`iteration ${n}: filled ${o.keys} keys in ${(fillMs / 1000).toFixed(1)} s (${Math.round(o.keys / (fillMs / 1000))} writes/s, ${o.concurrency} in flight)`);
    await c.waitDigestsAgree(P, [A, B, C], 0, 60000);
    await verify(c, [A, B, C], o.keys, 'the fill');

    // Full copy: C comes back with an empty data dir.
    await removeSecondary(c, A, B, C);
    await fs.rm(c.dataDir(C), { recursive: true, force: true });
    const full = await learn(c, A, C, 'full');
    const d = await verify(c, [A, B, C], o.keys, 'the full-copy learn');
    console.log(`  full copy: healthy after ${full.ms.toFixed(0)} ms (${full.detail}; ${full.phases}); digests agree: ${d.row_count} rows, ${d.checksum}`);

    // From the log: C comes back with its data after missing `behind` decrees.
    let log: LearnResult | undefined;
    if (o.behind > 0) {
      await removeSecondary(c, A, B, C);
      t = performance.now();
      await writeKeys(c, A, o.behind, o.concurrency, makeValues(n * 104729 + 3, o.valueSize));
      const missedMs = performance.now() - t;
      log = await learn(c, A, C, 'log');
      const d2 = await verify(c, [A, B, C], o.keys, 'the learn from the log');
      console.log(`  from the log (${o.behind} writes missed, written in ${missedMs.toFixed(0)} ms): healthy after ${log.ms.toFixed(0)} ms (${log.detail}; ${log.phases}); digests agree: ${d2.row_count} rows, ${d2.checksum}`);
    }

    // Raw copy of the primary's rows, its LevelDB closed by a graceful stop.
    for (const node of [A, B, C]) await c.stopServer(node);
    const source = path.join(c.dataDir(A), 'reps', replicaDirName(P, 'pegasus'), RDB_SUBDIR);
    const raw = await rawCopy(source, path.join(scratch, `copy${n}`));
    const expectedBytes = o.keys * (2 + HASH_KEY_LEN + SORT_KEY.length + o.valueSize);
    if (raw.rows !== o.keys || raw.bytes !== expectedBytes) {
      throw new BenchFailure(`raw copy read ${raw.rows} rows / ${raw.bytes} bytes from the primary, expected ${o.keys} / ${expectedBytes}`);
    }
    console.log(`  raw LevelDB copy: ${raw.ms.toFixed(0)} ms (${raw.rows} rows, ${mb(raw.bytes)} MB, ${mbps(raw.bytes, raw.ms)} MB/s)`);
    return { fillMs, full, log, raw };
  } catch (e) {
    if (e instanceof BenchFailure) {
      console.error('last server log lines:');
      for (const l of c.logs.slice(-15)) console.error(`  ${l}`);
    }
    throw e;
  } finally {
    await c.stop();
  }
}

const mb = (b: number): string => (b / 1e6).toFixed(2);
const mbps = (b: number, ms: number): string => (b / 1e6 / (ms / 1000)).toFixed(1);
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<void> {
  const o = parseOptions();
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'pegasus-learning-bench-'));
  process.once('exit', () => rmSync(scratch, { recursive: true, force: true }));
  console.log(`learning benchmark: 1 partition x 3 replicas, ${o.keys} keys, ${o.valueSize}-byte values, ${o.iterations} iterations, ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString()}`);
  const results: IterationResult[] = [];
  try {
    for (let n = 1; n <= o.iterations; n++) {
      results.push(await iteration(o, n, scratch));
      await fs.rm(path.join(scratch, `copy${n}`), { recursive: true, force: true });
    }
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
  const bytesCopied = results[0].raw.bytes;
  const full = median(results.map((r) => r.full.ms));
  const raw = median(results.map((r) => r.raw.ms));
  console.log(`medians of ${results.length}: fill ${(median(results.map((r) => r.fillMs)) / 1000).toFixed(1)} s; bytes per full copy ${mb(bytesCopied)} MB (pegasus keys + values)`);
  if (o.behind > 0) {
    const logMs = median(results.map((r) => r.log!.ms));
    console.log(`learning (from the log, ${o.behind} decrees behind): median ${logMs.toFixed(0)} ms (${Math.round(o.behind / (logMs / 1000))} mutations/s)`);
  }
  console.log(`learning (full copy, ${o.keys} keys): median ${full.toFixed(0)} ms (${mbps(bytesCopied, full)} MB/s); raw LevelDB copy: median ${raw.toFixed(0)} ms (${mbps(bytesCopied, raw)} MB/s); ratio ${(full / raw).toFixed(1)}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`FAILED: ${e instanceof Error ? e.message : String(e)}`);
    if (!(e instanceof BenchFailure) && e instanceof Error && e.stack) console.error(e.stack);
    process.exit(1);
  },
);
