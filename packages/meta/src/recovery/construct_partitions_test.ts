// Goal: show that constructPartitions picks the primary, last_drops and kept candidates exactly as
// Pegasus's collect_replica + construct_replica do (with our node tie-break), writes the seed's
// warning lines, and handles what Pegasus does not check (unknown apps, out-of-range indexes).
// Method: a table for one partition (app 1, one partition): each row lists the replicas that nodes
// report, the options, and the expected "primary bBallot dDecree [last_drops]", the kept
// candidates (worst first) and the hint. Pegasus's own rows first (TEST(meta_data,
// construct_replica) and the "no timestamp" rows of TEST(meta_data, collect_replica),
// src/meta/test/meta_data.cpp), then the worked example of pegasus-spec §2.10, then ours.
// Multi-app behaviour (line order, dropped apps, refusals) follows as single tests.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AppInfo, AppStatus, PartitionConfiguration, ReplicaInfo } from '../../../proto/src/types.ts';
import { CandidateCollector, chosenPrimary, constructPartitions, type ReplicasReport } from './construct_partitions.ts';
import { candidateGpids, candidatesAt } from './_recovery_test_support.ts';
import { replyColumns } from './replica_columns.ts';

const app = (id: number, partitions: number, max = 3, status: AppStatus = 'AS_AVAILABLE'): AppInfo => ({
  status,
  app_type: 'pegasus',
  app_name: `t${id}`,
  app_id: id,
  partition_count: partitions,
  envs: {},
  is_stateful: true,
  max_replica_count: max,
  expire_second: 0,
  create_second: 0,
  drop_second: 0,
});
const rep = (gpid: string, ballot: number, lcd: number, lpd = lcd): ReplicaInfo => {
  const [app_id, partition_index] = gpid.split('.').map(Number);
  return { pid: { app_id, partition_index }, ballot, status: 'PS_INACTIVE', last_committed_decree: lcd, last_prepared_decree: lpd, last_durable_decree: lcd, app_type: 'pegasus', disk_tag: 'default' };
};
const on = (node: string, ...replicas: ReplicaInfo[]): ReplicasReport => ({ node, replicas });
/** Node `node` holds replica 1.0 with these numbers. */
const r10 = (node: string, ballot: number, lcd: number, lpd: number) => on(node, rep('1.0', ballot, lcd, lpd));
const brief = (pc: PartitionConfiguration) =>
  pc.primary ? `${pc.primary} b${pc.ballot} d${pc.last_committed_decree} [${pc.last_drops.join(' ')}]` : `empty b${pc.ballot}`;
const only = (n: number, max: number) => `WARNING: partition(1.0) only collects ${n}/${max} of replicas, may lost data`;
const LOST_ERROR = 'ERROR: partition(1.0) has no replica collected, you can force recover it by set skip_lost_partitions option';
const LOST_WARNING = 'WARNING: partition(1.0) has no replica collected, force recover the lost partition to empty';

type Row = [name: string, max: number, reserve: number, skipLost: boolean, partition: string, candidates: string, hint: string, reports: ReplicasReport[]];

