// Deterministic keys and values of the bench tool.
//
// Every benchmark type uses the same key space, so a read after a fill (even in another run, with
// the same -n, --thread_num and key sizes) finds exactly the keys written:
//   thread t, operation i (0 <= i < num) works on key index g = t * num + i;
//   hash key = g zero-padded to hashkey_size, sort key = g zero-padded to sortkey_size.
// Only the order differs: fillseq goes 0, 1, 2, ...; the random types go through a permutation of
// 0..num-1 drawn from seed + t (Pegasus reseeds each thread with seed + t, benchmark.cpp), so
// each key is touched exactly once. The value of key g depends on g alone, so a read can check it.

import type { BenchType } from './options.ts';

/** mulberry32: a small, fast, seedable 32-bit generator (public domain); enough for key orders. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A random permutation of 0..n-1 (Fisher-Yates), fixed by the seed. */
export function permutation(n: number, seed: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const next = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = next() % (i + 1);
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  return order;
}

/** The key indexes thread `thread` works on, in the order of its operations. */
export function keyOrder(type: BenchType, thread: number, num: number, seed: number): Uint32Array {
  const local = type === 'fillseq_pegasus' ? Uint32Array.from({ length: num }, (_, i) => i) : permutation(num, seed + thread);
  const base = thread * num;
  return local.map((i) => base + i);
}

export function keyText(index: number, size: number): string {
  return String(index).padStart(size, '0');
}

/** The value of key `index`: `size` lowercase letters drawn from the index. */
export function valueOf(index: number, size: number): Uint8Array {
  const next = mulberry32(index ^ 0x9e3779b9);
  const value = new Uint8Array(size);
  for (let i = 0; i < size; i++) value[i] = 97 + (next() % 26);
  return value;
}
