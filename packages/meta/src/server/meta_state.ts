// The meta server's in-memory tables and node view, and every change to them. A change is written to
// remote storage first and applied in memory only once stored, so memory never runs ahead of
// ZooKeeper (Pegasus: server_state.cpp does the same through its update callbacks).

import {
  type AppInfo,
  emptyPartitionConfiguration,
  type Gpid,
  gpidToString,
  type NodeAddress,
  partitionMembers,
  type PartitionConfiguration,
  type ReplicaInfo,
} from '../../../proto/src/index.ts';
import { computeNodeLoads, type NodeLoad, placeNewPartitions } from '../placement/place_replicas.ts';
import { type StoredTables, type WriteHooks, writeApp, writePartition, writeTables } from '../state_store/app_storage.ts';
import type { MetaStateStore } from '../state_store/state_store.ts';
import type { ClusterTables, PendingLearner } from './config_sync.ts';

export type NodeState = {
  lastSeenMs: number;
  alive: boolean;
  replicas: Map<string, ReplicaInfo>;
  /** Partitions it is a member of but holds no replica of (config_sync's missing_replicas), by gpid text. */
  missing: Set<string>;
};

export class MetaState implements ClusterTables {
  readonly apps = new Map<number, AppInfo>();
  readonly partitions = new Map<number, PartitionConfiguration[]>();
  readonly pendingLearners = new Map<string, PendingLearner>();
  readonly nodes = new Map<NodeAddress, NodeState>();
  /**
   * Per gpid of a table created by this meta, the members that have not yet reported their replica:
   * they may create it empty (config_sync.ts, mayCreateEmpty). In memory only: after a restart the
   * rule's second case covers a table created just before.
   */
  readonly newReplicas = new Map<string, Set<NodeAddress>>();
  /** Partitions with a storage write in flight: the guardian leaves them alone meanwhile. */
  readonly busyPartitions = new Set<string>();
  private readonly store: MetaStateStore;
  private readonly clusterRoot: string;

  constructor(store: MetaStateStore, clusterRoot: string) {
    this.store = store;
    this.clusterRoot = clusterRoot;
  }

  loadTables(tables: StoredTables): void {
    this.apps.clear();
    this.partitions.clear();
    for (const info of tables.apps) {
      this.apps.set(info.app_id, info);
      this.partitions.set(info.app_id, tables.partitions.get(info.app_id) ?? []);
    }
  }

  /** Write a whole set of tables to empty storage (default tables, recovery) and adopt them. */
  async writeInitialTables(tables: StoredTables, hooks: WriteHooks = {}): Promise<void> {
    await writeTables(this.store, this.clusterRoot, tables, hooks);
    this.loadTables(tables);
  }

  appByName(name: string): AppInfo | undefined {
    for (const info of this.apps.values()) if (info.app_name === name && info.status === 'AS_AVAILABLE') return info;
    return undefined;
  }

  /** Next id: above every id ever used, dropped tables and placeholders included. */
  nextAppId(): number {
    let max = 0;
    for (const id of this.apps.keys()) max = Math.max(max, id);
    return max + 1;
  }

  aliveNodes(): NodeAddress[] {
    return [...this.nodes].filter(([, s]) => s.alive).map(([n]) => n).sort();
  }

  nodeLoads(onlyAlive = true): Map<NodeAddress, NodeLoad> {
    const nodes = onlyAlive ? this.aliveNodes() : [...this.nodes.keys()];
    return computeNodeLoads(this.availableConfigs(), nodes);
  }

  *availableConfigs(): Iterable<PartitionConfiguration> {
    for (const [id, pcs] of this.partitions) if (this.apps.get(id)?.status === 'AS_AVAILABLE') yield* pcs;
  }

  /** Build a new table's info and placed partitions (not yet stored). */
  planNewApp(name: string, partitionCount: number, replicaCount: number, appType: string, envs: Record<string, string>, nowSeconds: number, appId: number) {
    const info: AppInfo = {
      status: 'AS_AVAILABLE', app_type: appType, app_name: name, app_id: appId, partition_count: partitionCount, envs,
      is_stateful: true, max_replica_count: replicaCount, expire_second: 0, create_second: nowSeconds, drop_second: 0,
    };
    const placed = placeNewPartitions(partitionCount, replicaCount, this.nodeLoads());
    const pcs = placed.map((p, i) => {
      const pc = emptyPartitionConfiguration({ app_id: appId, partition_index: i }, replicaCount);
      // A placed partition starts at ballot 1; an unplaced one stays at 0 for the guardian.
      return p.primary ? { ...pc, ballot: 1, primary: p.primary, secondaries: p.secondaries } : pc;
    });
    return { info, pcs };
  }

