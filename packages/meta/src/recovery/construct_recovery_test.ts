// Goal: show that constructRecovery answers every case of the seed (docs meta-recovery, "Common
// Issues and Solutions") with the seed's result code and hint lines, character for character,
// that it refuses what Pegasus would abort on, and that its result does not depend on the order of
// the reports or of the lists inside them.
// Method: a cluster like the seed's (table `temp`, app 1, 8 partitions, 3 replicas each, nodes
// x.x.x.x:34801-34804) is built by a short helper; each row changes it a little and expects a
// transcript: "Recover result: ERR_X (outcome)" then the hint lines, as the shell prints them.
// Then structural checks, and a randomized shuffle test that prints its seed when it fails.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ErrorCode } from '../../../proto/src/error_code.ts';
import type { AppInfo, PartitionConfiguration, ReplicaInfo } from '../../../proto/src/types.ts';
import { checkRecoveryNodes, constructRecovery, formatHintMessage, type RecoveryOptions, type RecoveryResult } from './construct_recovery.ts';
import { CandidateCollector } from './construct_partitions.ts';
import type { NodeReport } from './node_report.ts';
import { candidateGpids, candidatesAt, rng, shuffle } from './_recovery_test_support.ts';

const NOW = 1_700_000_000;
const OPTS: RecoveryOptions = { skipBadNodes: false, skipLostPartitions: false, nowSeconds: NOW, maxReservedDroppedReplicas: 1 };
const SKIP_BAD = { ...OPTS, skipBadNodes: true };
const SKIP_LOST = { ...OPTS, skipLostPartitions: true };

const app = (id: number, name: string, partitions = 8, more: Partial<AppInfo> = {}): AppInfo => ({
  status: 'AS_AVAILABLE',
  app_type: 'pegasus',
  app_name: name,
  app_id: id,
  partition_count: partitions,
  envs: {},
  is_stateful: true,
  max_replica_count: 3,
  expire_second: 0,
  create_second: 0,
  drop_second: 0,
  ...more,
});
const rep = (app_id: number, partition_index: number, ballot: number, lcd: number, lpd = lcd): ReplicaInfo => ({
  pid: { app_id, partition_index },
  ballot,
  status: 'PS_INACTIVE',
  last_committed_decree: lcd,
  last_prepared_decree: lpd,
  last_durable_decree: lcd,
  app_type: 'pegasus',
  disk_tag: 'default',
});
const ok = (node: string, apps: AppInfo[], replicas: ReplicaInfo[]): NodeReport => ({ node, apps, replicas, err: 'ERR_OK', latencyMs: 1 });
const bad = (node: string, err: ErrorCode, apps?: AppInfo[]): NodeReport => ({ node, apps, err, latencyMs: 5000 });
const X = (i: number) => `x.x.x.x:3480${i}`;

const TEMP = app(1, 'temp');
/**
 * The seed's cluster: app 1 `temp`, 8 partitions. Partitions 0, 1, 3, 5, 7 live on 34804 and two of
 * 34801-34803; 2, 4, 6 on 34801-34803. `keep(node, pidx)` removes replicas; `fourth` drops 34804.
 */
function seedCluster(opts: { fourth?: boolean; keep?: (node: number, pidx: number) => boolean } = {}): NodeReport[] {
  const fourth = opts.fourth ?? true;
  const keep = opts.keep ?? (() => true);
  const holders = (pidx: number) => ([0, 1, 3, 5, 7].includes(pidx) && fourth ? [4, 1 + (pidx % 3), 1 + ((pidx + 1) % 3)] : [1, 2, 3]);
  return [1, 2, 3, 4].filter((n) => n < 4 || fourth).map((n) => {
    const replicas = [0, 1, 2, 3, 4, 5, 6, 7].filter((p) => holders(p).includes(n) && keep(n, p)).map((p) => rep(1, p, 3, 100 + p));
    return ok(X(n), [TEMP], replicas);
  });
}
const withBad34804 = (reports: NodeReport[]) => reports.map((r) => (r.node === X(4) ? bad(r.node, 'ERR_NETWORK_FAILURE') : r));
const transcript = (r: RecoveryResult) => [`Recover result: ${r.err} (${r.outcome})`, ...r.hintLines];

