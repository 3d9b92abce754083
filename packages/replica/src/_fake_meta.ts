// A tiny in-process meta server for the replica server's tests: it serves only `config_sync` and
// `update_partition_configuration`, from a table of partition configs the test edits directly.
// It follows docs/PROTOCOL.md: a node gets every partition it serves, the primary gets its learner
// assignments, and an upgrade raises the ballot by one.

import type * as grpc from '@grpc/grpc-js';
import type {
  AppInfo,
  ConfigSyncRequest,
  ConfigSyncResponse,
  ErrorCode,
  Gpid,
  NodeAddress,
  PartitionConfiguration,
  ReplicaInfo,
  UpdatePartitionConfigurationRequest,
  UpdatePartitionConfigurationResponse,
} from '../../proto/src/index.ts';
import { MetaService, gpidToString, startRpcServer } from '../../proto/src/index.ts';

export type LearnerAssignment = { pid: Gpid; learner: NodeAddress };

export class FakeMeta {
  readonly address: NodeAddress;
  readonly partitions = new Map<string, { config: PartitionConfiguration; info: AppInfo }>();
  learners: LearnerAssignment[] = [];
  /** Nodes whose config_sync gets this error instead of an answer. */
  readonly refuse = new Map<NodeAddress, ErrorCode>();
  readonly lastStored = new Map<NodeAddress, ReplicaInfo[]>();
  /** Each node's last missing_replicas. */
  readonly lastMissing = new Map<NodeAddress, Gpid[]>();
  /** Partitions (gpid text) answered with create_if_missing false; every other one may be created empty. */
  readonly holdsData = new Set<string>();
  readonly upgrades: UpdatePartitionConfigurationRequest[] = [];
  private readonly server: grpc.Server;

  private constructor(address: NodeAddress, server: grpc.Server) {
    this.address = address;
    this.server = server;
  }

  static async start(address: NodeAddress): Promise<FakeMeta | undefined> {
    let meta: FakeMeta | undefined;
    const handlers = {
      config_sync: async (req: ConfigSyncRequest) => meta!.configSync(req),
      update_partition_configuration: async (req: UpdatePartitionConfigurationRequest) => meta!.update(req),
    };
    const bound = await startRpcServer(MetaService, handlers, address, () => {});
    if (!bound.ok) return undefined;
    meta = new FakeMeta(address, bound.server);
    return meta;
  }

  /** Adds a table: partition i gets `members(i)` (primary first) at `ballot`. */
  createApp(appId: number, name: string, partitionCount: number, members: (pidx: number) => NodeAddress[], ballot = 1): AppInfo {
    const info: AppInfo = {
      status: 'AS_AVAILABLE',
      app_type: 'pegasus',
      app_name: name,
      app_id: appId,
      partition_count: partitionCount,
      envs: {},
      is_stateful: true,
      max_replica_count: 3,
      expire_second: 0,
      create_second: 1700000000,
      drop_second: 0,
    };
    for (let i = 0; i < partitionCount; i++) {
      const [primary, ...secondaries] = members(i);
      const pid = { app_id: appId, partition_index: i };
      const config: PartitionConfiguration = {
        pid,
        ballot,
        max_replica_count: 3,
        primary,
        secondaries,
        last_drops: [],
        last_committed_decree: 0,
        partition_flags: 0,
      };
      this.partitions.set(gpidToString(pid), { config, info });
    }
    return info;
  }

  config(pid: Gpid): PartitionConfiguration {
    return this.partitions.get(gpidToString(pid))!.config;
  }

  /** Replaces fields of a partition's config (the test decides the ballot). */
  setConfig(pid: Gpid, change: Partial<PartitionConfiguration>): void {
    const p = this.partitions.get(gpidToString(pid))!;
    p.config = { ...p.config, ...change };
  }

  configSync(req: ConfigSyncRequest): ConfigSyncResponse {
    this.lastStored.set(req.node, req.stored_replicas);
    this.lastMissing.set(req.node, req.missing_replicas ?? []);
    const refused = this.refuse.get(req.node);
    if (refused) return { err: refused, hint: '', partitions: [], learner_assignments: [], replicas_to_close: [] };
    const partitions = [...this.partitions.values()]
      .filter(({ config }) => config.primary === req.node || config.secondaries.includes(req.node))
      .map((p) => ({ ...p, create_if_missing: !this.holdsData.has(gpidToString(p.config.pid)) }));
    const learner_assignments = this.learners
      .map((a) => ({ a, config: this.config(a.pid) }))
      .filter(({ config }) => config.primary === req.node)
      .map(({ a, config }) => ({ pid: a.pid, learner: a.learner, ballot: config.ballot }));
    const isLearner = (pid: Gpid) => this.learners.some((a) => a.learner === req.node && gpidToString(a.pid) === gpidToString(pid));
    const replicas_to_close = req.stored_replicas
      .map((r) => r.pid)
      .filter((pid) => this.partitions.has(gpidToString(pid)) && !partitions.some((p) => gpidToString(p.config.pid) === gpidToString(pid)) && !isLearner(pid));
    return { err: 'ERR_OK', hint: '', partitions, learner_assignments, replicas_to_close };
  }

  update(req: UpdatePartitionConfigurationRequest): UpdatePartitionConfigurationResponse {
    this.upgrades.push(req);
    const p = this.partitions.get(gpidToString(req.config.pid));
    if (!p) return { err: 'ERR_OBJECT_NOT_FOUND', hint: 'no such partition' };
    if (req.config.ballot !== p.config.ballot) return { err: 'ERR_INVALID_VERSION', hint: `ballot is ${p.config.ballot}` };
    if (req.type !== 'CT_UPGRADE_TO_SECONDARY') return { err: 'ERR_INVALID_PARAMETERS', hint: 'fake meta only upgrades' };
    const secondaries = p.config.secondaries.includes(req.node) ? p.config.secondaries : [...p.config.secondaries, req.node];
    p.config = { ...p.config, ballot: p.config.ballot + 1, secondaries };
    this.learners = this.learners.filter((a) => !(a.learner === req.node && gpidToString(a.pid) === gpidToString(req.config.pid)));
    return { err: 'ERR_OK', hint: '', config: p.config };
  }

  stop(): void {
    this.server.forceShutdown();
  }
}
