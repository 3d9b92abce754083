// Goal: what the meta answers a replica server's config_sync: the safety rules (unknown or newer
// replicas are left alone) and soft delete's retention (close until expiry, remove after).
// Method: a small table set and one row per stored replica situation.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AppInfo, PartitionConfiguration, ReplicaInfo } from '../../../proto/src/index.ts';
import { answerConfigSync, isRetentionExpired } from './config_sync.ts';

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

test('retention: expired only strictly after expire_second, never at 0', () => {
  assert.ok(isRetentionExpired(app(3, 'AS_DROPPED', NOW - 1), NOW));
  assert.not.ok(isRetentionExpired(app(3, 'AS_DROPPED', NOW), NOW));
  assert.not.ok(isRetentionExpired(app(3, 'AS_DROPPED', 0), NOW));
  assert.not.ok(isRetentionExpired(app(3, 'AS_AVAILABLE', NOW - 1), NOW));
});

test.run();
