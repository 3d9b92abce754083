// The meta server: start-up decision table, the one guard every RPC passes, replica-server RPCs
// (config_sync, update_partition_configuration) and the guardian loop. Admin RPCs live in
// ddl_handlers.ts, start_recovery in recovery_handler.ts. Handlers decode, pass the guard, call the
// pure core, and encode (Pegasus keeps the guard in meta_service.h, check_leader_status).

import type {
  ConfigSyncRequest,
  ConfigSyncResponse,
  ErrorCode,
  Gpid,
  MetaServiceDefinition,
  NodeAddress,
  QuarantinedReplica,
  RecoveryAudit,
  UnaryHandlers,
  UpdatePartitionConfigurationRequest,
  UpdatePartitionConfigurationResponse,
} from '../../../proto/src/index.ts';
import { gpidToString, parseGpid } from '../../../proto/src/index.ts';
import type { MetaConfig } from '../config.ts';
import { decidePartition } from '../guardian/partition_guardian.ts';
import { appsRoot, loadTables } from '../state_store/app_storage.ts';
import { readRecoveryAudit } from '../state_store/recovery_audit_storage.ts';
import type { LeaderLock, MetaStateStore } from '../state_store/state_store.ts';
import { answerConfigSync } from './config_sync.ts';
import { findQuarantinedReplicas, quarantinedHolders, type ReleasedQuarantine, releasedToRemove } from './quarantine.ts';
import { answerStoreFailure, ddlHandlers } from './ddl_handlers.ts';
import { MetaState } from './meta_state.ts';
import { recoveryHandlers } from './recovery_handler.ts';

/**
 * starting: not yet leader or still loading. checking_empty_storage: empty cluster_root with the
 * recovery flag off; listening for replica servers that still hold data. recovery: waiting for
 * start_recovery. serving: normal.
 */
export type MetaMode = 'starting' | 'checking_empty_storage' | 'recovery' | 'serving';

export type MetaServiceOptions = {
  config: MetaConfig;
  store: MetaStateStore;
  log: (line: string) => void;
  nowMs?: () => number;
};

/** The start-up verdict: serve, or refuse with one line for the operator (the process exits 1). */
export type StartupResult = { ok: true; mode: MetaMode } | { ok: false; error: string };

const LEARNER_TIMEOUT_MS = 60_000;

export class MetaServiceCore {
  readonly config: MetaConfig;
  readonly store: MetaStateStore;
  readonly state: MetaState;
  readonly log: (line: string) => void;
  readonly nowMs: () => number;
  mode: MetaMode = 'starting';
  leader = '';
  /** The record of the recovery that built cluster_root, if one did (recovery_audit_storage.ts). */
  recoveryAudit: RecoveryAudit | undefined;
  private lock: LeaderLock | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastWaitReason = new Map<string, string>();
  private lastInconsistencyLogMs = 0;
  /** Quarantined replicas the operator released (shell `quarantine --release`); memory only, see quarantine.ts. */
  readonly releasedQuarantine: ReleasedQuarantine = new Map();
  private servingSinceMs = 0;

  constructor(options: MetaServiceOptions) {
    this.config = options.config;
    this.store = options.store;
    this.log = options.log;
    this.nowMs = options.nowMs ?? Date.now;
    this.state = new MetaState(options.store, options.config.clusterRoot);
  }

  /** The guard in front of every RPC but start_recovery; undefined means go ahead. */
  guard(): { err: ErrorCode; hint: string } | undefined {
    if (this.mode === 'serving') return undefined;
    if (this.mode === 'recovery') return { err: 'ERR_UNDER_RECOVERY', hint: '' };
    if (this.leader && this.leader !== this.config.address) return { err: 'ERR_FORWARD_TO_OTHERS', hint: this.leader };
    return { err: 'ERR_SERVICE_NOT_ACTIVE', hint: '' };
  }

  handlers(): UnaryHandlers<MetaServiceDefinition> {
    return {
      ...ddlHandlers(this),
      ...recoveryHandlers(this),
      config_sync: (req) => this.onConfigSync(req),
      // A primary whose upgrade is not answered ERR_OK drops that learner; the guardian assigns one again (replica_teach.ts).
      update_partition_configuration: (req) => answerStoreFailure(this, 'update_partition_configuration', () => this.onUpdatePartitionConfiguration(req), (hint) => ({ err: 'ERR_TIMEOUT', hint })),
    };
  }

