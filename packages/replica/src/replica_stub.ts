// Server-wide state of a replica server (Pegasus replica_stub.cpp): the replicas it holds, the
// peer connections, and the config sync loop with the meta server, which doubles as the failure
// detector's beacon (docs/PROTOCOL.md "config_sync").

import type { AppInfo, ConfigSyncResponse, Gpid, NodeAddress, ReplicaServiceDefinition } from '../../proto/src/index.ts';
import { ReplicaService, RpcClient, gpidToString } from '../../proto/src/index.ts';
import { promises as fs } from 'node:fs';
import type { Log } from './logger.ts';
import { MetaClient } from './meta_client.ts';
import type { Replica, ReplicaContext } from './replica.ts';
import { type FailPoints, noFailPoints } from './fail_points.ts';
import { applyConfig, closeReplica, isMember } from './replica_config.ts';
import { type DirOptions, createReplica, loadReplicas } from './replica_dirs.ts';
import { storedAppInfo, writeAppInfo } from './replica_files.ts';
import { maybeTeach } from './replica_teach.ts';

export type StubOptions = {
  me: NodeAddress;
  metaServers: NodeAddress[];
  dataDir: string;
  configSyncIntervalMs: number;
  /** The failure detector's lease (see checkLease). */
  fdLeaseMs: number;
  mutationLogSync: boolean;
  rpcTimeoutMs: number;
  idleCommitDelayMs: number;
  /** Test-only fault injection (fail_points.ts); default: all off. */
  failPoints?: FailPoints;
  log: Log;
};

export class ReplicaStub {
  readonly me: NodeAddress;
  readonly replicas = new Map<string, Replica>();
  readonly ctx: ReplicaContext;
  readonly log: Log;
  private readonly options: StubOptions;
  private readonly dirOptions: DirOptions;
  private readonly meta: MetaClient;
  private readonly peers = new Map<NodeAddress, RpcClient<ReplicaServiceDefinition>>();
  private readonly creating = new Map<string, Promise<Replica>>();
  /** Partitions the meta's last answer made this node a member of that it holds no replica of (config_sync's missing_replicas). */
  private missingReplicas = new Map<string, Gpid>();
  private stopped = false;
  private syncLoopDone: Promise<void> = Promise.resolve();
  private wakeSyncLoop: (() => void) | undefined;
  private lastSyncProblem = '';
  /** When the last config sync that a leading meta answered was sent (the lease runs from there). */
  private leaseFromMs = Date.now();
  private leaseExpired = false;
  private leaseTimer: ReturnType<typeof setInterval> | undefined;

  constructor(options: StubOptions) {
    this.options = options;
    this.me = options.me;
    this.log = options.log;
    this.meta = new MetaClient(options.metaServers);
    this.dirOptions = {
      dataDir: options.dataDir,
      sync: options.mutationLogSync,
      nowUs: () => BigInt(Date.now()) * 1000n,
    };
    this.ctx = {
      me: options.me,
      rpcTimeoutMs: options.rpcTimeoutMs,
      idleCommitDelayMs: options.idleCommitDelayMs,
      log: options.log,
      peer: (address) => this.peer(address),
      meta: this.meta,
      failPoints: options.failPoints ?? noFailPoints(),
    };
  }

  peer(address: NodeAddress): RpcClient<ReplicaServiceDefinition> {
    let c = this.peers.get(address);
    if (!c) {
      // Multiplexed: prepares and commits are two of every write's three calls, and a call on an
      // open stream costs a fraction of a unary call's CPU (packages/proto/src/rpc.ts).
      c = new RpcClient(ReplicaService, address, { multiplexed: true });
      this.peers.set(address, c);
    }
    return c;
  }

  /** Loads every replica dir as PS_INACTIVE. Throws DataDirLockedError if another server holds one. */
  async load(): Promise<void> {
    for (const r of await loadReplicas(this.ctx, this.dirOptions)) this.replicas.set(r.gpid, r);
    this.log(`${this.me}: loaded ${this.replicas.size} replicas from ${this.options.dataDir}`);
  }

  get(pid: Gpid): Replica | undefined {
    return this.replicas.get(gpidToString(pid));
  }

