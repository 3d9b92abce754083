// One partition replica on this server: its identity, app info, ballot, role and decrees, plus the
// in-memory state of the protocol phases (2PC as primary or secondary, teaching, learning). The
// phases themselves live in replica_2pc.ts, replica_learn.ts and replica_config.ts, which work on
// this state the way Pegasus's replica_*.cpp files work on `class replica`.

import type {
  AppInfo,
  ClientWriteResponse,
  Gpid,
  NodeAddress,
  PartitionConfiguration,
  PartitionStatus,
  PrepareRequest,
  ReplicaInfo,
  ReplicaServiceDefinition,
  RpcClient,
} from '../../proto/src/index.ts';
import { gpidToString } from '../../proto/src/index.ts';
import type { Log } from './logger.ts';
import type { MetaClient } from './meta_client.ts';
import { writeInitInfo } from './replica_files.ts';
import type { ReplicaStorage } from './replica_storage.ts';
import type { LogEntry } from './storage_format.ts';
import type { FailPoints } from './fail_points.ts';

/** What a replica needs from its server. */
export type ReplicaContext = {
  me: NodeAddress;
  rpcTimeoutMs: number;
  /** How long a primary waits after going idle before sending `commit` (a next prepare carries it anyway). */
  idleCommitDelayMs: number;
  log: Log;
  peer(address: NodeAddress): RpcClient<ReplicaServiceDefinition>;
  meta: MetaClient;
  /** Test-only fault injection (fail_points.ts); all off in normal operation. */
  failPoints: FailPoints;
};

/** A node the primary sends prepares to. Secondaries must ack; learners are best effort. */
export type PrepareTarget = {
  node: NodeAddress;
  isLearner: boolean;
  /** Every decree up to here is logged on the target (as far as this primary knows). */
  ackedUpTo: number;
  /** The last_committed_decree the target was last told. */
  sentCommitted: number;
  inFlight: boolean;
  /** After a failure, no new prepare before this time. */
  retryAtMs: number;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Since when the target answers that it has no such replica (it may still be creating it). */
  missingSinceMs: number | undefined;
  /** Failed last time (so recovery and failure are logged once, not per retry). */
  failing: boolean;
};

/** Primary side of a learner: invited by add_learner, then streaming, then upgrading at the meta. */
export type TeachState = { phase: 'invited' | 'streaming' | 'upgrading'; sinceMs: number };

/** Learner side: prepares of the learn ballot that arrive while the learn stream runs wait here. */
export type LearningState = {
  primary: NodeAddress;
  ballot: number;
  buffered: PrepareRequest[];
  done: Promise<void>;
};

export class Replica {
  readonly pid: Gpid;
  readonly gpid: string;
  readonly dir: string;
  readonly storage: ReplicaStorage;
  readonly ctx: ReplicaContext;
  info: AppInfo;

  ballot: number;
  status: PartitionStatus = 'PS_INACTIVE';
  /** Decided commit point; the rows reach it once the commit batch lands (see durableCommitted). */
  lastCommittedDecree: number;
  lastPreparedDecree: number;
  /** The commit point whose rows are on disk (what .init-info may claim as durable). */
  durableCommitted: number;
  /** The last commit batch: a read waits for it when the rows lag the commit point. */
  applied: Promise<void> = Promise.resolve();
  /** Lowest decree still in the log; an incremental learn cannot start before it. */
  logStartDecree: number;
  /** Prepared, not yet committed entries: decrees lastCommittedDecree+1 .. lastPreparedDecree. */
  readonly prepared = new Map<number, LogEntry>();
  /** A full-copy learn was interrupted: the rows are not a checkpoint of any decree. */
  learnIncomplete: boolean;

  // ---- primary ----
  config: PartitionConfiguration | undefined;
  readonly targets = new Map<NodeAddress, PrepareTarget>();
  readonly teaching = new Map<NodeAddress, TeachState>();
  /** Client writes waiting for their decree to commit. */
  readonly waiters = new Map<number, (res: ClientWriteResponse) => void>();
  /** Decrees up to here are in this replica's own log on disk. */
  loggedUpTo: number;
  /** A new primary serves once its inherited prepared tail (up to here) is committed. */
  servingFrom = 0;
  /** False while a ballot raise is being written to .init-info: no commit until it is. */
  ballotDurable = true;
  /** The last config ballot ignored as stale, so the log says so once, not every sync. */
  lastIgnoredBallot = -1;
  idleCommitTimer: ReturnType<typeof setTimeout> | undefined;

