// Goal: what the meta answers a replica server's config_sync: the safety rules (unknown or newer
// replicas are left alone; a member may create its replica empty only where no rows can exist)
// and soft delete's retention (close until expiry, remove after).
// Method: a small table set and one row per stored replica situation.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AppInfo, PartitionConfiguration, ReplicaInfo } from '../../../proto/src/index.ts';
import { answerConfigSync, type ClusterTables, isRetentionExpired, mayCreateEmpty, publishedConfiguration } from './config_sync.ts';

const NOW = 1_000_000;
function app(id: number, status: AppInfo['status'], expire = 0): AppInfo {
  return { status, app_type: 'pegasus', app_name: `t${id}`, app_id: id, partition_count: 1, envs: {}, is_stateful: true, max_replica_count: 3, expire_second: expire, create_second: 1, drop_second: expire ? 1 : 0 };
}
function pc(id: number, primary: string, ballot = 5): PartitionConfiguration {
  return { pid: { app_id: id, partition_index: 0 }, ballot, max_replica_count: 3, primary, secondaries: [], last_drops: [], last_committed_decree: 0, partition_flags: 0 };
}
function rep(id: number, ballot: number, status: ReplicaInfo['status'] = 'PS_SECONDARY'): ReplicaInfo {
  return { pid: { app_id: id, partition_index: 0 }, ballot, status, last_committed_decree: 1, last_prepared_decree: 1, last_durable_decree: 1, app_type: 'pegasus', disk_tag: 'default' };
}
const tables = {
  apps: new Map([[1, app(1, 'AS_AVAILABLE')], [2, app(2, 'AS_DROPPED', NOW + 100)], [3, app(3, 'AS_DROPPED', NOW - 1)], [4, app(4, 'AS_DROPPED', 0)]]),
  partitions: new Map([[1, [pc(1, 'me:1')]], [2, [pc(2, 'x:1')]], [3, [pc(3, 'x:1')]], [4, [pc(4, 'x:1')]]]),
  pendingLearners: new Map(),
  newReplicas: new Map(),
  nodes: new Map(),
};

const rows: [string, ReplicaInfo, 'close' | 'remove' | 'unknown' | 'keep'][] = [
  ['a replica it does not serve, lower ballot',  rep(1, 4),              'close'],
  ['a replica above the metadata ballot',        rep(1, 9),              'unknown'],
  ['an unknown table',                           rep(7, 1),              'unknown'],
  ['dropped, retention not expired: close',      rep(2, 5),              'close'],
  ['dropped, already inactive, not expired',     rep(2, 5, 'PS_INACTIVE'), 'keep'],
  ['dropped, retention expired: remove',         rep(3, 5, 'PS_INACTIVE'), 'remove'],
  ['dropped with expire 0: never removed',       rep(4, 5),              'close'],
];

for (const [name, stored, expected] of rows) {
  test(name, () => {
    const a = answerConfigSync(tables, 'n:9', [stored], NOW);
    const got = a.unknown.length ? 'unknown' : a.replicas_to_remove?.length ? 'remove' : a.replicas_to_close.length ? 'close' : 'keep';
    assert.is(got, expected);
  });
}

test('the node serving a partition gets its configuration', () => {
  const a = answerConfigSync(tables, 'me:1', [rep(1, 5, 'PS_PRIMARY')], NOW);
  assert.equal(a.partitions.map((p) => p.config.pid.app_id), [1]);
  assert.equal([a.replicas_to_close, a.replicas_to_remove, a.unknown], [[], [], []]);
});

test('create_if_missing: only where no rows can exist yet', () => {
  const alive = (held: string[] = []) => ({ alive: true, replicas: new Map(held.map((k) => [k, {}])) });
  const fresh: PartitionConfiguration = { ...pc(1, 'a:1', 1), secondaries: ['b:1', 'c:1'] };
  const cluster = (over: Partial<ClusterTables>): ClusterTables => ({
    ...tables,
    partitions: new Map([[1, [fresh]]]),
    nodes: new Map([['a:1', alive()], ['b:1', alive()], ['c:1', alive()]]),
    ...over,
  });
  // A table this meta created: its members that have not reported yet, even after one of them has.
  const created = cluster({ newReplicas: new Map([['1.0', new Set(['b:1', 'c:1'])]]), nodes: new Map([['a:1', alive(['1.0'])], ['b:1', alive()], ['c:1', alive()]]) });
  assert.ok(mayCreateEmpty(created, fresh, 'b:1'));
  assert.not.ok(mayCreateEmpty(created, fresh, 'a:1'), 'a:1 reported it: losing it now loses rows');
  // After a meta restart (no list): never reconfigured, every member alive, nobody ever held it.
  assert.ok(mayCreateEmpty(cluster({}), fresh, 'a:1'));
  assert.not.ok(mayCreateEmpty(cluster({ nodes: new Map([['a:1', alive()], ['b:1', alive()], ['c:1', alive()], ['d:1', { alive: false, replicas: new Map([['1.0', {}]]) }]]) }), fresh, 'a:1'), 'a dead node held it');
  assert.not.ok(mayCreateEmpty(cluster({ nodes: new Map([['a:1', alive()], ['b:1', alive()]]) }), fresh, 'a:1'), 'a member not seen alive may hold it');
  assert.not.ok(mayCreateEmpty(cluster({}), { ...fresh, ballot: 2 }, 'a:1'), 'reconfigured: it served');
  assert.not.ok(mayCreateEmpty(cluster({}), { ...fresh, last_drops: ['d:1'] }, 'a:1'), 'd:1 may hold rows');
  // And the answer carries the verdict per partition.
  assert.equal(answerConfigSync(created, 'b:1', [], NOW).partitions.map((p) => p.create_if_missing), [true]);
  assert.equal(answerConfigSync(created, 'a:1', [], NOW).partitions.map((p) => p.create_if_missing), [false]);
});

test('published configuration: members of a new table show once they reported their replica', () => {
  const stored = { ...pc(1, 'a:1', 1), secondaries: ['b:1', 'c:1'] };
  const view = (pending: string[]) => publishedConfiguration({ newReplicas: new Map(pending.length > 0 ? [['1.0', new Set(pending)]] : []) }, stored);
  // Nobody reported yet: no primary, no secondaries (clients retry; -w keeps waiting).
  assert.equal([view(['a:1', 'b:1', 'c:1']).primary, view(['a:1', 'b:1', 'c:1']).secondaries], ['', []]);
  // The primary reported, one secondary did not.
  assert.equal([view(['c:1']).primary, view(['c:1']).secondaries], ['a:1', ['b:1']]);
  // Only the primary is pending: the secondaries show, the primary does not.
  assert.equal([view(['a:1']).primary, view(['a:1']).secondaries], ['', ['b:1', 'c:1']]);
  // Nothing pending (everyone reported, or after a meta restart): the stored object itself.
  assert.is(view([]), stored);
  // The stored configuration is never changed.
  assert.equal([stored.primary, stored.secondaries], ['a:1', ['b:1', 'c:1']]);
  assert.is(view(['a:1']).ballot, stored.ballot);
});

test('retention: expired only strictly after expire_second, never at 0', () => {
  assert.ok(isRetentionExpired(app(3, 'AS_DROPPED', NOW - 1), NOW));
  assert.not.ok(isRetentionExpired(app(3, 'AS_DROPPED', NOW), NOW));
  assert.not.ok(isRetentionExpired(app(3, 'AS_DROPPED', 0), NOW));
  assert.not.ok(isRetentionExpired(app(3, 'AS_AVAILABLE', NOW - 1), NOW));
});

test.run();