  /** The replica of `pid`, created empty at `ballot` if this server has none (one create at a time). */
  getOrCreate(pid: Gpid, info: AppInfo, ballot: number): Promise<Replica> {
    if (this.stopped) return Promise.reject(new Error('the replica server is stopping'));
    const key = gpidToString(pid);
    const existing = this.replicas.get(key);
    if (existing) return Promise.resolve(existing);
    let pending = this.creating.get(key);
    if (!pending) {
      pending = createReplica(pid, info, ballot, this.ctx, this.dirOptions).finally(() => this.creating.delete(key));
      pending.then((r) => this.replicas.set(key, r), () => {});
      this.creating.set(key, pending);
    }
    return pending;
  }

  startSyncLoop(): void {
    this.leaseFromMs = Date.now();
    this.leaseTimer = setInterval(() => this.checkLease(Date.now()), Math.min(500, this.options.fdLeaseMs / 4));
    this.syncLoopDone = this.syncLoop();
  }

  /**
   * The replica side of failure detection (Pegasus replica_failover.cpp, pegasus-spec §1: a replica
   * server that loses its meta makes every replica PS_INACTIVE). The meta declares this node dead
   * after fd_grace_seconds and promotes others; by then, fd_lease_seconds < fd_grace_seconds, this
   * node has already stopped serving, so a primary cut off from the metas cannot answer reads with
   * stale data next to a new primary. The next config sync the meta answers brings the roles back.
   */
  checkLease(nowMs: number): void {
    if (this.leaseExpired || this.stopped || nowMs - this.leaseFromMs <= this.options.fdLeaseMs) return;
    this.leaseExpired = true;
    const serving = [...this.replicas.values()].filter((r) => r.status === 'PS_PRIMARY' || r.status === 'PS_SECONDARY');
    this.log(`${this.me}: no answer from a meta server for ${this.options.fdLeaseMs} ms (fd_lease_seconds): ${serving.length} primary/secondary replica(s) become PS_INACTIVE until the meta answers again`);
    for (const r of serving) closeReplica(r, 'the failure-detector lease expired');
  }

