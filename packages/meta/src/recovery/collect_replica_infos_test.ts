// Goal: show that collectReplicaInfos asks every node both questions at once, keeps one report per
// node in list order with the right error (Pegasus: the replica query's error wins when both
// failed), and returns by the deadline whatever the transport does (hangs, throws, rejects late).
// Method: a fake NodeQuery scripted per node and per query (answer after N ms, fail, never
// answer, throw); one table row per node, all nodes collected in one call; then timing checks with
// real short timers (generous bounds, so a loaded machine does not make them flaky).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ErrorCode } from '../../../proto/src/error_code.ts';
import type { QueryAppInfoResponse, QueryReplicaInfoResponse } from '../../../proto/src/messages.ts';
import type { CallResult } from '../../../proto/src/rpc.ts';
import type { AppInfo, ReplicaInfo } from '../../../proto/src/types.ts';
import { collectReplicaInfos, type NodeQuery } from './collect_replica_infos.ts';
import type { NodeReport } from './node_report.ts';

const APP: AppInfo = {
  status: 'AS_AVAILABLE', app_type: 'pegasus', app_name: 'temp', app_id: 1, partition_count: 1, envs: {},
  is_stateful: true, max_replica_count: 3, expire_second: 0, create_second: 0, drop_second: 0,
};
const REPLICA: ReplicaInfo = {
  pid: { app_id: 1, partition_index: 0 }, ballot: 3, status: 'PS_INACTIVE', last_committed_decree: 10,
  last_prepared_decree: 10, last_durable_decree: 10, app_type: 'pegasus', disk_tag: 'default',
};

/** How one fake query behaves. */
type Script =
  | { kind: 'answer'; ms: number; err: ErrorCode; noList?: boolean }
  | { kind: 'fail'; ms: number; err: ErrorCode }
  | { kind: 'never' }
  | { kind: 'throw' }
  | { kind: 'reject_late'; ms: number };
const okAfter = (ms: number): Script => ({ kind: 'answer', ms, err: 'ERR_OK' });
const answers = (err: ErrorCode): Script => ({ kind: 'answer', ms: 1, err });
const noList: Script = { kind: 'answer', ms: 1, err: 'ERR_OK', noList: true };
const fails = (err: ErrorCode, ms = 1): Script => ({ kind: 'fail', ms, err });
const never: Script = { kind: 'never' };
const throws: Script = { kind: 'throw' };
const rejectsLate = (ms: number): Script => ({ kind: 'reject_late', ms });

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A NodeQuery that follows `scripts[node]` and records every call (when, with which deadline). */
function fakeQuery(scripts: Record<string, [app: Script, replica: Script]>) {
  const calls: { node: string; what: 'app' | 'replica'; atMs: number; deadlineMs: number }[] = [];
  const t0 = performance.now();
  function run<Res>(node: string, what: 'app' | 'replica', deadlineMs: number, res: () => Res): Promise<CallResult<Res>> {
    calls.push({ node, what, atMs: performance.now() - t0, deadlineMs });
    const s = scripts[node][what === 'app' ? 0 : 1];
    switch (s.kind) {
      case 'answer':
        return sleep(s.ms).then(() => ({ ok: true, res: { ...res(), err: s.err, ...(s.noList ? { apps: undefined, replicas: undefined } : {}) } as Res }));
      case 'fail':
        return sleep(s.ms).then(() => ({ ok: false, err: s.err, detail: 'fake failure' }));
      case 'never':
        return new Promise(() => {});
      case 'throw':
        throw new Error('fake transport bug');
      case 'reject_late':
        return sleep(s.ms).then(() => Promise.reject(new Error('late rejection')));
    }
  }
  const query: NodeQuery = {
    queryAppInfo: (node, deadlineMs) => run<QueryAppInfoResponse>(node, 'app', deadlineMs, () => ({ err: 'ERR_OK', apps: [APP] })),
    queryReplicaInfo: (node, deadlineMs) => run<QueryReplicaInfoResponse>(node, 'replica', deadlineMs, () => ({ err: 'ERR_OK', replicas: [REPLICA] })),
  };
  return { query, calls };
}

