// The primary's side of two-phase commit (Pegasus src/replica/replica_2pc.cpp).
//
// A client write gets decree last_prepared_decree + 1, goes into the primary's own log and, at the
// same time, to every prepare target. Each target has at most one prepare in flight; whatever was
// written meanwhile goes out as the next prepare, so concurrent writes group naturally and a target
// always sees decrees in order. A decree commits once the primary's log and every *secondary* (not
// learner) hold it; commits are applied to the rows strictly in decree order.

import type { ClientWriteRequest, ClientWriteResponse, Mutation, PartitionStatus, PrepareResponse, CallResult } from '../../proto/src/index.ts';
import { encodePegasusKey } from '../../proto/src/index.ts';
import type { PrepareTarget, Replica } from './replica.ts';
import {
  type BatchOp,
  type LogEntry,
  MARKER_LAST_COMMITTED_DECREE,
  MARKER_LAST_PREPARED_DECREE,
  applyEntryOp,
  logEntryOp,
  markerOp,
} from './storage_format.ts';

/** Most mutations in one prepare message. */
export const MAX_MUTATIONS_PER_PREPARE = 1000;
/** A target that failed gets its next prepare after this delay (the pending tail is retried). */
export const PREPARE_RETRY_DELAY_MS = 500;
/**
 * Most prepared-but-uncommitted decrees a primary holds. While a secondary does not ack (and the
 * meta has not removed it yet) clients keep retrying; past this, writes get ERR_BUSY instead of
 * growing memory (Pegasus bounds its prepare list the same way).
 */
export const MAX_UNCOMMITTED_DECREES = 10000;
/**
 * How long a partition's writes must pause before its primary sends `commit` on its own (until then
 * the next prepare carries the commit point). Clients never wait for it: only the primary serves
 * reads, and an ack already means every secondary logged the write. It bounds how long a paused
 * partition's secondaries lag the commit point (verify, a recovery plan's tiers). At 10 ms, writes
 * spread over a table's partitions paused that long between two writes to one partition, so nearly
 * every write cost two more RPCs and two more LevelDB batches: on the onebox (8 partitions),
 * fillseq ran 146-147 ops/s (one thread) and 275-292 (four) at 10 ms, 159-178 and 302-338 at
 * 100 ms, alternating runs (bench/RESULTS.md).
 */
export const IDLE_COMMIT_DELAY_MS = 100;

const EMPTY = new Uint8Array(0);

export function isServing(r: Replica): boolean {
  return r.status === 'PS_PRIMARY' && r.lastCommittedDecree >= r.servingFrom && !r.closed;
}

export function clientWrite(r: Replica, req: ClientWriteRequest): Promise<ClientWriteResponse> {
  if (!isServing(r)) return Promise.resolve({ err: 'ERR_INVALID_STATE', decree: -1, server: r.ctx.me });
  if (req.op !== 'put' && req.op !== 'remove') return Promise.resolve({ err: 'ERR_INVALID_PARAMETERS', decree: -1, server: r.ctx.me });
  if (r.lastPreparedDecree - r.lastCommittedDecree >= MAX_UNCOMMITTED_DECREES) return Promise.resolve({ err: 'ERR_BUSY', decree: -1, server: r.ctx.me });
  const decree = r.lastPreparedDecree + 1;
  const entry: LogEntry = {
    decree,
    ballot: r.ballot,
    op: req.op,
    key: encodePegasusKey(req.hash_key, req.sort_key),
    value: req.op === 'put' ? req.value : EMPTY,
  };
  r.prepared.set(decree, entry);
  r.lastPreparedDecree = decree;
  const answer = new Promise<ClientWriteResponse>((resolve) => r.waiters.set(decree, resolve));
  logLocally(r, [entry]);
  pumpAll(r);
  return answer;
}

