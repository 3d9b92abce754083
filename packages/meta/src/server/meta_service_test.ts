// Goal: the meta server's start-up decision table (pegasus-spec §1.3, with our refusals instead of
// Pegasus's aborts) and the start_recovery path end to end inside one process: real gRPC to fake
// replica servers, the in-memory store standing in for ZooKeeper. Method: one row per situation;
// each checks the mode, the answers to RPCs and what was written to the store.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type AppInfo,
  MetaService,
  type ReplicaInfo,
  ReplicaService,
  RpcClient,
  type StartRecoveryRequest,
  startRpcServer,
  type UnaryHandlers,
} from '../../../proto/src/index.ts';
import type { MetaConfig } from '../config.ts';
import { writeTables } from '../state_store/app_storage.ts';
import { MemoryStateStore } from '../state_store/memory_store.ts';
import { MetaServiceCore } from './meta_service.ts';

const ROOT = '/pegasus/onebox/127.0.0.1';

function config(over: Partial<MetaConfig> = {}): MetaConfig {
  return {
    configPath: 'onebox/meta1/config.ini', address: '127.0.0.1:1', serverList: ['127.0.0.1:1'], clusterRoot: ROOT, lockRoot: ROOT,
    recoverFromReplicaServer: false, holdSecondsForDroppedApp: 604800, maxReservedDroppedReplicas: 1, emptyStorageCheckSeconds: 0,
    fdGraceSeconds: 5, lbIntervalMs: 1000, clusterName: 'onebox', zookeeperHosts: 'z:1', zookeeperTimeoutMs: 1000, rpcTimeoutMs: 2000,
    defaultApps: [{ app_name: 'temp', app_type: 'pegasus', partition_count: 2, max_replica_count: 3 }],
    ...over,
  };
}

function appInfo(id: number, name: string, partitions: number): AppInfo {
  return { status: 'AS_AVAILABLE', app_type: 'pegasus', app_name: name, app_id: id, partition_count: partitions, envs: {}, is_stateful: true, max_replica_count: 3, expire_second: 0, create_second: 1, drop_second: 0 };
}
function replica(app: number, pidx: number, ballot: number, lcd: number): ReplicaInfo {
  return { pid: { app_id: app, partition_index: pidx }, ballot, status: 'PS_INACTIVE', last_committed_decree: lcd, last_prepared_decree: lcd, last_durable_decree: lcd, app_type: 'pegasus', disk_tag: 'default' };
}

async function core(store: MemoryStateStore, over: Partial<MetaConfig> = {}) {
  const lines: string[] = [];
  const c = new MetaServiceCore({ config: config(over), store, log: (l) => lines.push(l) });
  return { c, lines, h: c.handlers() as Required<ReturnType<MetaServiceCore['handlers']>> };
}

/** `handlers` behind a real gRPC server on a random free port (a taken one is retried). */
async function serveOnFreePort<S extends typeof MetaService | typeof ReplicaService>(service: S, handlers: UnaryHandlers<S>, log: (line: string) => void) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const address = `127.0.0.1:${40000 + Math.floor(Math.random() * 20000)}`;
    const bound = await startRpcServer(service, handlers, address, log);
    if (bound.ok) return { address, stop: () => bound.server.forceShutdown() };
    // The range overlaps the kernel's ephemeral ports: an outgoing socket may hold this one.
    if (bound.err !== 'ERR_ADDRESS_ALREADY_USED') throw new Error(bound.detail);
  }
  throw new Error('cannot find a free port in 40000-59999');
}

/** The core's handlers behind a real gRPC server (as main.ts serves them). */
const serveMeta = (c: MetaServiceCore, lines: string[]) => serveOnFreePort(MetaService, c.handlers(), (l) => lines.push(l));

/** A replica server answering the two recovery queries. */
async function fakeReplica(apps: AppInfo[], replicas: ReplicaInfo[]) {
  const served = await serveOnFreePort(ReplicaService, {
    query_app_info: async () => ({ err: 'ERR_OK', apps }),
    query_replica_info: async () => ({ err: 'ERR_OK', replicas }),
  }, () => {});
  return { node: served.address, stop: served.stop };
}

