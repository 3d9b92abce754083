// The receiving side of two-phase commit (Pegasus replica_2pc.cpp `on_prepare`, and the commit
// point carried by prepares and by `commit`). Ballot rules (docs/PROTOCOL.md):
//   request ballot <  mine                      -> ERR_INVALID_VERSION (my ballot in the answer)
//   request ballot == mine, I am the primary    -> ERR_INVALID_STATE (two primaries in one ballot)
//   request ballot >  mine                      -> adopt it (a primary steps down first)
// A prepare never makes a replica a secondary: only the meta's config assigns roles.

import type { CommitRequest, CommitResponse, Mutation, PartitionStatus, PrepareRequest, PrepareResponse } from '../../proto/src/index.ts';
import { INVALID_BALLOT } from '../../proto/src/index.ts';
import type { Replica } from './replica.ts';
import { commitOps, stepDown, storageFailed } from './replica_2pc.ts';
import { type BatchOp, type LogEntry, MARKER_LAST_PREPARED_DECREE, logEntryOp, logKey, markerOp } from './storage_format.ts';

export type PrepareVerdict = 'accept' | 'accept_step_down' | 'refuse_version' | 'refuse_state';

/** The ballot rules above, as a pure function (tested table-style). */
export function judgePrepare(local: { ballot: number; status: PartitionStatus }, requestBallot: number): PrepareVerdict {
  if (requestBallot < local.ballot) return 'refuse_version';
  if (local.status === 'PS_ERROR') return 'refuse_state';
  if (local.status === 'PS_PRIMARY') return requestBallot === local.ballot ? 'refuse_state' : 'accept_step_down';
  return 'accept';
}

export async function onPrepare(r: Replica | undefined, req: PrepareRequest): Promise<PrepareResponse> {
  if (!r) return { err: 'ERR_OBJECT_NOT_FOUND', ballot: INVALID_BALLOT, last_prepared_decree: -1 };
  if (r.learning && req.ballot === r.learning.ballot && req.ballot >= r.ballot) {
    // A learner keeps live prepares until its learn stream is applied (replica_learn.ts).
    r.learning.buffered.push(req);
    return { err: 'ERR_OK', ballot: r.ballot, last_prepared_decree: r.lastPreparedDecree };
  }
  if (r.learning && req.ballot > r.learning.ballot) await r.learning.done;
  const answer = (err: PrepareResponse['err']): PrepareResponse => ({ err, ballot: r.ballot, last_prepared_decree: r.lastPreparedDecree });
  const verdict = judgePrepare(r, req.ballot);
  if (verdict === 'refuse_version') return answer('ERR_INVALID_VERSION');
  if (verdict === 'refuse_state' || r.closed || r.learnIncomplete || r.learning) return answer('ERR_INVALID_STATE');
  if (verdict === 'accept_step_down') stepDown(r, 'PS_INACTIVE', `prepare from a primary with higher ballot ${req.ballot}`);
  const persisted = r.adoptBallot(req.ballot);
  const appended = appendEntries(r, req.ballot, req.mutations, req.last_committed_decree);
  if (appended === 'gap') return answer('ERR_INVALID_STATE');
  try {
    await Promise.all([persisted, appended]);
  } catch (e) {
    // Memory is ahead of the disk now: keep the replica out of service (PS_ERROR).
    storageFailed(r, e);
    return answer('ERR_INVALID_STATE');
  }
  return answer('ERR_OK');
}

export async function onCommit(r: Replica | undefined, req: CommitRequest): Promise<CommitResponse> {
  const res = await onPrepare(r, { pid: req.pid, ballot: req.ballot, mutations: [], last_committed_decree: req.last_committed_decree });
  return { err: res.err };
}

/**
 * Logs `mutations` (prepared at `ballot`) and commits up to `committed`, in one batch. Returns the
 * write, or 'gap' when the first new decree does not follow the log (nothing is changed then).
 * Entries after the new ones that an older primary prepared are dropped: they were never
 * committed (a commit needs every member, including the primary that now overwrites them).
 */
export function appendEntries(r: Replica, ballot: number, mutations: Mutation[], committed: number): Promise<void> | 'gap' {
  const fresh = mutations.filter((m) => m.decree > r.lastCommittedDecree);
  if (fresh.length > 0 && fresh[0].decree > r.lastPreparedDecree + 1) return 'gap';
  const ops: BatchOp[] = [];
  for (let i = 0; i < fresh.length; i++) {
    const m = fresh[i];
    if (m.decree !== fresh[0].decree + i) break; // a malformed batch: keep the contiguous part
    const e: LogEntry = { decree: m.decree, ballot, op: m.op, key: m.key, value: m.value };
    r.prepared.set(e.decree, e);
    ops.push(logEntryOp(e));
    if (e.decree > r.lastPreparedDecree) r.lastPreparedDecree = e.decree;
  }
  if (ops.length > 0) _dropStaleTail(r, ballot, fresh[0].decree + ops.length - 1, ops);
  ops.push(markerOp(MARKER_LAST_PREPARED_DECREE, r.lastPreparedDecree));
  const upTo = Math.min(committed, r.lastPreparedDecree);
  if (upTo > r.lastCommittedDecree) ops.push(...commitOps(r, upTo));
  return r.storage.write(ops).then(() => {
    if (upTo > r.durableCommitted) r.durableCommitted = upTo;
  });
}

function _dropStaleTail(r: Replica, ballot: number, last: number, ops: BatchOp[]): void {
  let d = last + 1;
  while (r.prepared.has(d) && r.prepared.get(d)!.ballot >= ballot) d++;
  if (!r.prepared.has(d)) return;
  const firstStale = d;
  for (; r.prepared.has(d); d++) {
    r.prepared.delete(d);
    ops.push({ type: 'del', key: logKey(d) });
  }
  r.lastPreparedDecree = firstStale - 1;
  r.log(`dropped stale prepared decrees ${firstStale}..${d - 1} of an older ballot`);
}