/** Appends entries to the primary's own log; commit may advance once they are on disk. */
export function logLocally(r: Replica, entries: LogEntry[]): void {
  const last = entries[entries.length - 1].decree;
  const ops: BatchOp[] = entries.map(logEntryOp);
  ops.push(markerOp(MARKER_LAST_PREPARED_DECREE, r.lastPreparedDecree));
  r.storage.write(ops).then(
    () => {
      // The writer lands batches in call order, so everything up to `last` is now logged.
      if (last > r.loggedUpTo) r.loggedUpTo = last;
      tryCommit(r);
    },
    (e: unknown) => storageFailed(r, e),
  );
}

export function storageFailed(r: Replica, e: unknown): void {
  if (r.closed) return;
  r.log(`LevelDB write failed: ${e instanceof Error ? e.message : String(e)}`);
  stepDown(r, 'PS_ERROR', 'storage failure');
}

/**
 * Moves decrees lastCommittedDecree+1..upTo from `prepared` into row operations and advances the
 * commit point. The caller writes the returned ops as one batch (rows and marker together).
 */
export function commitOps(r: Replica, upTo: number): BatchOp[] {
  const ops: BatchOp[] = [];
  for (let d = r.lastCommittedDecree + 1; d <= upTo; d++) {
    const e = r.prepared.get(d);
    if (!e) throw new Error(`BUG: ${r.gpid} commits decree ${d} that is not prepared`);
    ops.push(applyEntryOp(e));
    r.prepared.delete(d);
  }
  ops.push(markerOp(MARKER_LAST_COMMITTED_DECREE, upTo));
  r.lastCommittedDecree = upTo;
  return ops;
}

/**
 * Commits as far as the primary's log and every secondary allow, and answers those clients at
 * once: the decrees are durable in every member's log, which is what an ack promises. Applying
 * them to the rows is one more batch; a read waits for it (see clientRead), so a client still
 * reads its own acked write.
 */
export function tryCommit(r: Replica): void {
  // Nothing is acked under a ballot that is not yet in .init-info (applyConfig retries once it is).
  if (r.status !== 'PS_PRIMARY' || r.closed || !r.ballotDurable) return;
  let upTo = r.loggedUpTo;
  for (const t of r.targets.values()) if (!t.isLearner) upTo = Math.min(upTo, t.ackedUpTo);
  if (upTo <= r.lastCommittedDecree) return;
  const from = r.lastCommittedDecree + 1;
  r.applied = r.storage.write(commitOps(r, upTo)).then(
    () => {
      if (upTo > r.durableCommitted) r.durableCommitted = upTo;
    },
    (e: unknown) => storageFailed(r, e),
  );
  for (let d = from; d <= upTo; d++) {
    const w = r.waiters.get(d);
    if (w) {
      r.waiters.delete(d);
      w({ err: 'ERR_OK', decree: d, server: r.ctx.me });
    }
  }
  scheduleIdleCommit(r);
  pumpAll(r);
}

export function pumpAll(r: Replica): void {
  for (const t of r.targets.values()) pump(r, t);
}

/** Sends the next prepare to `t` unless one is in flight or the target is backing off. */
export function pump(r: Replica, t: PrepareTarget): void {
  if (t.inFlight || r.status !== 'PS_PRIMARY' || r.closed) return;
  if (t.ackedUpTo >= r.lastPreparedDecree) return;
  const waitMs = t.retryAtMs - Date.now();
  if (waitMs > 0) {
    t.retryTimer ??= setTimeout(() => {
      t.retryTimer = undefined;
      pump(r, t);
    }, waitMs);
    return;
  }
  void _sendPrepare(r, t);
}

export function toMutation(e: LogEntry): Mutation {
  return { decree: e.decree, op: e.op, key: e.key, value: e.value };
}