test('flag on, tables in cluster_root: refuse, naming the key and the path', async () => {
  const store = new MemoryStateStore();
  const pc = { pid: { app_id: 1, partition_index: 0 }, ballot: 1, max_replica_count: 3, primary: 'r:1', secondaries: [], last_drops: [], last_committed_decree: 0, partition_flags: 0 };
  await writeTables(store, ROOT, { apps: [appInfo(1, 'temp', 1)], partitions: new Map([[1, [pc]]]) });
  const { c } = await core(store, { recoverFromReplicaServer: true });
  const r = await c.start();
  assert.is(r.ok, false);
  if (!r.ok) {
    assert.match(r.error, 'recover_from_replica_server = true');
    assert.match(r.error, `${ROOT}/apps`);
  }
});

test('a create_app cut short (AS_CREATING, a partition unwritten) is finished at the next start, and the start after it loads', async () => {
  const store = new MemoryStateStore();
  const pc = (app: number, pidx: number) => ({ pid: { app_id: app, partition_index: pidx }, ballot: 1, max_replica_count: 3, primary: 'r:1', secondaries: ['r:2', 'r:3'], last_drops: [], last_committed_decree: 0, partition_flags: 0 });
  const creating = { ...appInfo(2, 't2', 2), status: 'AS_CREATING' as const };
  await writeTables(store, ROOT, { apps: [appInfo(1, 'temp', 1), creating], partitions: new Map([[1, [pc(1, 0)]], [2, [pc(2, 0), pc(2, 1)]]]) });
  await store.deleteTree(`${ROOT}/apps/2/1`);
  const first = await core(store);
  assert.equal(await first.c.start(), { ok: true, mode: 'serving' });
  assert.equal((await first.h.list_apps({ status: 'all' })).infos.map((a) => [a.app_name, a.status]), [['temp', 'AS_AVAILABLE'], ['t2', 'AS_AVAILABLE']]);
  assert.ok(first.lines.some((l) => l.includes('table t2(2) was cut short while being created; finished creating it')), first.lines.join('\n'));
  // The written partition's members may make their replicas (nothing was ever served from it);
  // the unwritten one starts with no members, for the guardian to assign.
  const answer = await first.h.config_sync({ node: 'r:1', stored_replicas: [] });
  assert.equal(answer.partitions.filter((p) => p.config.pid.app_id === 2).map((p) => [p.config.pid.partition_index, p.create_if_missing]), [[0, true]]);
  assert.equal(first.c.state.partitions.get(2)!.map((p) => p.primary), ['r:1', '']);
  await first.c.stop();
  // What it wrote is whole: a later start loads it as it is.
  const second = await core(store);
  assert.equal(await second.c.start(), { ok: true, mode: 'serving' });
  assert.equal((await second.h.query_configuration_by_index({ app_name: 't2', partition_indices: [] })).partitions.length, 2);
  assert.not.ok(second.lines.some((l) => l.includes('cut short')), second.lines.join('\n'));
  await second.c.stop();
});

test('flag on, empty cluster_root: recovery mode; every RPC but start_recovery is ERR_UNDER_RECOVERY', async () => {
  const { c, h } = await core(new MemoryStateStore(), { recoverFromReplicaServer: true });
  assert.equal(await c.start(), { ok: true, mode: 'recovery' });
  assert.is((await h.list_apps({ status: 'all' })).err, 'ERR_UNDER_RECOVERY');
  assert.is((await h.cluster_info({})).err, 'ERR_UNDER_RECOVERY');
  assert.is((await h.list_nodes({ status: 'all' })).err, 'ERR_UNDER_RECOVERY');
  assert.is((await h.config_sync({ node: 'r:1', stored_replicas: [replica(1, 0, 3, 10)] })).err, 'ERR_UNDER_RECOVERY');
  await c.stop();
});

test('flag off, empty storage, nobody holds data: default tables are created', async () => {
  const store = new MemoryStateStore();
  const { c, h } = await core(store);
  await h.config_sync({ node: 'r:1', stored_replicas: [] });
  assert.equal(await c.start(), { ok: true, mode: 'serving' });
  const apps = await h.list_apps({ status: 'all' });
  assert.equal(apps.infos.map((a) => [a.app_id, a.app_name, a.status]), [[1, 'temp', 'AS_AVAILABLE']]);
  assert.is(store.dump()[`${ROOT}/apps`], 'unlock');
  await c.stop();
});

