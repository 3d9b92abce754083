// Goal: a read benchmark touches exactly the keys a fill benchmark wrote (same -n, thread count,
// seed and sizes), each key once, whatever the order; different seeds give different orders but
// the same key set. Method: build the key sets of every type for several shapes and compare.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keyOrder, keyText, mulberry32, permutation, valueOf } from './keys.ts';
import type { BenchType } from './options.ts';

function keySet(type: BenchType, num: number, threads: number, seed: number): string[] {
  const keys: string[] = [];
  for (let t = 0; t < threads; t++) for (const g of keyOrder(type, t, num, seed)) keys.push(`${keyText(g, 16)}/${keyText(g, 16)}`);
  return keys;
}

test('fillseq writes key i of 0..n-1 in order; hash key = zero-padded i', () => {
  assert.equal([...keyOrder('fillseq_pegasus', 0, 5, 1000)], [0, 1, 2, 3, 4]);
  assert.equal([...keyOrder('fillseq_pegasus', 1, 5, 1000)], [5, 6, 7, 8, 9]);
  assert.is(keyText(42, 16), '0000000000000042');
});

test('fill and read key sets are equal; every key exactly once', () => {
  for (const [num, threads, seed] of [[1, 1, 1000], [10000, 1, 1000], [333, 3, 7], [1000, 4, 123456]]) {
    const written = keySet('fillseq_pegasus', num, threads, seed);
    for (const type of ['fillrandom_pegasus', 'readrandom_pegasus', 'deleterandom_pegasus'] as BenchType[]) {
      const other = keySet(type, num, threads, seed);
      assert.is(new Set(other).size, num * threads, `${type} ${num}x${threads}: no key twice`);
      assert.equal([...other].sort(), [...written].sort(), `${type} ${num}x${threads}: same keys as fillseq`);
    }
  }
});

test('random orders are seeded: same seed same order, other seed other order', () => {
  const a = keyOrder('readrandom_pegasus', 0, 1000, 1000);
  assert.equal([...a], [...keyOrder('readrandom_pegasus', 0, 1000, 1000)]);
  assert.equal([...a], [...keyOrder('fillrandom_pegasus', 0, 1000, 1000)], 'fillrandom and readrandom walk the same order');
  assert.not.equal([...a], [...keyOrder('readrandom_pegasus', 0, 1000, 1001)]);
  assert.not.equal([...a], [...keyOrder('fillseq_pegasus', 0, 1000, 1000)], 'random order is not sequential');
});

test('permutation and values are deterministic', () => {
  assert.equal([...permutation(6, 42)].sort(), [0, 1, 2, 3, 4, 5]);
  const r1 = mulberry32(5);
  const r2 = mulberry32(5);
  assert.equal([r1(), r1(), r1()], [r2(), r2(), r2()]);
  assert.equal(valueOf(17, 100), valueOf(17, 100));
  assert.not.equal(valueOf(17, 100), valueOf(18, 100));
  assert.ok(valueOf(3, 50).every((b) => b >= 97 && b <= 122));
});

test.run();