// Rule: candidates = the best (max + reserve) replicas, worst first; primary = the best; ballot and
// last_committed_decree = the primary's; last_drops = the next best max-1, worst first; a WARNING
// when fewer than max replicas were collected; a lost partition is an ERROR, or with skip an empty
// partition and a WARNING.
const ROWS: Row[] = [
  // name                                      max res skip  partition            candidates     hint          replicas: r10(node, ballot, lcd, lpd)
  ['pegasus: no replica',                      3, 1, false, 'empty b0',           '',            LOST_ERROR,   []],
  ['pegasus: one node',                        3, 1, false, 'n0 b5 d10 []',       'n0',          only(1, 3),   [r10('n0', 5, 10, 12)]],
  ['pegasus: ballots differ [6,7,8,9]',        3, 1, false, 'n4 b9 d11 [n2 n3]',  'n1 n2 n3 n4', '',           [r10('n1', 6, 10, 12), r10('n2', 7, 10, 12), r10('n3', 8, 10, 12), r10('n4', 9, 11, 12)]],
  ['pegasus: two share a ballot',              3, 1, false, 'n2 b7 d12 [n0 n1]',  'n0 n1 n2',    '',           [r10('n0', 5, 10, 12), r10('n1', 7, 11, 12), r10('n2', 7, 12, 12)]],
  ['pegasus: all share a ballot',              3, 1, false, 'n3 b7 d14 [n1 n2]',  'n0 n1 n2 n3', '',           [r10('n0', 7, 11, 14), r10('n1', 7, 12, 14), r10('n2', 7, 13, 14), r10('n3', 7, 14, 14)]],
  ['pegasus collect: full, minimal position',  3, 1, false, 'n3 b4 d2 [n1 n2]',   'n0 n1 n2 n3', '',           [r10('n0', 2, 2, 8), r10('n1', 2, 4, 8), r10('n2', 2, 6, 8), r10('n3', 4, 2, 8), r10('n5', 1, 7, 10)]],
  ['pegasus collect: full, middle position',   3, 1, false, 'n3 b4 d2 [n2 n5]',   'n1 n2 n5 n3', '',           [r10('n0', 2, 2, 8), r10('n1', 2, 4, 8), r10('n2', 2, 6, 8), r10('n3', 4, 2, 8), r10('n5', 3, 6, 8)]],
  ['pegasus collect: full, largest position',  3, 1, false, 'n5 b4 d8 [n3 n4]',   'n2 n3 n4 n5', '',           [r10('n1', 2, 4, 8), r10('n2', 2, 6, 8), r10('n3', 4, 2, 8), r10('n4', 4, 6, 8), r10('n5', 4, 8, 8)]],
  ['spec 2.10: worked example',                3, 1, false, 'n1 b5 d100 [n3 n2]', 'n3 n2 n1',    '',           [r10('n1', 5, 100, 101), r10('n2', 5, 100, 100), r10('n3', 4, 120, 120)]],
  ['spec 2.10: n3 missing',                    3, 1, false, 'n1 b5 d100 [n2]',    'n2 n1',       only(2, 3),   [r10('n1', 5, 100, 101), r10('n2', 5, 100, 100)]],
  ['spec 2.10: no replica, skip lost',         3, 1, true,  'empty b0',           '',            LOST_WARNING, []],
  ['tie on all numbers: smaller address wins', 3, 1, false, 'n1 b7 d10 [n3 n2]',  'n3 n2 n1',    '',           [r10('n3', 7, 10, 12), r10('n1', 7, 10, 12), r10('n2', 7, 10, 12)]],
  ['more than max: no warning, 2 last_drops',  3, 1, false, 'n5 b5 d5 [n3 n4]',   'n2 n3 n4 n5', '',           [r10('n1', 1, 1, 1), r10('n2', 2, 2, 2), r10('n3', 3, 3, 3), r10('n4', 4, 4, 4), r10('n5', 5, 5, 5)]],
  ['reserve 0 keeps max candidates',           3, 0, false, 'n4 b4 d4 [n2 n3]',   'n2 n3 n4',    '',           [r10('n1', 1, 1, 1), r10('n2', 2, 2, 2), r10('n3', 3, 3, 3), r10('n4', 4, 4, 4)]],
  ['max_replica_count 1: no last_drops',       1, 1, false, 'n3 b3 d3 []',        'n2 n3',       '',           [r10('n1', 1, 1, 1), r10('n2', 2, 2, 2), r10('n3', 3, 3, 3)]],
  ['max_replica_count 5, 3 collected',         5, 0, false, 'n3 b3 d3 [n1 n2]',   'n1 n2 n3',    only(3, 5),   [r10('n1', 1, 1, 1), r10('n2', 2, 2, 2), r10('n3', 3, 3, 3)]],
];

