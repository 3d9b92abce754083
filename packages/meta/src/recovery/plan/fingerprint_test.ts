// Goal: show that the fingerprint and the plan id depend on the cluster state and nothing else:
// not on the order of reports or of the lists inside them, not on latency, not on a bad node's half
// answer; and that every change an operator must review (ballot, decrees, a replica, an app, a
// node's error, the options) changes the id.
// Method: a small cluster (app 1 `temp`, 4 partitions on three nodes, app 2 dropped) built by a
// helper; a table of mutations, each expected to change the id; then shuffles with printed seeds.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { app, N, rep, rng, shuffle } from '../_recovery_test_support.ts';
import type { AppInfo, ReplicaInfo } from '../../../../proto/src/types.ts';
import type { NodeReport } from '../node_report.ts';
import { compareGpids, digestHead, emptyReplicaColumns, fingerprintNode, fingerprintReports, type NodeFingerprint, nodeDigest, planId, replicaRow, sortFingerprints } from './fingerprint.ts';

const OPTS = { skipBadNodes: false, skipLostPartitions: false };

function cluster(): NodeReport[] {
  const apps = [app(1, 'temp', 4, { envs: { 'replica.deny_client_request': 'false', a: '1' } }), app(2, 'old', 1, { status: 'AS_DROPPED', drop_second: 10, expire_second: 20 })];
  return [1, 2, 3].map((n) => ({
    node: N(n),
    apps,
    replicas: [rep('1.0', 3, 100), rep('1.1', 3, 101, 102), rep('1.2', 3, 90 + n), rep('1.3', 2, 50), rep('2.0', 1, 7)],
    err: 'ERR_OK',
    latencyMs: n,
  }));
}
const gpids = (f: NodeFingerprint) => f.replicas.app_id.map((_, i) => replicaRow(f.replicas, i).gpid);
const id = (reports: NodeReport[], options: object = OPTS) => planId(options, fingerprintReports(reports));
const BASE = id(cluster());

/** Change node `n`'s report with `f` (a fresh cluster every time). */
const on = (n: number, f: (r: NodeReport) => NodeReport) => cluster().map((r) => (r.node === N(n) ? f(r) : r));
const editReplica = (gpid: string, edit: Partial<ReplicaInfo>) => (r: NodeReport): NodeReport => ({
  ...r, replicas: r.replicas!.map((x) => (`${x.pid.app_id}.${x.pid.partition_index}` === gpid ? { ...x, ...edit } : x)),
});
const editApp = (appId: number, edit: Partial<AppInfo>) => (r: NodeReport): NodeReport => ({
  ...r, apps: r.apps!.map((a) => (a.app_id === appId ? { ...a, ...edit } : a)),
});

// Rule: any change to what a node answered, or to the options, changes the id.
const CHANGES: [name: string, reports: NodeReport[], options?: object][] = [
  ['ballot',                      on(2, editReplica('1.0', { ballot: 4 }))],
  ['last_committed_decree',       on(2, editReplica('1.0', { last_committed_decree: 101 }))],
  ['last_prepared_decree',        on(2, editReplica('1.0', { last_prepared_decree: 101 }))],
  ['replica gone',                on(2, (r) => ({ ...r, replicas: r.replicas!.slice(1) }))],
  ['replica added',               on(2, (r) => ({ ...r, replicas: [...r.replicas!, rep('1.3', 2, 50)] }))],
  ['two nodes swap their 1.2',    on(1, editReplica('1.2', { last_committed_decree: 93, last_prepared_decree: 93 })).map((r) => (r.node === N(3) ? editReplica('1.2', { last_committed_decree: 91, last_prepared_decree: 91 })(r) : r))],
  ['app name',                    on(1, editApp(1, { app_name: 'temp2' }))],
  ['app status',                  on(1, editApp(2, { status: 'AS_AVAILABLE' }))],
  ['app partition_count',         on(1, editApp(1, { partition_count: 8 }))],
  ['app drop_second',             on(1, editApp(2, { drop_second: 11 }))],
  ['app expire_second',           on(1, editApp(2, { expire_second: 21 }))],
  ['app max_replica_count',       on(1, editApp(1, { max_replica_count: 2 }))],
  ['app envs',                    on(1, editApp(1, { envs: { a: '2' } }))],
  ['app gone',                    on(1, (r) => ({ ...r, apps: r.apps!.slice(0, 1) }))],
  ['node does not answer',        on(3, (r) => ({ ...r, err: 'ERR_TIMEOUT' }))],
  ['node gone from the list',     cluster().slice(0, 2)],
  ['node address',                on(3, (r) => ({ ...r, node: '127.0.0.1:34809' }))],
  ['skip_bad_nodes',              cluster(), { ...OPTS, skipBadNodes: true }],
  ['skip_lost_partitions',        cluster(), { ...OPTS, skipLostPartitions: true }],
];