test('create_app of a name in use: the same table is a success, other options are refused with the differences', async () => {
  const store = new MemoryStateStore();
  const { c, h } = await core(store);
  for (const node of ['r:1', 'r:2', 'r:3']) await h.config_sync({ node, stored_replicas: [] });
  assert.equal(await c.start(), { ok: true, mode: 'serving' });
  const create = (partition_count: number, replica_count: number, success_if_exist = true, envs: Record<string, string> = {}) =>
    h.create_app({ app_name: 'temp', options: { partition_count, replica_count, success_if_exist, app_type: 'pegasus', envs } });
  assert.equal(await create(2, 3), { err: 'ERR_OK', hint: 'already exists', appid: 1 });
  const other = await create(4, 3);
  assert.is(other.err, 'ERR_INVALID_PARAMETERS');
  assert.match(other.hint, 'table temp exists (id 1) with other options: partition_count(4 vs 2)');
  assert.match((await create(2, 2, true, { k: 'v' })).hint, 'replica_count(2 vs 3), envs("k=v" vs "")');
  assert.is((await create(2, 3, false)).err, 'ERR_APP_EXIST');
  // Nothing was created or changed.
  assert.equal((await h.list_apps({ status: 'all' })).infos.map((a) => [a.app_id, a.partition_count]), [[1, 2]]);
  await c.stop();
});

test('DDL while ZooKeeper is unreachable: ERR_TIMEOUT with the reason, nothing changed; the same call works once it is back', async () => {
  const store = new MemoryStateStore();
  const { c, h, lines } = await core(store);
  for (const node of ['r:1', 'r:2', 'r:3']) await h.config_sync({ node, stored_replicas: [] });
  assert.equal(await c.start(), { ok: true, mode: 'serving' });
  const options = { partition_count: 2, replica_count: 3, success_if_exist: false, app_type: 'pegasus', envs: {} };
  store.failing = true;
  const created = await h.create_app({ app_name: 't2', options });
  assert.is(created.err, 'ERR_TIMEOUT');
  assert.match(created.hint, 'could not write to ZooKeeper');
  assert.is((await h.drop_app({ app_name: 'temp', options: { success_if_not_exist: false, reserve_seconds: 0 } })).err, 'ERR_TIMEOUT');
  assert.ok(lines.some((l) => l.startsWith('create_app failed: ')), lines.join('\n'));
  store.failing = false;
  assert.equal((await h.list_apps({ status: 'all' })).infos.map((a) => [a.app_name, a.status]), [['temp', 'AS_AVAILABLE']]);
  assert.equal(await h.create_app({ app_name: 't2', options }), { err: 'ERR_OK', hint: '', appid: 2 });
  await c.stop();
});

test('flag off, empty storage, a replica server holds data: refuse (metadata looks lost), write nothing', async () => {
  const store = new MemoryStateStore();
  const { c, h } = await core(store);
  await h.config_sync({ node: 'r:1', stored_replicas: [replica(1, 7, 3, 10)] });
  const r = await c.start();
  assert.is(r.ok, false);
  if (!r.ok) {
    assert.match(r.error, 'metadata looks lost');
    assert.match(r.error, 'gpid(1.7) on node(r:1)');
    assert.match(r.error, 'recover_from_replica_server = true');
  }
  assert.is(store.dump()[`${ROOT}/apps`], undefined);
});

test('recovery: a bad node gives ERR_TRY_AGAIN and leaves the store untouched; then success serves', async () => {
  const apps = [appInfo(1, 'temp', 2)];
  const r1 = await fakeReplica(apps, [replica(1, 0, 3, 10), replica(1, 1, 3, 7)]);
  const r2 = await fakeReplica(apps, [replica(1, 0, 3, 9), replica(1, 1, 4, 7)]);
  const store = new MemoryStateStore();
  const { c, h } = await core(store, { recoverFromReplicaServer: true });
  await c.start();
  const down = '127.0.0.1:1';
  const failed = await h.start_recovery({ recovery_nodes: [r1.node, r2.node, down], skip_bad_nodes: false, skip_lost_partitions: false });
  assert.is(failed.err, 'ERR_TRY_AGAIN');
  assert.match(failed.hint_message, `ERROR: collect app and replica info from node(${down}) failed with err(ERR_NETWORK_FAILURE), you can skip it by set skip_bad_nodes option`);
  assert.is(store.dump()[`${ROOT}/apps`], undefined);
  assert.is(c.mode, 'recovery');

  const ok = await h.start_recovery({ recovery_nodes: [r1.node, r2.node], skip_bad_nodes: false, skip_lost_partitions: false });
  assert.is(ok.err, 'ERR_OK');
  assert.match(ok.hint_message, 'WARNING: partition(1.0) only collects 2/3 of replicas, may lost data');
  assert.is(c.mode, 'serving');
  const cfg = await h.query_configuration_by_index({ app_name: 'temp', partition_indices: [] });
  assert.is(cfg.partitions[0].primary, r1.node); // ballot 3 ties; lcd 10 beats 9
  assert.is(cfg.partitions[1].primary, r2.node); // ballot 4 beats 3
  assert.is(store.dump()[`${ROOT}/apps`], 'unlock');
  const again = await h.start_recovery({ recovery_nodes: [r1.node], skip_bad_nodes: false, skip_lost_partitions: false });
  assert.is(again.err, 'ERR_SERVICE_ALREADY_RUNNING');
  assert.match(again.hint_message, `this meta server already serves the tables under ${ROOT}; nothing was done`);
  assert.match(again.hint_message, 'recover_from_replica_server = true');
  r1.stop();
  r2.stop();
  await c.stop();
});