for (const [name, max, reserve, skipLost, partition, candidates, hint, reports] of ROWS) {
  test(name, () => {
    const got = constructPartitions([app(1, 1, max)], new Set([1]), reports, { skipLostPartitions: skipLost, maxReservedDroppedReplicas: reserve });
    assert.ok(got.ok, JSON.stringify(got));
    if (!got.ok) return;
    const pc = got.partitions.get(1)![0];
    assert.is(brief(pc), partition);
    assert.equal(pc.secondaries, []);
    assert.is(pc.max_replica_count, max);
    assert.is(candidatesAt(got.candidates, '1.0').map((c) => c.node).join(' '), candidates);
    assert.equal(got.hintLines, hint ? [hint] : []);
    assert.is(got.lostPartitionCount, reports.length === 0 ? 1 : 0);
    assert.is(chosenPrimary(app(1, 1, max), candidatesAt(got.candidates, '1.0'))?.node ?? '', pc.primary, 'chosenPrimary is the written primary');
    // Without configurations (a plan): the same decisions, no configuration objects.
    const bare = constructPartitions([app(1, 1, max)], new Set([1]), reports, { skipLostPartitions: skipLost, maxReservedDroppedReplicas: reserve, configurations: false });
    assert.ok(bare.ok);
    if (!bare.ok) return;
    assert.is(bare.partitions.size, 0);
    assert.equal([bare.candidates, bare.hintLines, bare.lostPartitionCount], [got.candidates, got.hintLines, got.lostPartitionCount]);
  });
}

const OPTS = { skipLostPartitions: false, maxReservedDroppedReplicas: 1 };

test('candidates keep all four numbers', () => {
  const got = constructPartitions([app(1, 1)], new Set([1]), [r10('n1', 5, 100, 101)], OPTS);
  assert.ok(got.ok);
  if (got.ok) assert.equal(candidatesAt(got.candidates, '1.0'), [{ node: 'n1', ballot: 5, last_committed_decree: 100, last_prepared_decree: 101 }]);
});

test('hint lines come in app id, then partition order, out-of-range lines after their app', () => {
  const apps = [app(1, 3), app(2, 2)];
  const reports = [
    on('n1', rep('2.1', 1, 1), rep('1.2', 1, 1), rep('1.7', 1, 1), rep('1.0', 1, 1), rep('2.0', 1, 1)),
    on('n2', rep('2.1', 1, 1), rep('1.0', 1, 1), rep('1.3', 1, 1)),
  ];
  const got = constructPartitions(apps, new Set([1, 2]), reports, { ...OPTS, skipLostPartitions: true });
  assert.ok(got.ok);
  if (!got.ok) return;
  assert.equal(got.hintLines, [
    'WARNING: partition(1.0) only collects 2/3 of replicas, may lost data',
    'WARNING: partition(1.1) has no replica collected, force recover the lost partition to empty',
    'WARNING: partition(1.2) only collects 1/3 of replicas, may lost data',
    "WARNING: ignore replica(1.3) on node(n2): app(1) has partition_count(3), the replica may be left over from a partition split; check that node's replica directories",
    "WARNING: ignore replica(1.7) on node(n1): app(1) has partition_count(3), the replica may be left over from a partition split; check that node's replica directories",
    'WARNING: partition(2.0) only collects 1/3 of replicas, may lost data',
    'WARNING: partition(2.1) only collects 2/3 of replicas, may lost data',
  ]);
  assert.is(got.lostPartitionCount, 1);
  assert.equal(candidateGpids(got.candidates), ['1.0', '1.1', '1.2', '2.0', '2.1']);
});

test('a negative partition index is ignored like one too large', () => {
  const got = constructPartitions([app(1, 1)], new Set([1]), [on('n1', rep('1.0', 1, 1)), { node: 'n2', replicas: [{ ...rep('1.0', 9, 9), pid: { app_id: 1, partition_index: -1 } }] }], OPTS);
  assert.ok(got.ok);
  if (!got.ok) return;
  assert.is(got.partitions.get(1)![0].primary, 'n1');
  assert.match(got.hintLines.join('\n'), 'WARNING: ignore replica(1.-1) on node(n2)');
});

test('dropped apps: empty partitions, no lines even when lost, replicas still kept as candidates', () => {
  const apps = [app(1, 2, 3, 'AS_DROPPED'), app(2, 1)];
  const got = constructPartitions(apps, new Set([1, 2]), [on('n1', rep('1.0', 4, 40), rep('2.0', 1, 1)), on('n2', rep('2.0', 1, 1)), on('n3', rep('2.0', 1, 1))], OPTS);
  assert.ok(got.ok);
  if (!got.ok) return;
  assert.equal(got.partitions.get(1)!.map(brief), ['empty b0', 'empty b0']);
  assert.equal(got.partitions.get(1)![1].pid, { app_id: 1, partition_index: 1 });
  assert.equal(got.hintLines, []);
  assert.is(got.lostPartitionCount, 0);
  assert.equal(candidatesAt(got.candidates, '1.0').map((c) => c.node), ['n1']);
});