  /** Take the leader lock, load cluster_root and decide the mode (pegasus-spec §1.2-1.3). */
  async start(): Promise<StartupResult> {
    const c = this.config;
    this.lock = await this.store.acquireLeaderLock(c.lockRoot, c.address, (leader) => {
      this.leader = leader;
      if (leader !== c.address) this.log(`waiting for the leader lock under ${c.lockRoot}; leader is ${leader || 'unknown'}`);
    });
    this.leader = c.address;
    await this.store.ensurePath(c.clusterRoot);
    const loaded = await loadTables(this.store, c.clusterRoot);
    if (loaded.kind === 'corrupt') {
      return { ok: false, error: `cannot load tables: ${loaded.path}: ${loaded.detail}; fix or remove that znode, or point [meta_server] cluster_root in ${c.configPath} at another path` };
    }
    if (loaded.kind === 'removed_partial_write') {
      this.log(`WARNING: ${appsRoot(c.clusterRoot)} carried the "lock" marker: a write of ${loaded.removedApps} table(s) was cut short; removed the partial tree`);
    }
    if (loaded.kind === 'loaded') {
      this.recoveryAudit = await readRecoveryAudit(this.store, c.clusterRoot);
      if (c.recoverFromReplicaServer && this.recoveryAudit) {
        // Our own completed recovery built this root (its record is written under the lock marker):
        // the flag was simply left on after it. Serve, and say what to reset.
        const a = this.recoveryAudit;
        this.log(`WARNING: [meta_server] recover_from_replica_server = true in ${c.configPath}, but ${c.clusterRoot} holds the tables of a completed recovery (plan ${a.plan_id}, finished ${new Date(a.finished_at_ms).toISOString()}); serving them. Set recover_from_replica_server = false before the next restart`);
      } else if (c.recoverFromReplicaServer) {
        return {
          ok: false,
          error: `find apps from remote storage (${loaded.tables.apps.length} tables under ${appsRoot(c.clusterRoot)}), but [meta_server] recover_from_replica_server = true in ${c.configPath}; recovery only writes to an empty cluster_root: set recover_from_replica_server = false to serve these tables, or point cluster_root and distributed_lock_service_parameters at a new, empty path to recover`,
        };
      }
      this.state.loadTables(loaded.tables);
      this.log(`loaded ${loaded.tables.apps.length} tables from ${appsRoot(c.clusterRoot)}`);
      await this.finishCutShortCreates();
      this.enterServing();
      return { ok: true, mode: this.mode };
    }
    if (c.recoverFromReplicaServer) {
      this.mode = 'recovery';
      this.log(`can't find apps from remote storage under ${c.clusterRoot}, and [meta_server] recover_from_replica_server = true: waiting for the shell command \`recover\``);
      return { ok: true, mode: this.mode };
    }
    return await this.initializeEmptyStorage();
  }

  /**
   * Empty cluster_root, flag off: a new cluster, or lost metadata. Listen for a while; if replica
   * servers report replicas, the metadata was lost and creating tables over their data would destroy
   * it (the seed's second "Common Issue", where Pegasus core-dumps): refuse instead.
   */
  private async initializeEmptyStorage(): Promise<StartupResult> {
    const c = this.config;
    this.mode = 'checking_empty_storage';
    this.log(`can't find apps from remote storage under ${c.clusterRoot}; checking for ${c.emptyStorageCheckSeconds} s that no replica server holds data`);
    await new Promise((r) => setTimeout(r, c.emptyStorageCheckSeconds * 1000));
    const holders = [...this.state.nodes].filter(([, s]) => s.replicas.size > 0);
    if (holders.length > 0) {
      const [node, s] = holders[0];
      const example = [...s.replicas.keys()][0];
      const total = holders.reduce((n, [, h]) => n + h.replicas.size, 0);
      return {
        ok: false,
        error: `metadata looks lost: cluster_root ${c.clusterRoot} has no tables, but ${holders.length} replica server(s) hold ${total} replicas (e.g. gpid(${example}) on node(${node})); refusing to create tables over them. Set [meta_server] recover_from_replica_server = true in ${c.configPath}, restart this meta server, then run the shell command \`recover\``,
      };
    }
    const now = Math.floor(this.nowMs() / 1000);
    const apps = [];
    const partitions = new Map();
    let id = 1;
    for (const d of c.defaultApps) {
      const { info, pcs } = this.state.planNewApp(d.app_name, d.partition_count, d.max_replica_count, d.app_type, {}, now, id++);
      apps.push(info);
      partitions.set(info.app_id, pcs);
      this.state.loadTables({ apps, partitions }); // so the next table's placement sees this one's load
    }
    await this.state.writeInitialTables({ apps, partitions });
    for (const pcs of partitions.values()) this.state.expectNewReplicas(pcs);
    this.log(`created ${apps.length} default table(s) under ${appsRoot(c.clusterRoot)}: ${apps.map((a) => `${a.app_name}(${a.app_id})`).join(', ')}`);
    this.enterServing();
    return { ok: true, mode: this.mode };
  }

