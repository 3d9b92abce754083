// Admin and client RPCs of the meta server: list/create/drop/recall tables, partition
// configurations for clients, nodes (and releasing quarantined replicas) and cluster_info. Each
// passes the shared guard first, so under recovery every one answers ERR_UNDER_RECOVERY
// (pegasus-spec §1.4).

import type {
  AppInfo,
  ClusterInfoResponse,
  CreateAppRequest,
  CreateAppResponse,
  DropAppRequest,
  DropAppResponse,
  ListAppsRequest,
  ListAppsResponse,
  ListNodesRequest,
  ListNodesResponse,
  MetaServiceDefinition,
  QueryConfigRequest,
  QueryConfigResponse,
  RecallAppRequest,
  RecallAppResponse,
  ReleaseQuarantineRequest,
  ReleaseQuarantineResponse,
  UnaryHandlers,
} from '../../../proto/src/index.ts';
import { describeRecovery, isValidAppName, parseGpid, parseNodeAddress } from '../../../proto/src/index.ts';
import { StateStoreError } from '../state_store/state_store.ts';
import type { MetaServiceCore } from './meta_service.ts';
import { publishedConfiguration } from './config_sync.ts';
import { recordRelease, selectForRelease } from './quarantine.ts';


export function ddlHandlers(core: MetaServiceCore): UnaryHandlers<MetaServiceDefinition> {
  return {
    list_apps: async (req: ListAppsRequest): Promise<ListAppsResponse> => {
      const refused = core.guard();
      if (refused) return { ...refused, infos: [] };
      const infos = [...core.state.apps.values()].filter((a) => req.status === 'all' || a.status === req.status);
      return { err: 'ERR_OK', hint: '', infos: infos.sort((a, b) => a.app_id - b.app_id) };
    },
    create_app: (req) => answerStoreFailure(core, 'create_app', () => createApp(core, req), (hint) => ({ err: 'ERR_TIMEOUT', hint, appid: 0 })),
    drop_app: (req) => answerStoreFailure(core, 'drop_app', () => dropApp(core, req), (hint) => ({ err: 'ERR_TIMEOUT', hint })),
    recall_app: (req) => answerStoreFailure(core, 'recall_app', () => recallApp(core, req), (hint) => ({ err: 'ERR_TIMEOUT', hint })),
    query_configuration_by_index: async (req: QueryConfigRequest): Promise<QueryConfigResponse> => {
      const none = { app_id: 0, partition_count: 0, is_stateful: true, partitions: [] };
      const refused = core.guard();
      if (refused) return { ...refused, ...none };
      const info = core.state.appByName(req.app_name);
      if (!info) return { err: 'ERR_OBJECT_NOT_FOUND', hint: `no available table named ${req.app_name}`, ...none };
      const pcs = core.state.partitions.get(info.app_id) ?? [];
      const wanted = req.partition_indices.length === 0 ? pcs : req.partition_indices.map((i) => pcs[i]).filter(Boolean);
      const partitions = wanted.map((pc) => publishedConfiguration(core.state, pc));
      return { err: 'ERR_OK', hint: '', app_id: info.app_id, partition_count: info.partition_count, is_stateful: info.is_stateful, partitions };
    },
    list_nodes: async (req: ListNodesRequest): Promise<ListNodesResponse> => {
      const refused = core.guard();
      if (refused) return { ...refused, infos: [] };
      const infos = core.knownNodes().map((node) => ({ node, status: core.state.nodes.get(node)!.alive ? 'ALIVE' as const : 'UNALIVE' as const }));
      const quarantined = core.quarantinedReplicas();
      return { err: 'ERR_OK', hint: '', infos: infos.filter((n) => req.status === 'all' || n.status === req.status), ...(quarantined.length > 0 ? { quarantined } : {}) };
    },
    release_quarantine: async (req: ReleaseQuarantineRequest): Promise<ReleaseQuarantineResponse> => {
      const refused = core.guard();
      if (refused) return { ...refused, released: [] };
      const node = typeof req.node === 'string' ? parseNodeAddress(req.node) : undefined;
      if (!node) return { err: 'ERR_INVALID_PARAMETERS', hint: `node(${String(req.node)}) is not a host:port address such as 127.0.0.1:34804`, released: [] };
      if (req.gpid !== undefined && (typeof req.gpid !== 'string' || !parseGpid(req.gpid))) {
        return { err: 'ERR_INVALID_PARAMETERS', hint: `gpid(${String(req.gpid)}) is not app_id.partition_index such as 1.0`, released: [] };
      }
      const selected = selectForRelease(core.quarantinedReplicas(), node, req.gpid);
      if (selected.length === 0) {
        const what = req.gpid === undefined ? 'no replica' : `no replica of ${req.gpid}`;
        return { err: 'ERR_OBJECT_NOT_FOUND', hint: `${what} of node(${node}) is in quarantine; see the shell command quarantine`, released: [] };
      }
      recordRelease(core.releasedQuarantine, selected);
      core.log(`operator released ${selected.length} quarantined replica(s) of node(${node}): ${selected.map((q) => `${q.gpid}@${q.ballot}`).join(' ')}; the node removes them at its next config sync`);
      return { err: 'ERR_OK', hint: '', released: selected };
    },
    cluster_info: async (): Promise<ClusterInfoResponse> => {
      const refused = core.guard();
      if (refused) return { ...refused, keys: [], values: [] };
      const loads = [...core.state.nodeLoads().values()];
      const rows: [string, string][] = [
        ['meta_servers', core.config.serverList.join(',')],
        ['primary_meta_server', core.config.address],
        ['zookeeper_hosts', core.config.zookeeperHosts],
        ['zookeeper_root', core.config.clusterRoot],
        ['meta_function_level', 'steady'],
        ['primary_replica_count_stddev', stddev(loads.map((l) => l.primaries)).toFixed(2)],
        ['total_replica_count_stddev', stddev(loads.map((l) => l.total)).toFixed(2)],
        ['cluster_name', core.config.clusterName],
      ];
      if (core.recoveryAudit) rows.push(['last_recovery', describeRecovery(core.recoveryAudit)]);
      return { err: 'ERR_OK', hint: '', keys: rows.map((r) => r[0]), values: rows.map((r) => r[1]) };
    },
  };
}

