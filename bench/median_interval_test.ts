// Goal: the benchmark's interval for a median is right where it can be checked by hand, shrinks
// with more samples, and is reproducible. Method: fixed and generated samples.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mulberry32 } from './keys.ts';
import { median, medianInterval } from './median_interval.ts';

const next = mulberry32(7);
const random = () => next() / 2 ** 32;
/** n samples, uniform on 0.8-1.6: median 1.2. */
const draw = (n: number) => Array.from({ length: n }, () => 0.8 + random() * 0.8);

test('median interpolates between the two middle samples', () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('samples all equal: the interval is that value', () => {
  assert.equal(medianInterval([1.1, 1.1, 1.1, 1.1]), { low: 1.1, high: 1.1 });
});

test('the interval holds the median, within the samples, and narrows with more samples', () => {
  const small = draw(60);
  const large = draw(480);
  for (const xs of [small, large]) {
    const { low, high } = medianInterval(xs);
    assert.ok(low <= median(xs) && median(xs) <= high, `${low} <= ${median(xs)} <= ${high}`);
    assert.ok(low >= Math.min(...xs) && high <= Math.max(...xs));
  }
  const width = (xs: number[]) => medianInterval(xs).high - medianInterval(xs).low;
  assert.ok(width(large) < width(small) * 0.7, `${width(large)} vs ${width(small)}`);
});

test('a 90% interval holds the true median in about 90% of runs', () => {
  // 200 runs of 60 samples from uniform 0.8-1.6 (true median 1.2); a binomial(200, 0.9) count
  // lies within 165..195 with probability above 0.999.
  let held = 0;
  for (let run = 0; run < 200; run++) {
    const { low, high } = medianInterval(draw(60), 0.9, 500, run + 1);
    if (low <= 1.2 && 1.2 <= high) held++;
  }
  assert.ok(held >= 165 && held <= 195, `held in ${held} of 200`);
});

test('the same samples and seed give the same interval; no samples give NaN', () => {
  const xs = [1.3, 0.9, 1.1, 1.7, 1.05, 0.95, 1.2];
  assert.equal(medianInterval(xs), medianInterval(xs));
  assert.ok(Number.isNaN(medianInterval([]).low));
});

test.run();
