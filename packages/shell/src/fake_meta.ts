// A fake meta server for shell tests: a real gRPC server in the test process whose state the test
// sets. In recovery mode every RPC but start_recovery answers ERR_UNDER_RECOVERY (recall_app:
// ERR_APP_NOT_EXIST, as Pegasus's meta does, pegasus-spec §1.4); start_recovery takes the next
// scripted answer and, on ERR_OK, switches the fake to serving. query_recovery_status answers what
// the test's `recoveryStatus` gives (idle by default), so a test can grow `collected` while a
// start_recovery waits for its `release`.

import type {
  AppInfo,
  CollectedNode,
  ErrorCode,
  NodeInfo,
  PartitionConfiguration,
  QuarantinedReplica,
  QueryRecoveryStatusResponse,
  ReleaseQuarantineRequest,
  RecoveryPlan,
  StartRecoveryRequest,
} from '../../proto/src/index.ts';
import { MetaService } from '../../proto/src/index.ts';
import { appInfo, partition, startTestServer, type TestServer } from '../../client/src/test_support.ts';

export type RecoveryAnswer = {
  err: ErrorCode;
  hint_message: string;
  delayMs?: number;
  /** Answer only once this settles: the test decides when the reply arrives. */
  release?: Promise<unknown>;
  collected?: CollectedNode[];
  plan?: RecoveryPlan;
};

export type FakeMetaState = {
  mode: 'recovery' | 'serving';
  apps: AppInfo[];
  partitions: Map<string, PartitionConfiguration[]>;
  nodes: NodeInfo[];
  clusterInfo: [string, string][];
  recoveryAnswers: RecoveryAnswer[];
  recoveryRequests: StartRecoveryRequest[];
  /** create_app adds the app; the next this many config queries show it without members. */
  notReadyQueries: number;
  /** The answer to each query_recovery_status. */
  recoveryStatus: () => Promise<QueryRecoveryStatusResponse>;
  /** list_nodes' quarantined replicas; release_quarantine takes the matching ones out. */
  quarantined: QuarantinedReplica[];
  releaseRequests: ReleaseQuarantineRequest[];
};

/** What a meta answers before any recovery attempt; tests spread their changes over it. */
export const IDLE_RECOVERY_STATUS: QueryRecoveryStatusResponse = Object.freeze({
  err: 'ERR_OK',
  hint: '',
  meta_mode: 'recovery',
  running: false,
  stage: 'idle',
  mode: '',
  started_at_ms: 0,
  finished_at_ms: 0,
  attempt_token: '',
  collected: [],
  last_err: '',
  last_hint_message: '',
});

export type FakeMeta = TestServer & { state: FakeMetaState };

const _sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startFakeMeta(initial: Partial<FakeMetaState>): Promise<FakeMeta> {
  const state: FakeMetaState = {
    mode: 'serving',
    apps: [],
    partitions: new Map(),
    nodes: [],
    clusterInfo: [],
    recoveryAnswers: [],
    recoveryRequests: [],
    notReadyQueries: 0,
    recoveryStatus: async () => IDLE_RECOVERY_STATUS,
    quarantined: [],
    releaseRequests: [],
    ...initial,
  };
  // The lists the handlers change (answers are used up, apps created, requests recorded) are this
  // meta's own copies: a caller that starts several metas from one scenario gets the same start.
  for (const key of ['apps', 'nodes', 'recoveryAnswers', 'recoveryRequests', 'quarantined', 'releaseRequests'] as const) {
    (state as Record<typeof key, unknown[]>)[key] = [...state[key]];
  }
  state.partitions = new Map(state.partitions);
  const guard = () => (state.mode === 'recovery' ? 'ERR_UNDER_RECOVERY' : 'ERR_OK') as ErrorCode;
  const server = await startTestServer(MetaService, {
    list_apps: async () => ({ err: guard(), hint: '', infos: guard() === 'ERR_OK' ? state.apps : [] }),
    list_nodes: async () => ({ err: guard(), hint: '', infos: guard() === 'ERR_OK' ? state.nodes : [], ...(state.quarantined.length > 0 ? { quarantined: state.quarantined } : {}) }),
    release_quarantine: async (req) => {
      state.releaseRequests.push(req);
      if (guard() !== 'ERR_OK') return { err: guard(), hint: '', released: [] };
      const released = state.quarantined.filter((q) => q.node === req.node && (req.gpid === undefined || q.gpid === req.gpid));
      if (released.length === 0) return { err: 'ERR_OBJECT_NOT_FOUND', hint: `no replica of node(${req.node}) is in quarantine`, released };
      state.quarantined = state.quarantined.filter((q) => !released.includes(q));
      return { err: 'ERR_OK', hint: '', released };
    },
    cluster_info: async () => {
      const ok = guard() === 'ERR_OK';
      return { err: guard(), hint: '', keys: ok ? state.clusterInfo.map((kv) => kv[0]) : [], values: ok ? state.clusterInfo.map((kv) => kv[1]) : [] };
    },
    query_configuration_by_index: async (req) => {
      const app = state.apps.find((a) => a.app_name === req.app_name && a.status === 'AS_AVAILABLE');
      const err: ErrorCode = guard() !== 'ERR_OK' ? guard() : app ? 'ERR_OK' : 'ERR_OBJECT_NOT_FOUND';
      if (err !== 'ERR_OK' || !app) return { err, hint: '', app_id: 0, partition_count: 0, is_stateful: true, partitions: [] };
      let partitions = state.partitions.get(app.app_name) ?? [];
      if (state.notReadyQueries > 0) {
        state.notReadyQueries--;
        partitions = partitions.map((pc, i) => (i === 0 ? pc : { ...pc, primary: '', secondaries: [] }));
      }
      return { err, hint: '', app_id: app.app_id, partition_count: app.partition_count, is_stateful: true, partitions };
    },
    recall_app: async () => ({ err: 'ERR_APP_NOT_EXIST', hint: '' }),
    create_app: async (req) => {
      if (guard() !== 'ERR_OK') return { err: guard(), hint: '', appid: 0 };
      const appid = Math.max(0, ...state.apps.map((a) => a.app_id)) + 1;
      const { partition_count, replica_count } = req.options;
      state.apps.push(appInfo({ app_id: appid, app_name: req.app_name, partition_count, max_replica_count: replica_count }));
      const members = state.nodes.slice(0, replica_count).map((n) => n.node);
      state.partitions.set(req.app_name, Array.from({ length: partition_count }, (_, i) => partition(appid, i, members, 1, replica_count)));
      return { err: 'ERR_OK', hint: '', appid };
    },
    start_recovery: async (req) => {
      state.recoveryRequests.push(req);
      if (state.mode === 'serving') return { err: 'ERR_SERVICE_ALREADY_RUNNING', hint_message: '' };
      const answer = state.recoveryAnswers.shift() ?? { err: 'ERR_OK', hint_message: '' };
      if (answer.delayMs) await _sleep(answer.delayMs);
      await answer.release;
      if (answer.err === 'ERR_OK') state.mode = 'serving';
      return {
        err: answer.err,
        hint_message: answer.hint_message,
        ...(answer.collected ? { collected: answer.collected } : {}),
        ...(answer.plan ? { plan: answer.plan } : {}),
      };
    },
    query_recovery_status: () => state.recoveryStatus(),
  });
  return Object.assign(server, { state });
}