test('recovery over gRPC: a malformed request (unknown mode, non-boolean skip flag) is refused before any node is asked; a malformed plan to apply is a refusal, not a throw', async () => {
  const apps = [appInfo(1, 'temp', 1)];
  const r1 = await fakeReplica(apps, [replica(1, 0, 3, 10)]);
  const store = new MemoryStateStore();
  const { c, lines } = await core(store, { recoverFromReplicaServer: true });
  await c.start();
  const served = await serveMeta(c, lines);
  const meta = new RpcClient(MetaService, served.address);
  try {
    const base = { recovery_nodes: [r1.node], skip_bad_nodes: false, skip_lost_partitions: false };
    const refused = async (req: object) => {
      const r = await meta.call('start_recovery', req as StartRecoveryRequest, 5000);
      assert.is(r.ok, false);
      return r.ok ? '' : `${r.err}: ${r.detail}`;
    };
    // A misspelt mode must not fall back to a recovery that writes.
    assert.is(await refused({ ...base, mode: 'plna' }), 'ERR_INVALID_PARAMETERS: start_recovery: request.mode must be one of recover, plan, apply, not "plna"');
    assert.is(await refused({ ...base, skip_bad_nodes: 'no' }), 'ERR_INVALID_PARAMETERS: start_recovery: request.skip_bad_nodes must be a boolean, not "no"');
    assert.is(await refused({ ...base, recovery_nodes: [r1.node, 5] }), 'ERR_INVALID_PARAMETERS: start_recovery: request.recovery_nodes[1] must be a string, not 5');
    assert.not.ok(lines.some((l) => l.includes('answered') || l.includes('BUG')), lines.join('\n'));
    assert.is(store.dump()[`${ROOT}/apps`], undefined);
    // An edited plan file: columns of different lengths, a null, a number. Refused with changes.
    const edited = [{ node: r1.node, answered: true, apps: [], replicas: { app_id: [1], partition_index: [] } }, null, 3];
    const applied = await meta.call('start_recovery', { ...base, mode: 'apply', expected_plan_id: 'abc', expected_fingerprints: edited as never }, 5000);
    assert.ok(applied.ok && applied.res.err === 'ERR_INCONSISTENT_STATE' && (applied.res.changes ?? []).length > 0, JSON.stringify(applied).slice(0, 300));
    assert.is(store.dump()[`${ROOT}/apps`], undefined);
    assert.is(c.mode, 'recovery');
    assert.not.ok(lines.some((l) => l.includes('BUG')), lines.join('\n'));
  } finally {
    meta.close();
    served.stop();
    r1.stop();
    await c.stop();
  }
});

test('recovery: a heartbeating node left out of the list is named, with the under-replicated partitions it holds', async () => {
  const apps = [appInfo(1, 'temp', 2)];
  const r1 = await fakeReplica(apps, [replica(1, 0, 3, 10), replica(1, 1, 3, 7)]);
  const store = new MemoryStateStore();
  const { c, h } = await core(store, { recoverFromReplicaServer: true });
  await c.start();
  await h.config_sync({ node: '127.0.0.1:9', stored_replicas: [replica(1, 0, 3, 10), replica(1, 1, 3, 7)] });
  const plan = await h.start_recovery({ recovery_nodes: [r1.node], skip_bad_nodes: false, skip_lost_partitions: false, mode: 'plan', attempt_token: 'shell-1' });
  assert.equal(plan.plan!.completeness.under_replicated.map((u) => [u.gpid, u.held_by_unused_nodes]), [['1.0', ['127.0.0.1:9']], ['1.1', ['127.0.0.1:9']]]);
  const status = await h.query_recovery_status({});
  assert.equal([status.attempt_token, status.mode, status.running], ['shell-1', 'plan', false], 'the status names the attempt it describes');
  const ok = await h.start_recovery({ recovery_nodes: [r1.node], skip_bad_nodes: false, skip_lost_partitions: false });
  assert.is(ok.err, 'ERR_OK');
  assert.match(ok.hint_message, 'WARNING: node(127.0.0.1:9) sends heartbeats to this meta server but is not in the recovery node list');
  assert.match(ok.hint_message, 'WARNING: node(127.0.0.1:9) holds replicas of 2 partition(s) recovered with fewer than max_replica_count replicas (1.0 1.1), but its answer was not used');
  r1.stop();
  await c.stop();
});

