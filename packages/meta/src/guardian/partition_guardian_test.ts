// Goal: the guardian's decisions, one row per situation an operator meets (Pegasus:
// partition_guardian.cpp; meta_partition_guardian_test). Method: pure function over a partition
// configuration, the alive set and the replicas nodes reported; each row states the expected action.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PartitionConfiguration, ReplicaInfo } from '../../../proto/src/index.ts';
import { computeNodeLoads } from '../placement/place_replicas.ts';
import { appendLastDrops, decidePartition, type GuardianAction } from './partition_guardian.ts';

const A = 'n:1', B = 'n:2', C = 'n:3', D = 'n:4';

function pc(primary: string, secondaries: string[], lastDrops: string[] = [], ballot = 5): PartitionConfiguration {
  return { pid: { app_id: 1, partition_index: 0 }, ballot, max_replica_count: 3, primary, secondaries, last_drops: lastDrops, last_committed_decree: 0, partition_flags: 0 };
}
function rep(ballot: number, lcd: number, lpd = lcd): ReplicaInfo {
  return { pid: { app_id: 1, partition_index: 0 }, ballot, status: 'PS_INACTIVE', last_committed_decree: lcd, last_prepared_decree: lpd, last_durable_decree: lcd, app_type: 'pegasus', disk_tag: 'default' };
}
function decide(config: PartitionConfiguration, alive: string[], reported: [string, ReplicaInfo][] = [], pending?: string, excluded: string[] = [], lacking: string[] = []): GuardianAction {
  const loads = computeNodeLoads([config], alive);
  return decidePartition({ pc: config, alive: new Set(alive), reported: new Map(reported), loads, pendingLearner: pending, excluded: new Set(excluded), lacking: new Set(lacking) });
}
function summary(a: GuardianAction): string {
  if (a.kind === 'update') return `update b${a.config.ballot} p=${a.config.primary || '-'} s=[${a.config.secondaries}] d=[${a.config.last_drops}]`;
  if (a.kind === 'add_learner') return `learner ${a.learner}`;
  return a.kind;
}

const rows: [string, () => GuardianAction, string][] = [
  ['healthy',                     () => decide(pc(A, [B, C]), [A, B, C]),                                   'none'],
  ['primary dead: best secondary', () => decide(pc(A, [B, C]), [B, C], [[B, rep(5, 10)], [C, rep(5, 12)]]), `update b6 p=${C} s=[${B}] d=[${A}]`],
  ['primary dead: tie -> lower address', () => decide(pc(A, [B, C]), [B, C], [[B, rep(5, 10)], [C, rep(5, 10)]]), `update b6 p=${B} s=[${C}] d=[${A}]`],
  ['primary dead: prepared counts', () => decide(pc(A, [B, C]), [B, C], [[B, rep(5, 10, 11)], [C, rep(5, 10)]]), `update b6 p=${B} s=[${C}] d=[${A}]`],
  ['all dead',                    () => decide(pc(A, [B, C]), [D]),                                         'update b6 p=- s=[] d=[n:1,n:2,n:3]'],
  ['secondary dead',              () => decide(pc(A, [B, C]), [A, B]),                                      `update b6 p=${A} s=[${B}] d=[${C}]`],
  ['new partition',               () => decide(pc('', [], [], 0), [A, B]),                                  `update b1 p=${A} s=[] d=[]`],
  ['new partition, no node',      () => decide(pc('', [], [], 0), []),                                      'wait'],
  ['DDD: last drop missing',      () => decide(pc('', [], [A, B]), [A], [[A, rep(5, 3)]]),                  'wait'],
  ['DDD: all back',               () => decide(pc('', [], [A, B]), [A, B], [[A, rep(5, 3)], [B, rep(5, 4)]]), `update b6 p=${B} s=[] d=[${A}]`],
  ['missing secondary: holder',   () => decide(pc(A, [], [C, B]), [A, B, C, D], [[B, rep(5, 1)], [C, rep(5, 2)]]), `learner ${C}`],
  ['missing secondary: new node', () => decide(pc(A, [B]), [A, B, D]),                                      `learner ${D}`],
  ['learner pending',             () => decide(pc(A, [B]), [A, B, D], [], D),                               'none'],
  ['no node to add',              () => decide(pc(A, [B]), [A, B]),                                         'wait'],
  ['quarantined holder skipped',  () => decide(pc(A, [], [C, B]), [A, B, C, D], [[B, rep(5, 1)], [C, rep(5, 2)]], undefined, [C]), `learner ${B}`],
  ['only a quarantined node left', () => decide(pc(A, [B]), [A, B, D], [], undefined, [D]),                 'wait'],
  // A member alive without its replica (data dir lost): out, as if dead, but not into last_drops.
  ['primary lacks its replica',   () => decide(pc(A, [B, C]), [A, B, C], [[B, rep(5, 10)], [C, rep(5, 12)]], undefined, [], [A]), `update b6 p=${C} s=[${B}] d=[]`],
  ['secondary lacks its replica', () => decide(pc(A, [B, C]), [A, B, C], [[A, rep(5, 9)], [B, rep(5, 9)]], undefined, [], [C]), `update b6 p=${A} s=[${B}] d=[]`],
  ['lacking and dead together',   () => decide(pc(A, [B, C], [D]), [A, C], [[C, rep(5, 9)]], undefined, [], [A]), `update b6 p=${C} s=[] d=[${D},${B}]`],
  ['every member lacks it',       () => decide(pc(A, [B]), [A, B], [], undefined, [], [A, B]),              'update b6 p=- s=[] d=[]'],
  ['then nobody holds its rows',  () => decide(pc('', [], [], 6), [A, B]),                                  'wait'],
];

for (const [name, run, expected] of rows) {
  test(name, () => assert.is(summary(run()), expected));
}

test('appendLastDrops keeps the newest, without duplicates', () => {
  assert.equal(appendLastDrops([A, B, C], [A], 3), [B, C, A]);
  assert.equal(appendLastDrops([A, B, C], [D], 3), [B, C, D]);
});

test.run();
