// Goal: pin down the one "better replica" order recovery uses, key by key, and show that it is
// total, so sorting never depends on input order.
// Method: Pegasus's own rows first (TEST(meta_data, dropped_cmp), src/meta/test/meta_data.cpp,
// without the `time` key, which recovery never sets), then our node tie-break, then a sort check
// over every permutation of a small list.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Candidate, compareNodes, compareReplicaCandidates } from './compare_replica_candidates.ts';

const c = (node: string, ballot: number, lcd: number, lpd: number): Candidate => ({
  node,
  ballot,
  last_committed_decree: lcd,
  last_prepared_decree: lpd,
});
const sign = (n: number) => Math.sign(n);

// Rule: compare ballot, then last_committed_decree, then last_prepared_decree (higher is better),
// then the node text (smaller is better). `want` is the sign of compare(a, b).
const ROWS: { name: string; a: Candidate; b: Candidate; want: -1 | 0 | 1 }[] = [
  // Pegasus dropped_cmp rows (same node `n`, time 0)
  { name: 'pegasus: ballot not equal',                a: c('n', 4, 4, 4), b: c('n', 5, 3, 3), want: -1 },
  { name: 'pegasus: last_committed_decree not equal', a: c('n', 4, 4, 4), b: c('n', 4, 6, 3), want: -1 },
  { name: 'pegasus: last_prepared_decree not equal',  a: c('n', 7, 8, 9), b: c('n', 7, 8, 10), want: -1 },
  { name: 'pegasus: the same',                        a: c('n', 6, 6, 7), b: c('n', 6, 6, 7), want: 0 },
  // ours: the tie-break on the node
  { name: 'tie: smaller address is better',           a: c('n1', 6, 6, 7), b: c('n2', 6, 6, 7), want: 1 },
  { name: 'numbers decide before the node',           a: c('n1', 6, 6, 7), b: c('n2', 6, 6, 8), want: -1 },
  { name: 'ballot beats a higher decree',             a: c('n1', 4, 120, 120), b: c('n2', 5, 100, 100), want: -1 },
];

for (const row of ROWS) {
  test(row.name, () => {
    assert.is(sign(compareReplicaCandidates(row.a, row.b)), row.want, 'compare(a, b)');
    assert.is(sign(compareReplicaCandidates(row.b, row.a)), -row.want || 0, 'compare(b, a)');
  });
}

test('compareNodes is plain text order', () => {
  assert.is(compareNodes('10.0.0.1:34801', '10.0.0.1:34802'), -1);
  assert.is(compareNodes('10.0.0.10:34801', '10.0.0.9:34801'), -1); // text, not numeric
  assert.is(compareNodes('a:1', 'a:1'), 0);
});

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

test('sorting is the same from every input order (worst first, best last)', () => {
  const list = [c('n3', 7, 10, 12), c('n1', 7, 10, 12), c('n2', 7, 10, 12), c('n4', 7, 9, 20), c('n5', 8, 1, 1)];
  const want = ['n4', 'n3', 'n2', 'n1', 'n5'];
  for (const p of permutations(list)) {
    assert.equal([...p].sort(compareReplicaCandidates).map((x) => x.node), want, p.map((x) => x.node).join(','));
  }
});

test.run();