  // ---- learner ----
  learning: LearningState | undefined;

  private initInfoChain: Promise<void> = Promise.resolve();
  private pendingInitInfoWrites = 0;
  closed = false;

  constructor(args: {
    pid: Gpid;
    dir: string;
    info: AppInfo;
    storage: ReplicaStorage;
    ctx: ReplicaContext;
    ballot: number;
    lastCommittedDecree: number;
    tail: LogEntry[];
    logStartDecree: number;
    learnIncomplete: boolean;
  }) {
    this.pid = args.pid;
    this.gpid = gpidToString(args.pid);
    this.dir = args.dir;
    this.info = args.info;
    this.storage = args.storage;
    this.ctx = args.ctx;
    this.ballot = args.ballot;
    this.lastCommittedDecree = args.lastCommittedDecree;
    this.durableCommitted = args.lastCommittedDecree;
    for (const e of args.tail) this.prepared.set(e.decree, e);
    this.lastPreparedDecree = args.lastCommittedDecree + args.tail.length;
    this.loggedUpTo = this.lastPreparedDecree;
    this.logStartDecree = args.logStartDecree;
    this.learnIncomplete = args.learnIncomplete;
  }

  log(text: string): void {
    this.ctx.log(`replica ${this.gpid}@${this.ctx.me}: ${text}`);
  }

  replicaInfo(): ReplicaInfo {
    // A half-done full copy holds nothing trustworthy: report it as empty so that neither the
    // guardian nor recovery prefers it.
    const lcd = this.learnIncomplete ? 0 : this.lastCommittedDecree;
    const lpd = this.learnIncomplete ? 0 : this.lastPreparedDecree;
    return {
      pid: this.pid,
      ballot: this.ballot,
      status: this.status,
      last_committed_decree: lcd,
      last_prepared_decree: lpd,
      last_durable_decree: lcd,
      app_type: this.info.app_type,
      disk_tag: 'default',
    };
  }

  setStatus(status: PartitionStatus, why: string): void {
    if (status === this.status) return;
    this.log(`status ${this.status} -> ${status} (${why})`);
    this.status = status;
  }

  /**
   * Raises the ballot (never lowers it) and persists `.init-info`; resolves once it is on disk.
   * The in-memory ballot changes at once, so a concurrent lower-ballot message is refused at once.
   */
  adoptBallot(ballot: number): Promise<void> {
    if (ballot <= this.ballot) return this.initInfoChain;
    this.log(`ballot ${this.ballot} -> ${ballot}`);
    this.ballot = ballot;
    return this.persistInitInfo();
  }

  /** Rewrites `.init-info` with the current ballot and durable decree (serialized: one tmp file). */
  persistInitInfo(): Promise<void> {
    this.pendingInitInfoWrites++;
    this.ballotDurable = false;
    const next = this.initInfoChain.then(async () => {
      await writeInitInfo(this.dir, { init_ballot: this.ballot, init_durable_decree: this.durableCommitted });
    });
    this.initInfoChain = next.then(
      () => {},
      (e: unknown) => this.log(`cannot write .init-info: ${String(e)}`),
    ).finally(() => {
      // A failed write is logged, not retried: stalling every commit forever would be worse.
      this.pendingInitInfoWrites--;
      this.ballotDurable = this.pendingInitInfoWrites === 0;
    });
    return next;
  }

  /** Entries in [from, to]: from memory when uncommitted, else from the log on disk. */
  async entries(from: number, to: number): Promise<LogEntry[]> {
    if (from > this.lastCommittedDecree) return this.memoryEntries(from, to);
    return this.storage.readLog(from, to);
  }

  memoryEntries(from: number, to: number): LogEntry[] {
    const out: LogEntry[] = [];
    for (let d = from; d <= to; d++) {
      const e = this.prepared.get(d);
      if (!e) break;
      out.push(e);
    }
    return out;
  }

  clearTimers(): void {
    if (this.idleCommitTimer) clearTimeout(this.idleCommitTimer);
    this.idleCommitTimer = undefined;
    for (const t of this.targets.values()) {
      if (t.retryTimer) clearTimeout(t.retryTimer);
      t.retryTimer = undefined;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clearTimers();
    for (const [decree, w] of this.waiters) w({ err: 'ERR_NOT_ENOUGH_MEMBER', decree, server: this.ctx.me });
    this.waiters.clear();
    await this.initInfoChain;
    await this.storage.close();
  }
}
