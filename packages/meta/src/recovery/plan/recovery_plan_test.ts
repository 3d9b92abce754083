// Goal: show that buildRecoveryPlan lays out a recovery result as the operator must review it:
// user tables with renames and drops, placeholders apart, every partition with its primary,
// candidates best first and tier, totals, completeness warnings and what is not rebuilt; that a
// failed result carries only its outcome and hints; and that the plan is JSON and leaves its input
// alone.
// Method: a small hand-made cluster goes through the real core (constructRecovery), then through
// buildRecoveryPlan; the checks compare whole sections of the plan.
//   app 1 `temp`, dropped (drop 1000, expire 2000), 2 partitions: renamed to `temp-1` by app 3.
//   app 2: nobody reports it, so it is a placeholder.
//   app 3 `temp`, 4 partitions, envs set: 3.0 intact, 3.1 degraded (2 of 3), 3.2 at-risk
//     (n3 kept an older ballot with a longer log), 3.3 lost (skip_lost_partitions).
//   app 4 `solo`, 1 partition, 1 replica, no envs: intact.
//   Nodes n1-n3 answer, n4 times out (skip_bad_nodes); n5 heartbeats but is not listed.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { app, candidatesAt, N, rep } from '../_recovery_test_support.ts';
import type { AppInfo, ReplicaInfo } from '../../../../proto/src/types.ts';
import { constructRecovery, type RecoveryOptions } from '../construct_recovery.ts';
import type { NodeReport } from '../node_report.ts';
import { NOT_CARRIED_BY_REPLICAS, buildRecoveryPlan, type RecoveryPlanInput } from './recovery_plan.ts';

const NOW = 1_700_000_000;

const OLD = app(1, 'temp', 2, { status: 'AS_DROPPED', drop_second: 1000, expire_second: 2000 });
const TEMP = app(3, 'temp', 4, { envs: { 'default_ttl': '86400' } });
const SOLO = app(4, 'solo', 1, { max_replica_count: 1 });

function cluster(): NodeReport[] {
  const ok = (n: number, apps: AppInfo[], replicas: ReplicaInfo[]): NodeReport => ({ node: N(n), apps, replicas, err: 'ERR_OK', latencyMs: 1 });
  return [
    ok(1, [OLD, TEMP, SOLO], [rep('1.0', 2, 40), rep('3.0', 5, 100), rep('3.1', 5, 200), rep('3.2', 5, 300, 301), rep('4.0', 1, 9)]),
    ok(2, [OLD, TEMP], [rep('1.0', 2, 40), rep('1.1', 2, 41), rep('3.0', 5, 100), rep('3.1', 5, 200), rep('3.2', 5, 300)]),
    ok(3, [TEMP], [rep('3.0', 5, 100), rep('3.2', 4, 320)]),
    { node: N(4), err: 'ERR_TIMEOUT', latencyMs: 5000, apps: [TEMP] },
  ];
}
const OPTS: RecoveryOptions = { skipBadNodes: true, skipLostPartitions: true, nowSeconds: NOW, maxReservedDroppedReplicas: 1 };
const NODE_LIST = [N(3), N(1), N(2), N(4)];

function input(reports = cluster(), options = OPTS): RecoveryPlanInput {
  return { result: constructRecovery(reports, options), reports, options, nodeList: NODE_LIST, heartbeatingNodes: [N(5), N(1), N(2), N(5)], createdAtSeconds: NOW };
}

test('header: id, options, node list as given, outcome and hints', () => {
  const plan = buildRecoveryPlan(input());
  assert.match(plan.plan_id, /^[0-9a-f]{16}$/);
  assert.is(plan.created_at_second, NOW);
  assert.equal(plan.options, { skip_bad_nodes: true, skip_lost_partitions: true });
  assert.equal(plan.node_list, NODE_LIST);
  assert.is(plan.err, 'ERR_OK');
  assert.is(plan.outcome, 'ok');
  assert.ok(plan.hint_lines.some((l) => l.includes('rename it to (temp-1)')), plan.hint_lines.join('\n'));
});

