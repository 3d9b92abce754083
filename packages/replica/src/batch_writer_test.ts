// Goal: the BatchWriter lands writes in call order with one batch in flight, merges everything
// queued meanwhile into the next batch, and reports a failed batch to exactly its callers.
// Method: a fake sink that records batches and resolves them by hand.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchWriter } from './batch_writer.ts';
import type { BatchOp } from './storage_format.ts';

const op = (n: number): BatchOp => ({ type: 'put', key: Uint8Array.of(n), value: Uint8Array.of(n) });
const keys = (ops: BatchOp[]) => ops.map((o) => o.key[0]);

test('one batch in flight; queued writes merge in order', async () => {
  const batches: BatchOp[][] = [];
  const release: (() => void)[] = [];
  const w = new BatchWriter((ops) => {
    batches.push(ops);
    return new Promise((resolve) => release.push(resolve));
  });
  const done: number[] = [];
  const p1 = w.write([op(1)]).then(() => done.push(1));
  const p2 = w.write([op(2), op(3)]).then(() => done.push(2));
  const p3 = w.write([op(4)]).then(() => done.push(3));
  assert.is(batches.length, 1);
  assert.equal(keys(batches[0]), [1]);
  release[0]();
  await p1;
  await new Promise((r) => setImmediate(r));
  assert.is(batches.length, 2);
  assert.equal(keys(batches[1]), [2, 3, 4]);
  release[1]();
  await Promise.all([p2, p3]);
  assert.equal(done, [1, 2, 3]);
  await w.idle();
});

test('a failed batch rejects its callers only', async () => {
  let calls = 0;
  const w = new BatchWriter(async () => {
    calls++;
    if (calls === 1) throw new Error('disk full');
  });
  const first = w.write([op(1)]);
  const outcome = await first.then(() => 'ok', (e: Error) => e.message);
  assert.is(outcome, 'disk full');
  await w.write([op(2)]);
  assert.is(calls, 2);
});

test('idle resolves once nothing is queued', async () => {
  let release!: () => void;
  const w = new BatchWriter(() => new Promise((r) => (release = r)));
  let idle = false;
  void w.write([op(1)]);
  const p = w.idle().then(() => (idle = true));
  await new Promise((r) => setImmediate(r));
  assert.is(idle, false);
  release();
  await p;
  assert.is(idle, true);
});

test.run();
