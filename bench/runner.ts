// Running one benchmark: `threadNum` concurrent workers, each doing `num` operations on its keys
// (keys.ts), timing every operation. An operation that still fails after the client's retries
// stops the benchmark with its error code, as Pegasus's bench exits on "Set returned an error".

import { performance } from 'node:perf_hooks';
import type { ErrorCode } from '../packages/proto/src/index.ts';
import type { TableClient } from '../packages/client/src/index.ts';
import { keyOrder, keyText, valueOf } from './keys.ts';
import type { BenchOptions, BenchType } from './options.ts';
import type { BenchResult } from './stats.ts';

export type BenchFailure = { op: 'Set' | 'Get' | 'Del'; err: ErrorCode; detail: string };

export type BenchOutcome =
  | { ok: true; result: BenchResult; found: number; valueMismatches: number }
  | { ok: false; failure: BenchFailure };

const LABELS: Record<BenchType, string> = {
  fillseq_pegasus: 'write',
  fillrandom_pegasus: 'write',
  readrandom_pegasus: 'read',
  deleterandom_pegasus: 'delete',
};

type Shared = { latencies: Float64Array; next: number; bytes: number; found: number; valueMismatches: number; failure?: BenchFailure };

export async function runBenchmark(table: TableClient, type: BenchType, o: BenchOptions, onProgress?: (done: number) => void): Promise<BenchOutcome> {
  const total = o.num * o.threadNum;
  const shared: Shared = { latencies: new Float64Array(total), next: 0, bytes: 0, found: 0, valueMismatches: 0 };
  const start = performance.now();
  const workers = Array.from({ length: o.threadNum }, (_, t) => _worker(table, type, o, keyOrder(type, t, o.num, o.seed), shared, onProgress));
  await Promise.all(workers);
  const elapsedMicros = (performance.now() - start) * 1000;
  if (shared.failure) return { ok: false, failure: shared.failure };
  const message = type === 'readrandom_pegasus' ? `(${shared.found} of ${total} found)` : '';
  return {
    ok: true,
    result: { label: LABELS[type], done: shared.next, bytes: shared.bytes, elapsedMicros, latenciesMicros: shared.latencies.subarray(0, shared.next), message },
    found: shared.found,
    valueMismatches: shared.valueMismatches,
  };
}

/** One worker: its keys in order, one operation at a time; stops when any worker failed. */
async function _worker(table: TableClient, type: BenchType, o: BenchOptions, order: Uint32Array, shared: Shared, onProgress?: (done: number) => void): Promise<void> {
  for (const index of order) {
    if (shared.failure) return;
    const hashKey = keyText(index, o.hashkeySize);
    const sortKey = keyText(index, o.sortkeySize);
    const began = performance.now();
    const failure = await _operate(table, type, o, index, hashKey, sortKey, shared);
    if (failure) {
      shared.failure ??= failure;
      return;
    }
    shared.latencies[shared.next++] = (performance.now() - began) * 1000;
    onProgress?.(shared.next);
  }
}

async function _operate(table: TableClient, type: BenchType, o: BenchOptions, index: number, hashKey: string, sortKey: string, shared: Shared): Promise<BenchFailure | undefined> {
  if (type === 'readrandom_pegasus') {
    const r = await table.get(hashKey, sortKey);
    if (r.err !== 'ERR_OK') return { op: 'Get', err: r.err, detail: r.detail };
    // Count what the read actually returned, never what the fill meant to write.
    if (r.found) {
      shared.found++;
      shared.bytes += hashKey.length + sortKey.length + r.value.length;
      if (!_sameBytes(r.value, valueOf(index, o.valueSize))) shared.valueMismatches++;
    }
    return undefined;
  }
  if (type === 'deleterandom_pegasus') {
    const r = await table.del(hashKey, sortKey);
    return r.err === 'ERR_OK' ? undefined : { op: 'Del', err: r.err, detail: r.detail };
  }
  const r = await table.set(hashKey, sortKey, valueOf(index, o.valueSize));
  if (r.err !== 'ERR_OK') return { op: 'Set', err: r.err, detail: r.detail };
  shared.bytes += hashKey.length + sortKey.length + o.valueSize;
  return undefined;
}

function _sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