type Row = [name: string, options: RecoveryOptions, reports: NodeReport[], transcript: string[]];

const ROWS: Row[] = [
  // ---- the seed, "Operational Process" and "Common Issues and Solutions" ----
  ['seed: recover from 3 healthy nodes', OPTS, seedCluster({ fourth: false }), [
    'Recover result: ERR_OK (ok)',
  ]],
  ['seed: cannot connect to a replica server', OPTS, withBad34804(seedCluster()), [
    'Recover result: ERR_TRY_AGAIN (bad_nodes)',
    'ERROR: collect app and replica info from node(x.x.x.x:34804) failed with err(ERR_NETWORK_FAILURE), you can skip it by set skip_bad_nodes option',
  ]],
  ['seed: --skip_bad_nodes', SKIP_BAD, withBad34804(seedCluster()), [
    'Recover result: ERR_OK (ok)',
    'WARNING: collect app and replica info from node(x.x.x.x:34804) failed with err(ERR_NETWORK_FAILURE), skip the bad node',
    'WARNING: partition(1.0) only collects 2/3 of replicas, may lost data',
    'WARNING: partition(1.1) only collects 2/3 of replicas, may lost data',
    'WARNING: partition(1.3) only collects 2/3 of replicas, may lost data',
    'WARNING: partition(1.5) only collects 2/3 of replicas, may lost data',
    'WARNING: partition(1.7) only collects 2/3 of replicas, may lost data',
  ]],
  ['seed: a partition with an incomplete replica count', OPTS, seedCluster({ fourth: false, keep: (n, p) => p !== 0 || n === 1 }), [
    'Recover result: ERR_OK (ok)',
    'WARNING: partition(1.0) only collects 1/3 of replicas, may lost data',
  ]],
  ['seed: a partition with no available replica', OPTS, seedCluster({ fourth: false, keep: (_, p) => p !== 0 }), [
    'Recover result: ERR_TRY_AGAIN (lost_partitions)',
    'ERROR: partition(1.0) has no replica collected, you can force recover it by set skip_lost_partitions option',
  ]],
  ['seed: --skip_lost_partitions', SKIP_LOST, seedCluster({ fourth: false, keep: (_, p) => p !== 0 }), [
    'Recover result: ERR_OK (ok)',
    'WARNING: partition(1.0) has no replica collected, force recover the lost partition to empty',
  ]],
  // ---- the node list ----
  ['empty node list', SKIP_BAD, [], [
    'Recover result: ERR_INVALID_PARAMETERS (no_nodes)',
    'ERROR: the recovery node list is empty, list at least one replica server',
  ]],
  ['a node listed twice', OPTS, [...seedCluster({ fourth: false }), ok(X(2), [TEMP], [])], [
    'Recover result: ERR_INVALID_PARAMETERS (duplicate_node)',
    'ERROR: node(x.x.x.x:34802) is listed 2 times in the recovery node list, list each replica server once',
  ]],
  ['every node bad, even with --skip_bad_nodes', SKIP_BAD, [bad(X(2), 'ERR_TIMEOUT'), bad(X(1), 'ERR_NETWORK_FAILURE')], [
    'Recover result: ERR_TRY_AGAIN (bad_nodes)',
    'WARNING: collect app and replica info from node(x.x.x.x:34801) failed with err(ERR_NETWORK_FAILURE), skip the bad node',
    'WARNING: collect app and replica info from node(x.x.x.x:34802) failed with err(ERR_TIMEOUT), skip the bad node',
    'ERROR: no node of the recovery node list answered, nothing to recover from; bring the nodes back or fix the node list, then retry',
  ]],
  // ---- what Pegasus aborts on or does not check ----
  ['conflicting app infos (a node missed a rename)', OPTS, [ok(X(1), [TEMP], [rep(1, 0, 3, 9)]), ok(X(2), [app(1, 'temp_old')], [rep(1, 0, 3, 9)])], [
    'Recover result: ERR_TRY_AGAIN (conflicting_app_info)',
    'ERROR: node(x.x.x.x:34801) and node(x.x.x.x:34802) report different infos for app(1): app_name("temp" vs "temp_old"); check the .app-info files of app(1) on both nodes, then retry',
  ]],
  ['a replica of an app no node reported', OPTS, [ok(X(1), [app(1, 'temp', 1)], [rep(1, 0, 3, 9), rep(2, 0, 3, 9)])], [
    'Recover result: ERR_TRY_AGAIN (unknown_app_in_replica)',
    'ERROR: node(x.x.x.x:34801) reports replica(2.0) but no node reports app(2); check the replica directories and .app-info files of app(2) on that node, then retry',
  ]],
  ['a replica with a partition index out of range', OPTS, [ok(X(1), [app(1, 'temp', 1, { max_replica_count: 1 })], [rep(1, 0, 3, 9), rep(1, 1, 3, 9)])], [
    'Recover result: ERR_OK (ok)',
    "WARNING: ignore replica(1.1) on node(x.x.x.x:34801): app(1) has partition_count(1), the replica may be left over from a partition split; check that node's replica directories",
  ]],
  ["a skipped node's half answer is not used", SKIP_BAD, [ok(X(1), [app(1, 'temp', 1, { max_replica_count: 1 })], [rep(1, 0, 3, 9)]), bad(X(2), 'ERR_TIMEOUT', [app(7, 'ghost')])], [
    'Recover result: ERR_OK (ok)',
    'WARNING: collect app and replica info from node(x.x.x.x:34802) failed with err(ERR_TIMEOUT), skip the bad node',
  ]],
  // ---- soft delete (seed "Recovery of soft-deleted tables"; pegasus-spec §7) and line order ----
  ['soft-deleted table: two tables named t, a bad node, lost partitions skipped', { ...SKIP_BAD, skipLostPartitions: true },
    [ok(X(1), [app(1, 't', 1), app(3, 't', 1)], [rep(3, 0, 2, 5)]), bad(X(3), 'ERR_TIMEOUT'), ok(X(2), [app(1, 't', 1)], [rep(1, 0, 1, 1), rep(3, 0, 2, 5)])], [
    'Recover result: ERR_OK (ok)',
    'WARNING: collect app and replica info from node(x.x.x.x:34803) failed with err(ERR_TIMEOUT), skip the bad node',
    "WARNING: app(1)'s old name(t) is conflict with others, rename it to (t-1)",
    'WARNING: partition(1.0) only collects 1/3 of replicas, may lost data',
    'WARNING: partition(3.0) only collects 2/3 of replicas, may lost data',
  ]],
];