// Rule: err = the replica query's error if it failed, else the app query's, else ERR_OK; a list is
// kept for each query that succeeded. "never" and "reject late" run into the 150 ms deadline.
const ROWS: [node: string, app: Script, replica: Script, err: ErrorCode, apps: boolean, replicas: boolean][] = [
  // node        app query                      replica query                    err                      apps   replicas
  ['ok',         okAfter(5),                    okAfter(5),                      'ERR_OK',                true,  true],
  ['app-fails',  fails('ERR_NETWORK_FAILURE'),  okAfter(5),                      'ERR_NETWORK_FAILURE',   false, true],
  ['rep-fails',  okAfter(5),                    fails('ERR_TIMEOUT'),            'ERR_TIMEOUT',           true,  false],
  ['both-fail',  fails('ERR_NETWORK_FAILURE'),  fails('ERR_HANDLER_NOT_FOUND'),  'ERR_HANDLER_NOT_FOUND', false, false],
  ['app-hangs',  never,                         okAfter(5),                      'ERR_TIMEOUT',           false, true],
  ['rep-hangs',  okAfter(5),                    never,                           'ERR_TIMEOUT',           true,  false],
  ['app-throws', throws,                        okAfter(5),                      'ERR_UNKNOWN',           false, true],
  ['late-rej',   okAfter(5),                    rejectsLate(400),                'ERR_TIMEOUT',           true,  false],
  ['says-busy',  answers('ERR_BUSY'),           okAfter(5),                      'ERR_BUSY',              false, true],
  ['no-list',    okAfter(5),                    noList,                          'ERR_INVALID_DATA',      true,  false],
];

test('one report per node, in list order, with the right error and lists', async () => {
  const { query } = fakeQuery(Object.fromEntries(ROWS.map(([node, a, r]) => [node, [a, r]])));
  const done: string[] = [];
  const reports = await collectReplicaInfos(ROWS.map(([node]) => node), query, 150, (r) => done.push(r.node));
  assert.equal(reports.map((r) => r.node), ROWS.map(([node]) => node));
  for (const [node, , , err, apps, replicas] of ROWS) {
    const r = reports.find((x) => x.node === node)!;
    assert.is(r.err, err, `${node}: err (${r.detail})`);
    assert.equal(r.apps, apps ? [APP] : undefined, `${node}: apps`);
    assert.equal(r.replicas, replicas ? [REPLICA] : undefined, `${node}: replicas`);
    assert.is(r.detail === undefined, err === 'ERR_OK', `${node}: a detail exactly when something failed`);
  }
  assert.equal([...done].sort(), ROWS.map(([node]) => node).sort(), 'onNodeDone once per node');
  assert.ok(done.indexOf('ok') < done.indexOf('app-hangs'), 'onNodeDone reports in completion order');
  await sleep(300); // let the late rejection happen: it must not surface as an unhandled rejection
});

test('every query starts at once and gets the deadline', async () => {
  const nodes = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8'];
  const { query, calls } = fakeQuery(Object.fromEntries(nodes.map((n) => [n, [okAfter(100), okAfter(100)]])));
  const started = performance.now();
  const reports = await collectReplicaInfos(nodes, query, 2000);
  const elapsed = performance.now() - started;
  assert.is(calls.length, 16);
  assert.ok(calls.every((c) => c.atMs < 50), 'all 16 calls sent before any answer');
  assert.ok(calls.every((c) => c.deadlineMs > 1900 && c.deadlineMs <= 2000), 'each query gets the remaining budget');
  assert.ok(elapsed < 1000, `parallel, not one after another: ${elapsed} ms`);
  assert.ok(reports.every((r) => r.err === 'ERR_OK' && r.latencyMs >= 90 && r.latencyMs < 1000));
});

test('the deadline holds even when no node ever answers', async () => {
  const { query } = fakeQuery({ a: [never, never], b: [never, okAfter(1)] });
  const started = performance.now();
  const reports: NodeReport[] = await collectReplicaInfos(['a', 'b'], query, 200);
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 190 && elapsed < 600, `returned after ${elapsed} ms`);
  assert.equal(reports.map((r) => `${r.node} ${r.err}`), ['a ERR_TIMEOUT', 'b ERR_TIMEOUT']);
  assert.match(reports[0].detail ?? '', 'query_app_info: no answer within the 200 ms deadline; query_replica_info: no answer within the 200 ms deadline');
});

test('an empty node list gives no reports (constructRecovery refuses it)', async () => {
  const { query, calls } = fakeQuery({});
  assert.equal(await collectReplicaInfos([], query, 100), []);
  assert.is(calls.length, 0);
});

test.run();