  private async syncLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.syncOnce();
      } catch (e) {
        this.log(`BUG: config sync threw: ${e instanceof Error ? e.stack : String(e)}`);
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.configSyncIntervalMs);
        this.wakeSyncLoop = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async syncOnce(): Promise<void> {
    const stored_replicas = [...this.replicas.values()].map((r) => r.replicaInfo());
    const missing_replicas = [...this.missingReplicas.values()];
    const sentAtMs = Date.now();
    const res = await this.meta.call('config_sync', { node: this.me, stored_replicas, missing_replicas }, this.options.rpcTimeoutMs);
    if (this.stopped) return;
    // The leading meta answered, whatever it said (in recovery mode too: Pegasus acks beacons then,
    // pegasus-spec §3.7): this server is not cut off, and no other primary is promoted while the
    // meta does not serve. Only "no meta leads" (ERR_FORWARD_TO_OTHERS to the end) or no answer
    // at all lets the lease run out.
    if (res.ok && res.res.err !== 'ERR_FORWARD_TO_OTHERS') {
      this.leaseFromMs = Math.max(this.leaseFromMs, sentAtMs);
      if (this.leaseExpired) this.log(`${this.me}: a meta server answers again; the lease is renewed`);
      this.leaseExpired = false;
    }
    if (!res.ok || res.res.err !== 'ERR_OK') {
      // ERR_UNDER_RECOVERY or any error: change nothing (pegasus-spec §3.7). Say so once per cause.
      const problem = res.ok ? `${res.res.err} ${res.res.hint ?? ''}`.trim() : `${res.err} ${res.detail}`;
      if (problem !== this.lastSyncProblem) this.log(`${this.me}: config_sync answered ${problem}; keeping every replica as it is`);
      this.lastSyncProblem = problem;
      return;
    }
    if (this.lastSyncProblem !== '') this.log(`${this.me}: config_sync works again`);
    this.lastSyncProblem = '';
    await this.applySyncResponse(res.res);
  }

  private async applySyncResponse(res: ConfigSyncResponse): Promise<void> {
    const mentioned = new Set<string>();
    const missing = new Map<string, Gpid>();
    for (const { config, info, create_if_missing } of res.partitions ?? []) {
      const key = gpidToString(config.pid);
      mentioned.add(key);
      try {
        let r = this.replicas.get(key);
        if (!r && !isMember(config, this.me)) continue;
        if (!r && create_if_missing !== true && !this.creating.has(key)) {
          // Listed as a member of a partition that holds data, without a replica of it (its dir
          // was lost or moved away): an empty one made here would serve no rows as if it held
          // them, and as primary would teach its emptiness to the others. Tell the meta instead;
          // it takes this node out of the partition and the guardian heals it by learning.
          missing.set(key, config.pid);
          if (!this.missingReplicas.has(key)) {
            this.log(`${this.me}: ERROR: the meta lists this node as a member of partition(${key}) at ballot ${config.ballot}, but it holds no replica of it; not creating an empty one, reporting it as missing`);
          }
          continue;
        }
        r ??= await this.getOrCreate(config.pid, info, config.ballot);
        if (this.stopped || r.closed) return;
        if (config.ballot >= r.ballot) await this.maybeUpdateAppInfo(r, info);
        await applyConfig(r, config);
      } catch (e) {
        this.log(`${this.me}: cannot apply the config of ${key}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.missingReplicas = missing;
    for (const pid of res.replicas_to_close ?? []) {
      const r = this.get(pid);
      if (r) closeReplica(r, 'the meta listed it in replicas_to_close');
    }
    for (const pid of res.replicas_to_remove ?? []) {
      const r = this.get(pid);
      if (r) await this.removeReplica(r);
    }
    for (const r of this.replicas.values()) {
      const serving = r.status === 'PS_PRIMARY' || r.status === 'PS_SECONDARY';
      if (serving && !mentioned.has(r.gpid)) closeReplica(r, 'the meta no longer lists it for this node');
    }
    for (const a of res.learner_assignments ?? []) {
      const r = this.get(a.pid);
      if (r) maybeTeach(r, a.learner, a.ballot).catch((e: unknown) => this.log(`BUG: teaching threw: ${String(e)}`));
    }
  }

  /**
   * The meta listed the replica in replicas_to_remove: its dropped table's retention expired (the
   * meta decides, from the drop time it stores), or the operator released it from quarantine after
   * a partial recovery. Close it, rename its dir to `<dir>.<now_us>.gar` (ignored at load, so a
   * restart cannot resurrect it), then delete it. A replica that serves or learns is never removed,
   * whatever the meta says. Pegasus keeps `.gar` dirs another gc_disk_garbage_replica_interval_seconds;
   * we delete at once.
   */
  private async removeReplica(r: Replica): Promise<void> {
    if (r.status === 'PS_PRIMARY' || r.status === 'PS_SECONDARY' || r.learning) return;
    this.replicas.delete(r.gpid);
    await r.close();
    const garbage = `${r.dir}.${this.dirOptions.nowUs()}.gar`;
    try {
      await fs.rename(r.dir, garbage);
      await fs.rm(garbage, { recursive: true, force: true });
      this.log(`${this.me}: removed replica ${r.gpid} (ballot ${r.ballot}, last_committed_decree ${r.lastCommittedDecree}): the meta listed it in replicas_to_remove`);
    } catch (e) {
      this.log(`${this.me}: cannot remove replica ${r.gpid} (${r.dir}): ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Pegasus rewrites .app-info when the meta's app info changes (a rename, max_replica_count). */
  private async maybeUpdateAppInfo(r: Replica, info: AppInfo): Promise<void> {
    const next = storedAppInfo(info);
    if (_appInfoKey(next) === _appInfoKey(r.info)) return;
    r.info = next;
    await writeAppInfo(r.dir, next);
    r.log(`app info updated: name ${next.app_name}, max_replica_count ${next.max_replica_count}`);
  }

  /**
   * Stops syncing and closes every replica. `closeConnections: false` leaves the gRPC clients open
   * for a process that exits right after (see ReplicaServerHandle.closeForExit).
   */
  async stop(options: { closeConnections: boolean }): Promise<void> {
    this.stopped = true;
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    this.wakeSyncLoop?.();
    this.meta.close();
    await this.syncLoopDone;
    await Promise.allSettled([...this.creating.values()]);
    if (options.closeConnections) {
      for (const c of this.peers.values()) c.close();
      this.peers.clear();
    }
    await Promise.all([...this.replicas.values()].map((r) => r.close()));
  }
}

/** Field order independent comparison key of a stored app info. */
function _appInfoKey(info: AppInfo): string {
  const envs = Object.keys(info.envs).sort().map((k) => [k, info.envs[k]]);
  return JSON.stringify([info.app_name, info.app_type, info.app_id, info.partition_count, info.max_replica_count, info.is_stateful, info.create_second, envs]);
}