  /** create_app: the app node as AS_CREATING, then the partitions, then AS_AVAILABLE. */
  async createApp(info: AppInfo, pcs: PartitionConfiguration[]): Promise<void> {
    await writeApp(this.store, this.clusterRoot, { ...info, status: 'AS_CREATING' });
    await Promise.all(pcs.map((pc) => writePartition(this.store, this.clusterRoot, pc)));
    await writeApp(this.store, this.clusterRoot, info);
    this.apps.set(info.app_id, info);
    this.partitions.set(info.app_id, pcs);
    this.expectNewReplicas(pcs);
  }

  /** The members of these new partitions (a table just created) may create their replicas empty. */
  expectNewReplicas(pcs: readonly PartitionConfiguration[]): void {
    for (const pc of pcs) {
      const members = partitionMembers(pc);
      if (members.length > 0) this.newReplicas.set(gpidToString(pc.pid), new Set(members));
    }
  }

  async updateApp(info: AppInfo): Promise<void> {
    await writeApp(this.store, this.clusterRoot, info);
    this.apps.set(info.app_id, info);
  }

  /**
   * Store a new configuration for one partition if the stored ballot is still `expectedBallot`.
   * Returns false (and changes nothing) if another change got there first.
   */
  async updatePartition(config: PartitionConfiguration, expectedBallot: number): Promise<boolean> {
    const key = gpidToString(config.pid);
    const current = this.partitions.get(config.pid.app_id)?.[config.pid.partition_index];
    if (!current || current.ballot !== expectedBallot || this.busyPartitions.has(key)) return false;
    this.busyPartitions.add(key);
    try {
      await writePartition(this.store, this.clusterRoot, config);
      this.partitions.get(config.pid.app_id)![config.pid.partition_index] = config;
      const pending = this.pendingLearners.get(key);
      if (pending && pending.ballot !== config.ballot) this.pendingLearners.delete(key);
      return true;
    } finally {
      this.busyPartitions.delete(key);
    }
  }

  recordConfigSync(node: NodeAddress, stored: ReplicaInfo[], nowMs: number, missing: readonly Gpid[] = []): { cameBack: boolean } {
    const state = this.nodes.get(node) ?? { lastSeenMs: 0, alive: false, replicas: new Map(), missing: new Set() };
    const cameBack = !state.alive;
    state.lastSeenMs = nowMs;
    state.alive = true;
    state.replicas = new Map(stored.map((r) => [gpidToString(r.pid), r]));
    // A malformed entry is ignored: this list only ever takes a node out of a partition. So is one
    // the node also reports holding (made since, as a learner): holding wins.
    const valid = missing.filter((p) => Number.isInteger(p?.app_id) && Number.isInteger(p?.partition_index)).map(gpidToString);
    state.missing = new Set(valid.filter((key) => !state.replicas.has(key)));
    this.nodes.set(node, state);
    for (const key of state.replicas.keys()) {
      const waiting = this.newReplicas.get(key);
      if (waiting?.delete(node) && waiting.size === 0) this.newReplicas.delete(key);
    }
    return { cameBack };
  }

  /** The alive members of partition `pidKey` that say they hold no replica of it (the guardian takes them out). */
  lackingMembers(pidKey: string): Set<NodeAddress> {
    const out = new Set<NodeAddress>();
    for (const [node, s] of this.nodes) if (s.alive && s.missing.has(pidKey)) out.add(node);
    return out;
  }

  /** Mark nodes silent for longer than the grace period dead; returns the newly dead. */
  expireNodes(nowMs: number, graceMs: number): NodeAddress[] {
    const dead: NodeAddress[] = [];
    for (const [node, s] of this.nodes) {
      if (s.alive && nowMs - s.lastSeenMs > graceMs) {
        s.alive = false;
        dead.push(node);
      }
    }
    return dead;
  }

  /** The replica of `pid` that each alive node last reported. */
  reportedReplicas(pidKey: string): Map<NodeAddress, ReplicaInfo> {
    const out = new Map<NodeAddress, ReplicaInfo>();
    for (const [node, s] of this.nodes) {
      const r = s.alive ? s.replicas.get(pidKey) : undefined;
      if (r) out.set(node, r);
    }
    return out;
  }
}
