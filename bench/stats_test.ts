// Goal: the bench prints Pegasus's header and statistics lines (statistics.cpp): 48 dashes,
// `Statistics for write:  ` with two trailing blanks, the rate line with `MB/s ` only when bytes
// were moved, reads ending with `(F of N found)`, then the latency percentiles. Method: fixed
// numbers in, exact lines out.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_BENCH_OPTIONS } from './options.ts';
import { headerLines, percentile, reportLines } from './stats.ts';

test('header', () => {
  assert.equal(headerLines({ ...DEFAULT_BENCH_OPTIONS, num: 10000 }), [
    'Hashkeys:       16 bytes each',
    'Sortkeys:       16 bytes each',
    'Values:         100 bytes each',
    'Entries:        10000',
    'FileSize:       1 MB (estimated)',
    '------------------------------------------------',
  ]);
});

test('write report: micros/op, ops/sec, MB/s with a trailing blank', () => {
  const latencies = Float64Array.from({ length: 1000 }, (_, i) => i + 1); // 1..1000 micros
  const lines = reportLines({ label: 'write', done: 1000, bytes: 4 * 1048576, elapsedMicros: 2_000_000, latenciesMicros: latencies, message: '' });
  assert.equal(lines, [
    'Statistics for write:  ',
    '2000 micros/op; 500 ops/sec; 2 MB/s ',
    'Percentiles: P50: 500.00 P90: 900.00 P99: 990.00 P99.9: 999.00 Max: 1000.00',
  ]);
});

test('read report ends with (F of N found); no MB/s when nothing was read', () => {
  const one = Float64Array.of(250);
  assert.is(
    reportLines({ label: 'read', done: 4, bytes: 1048576, elapsedMicros: 1_000_000, latenciesMicros: one, message: '(3 of 4 found)' })[1],
    '250000 micros/op; 4 ops/sec; 1 MB/s (3 of 4 found)',
  );
  assert.is(
    reportLines({ label: 'read', done: 4, bytes: 0, elapsedMicros: 1_000_000, latenciesMicros: one, message: '(0 of 4 found)' })[1],
    '250000 micros/op; 4 ops/sec; (0 of 4 found)',
  );
});

test('percentile is nearest-rank', () => {
  const s = Float64Array.of(10, 20, 30, 40);
  assert.equal([50, 75, 76, 100, 0].map((p) => percentile(s, p)), [20, 30, 40, 40, 10]);
  assert.is(percentile(new Float64Array(0), 50), 0);
});

test.run();
