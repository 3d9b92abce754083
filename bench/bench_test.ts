// Goal: the bench reads back exactly what it wrote: after a fill, readrandom reports every key
// found (counted from the replies), before a fill or after deleterandom none; a wrong value size
// is noticed; and the tool itself prints Pegasus's lines and exits 1 on errors. Method: a fake
// meta serving one 8-partition table whose primaries are two in-memory replica servers (real
// gRPC), driven through runBenchmark and through bench/main.ts as a child process.

import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PegasusClient } from '../packages/client/src/index.ts';
import { startMemoryReplica, startTableMeta, startTestServer } from '../packages/client/src/test_support.ts';
import { ReplicaService } from '../packages/proto/src/index.ts';
import { DEFAULT_BENCH_OPTIONS } from './options.ts';
import { runBenchmark } from './runner.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');

async function cluster() {
  const replicas = [await startMemoryReplica(), await startMemoryReplica()];
  const meta = await startTableMeta('temp', 8, replicas.map((r) => r.address));
  const stop = () => Promise.all([meta.stop(), ...replicas.map((r) => r.stop())]);
  return { replicas, meta, stop, rowCount: () => replicas.reduce((n, r) => n + r.rows.size, 0) };
}

test('runBenchmark: fill then read finds every key; delete removes them', async () => {
  const c = await cluster();
  const client = new PegasusClient([c.meta.address]);
  try {
    const opened = await client.openTable('temp');
    if (opened.err !== 'ERR_OK') return assert.unreachable(opened.err);
    const o = { ...DEFAULT_BENCH_OPTIONS, num: 150, threadNum: 2 };
    const run = (type: Parameters<typeof runBenchmark>[1], over = {}) => runBenchmark(opened.table, type, { ...o, ...over });

    const before = await run('readrandom_pegasus');
    assert.ok(before.ok && before.found === 0 && before.result.message === '(0 of 300 found)');
    const fill = await run('fillseq_pegasus');
    assert.ok(fill.ok && fill.result.label === 'write' && fill.result.done === 300);
    assert.is(c.rowCount(), 300);
    assert.ok(c.replicas.every((r) => r.rows.size > 0), 'rows spread over both primaries');
    const read = await run('readrandom_pegasus');
    assert.ok(read.ok);
    if (read.ok) {
      assert.is(read.result.message, '(300 of 300 found)');
      assert.is(read.valueMismatches, 0);
      assert.is(read.result.bytes, 300 * (16 + 16 + 100));
    }
    await run('fillrandom_pegasus', { valueSize: 10 });
    const mismatched = await run('readrandom_pegasus');
    assert.ok(mismatched.ok && mismatched.found === 300 && mismatched.valueMismatches === 300);
    const del = await run('deleterandom_pegasus');
    assert.ok(del.ok && del.result.label === 'delete');
    assert.is(c.rowCount(), 0);
    const after = await run('readrandom_pegasus');
    assert.ok(after.ok && after.result.message === '(0 of 300 found)');
  } finally {
    client.close();
    await c.stop();
  }
});

function bench(args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/main.ts', ...args], { cwd: REPO });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}

test('bench/main.ts: the seed workflow prints Pegasus lines and (N of N found)', async () => {
  const c = await cluster();
  try {
    const r = await bench(['--cluster', c.meta.address, '--app_name', 'temp', '-t', 'fillseq_pegasus,readrandom_pegasus', '-n', '200']);
    assert.is(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines.slice(0, 6), [
      'Hashkeys:       16 bytes each',
      'Sortkeys:       16 bytes each',
      'Values:         100 bytes each',
      'Entries:        200',
      'FileSize:       0 MB (estimated)',
      '-'.repeat(48),
    ]);
    assert.is(lines[6], 'Statistics for write:  ');
    assert.match(lines[7], /^[\d.e+-]+ micros\/op; \d+ ops\/sec; [\d.e+-]+ MB\/s $/);
    assert.match(lines[8], /^Percentiles: P50: [\d.]+ P90: [\d.]+ P99: [\d.]+ P99\.9: [\d.]+ Max: [\d.]+$/);
    assert.is(lines[9], 'Statistics for read:  ');
    assert.match(lines[10], /^[\d.e+-]+ micros\/op; \d+ ops\/sec; [\d.e+-]+ MB\/s \(200 of 200 found\)$/);
    assert.is(c.rowCount(), 200);
  } finally {
    await c.stop();
  }
});

test('bench/main.ts: errors exit 1 with one clear line', async () => {
  const c = await cluster();
  const refusing = await startTestServer(ReplicaService, {
    client_write: async () => ({ err: 'ERR_INVALID_PARAMETERS', decree: 0, server: '' }),
  });
  const badMeta = await startTableMeta('temp', 2, [refusing.address]);
  try {
    const unknown = await bench(['--bogus', '1']);
    assert.is(unknown.code, 1);
    assert.ok(unknown.stderr.startsWith('ERROR: unknown option "--bogus"\nusage: bench/main.ts'), unknown.stderr);
    const missing = await bench(['--cluster', c.meta.address, '--app_name', 'nope', '-n', '10']);
    assert.is(missing.code, 1);
    assert.match(missing.stderr, /^ERROR: open app nope failed, error=ERR_OBJECT_NOT_FOUND/);
    const refused = await bench(['--cluster', badMeta.address, '-t', 'fillseq_pegasus', '-n', '10']);
    assert.is(refused.code, 1);
    assert.match(refused.stderr, /^Set returned an error: ERR_INVALID_PARAMETERS/);
  } finally {
    await Promise.all([c.stop(), refusing.stop(), badMeta.stop()]);
  }
});

test.run();