async function _sendPrepare(r: Replica, t: PrepareTarget): Promise<void> {
  t.inFlight = true;
  const ballot = r.ballot;
  const committed = r.lastCommittedDecree;
  const from = t.ackedUpTo + 1;
  let entries: LogEntry[];
  try {
    entries = await r.entries(from, Math.min(r.lastPreparedDecree, from + MAX_MUTATIONS_PER_PREPARE - 1));
  } catch (e) {
    entries = [];
    r.log(`cannot read log from decree ${from} for ${t.node}: ${String(e)}`);
  }
  let res: CallResult<PrepareResponse>;
  if (entries.length === 0) {
    res = { ok: false, err: 'ERR_INVALID_STATE', detail: `decree ${from} is no longer in my log (log starts at ${r.logStartDecree})` };
  } else {
    const req = { pid: r.pid, ballot, mutations: entries.map(toMutation), last_committed_decree: committed };
    res = r.ctx.failPoints.dropOutgoingPrepares ? await _dropPrepare(r, t, entries) : await r.ctx.peer(t.node).call('prepare', req, r.ctx.rpcTimeoutMs);
  }
  t.inFlight = false;
  if (r.targets.get(t.node) !== t || r.status !== 'PS_PRIMARY' || r.closed) return;
  if (r.ballot !== ballot) return pump(r, t); // sent under an older ballot: resend at the new one
  if (res.ok && res.res.err === 'ERR_OK') {
    if (t.failing) r.log(`${t.node} acks prepares again`);
    t.failing = false;
    t.retryAtMs = 0;
    t.missingSinceMs = undefined;
    t.ackedUpTo = Math.max(t.ackedUpTo, entries[entries.length - 1].decree);
    t.sentCommitted = Math.max(t.sentCommitted, committed);
    tryCommit(r);
    return pump(r, t);
  }
  _prepareFailed(r, t, res);
}

/** Fail point replica_drop_outgoing_prepares (fail_points.ts): the prepare is lost on the way. */
async function _dropPrepare(r: Replica, t: PrepareTarget, entries: LogEntry[]): Promise<CallResult<PrepareResponse>> {
  r.log(`fail point replica_drop_outgoing_prepares: prepare of decrees ${entries[0].decree}..${entries[entries.length - 1].decree} to ${t.node} dropped`);
  await new Promise((resolve) => setTimeout(resolve, r.ctx.rpcTimeoutMs));
  return { ok: false, err: 'ERR_TIMEOUT', detail: 'fail point replica_drop_outgoing_prepares: no answer within the deadline' };
}

function _prepareFailed(r: Replica, t: PrepareTarget, res: CallResult<PrepareResponse>): void {
  const err = res.ok ? res.res.err : res.err;
  const detail = res.ok ? `ballot ${res.res.ballot}, last_prepared_decree ${res.res.last_prepared_decree}` : res.detail;
  if (res.ok && res.res.err === 'ERR_INVALID_VERSION' && res.res.ballot > r.ballot) {
    // Someone has a newer configuration: this replica is no longer the primary.
    stepDown(r, 'PS_INACTIVE', `${t.node} refused a prepare with its higher ballot ${res.res.ballot}`);
    return;
  }
  if (t.isLearner) {
    r.log(`dropping learner ${t.node}: prepare failed with ${err} (${detail})`);
    dropTarget(r, t.node);
    r.teaching.delete(t.node);
    return;
  }
  if (res.ok && err === 'ERR_OBJECT_NOT_FOUND' && _stillCreating(r, t)) {
    // A new table's secondaries create their replicas on their own next config sync, which may
    // come after this primary's: wait for them a while rather than failing the first writes.
    t.retryAtMs = Date.now() + 50;
    return pump(r, t);
  }
  if (res.ok && err === 'ERR_INVALID_STATE' && res.res.last_prepared_decree >= 0 && res.res.last_prepared_decree < t.ackedUpTo) {
    // The secondary has less than we thought (it restarted without its newest log): resend from there.
    t.ackedUpTo = res.res.last_prepared_decree;
  }
  if (!t.failing) r.log(`prepare to ${t.node} failed with ${err} (${detail}); failing unacked writes, retrying`);
  t.failing = true;
  for (const [decree, w] of r.waiters) {
    if (decree <= t.ackedUpTo) continue;
    r.waiters.delete(decree);
    w({ err: 'ERR_NOT_ENOUGH_MEMBER', decree, server: r.ctx.me });
  }
  t.retryAtMs = Date.now() + PREPARE_RETRY_DELAY_MS;
  pump(r, t);
}