function stddev(xs: number[]): number {
  if (xs.length === 0) return 0;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
}

/**
 * A DDL call whose ZooKeeper write failed (connection loss, timeout: StateStoreError) answers
 * ERR_TIMEOUT with the reason, instead of throwing out of the handler (which the client could only
 * see as a network failure of this meta, and try the next). Memory is changed only after a write
 * succeeds (meta_state.ts), so the tables are as before; a partly written create is overwritten by
 * the next attempt, or completed with empty partitions by the next start (app_storage.ts).
 * Pegasus's meta retries such writes until ZooKeeper answers; the client's call times out meanwhile.
 */
export async function answerStoreFailure<Res>(core: MetaServiceCore, what: string, call: () => Promise<Res>, failed: (hint: string) => Res): Promise<Res> {
  try {
    return await call();
  } catch (e) {
    if (!(e instanceof StateStoreError)) throw e;
    core.log(`${what} failed: ${e.message}; nothing changed in memory`);
    return failed(`the meta server could not write to ZooKeeper (${e.message}); nothing changed, retry once ZooKeeper is reachable`);
  }
}

async function createApp(core: MetaServiceCore, req: CreateAppRequest): Promise<CreateAppResponse> {
  const refused = core.guard();
  if (refused) return { ...refused, appid: 0 };
  const { partition_count: pcount, replica_count: rcount } = req.options;
  if (!isValidAppName(req.app_name)) return { err: 'ERR_INVALID_PARAMETERS', hint: `invalid table name "${req.app_name}"`, appid: 0 };
  if (!Number.isInteger(pcount) || pcount < 1 || pcount > 1024) return { err: 'ERR_INVALID_PARAMETERS', hint: `partition_count ${pcount} must be 1..1024`, appid: 0 };
  if (!Number.isInteger(rcount) || rcount < 1 || rcount > 10) return { err: 'ERR_INVALID_PARAMETERS', hint: `replica_count ${rcount} must be 1..10`, appid: 0 };
  const existing = core.state.appByName(req.app_name);
  if (existing) {
    if (!req.options.success_if_exist) return { err: 'ERR_APP_EXIST', hint: `table ${req.app_name} exists (id ${existing.app_id})`, appid: 0 };
    // Pegasus (server_state::create_app, option_match_check): "exists" is a success only for the
    // same table; else a shell would wait forever for a partition count the table does not have.
    const differences = createOptionDifferences(req.options, existing);
    if (differences.length > 0) {
      return { err: 'ERR_INVALID_PARAMETERS', hint: `table ${req.app_name} exists (id ${existing.app_id}) with other options: ${differences.join(', ')}`, appid: 0 };
    }
    return { err: 'ERR_OK', hint: 'already exists', appid: existing.app_id };
  }
  const alive = core.state.aliveNodes().length;
  if (alive < rcount) return { err: 'ERR_INVALID_PARAMETERS', hint: `replica_count ${rcount} is more than the ${alive} alive replica servers`, appid: 0 };
  const now = Math.floor(core.nowMs() / 1000);
  const { info, pcs } = core.state.planNewApp(req.app_name, pcount, rcount, req.options.app_type || 'pegasus', req.options.envs ?? {}, now, core.state.nextAppId());
  await core.state.createApp(info, pcs);
  core.log(`created table ${info.app_name}(${info.app_id}) with ${pcount} partitions x ${rcount} replicas`);
  return { err: 'ERR_OK', hint: '', appid: info.app_id };
}

