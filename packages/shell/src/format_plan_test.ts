// Goal: show what `recover --plan` prints: one header per table (rename, drop times), one line per
// partition (tier, loss, primary, others), the completeness warnings, what is not rebuilt, the
// totals and the plan id last; for a failed result, the outcome and the next step.
// Method: a hand-written plan (the shape buildRecoveryPlan makes; recovery_plan_test.ts checks
// that) printed as a full transcript, then single lines checked with regexes.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatPlanLines } from './format_plan.ts';
import type { PlanPartition, RecoveryPlan } from '../../proto/src/index.ts';

const N = (i: number) => `127.0.0.1:3480${i}`;
const ALL = ['duplication', 'backup policies', 'bulk load state', 'partition split state'];
/** "n1 5/100/101" (node index) -> a candidate. */
const c = (text: string) => {
  const [n, nums] = text.split(' ');
  const [ballot, last_committed_decree, last_prepared_decree] = nums.split('/').map(Number);
  return { node: N(Number(n)), ballot, last_committed_decree, last_prepared_decree };
};
const part = (gpid: string, tier: PlanPartition['tier'], lose: number, missing: number, cands: string[], primary = cands.length > 0): PlanPartition => {
  const p: PlanPartition = { pidx: Number(gpid.split('.')[1]), gpid, candidates: cands.map(c), tier, may_lose_decrees: lose, missing_replicas: missing };
  if (primary) p.primary = c(cands[0]).node;
  return p;
};

const PLAN: RecoveryPlan = {
  plan_id: '0123456789abcdef',
  created_at_second: 1_700_000_000,
  options: { skip_bad_nodes: true, skip_lost_partitions: true },
  node_list: [N(1), N(2), N(3), N(4)],
  outcome: 'ok',
  next_step: 'nothing; read the WARNING lines, if any',
  err: 'ERR_OK',
  hint_lines: ["WARNING: app(1)'s old name(temp) is conflict with others, rename it to (temp-1)"],
  tables: [
    { app_id: 1, app_name: 'temp-1', original_name: 'temp', was_dropped: true, drop_second: 1_600_000_000, expire_second: 0, partition_count: 1, max_replica_count: 3,
      partitions: [part('1.0', 'degraded', 0, 1, ['1 2/40/40', '2 2/40/40'], false)] },
    { app_id: 3, app_name: 'temp', was_dropped: false, drop_second: 0, expire_second: 0, partition_count: 4, max_replica_count: 3,
      partitions: [
        part('3.0', 'intact', 0, 0, ['1 5/100/100', '2 5/100/100', '3 5/100/100']),
        part('3.1', 'degraded', 0, 1, ['1 5/200/200', '2 5/200/200']),
        part('3.2', 'at-risk', 19, 0, ['1 5/300/301', '2 5/300/300', '3 4/320/320']),
        part('3.3', 'lost', 0, 3, []),
      ] },
    { app_id: 4, app_name: 'solo', was_dropped: false, drop_second: 0, expire_second: 0, partition_count: 1, max_replica_count: 1,
      partitions: [part('4.0', 'intact', 0, 0, ['1 1/9/9'])] },
  ],
  placeholders: [{ app_id: 2, app_name: '__drop_holder__2' }],
  totals: { partitions: 5, tiers: { intact: 2, degraded: 1, 'at-risk': 1, lost: 1 }, may_lose_decrees: 19 },
  completeness: {
    unlisted_heartbeating_nodes: [N(5)],
    unanswered_nodes: [{ node: N(4), err: 'ERR_TIMEOUT' }],
    under_replicated: [{ gpid: '3.1', replicas: 2, needs: 1, held_by_unused_nodes: [] }],
  },
  not_rebuilt: [
    { app_id: 1, app_name: 'temp-1', kinds: [...ALL, 'table envs'] },
    { app_id: 3, app_name: 'temp', kinds: ALL },
    { app_id: 4, app_name: 'solo', kinds: [...ALL, 'table envs'] },
  ],
  fingerprints: [],
};

const TRANSCRIPT = `
recovery plan 0123456789abcdef, created 2023-11-14T22:13:20.000Z
options: skip_bad_nodes=true skip_lost_partitions=true
node list: 127.0.0.1:34801 127.0.0.1:34802 127.0.0.1:34803 127.0.0.1:34804
result: ERR_OK (ok)
WARNING: app(1)'s old name(temp) is conflict with others, rename it to (temp-1)
table 1 temp-1 (renamed from temp, dropped at 2020-09-13T12:26:40.000Z): 1 partition, 3 replicas each
  partition 1.0: degraded, no primary (table dropped); replicas 127.0.0.1:34801 (2, 40, 40), 127.0.0.1:34802 (2, 40, 40)
table 3 temp: 4 partitions, 3 replicas each
  partition 3.0: intact, primary 127.0.0.1:34801 (5, 100, 100); others 127.0.0.1:34802 (5, 100, 100), 127.0.0.1:34803 (5, 100, 100)
  partition 3.1: degraded, primary 127.0.0.1:34801 (5, 200, 200); others 127.0.0.1:34802 (5, 200, 200)
  partition 3.2: at-risk, may lose 19 decrees, primary 127.0.0.1:34801 (5, 300, 301); others 127.0.0.1:34802 (5, 300, 300), 127.0.0.1:34803 (4, 320, 320)
  partition 3.3: lost, no replica found
table 4 solo: 1 partition, 1 replica each
  partition 4.0: intact, primary 127.0.0.1:34801 (1, 9, 9); no others
placeholder 2 __drop_holder__2: no table, no data; keeps id 2 from being reused
WARNING: node 127.0.0.1:34805 sends heartbeats but is not in the node list
WARNING: node 127.0.0.1:34804 did not answer (ERR_TIMEOUT)
WARNING: partition 3.1 has 2 of 3 replicas; needs 1 more node
NOT REBUILT: table 1 temp-1: duplication, backup policies, bulk load state, partition split state, table envs; restore by hand
NOT REBUILT: table 3 temp: duplication, backup policies, bulk load state, partition split state; restore by hand
NOT REBUILT: table 4 solo: duplication, backup policies, bulk load state, partition split state, table envs; restore by hand
totals: 5 partitions served: intact 2, degraded 1, at-risk 1, lost 1; may lose 19 decrees
plan id: 0123456789abcdef
`.trim();