  enterServing(): void {
    this.mode = 'serving';
    this.servingSinceMs = this.nowMs();
    this.timer ??= setInterval(() => {
      this.tick().catch((e) => this.log(`guardian tick failed: ${e instanceof Error ? e.message : String(e)}`));
    }, Math.min(this.config.lbIntervalMs, 1000));
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.lock?.release().catch(() => {});
  }

  private async onConfigSync(req: ConfigSyncRequest): Promise<ConfigSyncResponse> {
    const empty = { partitions: [], learner_assignments: [], replicas_to_close: [], replicas_to_remove: [] };
    // Beacons count in every mode: recovery's completeness report and the empty-storage check use them.
    const { cameBack } = this.state.recordConfigSync(req.node, req.stored_replicas, this.nowMs(), Array.isArray(req.missing_replicas) ? req.missing_replicas : []);
    if (cameBack && this.mode === 'serving') this.log(`node ${req.node} is alive`);
    const refused = this.guard();
    if (refused) return { err: refused.err, hint: refused.hint, ...empty };
    const answer = answerConfigSync(this.state, req.node, req.stored_replicas, Math.floor(this.nowMs() / 1000));
    if (answer.unknown.length > 0) {
      const first = answer.unknown[0];
      const hint = `${answer.unknown.length} replica(s) on node(${req.node}) are not accounted for by the metadata under ${this.config.clusterRoot} (e.g. gpid(${gpidToString(first.pid)}): ${first.reason}); they are left untouched. If the metadata was lost, set [meta_server] recover_from_replica_server = true and run \`recover\``;
      if (this.nowMs() - this.lastInconsistencyLogMs > 10_000) {
        this.lastInconsistencyLogMs = this.nowMs();
        this.log(`ERROR: ${hint}`);
      }
    }
    this.maybeRemoveReleased(req.node, answer.replicas_to_remove!);
    const { unknown: _unknown, ...rest } = answer;
    return { err: 'ERR_OK', hint: '', ...rest };
  }

  /** Add `node`'s released quarantined replicas (still as released) to its replicas_to_remove. */
  private maybeRemoveReleased(node: NodeAddress, toRemove: Gpid[]): void {
    if (!this.releasedQuarantine.has(node)) return;
    for (const gpid of releasedToRemove(this.releasedQuarantine, node, this.quarantinedReplicas())) {
      const pid = parseGpid(gpid);
      if (!pid || toRemove.some((p) => p.app_id === pid.app_id && p.partition_index === pid.partition_index)) continue;
      toRemove.push(pid);
      this.log(`quarantined replica(${gpid}) on node(${node}) released by the operator: asking the node to remove it`);
    }
  }

  private async onUpdatePartitionConfiguration(req: UpdatePartitionConfigurationRequest): Promise<UpdatePartitionConfigurationResponse> {
    const refused = this.guard();
    if (refused) return { err: refused.err, hint: refused.hint };
    const pc = this.state.partitions.get(req.config.pid.app_id)?.[req.config.pid.partition_index];
    if (!pc) return { err: 'ERR_OBJECT_NOT_FOUND', hint: `no partition ${gpidToString(req.config.pid)}` };
    if (req.config.ballot !== pc.ballot) return { err: 'ERR_INVALID_VERSION', hint: `ballot ${req.config.ballot} is stale, current is ${pc.ballot}`, config: pc };
    if (req.type !== 'CT_UPGRADE_TO_SECONDARY') return { err: 'ERR_INVALID_PARAMETERS', hint: `unsupported ${req.type}` };
    if (pc.primary === req.node || pc.secondaries.includes(req.node)) return { err: 'ERR_OK', hint: 'already a member', config: pc };
    const next = {
      ...pc,
      ballot: pc.ballot + 1,
      secondaries: [...pc.secondaries, req.node],
      last_drops: pc.last_drops.filter((n) => n !== req.node),
    };
    if (!(await this.state.updatePartition(next, pc.ballot))) {
      return { err: 'ERR_INVALID_VERSION', hint: 'the configuration changed meanwhile', config: this.state.partitions.get(pc.pid.app_id)![pc.pid.partition_index] };
    }
    this.state.pendingLearners.delete(gpidToString(pc.pid));
    this.log(`partition(${gpidToString(pc.pid)}) ballot ${next.ballot}: ${req.node} upgraded to secondary`);
    return { err: 'ERR_OK', hint: '', config: next };
  }