/**
 * How a create request's options differ from the table that already has its name, one
 * `field(asked vs existing)` per difference: Pegasus's option_match_check compares the partition
 * count, the replica count, the app type, the envs and is_stateful (always true here).
 */
export function createOptionDifferences(options: CreateAppRequest['options'], existing: AppInfo): string[] {
  const out: string[] = [];
  const differs = (field: string, asked: unknown, has: unknown) => {
    if (asked !== has) out.push(`${field}(${JSON.stringify(asked)} vs ${JSON.stringify(has)})`);
  };
  differs('partition_count', options.partition_count, existing.partition_count);
  differs('replica_count', options.replica_count, existing.max_replica_count);
  differs('app_type', options.app_type || 'pegasus', existing.app_type);
  differs('envs', _canonicalEnvs(options.envs ?? {}), _canonicalEnvs(existing.envs));
  return out;
}

function _canonicalEnvs(envs: Record<string, string>): string {
  return Object.keys(envs).sort().map((k) => `${k}=${envs[k]}`).join(',');
}

/** Soft delete (pegasus-spec §7): mark dropped with an expiry; replicas close but keep their data. */
async function dropApp(core: MetaServiceCore, req: DropAppRequest): Promise<DropAppResponse> {
  const refused = core.guard();
  if (refused) return refused;
  const info = core.state.appByName(req.app_name);
  if (!info) return req.options.success_if_not_exist ? { err: 'ERR_OK', hint: 'no such table' } : { err: 'ERR_APP_NOT_EXIST', hint: `no table named ${req.app_name}` };
  const now = Math.floor(core.nowMs() / 1000);
  const hold = req.options.reserve_seconds > 0 ? req.options.reserve_seconds : core.config.holdSecondsForDroppedApp;
  const dropped: AppInfo = { ...info, status: 'AS_DROPPED', drop_second: now, expire_second: now + hold };
  await core.state.updateApp(dropped);
  core.log(`dropped table ${info.app_name}(${info.app_id}); its replicas are kept until ${new Date(dropped.expire_second * 1000).toISOString()}`);
  return { err: 'ERR_OK', hint: '' };
}

async function recallApp(core: MetaServiceCore, req: RecallAppRequest): Promise<RecallAppResponse> {
  const refused = core.guard();
  if (refused) return refused;
  const info = core.state.apps.get(req.app_id);
  if (!info || info.status !== 'AS_DROPPED') return { err: 'ERR_APP_NOT_EXIST', hint: `no dropped table with id ${req.app_id}` };
  if (info.expire_second * 1000 < core.nowMs()) return { err: 'ERR_APP_NOT_EXIST', hint: `table ${req.app_id} expired at ${new Date(info.expire_second * 1000).toISOString()}` };
  const name = req.new_app_name || info.app_name;
  if (core.state.appByName(name)) return { err: 'ERR_INVALID_PARAMETERS', hint: `the name ${name} is taken; recall with a new name` };
  const recalled: AppInfo = { ...info, app_name: name, status: 'AS_AVAILABLE', drop_second: 0, expire_second: 0 };
  await core.state.updateApp(recalled);
  return { err: 'ERR_OK', hint: '', info: recalled };
}