test('full transcript', () => {
  assert.fixture(formatPlanLines(PLAN).join('\n'), TRANSCRIPT);
});

test('same plan, same text; the plan is left alone', () => {
  const before = JSON.stringify(PLAN);
  assert.equal(formatPlanLines(PLAN), formatPlanLines(JSON.parse(before)));
  assert.is(JSON.stringify(PLAN), before);
});

const withTable = (edit: Partial<RecoveryPlan['tables'][number]>): RecoveryPlan => ({ ...PLAN, tables: [{ ...PLAN.tables[0], ...edit }] });

// Rule: each feature shows up on a line of its own kind, in a form grep can find.
const LINES: [name: string, plan: RecoveryPlan, pattern: RegExp][] = [
  ['dropped with both times',        withTable({ expire_second: 1_600_086_400 }), /^table 1 temp-1 \(renamed from temp, dropped at 2020-09-13T12:26:40\.000Z expires 2020-09-14T12:26:40\.000Z\): /m],
  ['dropped, times unknown',         withTable({ drop_second: 0, original_name: undefined }), /^table 1 temp-1 \(dropped\): 1 partition, 3 replicas each$/m],
  ['not renamed, not dropped',       withTable({ original_name: undefined, was_dropped: false }), /^table 1 temp-1: 1 partition, 3 replicas each$/m],
  ['a time Date cannot hold',        withTable({ drop_second: 1e300 }), /dropped at second 1e\+300\)/],
  ['two nodes needed: plural',       { ...PLAN, completeness: { ...PLAN.completeness, under_replicated: [{ gpid: '3.1', replicas: 1, needs: 2, held_by_unused_nodes: [] }] } }, /^WARNING: partition 3\.1 has 1 of 3 replicas; needs 2 more nodes$/m],
  ['the nodes that hold more',       { ...PLAN, completeness: { ...PLAN.completeness, under_replicated: [{ gpid: '3.1', replicas: 2, needs: 1, held_by_unused_nodes: [N(4), N(5)] }] } }, /^WARNING: partition 3\.1 has 2 of 3 replicas; needs 1 more node; held by 127\.0\.0\.1:34804, 127\.0\.0\.1:34805, whose answer was not used \(add it to the node list, or bring it back\)$/m],
  ['a listed node with no report',   { ...PLAN, completeness: { ...PLAN.completeness, unanswered_nodes: [{ node: N(6), err: null }] } }, /^WARNING: node 127\.0\.0\.1:34806 did not answer \(no report\)$/m],
  ['at-risk partition greppable',    PLAN, /^ {2}partition 3\.2: at-risk, may lose 19 decrees, /m],
  ['the id is the last line',        PLAN, /\nplan id: 0123456789abcdef$/],
];

for (const [name, plan, pattern] of LINES) {
  test(name, () => assert.match(formatPlanLines(plan).join('\n'), pattern));
}

test('a failed result: outcome, hints, next step, node warnings, id; no tables or totals', () => {
  const failed: RecoveryPlan = {
    ...PLAN,
    outcome: 'bad_nodes',
    next_step: 'bring the named nodes back, or retry with --skip_bad_nodes',
    err: 'ERR_TRY_AGAIN',
    hint_lines: ['ERROR: collect app and replica info from node(127.0.0.1:34804) failed with err(ERR_TIMEOUT), you can skip it by set skip_bad_nodes option'],
    tables: [],
    placeholders: [],
    totals: { partitions: 0, tiers: { intact: 0, degraded: 0, 'at-risk': 0, lost: 0 }, may_lose_decrees: 0 },
    completeness: { ...PLAN.completeness, under_replicated: [] },
    not_rebuilt: [],
  };
  const text = formatPlanLines(failed).join('\n');
  assert.match(text, /^result: ERR_TRY_AGAIN \(bad_nodes\)$/m);
  assert.match(text, /^ERROR: collect app and replica info from node\(127\.0\.0\.1:34804\)/m);
  assert.match(text, /^nothing will be written; next: bring the named nodes back, or retry with --skip_bad_nodes$/m);
  assert.match(text, /^WARNING: node 127\.0\.0\.1:34804 did not answer \(ERR_TIMEOUT\)$/m);
  assert.not.match(text, /^(table|totals|NOT REBUILT)/m);
  assert.match(text, /\nplan id: 0123456789abcdef$/);
});

test.run();