function _stillCreating(r: Replica, t: PrepareTarget): boolean {
  t.missingSinceMs ??= Date.now();
  return Date.now() - t.missingSinceMs < r.ctx.rpcTimeoutMs;
}

export function dropTarget(r: Replica, node: string): void {
  const t = r.targets.get(node);
  if (!t) return;
  if (t.retryTimer) clearTimeout(t.retryTimer);
  r.targets.delete(node);
}

/** Secondaries learn the commit point from the next prepare, or from `commit` once writes pause. */
export function scheduleIdleCommit(r: Replica, delayMs = r.ctx.idleCommitDelayMs): void {
  if (r.idleCommitTimer) clearTimeout(r.idleCommitTimer);
  r.idleCommitTimer = setTimeout(() => {
    r.idleCommitTimer = undefined;
    // A secondary busy with another call (inFlight) is skipped, and nothing else would send it the
    // commit point once writes pause: it stayed one decree behind (a fresh-clone CI run, stop 14:
    // "verify: members at different decrees" for 60 s). Look again until every member has it.
    let behind = false;
    for (const t of r.targets.values()) {
      if (!t.isLearner && t.sentCommitted < r.lastCommittedDecree && (t.inFlight || t.ackedUpTo < r.lastCommittedDecree)) behind = true;
      void _maybeSendCommit(r, t);
    }
    if (behind && !r.idleCommitTimer && r.status === 'PS_PRIMARY' && !r.closed) scheduleIdleCommit(r, PREPARE_RETRY_DELAY_MS);
  }, delayMs);
}

async function _maybeSendCommit(r: Replica, t: PrepareTarget): Promise<void> {
  const committed = r.lastCommittedDecree;
  if (t.inFlight || t.sentCommitted >= committed || t.ackedUpTo < committed || r.status !== 'PS_PRIMARY' || r.closed) return;
  t.inFlight = true;
  const res = await r.ctx.peer(t.node).call('commit', { pid: r.pid, ballot: r.ballot, last_committed_decree: committed }, r.ctx.rpcTimeoutMs);
  t.inFlight = false;
  if (r.targets.get(t.node) !== t) return;
  if (res.ok && res.res.err === 'ERR_OK') t.sentCommitted = Math.max(t.sentCommitted, committed);
  // A lost commit is resent by nothing else while writes pause: the target would stay behind the
  // commit point until the next write (verify: members at different decrees; a plan: degraded).
  // Try again after a pause, unless a newer commit is already scheduled.
  else if (!r.idleCommitTimer && r.status === 'PS_PRIMARY' && !r.closed) scheduleIdleCommit(r, PREPARE_RETRY_DELAY_MS);
  pump(r, t);
}

export function newTarget(node: string, isLearner: boolean, ackedUpTo: number): PrepareTarget {
  return { node, isLearner, ackedUpTo, sentCommitted: -1, inFlight: false, retryAtMs: 0, retryTimer: undefined, missingSinceMs: undefined, failing: false };
}

/**
 * Stops acting as primary: pending writes fail with ERR_NOT_ENOUGH_MEMBER (they may still commit
 * under the next primary, so the answer is not definite); their entries stay as a prepared tail.
 */
export function stepDown(r: Replica, status: PartitionStatus, why: string): void {
  r.setStatus(status, why);
  for (const [decree, w] of r.waiters) w({ err: 'ERR_NOT_ENOUGH_MEMBER', decree, server: r.ctx.me });
  r.waiters.clear();
  r.clearTimers();
  r.targets.clear();
  r.teaching.clear();
}
