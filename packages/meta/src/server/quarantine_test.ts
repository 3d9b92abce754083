// Goal: after a partial recovery, replicas on nodes the recovery did not hear from are quarantined
// exactly when they are of a served partition they are not members of, at or below its ballot; no
// recovery record means no quarantine; a release removes exactly the replicas the operator saw.
// Method: table tests over hand-made metadata.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AppInfo, PartitionConfiguration, ReplicaInfo } from '../../../proto/src/index.ts';
import { findQuarantinedReplicas, quarantinedHolders, recordRelease, type ReleasedQuarantine, releasedToRemove, selectForRelease } from './quarantine.ts';

const A = '127.0.0.1:34801', B = '127.0.0.1:34802', C = '127.0.0.1:34803', D = '127.0.0.1:34804';

const app = (app_id: number, status: AppInfo['status'] = 'AS_AVAILABLE') =>
  ({ app_id, app_name: `t${app_id}`, status, app_type: 'pegasus', partition_count: 2, envs: {}, is_stateful: true, max_replica_count: 3, expire_second: 0, create_second: 1, drop_second: 0 }) as AppInfo;
const pc = (app_id: number, pidx: number, primary: string, secondaries: string[], ballot = 7) =>
  ({ pid: { app_id, partition_index: pidx }, ballot, max_replica_count: 3, primary, secondaries, last_drops: [], last_committed_decree: 0, partition_flags: 0 }) as PartitionConfiguration;
const rep = (app_id: number, pidx: number, ballot: number, lcd = 10) =>
  ({ pid: { app_id, partition_index: pidx }, ballot, status: 'PS_INACTIVE', last_committed_decree: lcd, last_prepared_decree: lcd + 1, last_durable_decree: lcd, app_type: 'pegasus', disk_tag: 'default' }) as ReplicaInfo;

const apps = new Map([[1, app(1)], [2, app(2, 'AS_DROPPED')]]);
const partitions = new Map([[1, [pc(1, 0, A, [B]), pc(1, 1, A, [B, C])]], [2, [pc(2, 0, A, [B, C]), pc(2, 1, A, [B, C])]]]);
const replicasOf = (...rs: ReplicaInfo[]) => new Map(rs.map((r) => [`${r.pid.app_id}.${r.pid.partition_index}`, r]));

test('a skipped node: its stale replica of a served partition is quarantined; members, dropped tables, higher ballots and unknown gpids are not', () => {
  const list = findQuarantinedReplicas({
    apps,
    partitions,
    recoveredFrom: new Set([A, B, C]),
    nodeReplicas: new Map([
      [A, replicasOf(rep(1, 0, 7))], // a member of 1.0, answered the recovery
      [D, replicasOf(rep(1, 0, 5, 40), rep(1, 1, 9), rep(2, 0, 3), rep(9, 0, 1))],
    ]),
  });
  assert.equal(list, [{ node: D, gpid: '1.0', ballot: 5, last_committed_decree: 40, last_prepared_decree: 41, served_at_ballot: 7 }]);
  assert.equal([...quarantinedHolders(list)].map(([g, s]) => [g, [...s]]), [['1.0', [D]]]);
});

test('a node that answered the recovery and is no member: not quarantined (the config sync closes it, the guardian may reuse it)', () => {
  const list = findQuarantinedReplicas({ apps, partitions, recoveredFrom: new Set([A, B, C]), nodeReplicas: new Map([[C, replicasOf(rep(1, 0, 6))]]) });
  assert.equal(list, []);
});

test('no recovery record: nothing is quarantined', () => {
  assert.equal(findQuarantinedReplicas({ apps, partitions, recoveredFrom: undefined, nodeReplicas: new Map([[D, replicasOf(rep(1, 0, 5))]]) }), []);
});

const q = (node: string, gpid: string, ballot: number) => ({ node, gpid, ballot, last_committed_decree: 10, last_prepared_decree: 11, served_at_ballot: 7 });

test('release: a node, or one gpid of it, selects exactly those quarantined replicas', () => {
  const list = [q(D, '1.0', 5), q(D, '1.1', 5), q(C, '1.0', 4)];
  assert.equal(selectForRelease(list, D).map((x) => x.gpid), ['1.0', '1.1']);
  assert.equal(selectForRelease(list, D, '1.1').map((x) => x.gpid), ['1.1']);
  assert.equal(selectForRelease(list, D, '2.0'), []);
  assert.equal(selectForRelease(list, A), []);
});

// Rule: a released replica is removed only while it is still quarantined at the released ballot;
// any other state forgets the release (see the table in quarantine.ts).
test('release: removed while unchanged; forgotten once it changed, left quarantine or is gone', () => {
  const released: ReleasedQuarantine = new Map();
  recordRelease(released, [q(D, '1.0', 5), q(D, '1.1', 5), q(D, '1.2', 5)]);
  const now = [q(D, '1.0', 5), q(D, '1.1', 6), q(C, '1.2', 5)]; // 1.1 changed; D's 1.2 is gone (C's is not D's)
  assert.equal(releasedToRemove(released, D, now), ['1.0']);
  assert.equal([...released.get(D)!.keys()], ['1.0']);
  assert.equal(releasedToRemove(released, C, now), [], 'nothing released on C');
  assert.equal(releasedToRemove(released, D, []), []);
  assert.is(released.has(D), false, 'all forgotten once removed');
});

test.run();
