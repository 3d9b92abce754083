// How precisely a benchmark's median is known: a bootstrap percentile interval. The recovery
// benchmark's plan/collect figure is the median of per-round ratios, and on this 2-core VM one
// round's ratio ranges from about 0.6 to 2 (bench/RESULTS.md), so the median of 60 rounds still
// moved by about ±0.07 between runs of the same code. Printing the interval beside the figure says
// how far a run's figure can be from the cost it estimates. Pure; seeded, so the same samples give
// the same interval.

import { mulberry32 } from './keys.ts';

/** The `p` quantile (0..1) of ascending samples, interpolated linearly as tinybench does. */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = (sorted.length - 1) * p;
  const lo = Math.floor(i);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (i - lo);
}

/** The median, interpolated (recovery_bench.ts's p50). */
export function median(xs: readonly number[]): number {
  return quantile([...xs].sort((a, b) => a - b), 0.5);
}

/**
 * A `level` (e.g. 0.9) bootstrap percentile interval of the median of `xs`: the median of
 * `resamples` resamples with replacement, and the (1 - level) / 2 and (1 + level) / 2 quantiles of
 * those medians. NaN bounds for no samples.
 */
export function medianInterval(xs: readonly number[], level = 0.9, resamples = 2000, seed = 1): { low: number; high: number } {
  if (xs.length === 0) return { low: NaN, high: NaN };
  const next = mulberry32(seed); // 32-bit unsigned integers
  const random = () => next() / 2 ** 32;
  const medians: number[] = new Array(resamples);
  const sample: number[] = new Array(xs.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < xs.length; i++) sample[i] = xs[Math.floor(random() * xs.length)];
    medians[r] = median(sample);
  }
  medians.sort((a, b) => a - b);
  const at = (q: number) => medians[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))];
  return { low: at((1 - level) / 2), high: at((1 + level) / 2) };
}