test('config_sync: a replica the metadata does not know is left alone and reported', async () => {
  const store = new MemoryStateStore();
  const { c, h } = await core(store);
  await h.config_sync({ node: 'r:1', stored_replicas: [] });
  await c.start();
  const res = await h.config_sync({ node: 'r:9', stored_replicas: [replica(7, 0, 9, 100)] });
  assert.is(res.err, 'ERR_OK');
  assert.equal(res.replicas_to_close, []);
  await c.stop();
});

test('config_sync: new replicas may be created empty; a member that lost one is taken out and not kept in last_drops', async () => {
  const store = new MemoryStateStore();
  let now = 1_000_000;
  const lines: string[] = [];
  const c = new MetaServiceCore({ config: config(), store, log: (l) => lines.push(l), nowMs: () => now });
  const h = c.handlers() as Required<ReturnType<MetaServiceCore['handlers']>>;
  const nodes = ['r:1', 'r:2', 'r:3'];
  for (const node of nodes) await h.config_sync({ node, stored_replicas: [] });
  assert.equal(await c.start(), { ok: true, mode: 'serving' });
  // The default table is new: every member may create its replica empty.
  const first = await h.config_sync({ node: 'r:1', stored_replicas: [] });
  assert.equal(first.partitions.map((p) => p.create_if_missing), [true, true]);
  // Until a member reports its replica, clients do not see it: the table is not healthy yet.
  const shown = async () => (await h.query_configuration_by_index({ app_name: 'temp', partition_indices: [] })).partitions.map((pc) => [pc.primary, ...pc.secondaries].filter(Boolean).length);
  assert.equal(await shown(), [0, 0]);
  // Every member reports its replicas; then none may be made empty again, and all of them show.
  const held = (node: string) => c.state.partitions.get(1)!.filter((pc) => pc.primary === node || pc.secondaries.includes(node)).map((pc) => replica(1, pc.pid.partition_index, pc.ballot, 5));
  await h.config_sync({ node: 'r:1', stored_replicas: held('r:1') });
  assert.equal(await shown(), [1, 1]);
  for (const node of nodes) await h.config_sync({ node, stored_replicas: held(node) });
  assert.equal(await shown(), [3, 3]);
  const before = c.state.partitions.get(1)![0];
  const lost = before.primary;
  const rest = held(lost).filter((r) => r.pid.partition_index !== 0);
  const answer = await h.config_sync({ node: lost, stored_replicas: rest, missing_replicas: [{ app_id: 1, partition_index: 0 }] });
  assert.equal(answer.partitions.find((p) => p.config.pid.partition_index === 0)?.create_if_missing, false);
  // A grace period later, every node still beaconing, the guardian acts.
  now += 6000;
  for (const node of nodes) await h.config_sync({ node, stored_replicas: node === lost ? rest : held(node), missing_replicas: node === lost ? [{ app_id: 1, partition_index: 0 }] : [] });
  await c.tick();
  const after = c.state.partitions.get(1)![0];
  assert.is(after.ballot, before.ballot + 1);
  assert.ok(after.primary !== lost && before.secondaries.includes(after.primary), `promoted ${after.primary}`);
  assert.not.ok(after.secondaries.includes(lost) || after.last_drops.includes(lost), 'the lacking node is out, and not a last_drop');
  assert.ok(lines.some((l) => l.includes(`primary ${lost} holds no replica of it: promote secondary ${after.primary}`)), lines.join('\n'));
  // A gpid both held and reported missing (a learner made it since) is held: not lacking.
  await h.config_sync({ node: lost, stored_replicas: held(lost).concat(replica(1, 0, after.ballot, 5)), missing_replicas: [{ app_id: 1, partition_index: 0 }] });
  assert.equal([...c.state.lackingMembers('1.0')], []);
  // A malformed missing list is ignored, not a crash.
  const odd = await h.config_sync({ node: 'r:2', stored_replicas: held('r:2'), missing_replicas: [null, 7, { app_id: 'x' }] as never });
  assert.is(odd.err, 'ERR_OK');
  await c.stop();
});

test.run();