for (const [name, reports, options] of CHANGES) {
  test(`changed ${name}: other id`, () => {
    assert.is.not(id(reports, options), BASE);
  });
}

test('the id is 16 hex digits', () => {
  assert.match(BASE, /^[0-9a-f]{16}$/);
});

test('latency and transport detail do not count', () => {
  assert.is(id(cluster().map((r) => ({ ...r, latencyMs: 9999, detail: 'slow' }))), BASE);
});

test("a bad node's half answer does not count, its error does", () => {
  const timeout = id(on(3, (r) => ({ ...r, err: 'ERR_TIMEOUT' })));
  assert.is(id(on(3, (r) => ({ ...r, err: 'ERR_TIMEOUT', replicas: undefined }))), timeout);
  assert.is(id(on(3, (r) => ({ ...r, err: 'ERR_TIMEOUT', apps: [] }))), timeout);
  assert.is.not(id(on(3, (r) => ({ ...r, err: 'ERR_NETWORK_FAILURE' }))), timeout);
  const fp = fingerprintReports(on(3, (r) => ({ ...r, err: 'ERR_TIMEOUT' })))[2];
  assert.equal(fp, { node: N(3), answered: false, err: 'ERR_TIMEOUT', apps: [], replicas: emptyReplicaColumns() });
});

test('option key order does not count', () => {
  assert.is(id(cluster(), { skipLostPartitions: false, skipBadNodes: false }), BASE);
});

test('fingerprints are sorted, JSON-able and leave the input alone', () => {
  const reports = cluster().reverse();
  const before = JSON.stringify(reports);
  const fps = fingerprintReports(reports);
  assert.is(JSON.stringify(reports), before);
  assert.equal(fps.map((f) => f.node), [N(1), N(2), N(3)]);
  assert.equal(gpids(fps[0]), ['1.0', '1.1', '1.2', '1.3', '2.0']);
  assert.equal(fps[0].apps.map((a) => a.app_id), [1, 2]);
  assert.equal(replicaRow(fps[0].replicas, 1), { gpid: '1.1', ballot: 3, last_committed_decree: 101, last_prepared_decree: 102 });
  assert.equal(fps[0].replicas.ballot, [3, 3, 3, 2, 1]);
  assert.equal(JSON.parse(JSON.stringify(fps)), fps);
  assert.is(planId(OPTS, JSON.parse(JSON.stringify(fps))), BASE);
});

test('a replica status is not part of the fingerprint: a restarted server (all PS_INACTIVE) keeps the plan id', () => {
  const [fp] = fingerprintReports([{ node: N(1), err: 'ERR_OK', latencyMs: 1, apps: [], replicas: [{ ...rep('1.0', 1, 1), status: undefined as never }] }]);
  assert.equal(Object.keys(fp.replicas).sort(), ['app_id', 'ballot', 'last_committed_decree', 'last_prepared_decree', 'partition_index']);
  assert.is(id(on(2, editReplica('1.0', { status: 'PS_PRIMARY' }))), BASE);
});

test('node by node as answers arrive (fingerprintNode, then sortFingerprints): the same fingerprints and id', () => {
  const shared = new Map();
  const arrived = cluster().reverse().map((r) => fingerprintNode(r, shared));
  assert.equal(sortFingerprints(arrived), fingerprintReports(cluster()));
  assert.is(planId(OPTS, sortFingerprints(arrived)), BASE);
});

test("a node's digest depends on that node's answer alone", () => {
  const digests = (reports: NodeReport[]) => fingerprintReports(reports).map(nodeDigest);
  const before = digests(cluster());
  const after = digests(on(2, editReplica('1.0', { ballot: 4 })));
  assert.equal([after[0], after[2]], [before[0], before[2]]);
  assert.is.not(after[1], before[1]);
  assert.match(before[0], /^[0-9a-f]{64}$/);
});

test('replicas out of order sort like replicas in order, ties included', () => {
  const inOrder = { node: N(1), err: 'ERR_OK' as const, latencyMs: 1, apps: [], replicas: [rep('1.0', 3, 1), rep('1.2', 3, 2), rep('1.2', 2, 2), rep('1.10', 3, 3), rep('2.0', 1, 1)] };
  const shuffled = { ...inOrder, replicas: [inOrder.replicas[3], inOrder.replicas[2], inOrder.replicas[4], inOrder.replicas[0], inOrder.replicas[1]] };
  const fp = fingerprintNode(inOrder);
  assert.equal(gpids(fp).map((g, i) => `${g}@${fp.replicas.ballot[i]}`), ['1.0@3', '1.2@2', '1.2@3', '1.10@3', '2.0@1']);
  assert.equal(fingerprintNode(shuffled), fp);
});

