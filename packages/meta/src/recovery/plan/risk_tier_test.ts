// Goal: show that assessPartition puts a partition in the tier its rule says (risk_tier.ts header),
// including every boundary: exactly max replicas, one decree ahead, a primary whose own tail is
// uncommitted, a reserve candidate beyond max, a malformed reply.
// Method: one row per case, candidates written worst first (the primary last) as
// "node ballot/lcd/lpd"; expected "tier primary lose=N missing=M".

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Candidate } from '../compare_replica_candidates.ts';
import { assessPartition } from './risk_tier.ts';

/** "n1 5/100/101" -> a candidate. */
const c = (text: string): Candidate => {
  const [node, nums] = text.split(' ');
  const [ballot, last_committed_decree, last_prepared_decree] = nums.split('/').map(Number);
  return { node, ballot, last_committed_decree, last_prepared_decree };
};

// Rule: lost = none; at-risk = some other candidate's max(lcd, lpd) > primary's max(lcd, lpd);
// intact = not at-risk, >= max candidates, every lcd = primary's; degraded otherwise.
const ROWS: [name: string, max: number, expected: string, candidates: string[]][] = [
  // name                                        max  expected                          candidates, worst first
  ['no candidate',                               3,  'lost - lose=0 missing=3',          []],
  ['no candidate, max 1',                        1,  'lost - lose=0 missing=1',          []],
  ['three equal replicas',                       3,  'intact n1 lose=0 missing=0',       ['n3 5/100/100', 'n2 5/100/100', 'n1 5/100/100']],
  ['equal lcd, primary has an uncommitted tail', 3,  'intact n1 lose=0 missing=0',       ['n3 5/100/100', 'n2 5/100/100', 'n1 5/100/105']],
  ['equal lcd, others prepared as far',          3,  'intact n1 lose=0 missing=0',       ['n3 5/100/105', 'n2 5/100/105', 'n1 5/100/105']],
  ['one replica behind: must learn',             3,  'degraded n1 lose=0 missing=0',     ['n3 5/90/90', 'n2 5/100/100', 'n1 5/100/100']],
  ['two of three',                               3,  'degraded n1 lose=0 missing=1',     ['n2 5/100/100', 'n1 5/100/100']],
  ['one of three',                               3,  'degraded n1 lose=0 missing=2',     ['n1 5/100/100']],
  ['one of one',                                 1,  'intact n1 lose=0 missing=0',       ['n1 5/100/100']],
  ['other prepared one more than primary holds', 3,  'at-risk n1 lose=1 missing=0',      ['n3 5/100/100', 'n2 5/100/101', 'n1 5/100/100']],
  ['other prepared up to primary tail: safe',    3,  'intact n1 lose=0 missing=0',       ['n3 5/100/100', 'n2 5/100/103', 'n1 5/100/103']],
  ['other prepared past primary tail',           3,  'at-risk n1 lose=2 missing=0',      ['n3 5/100/100', 'n2 5/100/105', 'n1 5/100/103']],
  ['spec 2.10: older ballot, longer log',        3,  'at-risk n1 lose=19 missing=0',     ['n3 4/120/120', 'n2 5/100/100', 'n1 5/100/101']],
  ['at-risk wins over missing replicas',         3,  'at-risk n1 lose=20 missing=1',     ['n2 4/120/120', 'n1 5/100/100']],
  ['largest gap counts, not the sum',            3,  'at-risk n1 lose=20 missing=0',     ['n3 4/110/110', 'n2 4/120/120', 'n1 5/100/100']],
  ['reserve beyond max behind: degraded',        3,  'degraded n1 lose=0 missing=0',     ['n4 3/80/80', 'n3 5/100/100', 'n2 5/100/100', 'n1 5/100/100']],
  ['reserve beyond max equal: intact',           3,  'intact n1 lose=0 missing=0',       ['n4 5/100/100', 'n3 5/100/100', 'n2 5/100/100', 'n1 5/100/100']],
  ['malformed other: lcd > lpd still counts',    3,  'at-risk n1 lose=10 missing=0',     ['n3 5/100/100', 'n2 4/110/0', 'n1 5/100/100']],
  ['primary lcd > lpd: its lcd is held',         3,  'degraded n1 lose=0 missing=0',     ['n3 5/100/100', 'n2 5/100/100', 'n1 6/105/0']],
  ['fresh partitions: all zero',                 3,  'intact n1 lose=0 missing=0',       ['n3 1/0/0', 'n2 1/0/0', 'n1 1/0/0']],
];

for (const [name, max, expected, candidates] of ROWS) {
  test(name, () => {
    const input = candidates.map(c);
    const before = JSON.stringify(input);
    const r = assessPartition(input, max);
    assert.is(`${r.tier} ${r.primary ?? '-'} lose=${r.mayLoseDecrees} missing=${r.missingReplicas}`, expected);
    assert.is(JSON.stringify(input), before);
    if (!r.primary) assert.not.ok('primary' in r, 'a lost partition has no primary key');
  });
}

test.run();