test('tables: placeholders apart, rename and drop marked, partitions best first', () => {
  const plan = buildRecoveryPlan(input());
  assert.equal(plan.placeholders, [{ app_id: 2, app_name: '__drop_holder__2' }]);
  const brief = plan.tables.map((t) => `${t.app_id} ${t.app_name} from=${t.original_name ?? '-'} dropped=${t.was_dropped} ${t.drop_second}/${t.expire_second} p=${t.partition_count} r=${t.max_replica_count}`);
  assert.equal(brief, [
    '1 temp-1 from=temp dropped=true 1000/2000 p=2 r=3',
    '3 temp from=- dropped=false 0/0 p=4 r=3',
    '4 solo from=- dropped=false 0/0 p=1 r=1',
  ]);
  const parts = plan.tables.flatMap((t) => t.partitions.map((p) =>
    `${p.gpid} ${p.tier} ${p.primary ?? '-'} lose=${p.may_lose_decrees} missing=${p.missing_replicas} [${p.candidates.map((c) => `${c.node.slice(-1)}:${c.ballot}/${c.last_committed_decree}/${c.last_prepared_decree}`).join(' ')}]`));
  assert.equal(parts, [
    // A dropped table's partitions are not built: no primary, but the replicas found are listed.
    `1.0 degraded - lose=0 missing=1 [1:2/40/40 2:2/40/40]`,
    `1.1 degraded - lose=0 missing=2 [2:2/41/41]`,
    `3.0 intact ${N(1)} lose=0 missing=0 [1:5/100/100 2:5/100/100 3:5/100/100]`,
    `3.1 degraded ${N(1)} lose=0 missing=1 [1:5/200/200 2:5/200/200]`,
    `3.2 at-risk ${N(1)} lose=19 missing=0 [1:5/300/301 2:5/300/300 3:4/320/320]`,
    `3.3 lost - lose=0 missing=3 []`,
    `4.0 intact ${N(1)} lose=0 missing=0 [1:1/9/9]`,
  ]);
  assert.is(plan.tables[0].partitions[0].pidx, 0);
  assert.is(plan.tables[1].partitions[3].pidx, 3);
});

test('the primary in the plan is the one in the partition configuration', () => {
  const inp = input();
  const plan = buildRecoveryPlan(inp);
  for (const t of plan.tables) {
    const pcs = inp.result.partitions.get(t.app_id)!;
    for (const p of t.partitions) assert.is(p.primary ?? '', pcs[p.pidx].primary, p.gpid);
  }
});

test('a result made without configurations (as a plan makes it) gives the same plan', () => {
  const inp = input();
  const bare = { ...inp, result: constructRecovery(inp.reports, { ...OPTS, configurations: false }) };
  assert.is(bare.result.partitions.size, 0);
  assert.equal(buildRecoveryPlan(bare), buildRecoveryPlan(inp));
});

test('totals count served tables only', () => {
  const plan = buildRecoveryPlan(input());
  assert.equal(plan.totals, { partitions: 5, tiers: { intact: 2, degraded: 1, 'at-risk': 1, lost: 1 }, may_lose_decrees: 19 });
});

test('completeness: unlisted heartbeats, unanswered nodes, under-replicated served partitions', () => {
  const plan = buildRecoveryPlan(input());
  assert.equal(plan.completeness, {
    unlisted_heartbeating_nodes: [N(5)],
    unanswered_nodes: [{ node: N(4), err: 'ERR_TIMEOUT' }],
    under_replicated: [{ gpid: '3.1', replicas: 2, needs: 1, held_by_unused_nodes: [] }],
  });
});

