// Statistics and report lines of the bench tool, in Pegasus's format (statistics.cpp,
// benchmark.cpp print_header; pegasus-spec §6.3). Pure: numbers in, lines out.

import type { BenchOptions } from './options.ts';

export const BENCH_SEPARATOR = '-'.repeat(48);

export function headerLines(o: BenchOptions): string[] {
  // FileSize is per-thread num, like Pegasus: ((h + s + v) * num) >> 20, in whole MB.
  const fileSizeMb = Math.floor(((o.hashkeySize + o.sortkeySize + o.valueSize) * o.num) / 1048576);
  return [
    `Hashkeys:       ${o.hashkeySize} bytes each`,
    `Sortkeys:       ${o.sortkeySize} bytes each`,
    `Values:         ${o.valueSize} bytes each`,
    `Entries:        ${o.num}`,
    `FileSize:       ${fileSizeMb} MB (estimated)`,
    BENCH_SEPARATOR,
  ];
}

/** What one benchmark measured, merged over its threads. */
export type BenchResult = {
  /** `read`, `write` or `delete`, as Pegasus labels the statistics. */
  label: string;
  done: number;
  bytes: number;
  elapsedMicros: number;
  /** One entry per operation, in microseconds. */
  latenciesMicros: Float64Array;
  /** Reads only: `(F of N found)`. */
  message: string;
};

/** Nearest-rank percentile of an ascending array (0 when empty). */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  // The epsilon keeps float noise (99.9 / 100 * 1000 = 999.0000000000001) from skipping a rank.
  const rank = Math.ceil((p / 100) * sorted.length - 1e-9);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * `Statistics for X:  ` (two trailing blanks, as Pegasus prints), the rate line, then one line of
 * latency percentiles in microseconds (Pegasus prints RocksDB's histogram there).
 */
export function reportLines(r: BenchResult): string[] {
  const done = Math.max(1, r.done); // Pegasus pretends one op was done rather than divide by 0.
  const elapsedSeconds = Math.max(r.elapsedMicros, 1) * 1e-6;
  // Pegasus: "(bytes >> 20) / elapsed MB/s " only when bytes > 0, then the message.
  let extra = r.bytes > 0 ? `${Math.floor(r.bytes / 1048576) / elapsedSeconds} MB/s ` : '';
  extra += r.message;
  const sorted = Float64Array.from(r.latenciesMicros).sort();
  const p = (q: number) => percentile(sorted, q).toFixed(2);
  return [
    `Statistics for ${r.label}:  `,
    `${(elapsedSeconds * 1e6) / done} micros/op; ${Math.trunc(done / elapsedSeconds)} ops/sec; ${extra}`,
    `Percentiles: P50: ${p(50)} P90: ${p(90)} P99: ${p(99)} P99.9: ${p(99.9)} Max: ${p(100)}`,
  ];
}