  /**
   * A table whose create_app was cut short (the meta died between its AS_CREATING app node and the
   * AS_AVAILABLE one) is created to the end, as Pegasus's transition_staging_state does: loadTables
   * gave its unwritten partitions as empty ones; they are written, then the app node as available.
   * Nothing was served from it (config_sync skips tables that are not available), so its members
   * may create their replicas empty. Left as it was, it would never serve and its name would look
   * free. A table whose name an available one took meanwhile stays as it is, with a warning.
   */
  private async finishCutShortCreates(): Promise<void> {
    for (const info of [...this.state.apps.values()].filter((a) => a.status === 'AS_CREATING')) {
      const taken = this.state.appByName(info.app_name);
      if (taken) {
        this.log(`WARNING: table ${info.app_name}(${info.app_id}) was cut short while being created, and table ${taken.app_name}(${taken.app_id}) has its name; leaving it AS_CREATING`);
        continue;
      }
      await this.state.createApp({ ...info, status: 'AS_AVAILABLE' }, this.state.partitions.get(info.app_id) ?? []);
      this.log(`table ${info.app_name}(${info.app_id}) was cut short while being created; finished creating it`);
    }
  }

  /** Failure detection and one guardian pass over every available partition. */
  async tick(): Promise<void> {
    if (this.mode !== 'serving') return;
    const now = this.nowMs();
    for (const node of this.state.expireNodes(now, this.config.fdGraceSeconds * 1000)) this.log(`node ${node} is dead (no config_sync for ${this.config.fdGraceSeconds} s)`);
    // A meta that just started serving has not heard from every node yet: judging now would take
    // every silent node for dead. Wait one grace period first (Pegasus waits for its FD workers).
    if (now - this.servingSinceMs < this.config.fdGraceSeconds * 1000) return;
    const alive = new Set(this.state.aliveNodes());
    const loads = this.state.nodeLoads();
    const quarantined = quarantinedHolders(this.quarantinedReplicas());
    const work: Promise<void>[] = [];
    for (const pc of [...this.state.availableConfigs()]) {
      const key = gpidToString(pc.pid);
      if (this.state.busyPartitions.has(key)) continue;
      const pending = this.state.pendingLearners.get(key);
      if (pending && now - pending.sinceMs > LEARNER_TIMEOUT_MS) {
        this.log(`partition(${key}): learner ${pending.learner} did not finish in ${LEARNER_TIMEOUT_MS / 1000} s; choosing again`);
        this.state.pendingLearners.delete(key);
      }
      const action = decidePartition({
        pc,
        alive,
        reported: this.state.reportedReplicas(key),
        loads,
        pendingLearner: this.state.pendingLearners.get(key)?.learner,
        excluded: quarantined.get(key),
        lacking: this.state.lackingMembers(key),
      });
      if (action.kind === 'wait' && this.lastWaitReason.get(key) !== action.reason) this.log(`partition(${key}): ${action.reason}`);
      this.lastWaitReason.set(key, action.kind === 'wait' ? action.reason : '');
      if (action.kind === 'add_learner') {
        this.state.pendingLearners.set(key, { learner: action.learner, ballot: pc.ballot, sinceMs: now });
        this.log(`partition(${key}): ${action.reason}`);
      } else if (action.kind === 'update') {
        work.push(this.state.updatePartition(action.config, pc.ballot).then((ok) => {
          if (ok) this.log(`partition(${key}) ballot ${action.config.ballot}: ${action.reason}`);
        }));
      }
    }
    await Promise.all(work);
  }

  /** Replicas on nodes the last recovery did not hear from, of partitions served by others. */
  quarantinedReplicas(): QuarantinedReplica[] {
    return findQuarantinedReplicas({
      apps: this.state.apps,
      partitions: this.state.partitions,
      recoveredFrom: this.recoveryAudit?.answered_nodes ? new Set(this.recoveryAudit.answered_nodes) : undefined,
      nodeReplicas: new Map([...this.state.nodes].map(([node, s]) => [node, s.replicas])),
    });
  }

  knownNodes(): NodeAddress[] {
    return [...this.state.nodes.keys()].sort();
  }
}