test('a replica of an app no node reported is refused, once per app and node', () => {
  // App 1 is a placeholder here (not in reportedAppIds), app 9 does not exist at all.
  const apps = [app(1, 1, 3, 'AS_DROPPED'), app(2, 1)];
  const reports = [on('n2', rep('9.3', 1, 1), rep('9.1', 1, 1)), on('n1', rep('2.0', 1, 1), rep('1.0', 1, 1)), on('n1', rep('9.0', 1, 1))];
  const got = constructPartitions(apps, new Set([2]), reports, OPTS);
  assert.not.ok(got.ok);
  if (got.ok) return;
  assert.is(got.outcome, 'unknown_app_in_replica');
  assert.equal(got.hintLines, [
    'ERROR: node(n1) reports replica(1.0) but no node reports app(1); check the replica directories and .app-info files of app(1) on that node, then retry',
    'ERROR: node(n1) reports replica(9.0) but no node reports app(9); check the replica directories and .app-info files of app(9) on that node, then retry',
    'ERROR: node(n2) reports replica(9.1) but no node reports app(9); check the replica directories and .app-info files of app(9) on that node, then retry',
  ]);
});

test('a node reporting one gpid twice counts once, with its last entry (Pegasus replaces it)', () => {
  const got = constructPartitions([app(1, 1)], new Set([1]), [on('n1', rep('1.0', 9, 9), rep('1.0', 2, 2)), on('n2', rep('1.0', 5, 5))], OPTS);
  assert.ok(got.ok);
  if (got.ok) assert.is(brief(got.partitions.get(1)![0]), 'n2 b5 d5 [n1]');
});

test('a node listing one gpid many times keeps its last entry (the long-list path)', () => {
  const many = Array.from({ length: 12 }, (_, i) => rep('1.0', 20 - i, 20 - i));
  const got = constructPartitions([app(1, 1)], new Set([1]), [on('n1', ...many), on('n2', rep('1.0', 10, 10)), on('n3', rep('1.0', 11, 11))], OPTS);
  assert.ok(got.ok);
  if (got.ok) assert.is(brief(got.partitions.get(1)![0]), 'n3 b11 d11 [n1 n2]');
});

// The handler adds each node to a CandidateCollector as its answer arrives, in whatever order the
// answers come: the result must be the one the reports give, in any order.
test('a collector fed in any node order gives the result of the reports', () => {
  const apps = [app(1, 3), app(2, 2), app(3, 1, 3, 'AS_DROPPED')];
  const reports = [
    on('n1', rep('1.0', 3, 30, 31), rep('1.1', 3, 30), rep('2.1', 1, 1), rep('1.7', 1, 1), rep('3.0', 2, 2)),
    on('n2', rep('1.0', 3, 29), rep('2.0', 4, 4), rep('1.0', 3, 32), rep('2.1', 1, 2)),
    on('n3', rep('2.1', 1, 1), rep('1.1', 4, 1), { ...rep('1.0', 9, 9), pid: { app_id: 1, partition_index: 0.5 } }),
  ];
  const options = { ...OPTS, skipLostPartitions: true };
  const want = constructPartitions(apps, new Set([1, 2, 3]), reports, options);
  for (const order of [[0, 1, 2], [2, 1, 0], [1, 2, 0]]) {
    const collector = new CandidateCollector();
    for (const i of order) collector.add(reports[i].node, replyColumns(reports[i].replicas));
    assert.equal(constructPartitions(apps, new Set([1, 2, 3]), collector, options), want, `order ${order}`);
    assert.equal(collector.nodes(), order.map((i) => reports[i].node));
  }
  assert.ok(want.ok);
  if (want.ok) assert.equal(candidatesAt(want.candidates, '1.0').map((c) => `${c.node}:${c.last_committed_decree}`), ['n1:30', 'n2:32']);
});

test.run();