test('equal app infos share one fingerprint object; a differing one gets its own', () => {
  const reports = cluster();
  reports[2] = { ...reports[2], apps: reports[2].apps!.map((a) => (a.app_id === 1 ? { ...a, envs: { a: '1', 'replica.deny_client_request': 'true' } } : { ...a, envs: { ...a.envs } })) };
  const fps = fingerprintReports(reports);
  assert.ok(fps[0].apps[0] === fps[1].apps[0], 'node 1 and node 2 report app 1 alike');
  assert.ok(fps[0].apps[0] !== fps[2].apps[0], "node 3's envs differ");
  assert.equal(fps[2].apps[0].envs, { a: '1', 'replica.deny_client_request': 'true' });
  assert.ok(fps[0].apps[1] === fps[2].apps[1], 'app 2 alike everywhere');
  const alone = reports.map((r) => fingerprintNode(r));
  assert.equal(sortFingerprints(alone), fps, 'sharing changes identity only');
});

test('envs with one key more or less are not shared', () => {
  const base = { a: '1', 'replica.deny_client_request': 'false' };
  for (const envs of [{ ...base, b: '2' }, { a: '1' }, { ...base, a: '2' }]) {
    const reports = cluster();
    reports[1] = { ...reports[1], apps: reports[1].apps!.map((a) => (a.app_id === 1 ? { ...a, envs } : a)) };
    const fps = fingerprintReports(reports);
    assert.ok(fps[0].apps[0] !== fps[1].apps[0], JSON.stringify(envs));
    assert.equal(fps[1].apps[0].envs, Object.fromEntries(Object.entries(envs).sort(([x], [y]) => (x < y ? -1 : 1))));
  }
});

test('malformed envs (null, a number) fingerprint without throwing, and differ from none', () => {
  const ids = [null, 5, {}].map((envs) => id(on(1, editApp(1, { envs: envs as never }))));
  assert.is(new Set(ids).size, 3);
});

test("the digest head is exactly JSON.stringify of the node with each app's values as an array", () => {
  for (const f of fingerprintReports(on(3, (r) => ({ ...r, err: 'ERR_TIMEOUT' })))) {
    const apps = f.apps.map((a) => [a.app_id, a.app_name, a.status, a.partition_count, a.drop_second, a.expire_second, a.app_type, a.is_stateful, a.max_replica_count, a.create_second, a.envs]);
    assert.is(digestHead(f), JSON.stringify({ node: f.node, answered: f.answered, err: f.err, apps }));
  }
});

// Nodes that list the same shared app objects reuse one joined text; a list that shares only its
// first app (a later app differs, or is missing) must get its own.
test('the digest head of nodes sharing some apps is still each node\'s own', () => {
  const variants = [on(2, editApp(2, { app_name: 'renamed' })), on(3, (r) => ({ ...r, apps: r.apps!.slice(0, 1) })), cluster()];
  for (const reports of variants) {
    for (const f of fingerprintReports(reports)) {
      const apps = f.apps.map((a) => [a.app_id, a.app_name, a.status, a.partition_count, a.drop_second, a.expire_second, a.app_type, a.is_stateful, a.max_replica_count, a.create_second, a.envs]);
      assert.is(digestHead(f), JSON.stringify({ node: f.node, answered: f.answered, err: f.err, apps }));
    }
  }
});

test('gpid order is numeric', () => {
  assert.equal(['1.10', '10.0', '1.9', '2.0', '1.0'].sort(compareGpids), ['1.0', '1.9', '1.10', '2.0', '10.0']);
});

test('any order of reports, apps, replicas and env keys: same id', () => {
  const seed = Date.now() % 1_000_000;
  const rand = rng(seed);
  for (let round = 0; round < 50; round++) {
    const reports = shuffle(cluster(), rand).map((r) => ({
      ...r,
      apps: shuffle(r.apps!, rand).map((a) => ({ ...a, envs: Object.fromEntries(shuffle(Object.entries(a.envs), rand)) })),
      replicas: shuffle(r.replicas!, rand),
    }));
    assert.is(id(reports), BASE, `seed ${seed}, round ${round}`);
  }
});

test.run();