for (const [name, options, reports, want] of ROWS) {
  test(name, () => {
    const got = constructRecovery(reports, options);
    assert.equal(transcript(got), want);
    if (got.err !== 'ERR_OK') {
      assert.equal(got.apps, [], 'nothing built');
      assert.is(got.partitions.size, 0, 'nothing built');
      assert.is(got.candidates.size, 0, 'nothing built');
    }
  });
}

const brief = (pc: PartitionConfiguration) => `${pc.pid.app_id}.${pc.pid.partition_index} ${pc.primary || '-'} b${pc.ballot} d${pc.last_committed_decree} [${pc.last_drops.join(' ')}]`;

test('seed --skip_bad_nodes: the partitions built', () => {
  const got = constructRecovery(withBad34804(seedCluster()), SKIP_BAD);
  assert.equal(got.apps, [TEMP]);
  assert.equal(got.partitions.get(1)!.map(brief), [
    '1.0 x.x.x.x:34801 b3 d100 [x.x.x.x:34802]',
    '1.1 x.x.x.x:34802 b3 d101 [x.x.x.x:34803]',
    '1.2 x.x.x.x:34801 b3 d102 [x.x.x.x:34803 x.x.x.x:34802]',
    '1.3 x.x.x.x:34801 b3 d103 [x.x.x.x:34802]',
    '1.4 x.x.x.x:34801 b3 d104 [x.x.x.x:34803 x.x.x.x:34802]',
    '1.5 x.x.x.x:34801 b3 d105 [x.x.x.x:34803]',
    '1.6 x.x.x.x:34801 b3 d106 [x.x.x.x:34803 x.x.x.x:34802]',
    '1.7 x.x.x.x:34802 b3 d107 [x.x.x.x:34803]',
  ]);
});