// Rule: an under-replicated partition names the heartbeating nodes that say they hold it but whose
// answer was not used (unlisted, or listed and skipped); a node whose answer was used never counts.
test('completeness: the unused nodes whose heartbeats say they hold an under-replicated partition', () => {
  const heartbeatReplicas = new Map([
    [N(5), ['3.1', '3.0', '3.1']], // unlisted; lists 3.1 twice
    [N(4), ['3.1']],               // listed, timed out (skipped)
    [N(1), ['3.1']],               // answered: its replica is already a candidate
    [N(6), ['9.9']],               // holds nothing under-replicated
  ]);
  const plan = buildRecoveryPlan({ ...input(), heartbeatReplicas });
  assert.equal(plan.completeness.under_replicated, [{ gpid: '3.1', replicas: 2, needs: 1, held_by_unused_nodes: [N(4), N(5)] }]);
});

test('a listed node with no report at all is unanswered with err null', () => {
  const inp = input();
  const plan = buildRecoveryPlan({ ...inp, nodeList: [...NODE_LIST, N(6)] });
  assert.equal(plan.completeness.unanswered_nodes, [{ node: N(4), err: 'ERR_TIMEOUT' }, { node: N(6), err: null }]);
});

test('not rebuilt: the constant kinds for every user table, envs only where empty', () => {
  const plan = buildRecoveryPlan(input());
  const all = [...NOT_CARRIED_BY_REPLICAS];
  assert.equal(plan.not_rebuilt, [
    { app_id: 1, app_name: 'temp-1', kinds: [...all, 'table envs'] },
    { app_id: 3, app_name: 'temp', kinds: all },
    { app_id: 4, app_name: 'solo', kinds: [...all, 'table envs'] },
  ]);
});

test('a failed result: outcome and hints, no tables', () => {
  const options = { ...OPTS, skipLostPartitions: false };
  const plan = buildRecoveryPlan(input(cluster(), options));
  assert.is(plan.err, 'ERR_TRY_AGAIN');
  assert.is(plan.outcome, 'lost_partitions');
  assert.ok(plan.hint_lines.includes('ERROR: partition(3.3) has no replica collected, you can force recover it by set skip_lost_partitions option'));
  assert.equal([plan.tables, plan.placeholders, plan.not_rebuilt, plan.completeness.under_replicated], [[], [], [], []]);
  assert.equal(plan.totals, { partitions: 0, tiers: { intact: 0, degraded: 0, 'at-risk': 0, lost: 0 }, may_lose_decrees: 0 });
  // What the operator can still act on: the nodes.
  assert.equal(plan.completeness.unanswered_nodes, [{ node: N(4), err: 'ERR_TIMEOUT' }]);
  assert.equal(plan.completeness.unlisted_heartbeating_nodes, [N(5)]);
  assert.is.not(plan.plan_id, buildRecoveryPlan(input()).plan_id, 'the options are part of the id');
});

test('the id ignores the clock and the order of reports and of the node list', () => {
  const a = buildRecoveryPlan(input());
  const reversed = cluster().reverse();
  const b = buildRecoveryPlan({ ...input(reversed, { ...OPTS, nowSeconds: NOW + 60 }), nodeList: [...NODE_LIST].reverse(), createdAtSeconds: NOW + 60 });
  assert.is(b.plan_id, a.plan_id);
  assert.equal(b.tables, a.tables);
});

test('the plan is JSON and the input is left alone', () => {
  const inp = input();
  const before = JSON.stringify({ r: inp.reports, apps: inp.result.apps, pcs: [...inp.result.partitions], cs: [...inp.result.candidates], l: inp.nodeList, h: inp.heartbeatingNodes });
  const plan = buildRecoveryPlan(inp);
  assert.equal(JSON.parse(JSON.stringify(plan)), plan);
  const after = JSON.stringify({ r: inp.reports, apps: inp.result.apps, pcs: [...inp.result.partitions], cs: [...inp.result.candidates], l: inp.nodeList, h: inp.heartbeatingNodes });
  assert.is(after, before);
  const best = candidatesAt(inp.result.candidates, '3.0').at(-1);
  plan.tables[1].partitions[0].candidates.reverse();
  assert.is(candidatesAt(inp.result.candidates, '3.0').at(-1), best, "the plan's candidate lists are its own: reordering one leaves the result alone");
});

test.run();