test('seed --skip_lost_partitions: partition 1.0 is empty, the others are built', () => {
  const got = constructRecovery(seedCluster({ fourth: false, keep: (_, p) => p !== 0 }), SKIP_LOST);
  const pcs = got.partitions.get(1)!;
  assert.equal(pcs[0], { pid: { app_id: 1, partition_index: 0 }, ballot: 0, max_replica_count: 3, primary: '', secondaries: [], last_drops: [], last_committed_decree: 0, partition_flags: 0 });
  assert.is(pcs[1].primary, X(1));
  assert.equal(candidatesAt(got.candidates, '1.0'), []);
});

test('soft-deleted table: apps, placeholders and every partition map entry', () => {
  const got = constructRecovery([ok('n1', [app(1, 't', 2), app(3, 't', 1)], [rep(1, 0, 1, 1), rep(1, 1, 1, 1), rep(3, 0, 1, 1)])], OPTS);
  assert.is(got.err, 'ERR_OK');
  assert.equal(got.apps.map((a) => `${a.app_id} ${a.app_name} ${a.status} exp${a.expire_second}`), ['1 t-1 AS_AVAILABLE exp0', '2 __drop_holder__2 AS_DROPPED exp' + NOW, '3 t AS_AVAILABLE exp0']);
  assert.equal([...got.partitions.keys()], [1, 2, 3]);
  assert.equal(got.partitions.get(2)!.map(brief), ['2.0 - b0 d0 []']);
  assert.equal(candidateGpids(got.candidates), ['1.0', '1.1', '2.0', '3.0']);
});

test('spec 2.10 worked example through constructRecovery', () => {
  const a = app(2, 'temp', 1);
  const got = constructRecovery([ok('n3', [a], [rep(2, 0, 4, 120)]), ok('n1', [a], [rep(2, 0, 5, 100, 101)]), ok('n2', [a], [rep(2, 0, 5, 100)])], OPTS);
  assert.equal(got.partitions.get(2)!.map(brief), ['2.0 n1 b5 d100 [n3 n2]']);
  assert.equal(got.hintLines, []);
  assert.equal(candidatesAt(got.candidates, '2.0').map((c) => c.node), ['n3', 'n2', 'n1']);
});

test('formatHintMessage joins lines with \\n, no trailing newline', () => {
  assert.is(formatHintMessage(['a', 'b']), 'a\nb');
  assert.is(formatHintMessage([]), '');
});

test('checkRecoveryNodes alone', () => {
  assert.is(checkRecoveryNodes(['a:1', 'b:1']), undefined);
  assert.is(checkRecoveryNodes([])?.outcome, 'no_nodes');
  assert.equal(checkRecoveryNodes(['b:1', 'a:1', 'b:1', 'a:1', 'b:1'])?.hintLines, [
    'ERROR: node(a:1) is listed 2 times in the recovery node list, list each replica server once',
    'ERROR: node(b:1) is listed 3 times in the recovery node list, list each replica server once',
  ]);
});

test('a bad maxReservedDroppedReplicas is a bug, not input', () => {
  assert.throws(() => constructRecovery(seedCluster(), { ...OPTS, maxReservedDroppedReplicas: -1 }), /non-negative/);
});

test('the input is not mutated', () => {
  const reports = [ok('n1', [app(1, 't', 1), app(3, 't', 1, { status: 'AS_DROPPING' })], [rep(1, 0, 1, 1)]), bad('n2', 'ERR_TIMEOUT')];
  const before = structuredClone(reports);
  constructRecovery(reports, SKIP_BAD);
  assert.equal(reports, before);
});

// ---- reply-order independence --------------------------------------------------------------------

/**
 * A cluster that exercises every order-sensitive rule: ties on all numbers (node tie-break), apps
 * that differ only in envs (which node's info is kept), renames, a skipped bad node, an
 * out-of-range replica, under-replicated and lost partitions, gaps in ids.
 */
function richCluster(): NodeReport[] {
  const t2 = (envs: Record<string, string>) => app(2, 'temp', 4, { envs });
  const apps = (envs: Record<string, string>) => [t2(envs), app(4, 'temp', 2), app(5, 'stat', 1, { status: 'AS_DROPPED' })];
  return [
    ok('n1', apps({ a: '1' }), [rep(2, 0, 7, 10, 12), rep(2, 1, 7, 10, 12), rep(2, 2, 6, 50), rep(4, 0, 1, 1), rep(4, 1, 2, 2), rep(2, 9, 9, 9)]),
    ok('n2', apps({ b: '2' }), [rep(2, 0, 7, 10, 12), rep(2, 1, 7, 11, 12), rep(2, 2, 6, 50), rep(4, 0, 1, 1), rep(5, 0, 1, 1)]),
    ok('n3', apps({}), [rep(2, 0, 7, 10, 12), rep(2, 1, 6, 90, 90), rep(4, 0, 1, 1), rep(4, 1, 2, 2)]),
    ok('n10', apps({ c: '3' }), [rep(2, 0, 7, 10, 12), rep(2, 2, 6, 50), rep(2, 1, 7, 11, 12)]),
    bad('n4', 'ERR_TIMEOUT', apps({})),
  ];
}

test('shuffled reports and lists give the same result (seeded; prints its seed on failure)', () => {
  const options = { ...SKIP_BAD, skipLostPartitions: true };
  const base = constructRecovery(richCluster(), options);
  assert.is(base.err, 'ERR_OK', transcript(base).join('\n'));
  // Sanity: the scenario does contain the order-sensitive cases.
  assert.equal(base.apps[1].envs, { a: '1' }, 'n1 sorts first, so its info is kept');
  assert.is(brief(base.partitions.get(2)![0]), '2.0 n1 b7 d10 [n2 n10]');
  assert.ok(base.hintLines.some((l) => l.includes('has no replica collected')));
  const first = Number(process.env.RECOVERY_SHUFFLE_SEED ?? Date.now() % 1_000_000);
  for (let seed = first; seed < first + 300; seed++) {
    const rand = rng(seed);
    const reports = shuffle(richCluster(), rand).map((r) => ({
      ...r,
      apps: r.apps && shuffle(r.apps, rand),
      replicas: r.replicas && shuffle(r.replicas, rand),
    }));
    assert.equal(constructRecovery(reports, options), base, `order changed the result; replay with RECOVERY_SHUFFLE_SEED=${seed}`);
  }
});

// The handler collects candidates as answers arrive and drops the decoded replica lists.
test('candidates collected beforehand give the same result; reports without replicas are then fine', () => {
  const reports = seedCluster();
  const collected = CandidateCollector.of([...reports].reverse().map((r) => ({ node: r.node, replicas: r.replicas ?? [] })));
  const stripped = reports.map((r) => ({ ...r, replicas: undefined }));
  assert.equal(constructRecovery(stripped, { ...OPTS, collected }), constructRecovery(reports, OPTS));
});

test('candidates collected from other nodes than the good reports are a bug, not input', () => {
  const reports = seedCluster();
  const collected = CandidateCollector.of(reports.slice(1).map((r) => ({ node: r.node, replicas: r.replicas ?? [] })));
  assert.throws(() => constructRecovery(reports, { ...OPTS, collected }), /collected candidates come from nodes/);
});

test.run();
