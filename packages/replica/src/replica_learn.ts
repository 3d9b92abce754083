// The learner's side of learning (Pegasus replica_learn.cpp, `init_learn` / `on_learn_reply`).
// On `add_learner` the node opens or creates the replica as PS_POTENTIAL_SECONDARY and streams
// `learn` from the primary (protocol in replica_teach.ts). Live prepares that arrive meanwhile are
// acked and kept in memory (a learner is best effort and not counted for commits); once the stream
// is applied they are applied in arrival order, and the replica is then an up-to-date learner that
// the primary's upgrade (and the meta's next config) turns into a secondary.
//
// A full copy first wipes rows and log, under a `learning` marker: if the server dies mid-copy,
// the replica reloads as holding nothing (decrees 0) and asks for a full copy again.

import type { AddLearnerRequest, AddLearnerResponse, LearnChunk, NodeAddress } from '../../proto/src/index.ts';
import type { Replica } from './replica.ts';
import { stepDown } from './replica_2pc.ts';
import { appendEntries } from './replica_prepare.ts';
import {
  DATA_PREFIX,
  LOG_PREFIX,
  MARKER_LAST_COMMITTED_DECREE,
  MARKER_LAST_PREPARED_DECREE,
  MARKER_LEARNING,
  dataKey,
  encodeDecree,
  markerKey,
  markerOp,
} from './storage_format.ts';

/** Deadline of one learn stream; a big partition may take long, a dead primary ends it sooner. */
export const LEARN_DEADLINE_MS = 30 * 60 * 1000;

type _LearnProgress = { ballot: number; fullCopy: boolean; streamEnd: number; done: boolean; rows: number; mutations: number };

function _refuseAddLearner(r: Replica, req: AddLearnerRequest): AddLearnerResponse | undefined {
  if (r.closed) return { err: 'ERR_INVALID_STATE', hint: 'the replica is closing' };
  if (r.ballot > req.ballot) return { err: 'ERR_INVALID_VERSION', hint: `my ballot ${r.ballot} > ${req.ballot}` };
  if (r.learning) {
    const same = r.learning.primary === req.primary && r.learning.ballot === req.ballot;
    return same ? { err: 'ERR_OK', hint: 'already learning' } : { err: 'ERR_BUSY', hint: `learning from ${r.learning.primary}` };
  }
  if ((r.status === 'PS_PRIMARY' || r.status === 'PS_SECONDARY') && r.ballot === req.ballot) {
    return { err: 'ERR_INVALID_STATE', hint: `already ${r.status} at ballot ${r.ballot}` };
  }
  return undefined;
}

/** `add_learner`: `create` makes the replica when this node has none. */
export async function onAddLearner(r: Replica | undefined, req: AddLearnerRequest, create: () => Promise<Replica>): Promise<AddLearnerResponse> {
  const early = r && _refuseAddLearner(r, req);
  if (early) return early;
  let replica: Replica;
  try {
    replica = r ?? (await create());
  } catch (e) {
    return { err: 'ERR_INVALID_STATE', hint: `cannot create the replica: ${e instanceof Error ? e.message : String(e)}` };
  }
  const again = _refuseAddLearner(replica, req); // the create awaited: re-check
  if (again) return again;
  if (replica.status === 'PS_PRIMARY') stepDown(replica, 'PS_INACTIVE', `asked to learn at higher ballot ${req.ballot}`);
  _startLearning(replica, req.primary, req.ballot);
  return { err: 'ERR_OK', hint: '' };
}

function _startLearning(r: Replica, primary: NodeAddress, ballot: number): void {
  let finish!: () => void;
  r.learning = { primary, ballot, buffered: [], done: new Promise<void>((resolve) => (finish = resolve)) };
  r.setStatus('PS_POTENTIAL_SECONDARY', `learning from ${primary}`);
  void (async () => {
    try {
      await r.adoptBallot(ballot);
      await _learn(r, primary, ballot);
      await _applyBuffered(r);
    } catch (e) {
      r.log(`learn from ${primary} failed: ${e instanceof Error ? e.message : String(e)}`);
      if (!r.closed) r.setStatus('PS_INACTIVE', 'learn failed');
    } finally {
      r.learning = undefined;
      finish();
    }
  })();
}

async function _learn(r: Replica, primary: NodeAddress, ballot: number): Promise<void> {
  const lcd = r.learnIncomplete || r.lastCommittedDecree <= 0 ? -1 : r.lastCommittedDecree;
  r.log(`learning from ${primary} at ballot ${ballot}: ${lcd < 0 ? 'asking for a full copy' : `incremental, have decree ${lcd}`}`);
  const req = { pid: r.pid, ballot, learner: r.ctx.me, last_committed_decree: lcd };
  const stream = r.ctx.peer(primary).stream('learn', req, LEARN_DEADLINE_MS);
  const p: _LearnProgress = { ballot, fullCopy: false, streamEnd: r.lastCommittedDecree, done: false, rows: 0, mutations: 0 };
  for await (const chunk of stream as AsyncIterable<LearnChunk>) {
    if (r.closed) throw new Error('the replica is closing');
    await _applyChunk(r, p, chunk);
  }
  if (!p.done) throw new Error('the learn stream ended without its done chunk');
  r.log(`learned from ${primary}: ${p.fullCopy ? `full copy of ${p.rows} rows, ` : ''}${p.mutations} mutations; now at decree ${r.lastCommittedDecree}/${r.lastPreparedDecree}`);
}

async function _applyChunk(r: Replica, p: _LearnProgress, chunk: LearnChunk): Promise<void> {
  if (chunk.err !== 'ERR_OK') throw new Error(`the primary answered ${chunk.err}`);
  if (p.done) throw new Error(`chunk ${chunk.kind} after done`);
  switch (chunk.kind) {
    case 'checkpoint_rows':
      if (!p.fullCopy) await _beginFullCopy(r, p);
      await r.storage.write(chunk.rows.map((row) => ({ type: 'put' as const, key: dataKey(row.key), value: row.value })));
      p.rows += chunk.rows.length;
      return;
    case 'checkpoint_done':
      if (!p.fullCopy) await _beginFullCopy(r, p);
      await r.storage.write([markerOp(MARKER_LAST_COMMITTED_DECREE, chunk.decree), markerOp(MARKER_LAST_PREPARED_DECREE, chunk.decree)]);
      r.lastCommittedDecree = r.lastPreparedDecree = r.durableCommitted = r.loggedUpTo = chunk.decree;
      r.logStartDecree = chunk.decree + 1;
      p.streamEnd = chunk.decree;
      return;
    case 'mutations': {
      if (chunk.mutations.length === 0) return;
      const last = chunk.mutations[chunk.mutations.length - 1].decree;
      // Commit no further than this chunk: later decrees in this replica's log may be stale.
      const written = appendEntries(r, p.ballot, chunk.mutations, Math.min(chunk.decree, last));
      if (written === 'gap') throw new Error(`log gap: got decree ${chunk.mutations[0].decree}, have up to ${r.lastPreparedDecree}`);
      await written;
      p.streamEnd = last;
      p.mutations += chunk.mutations.length;
      return;
    }
    case 'done':
      await _finishLearn(r, p, chunk.decree);
      p.done = true;
      return;
  }
}

async function _beginFullCopy(r: Replica, p: _LearnProgress): Promise<void> {
  if (r.ballot > p.ballot) throw new Error(`my ballot ${r.ballot} is higher than the learn ballot ${p.ballot}: not wiping my rows`);
  p.fullCopy = true;
  r.learnIncomplete = true;
  await r.storage.write([{ type: 'put', key: markerKey(MARKER_LEARNING), value: encodeDecree(p.ballot) }]);
  await r.storage.clearPrefix(DATA_PREFIX);
  await r.storage.clearPrefix(LOG_PREFIX);
  r.prepared.clear();
  r.lastCommittedDecree = r.lastPreparedDecree = r.durableCommitted = r.loggedUpTo = 0;
  r.log('full copy: wiped rows and log');
}

/** Drops log entries after the stream's end (live prepares carry those), commits, marks done. */
async function _finishLearn(r: Replica, p: _LearnProgress, committed: number): Promise<void> {
  if (r.lastPreparedDecree > p.streamEnd) {
    for (let d = p.streamEnd + 1; r.prepared.delete(d); d++);
    r.lastPreparedDecree = p.streamEnd;
    await r.storage.clearLogAfter(p.streamEnd);
  }
  const written = appendEntries(r, p.ballot, [], Math.min(committed, p.streamEnd));
  if (written !== 'gap') await written;
  r.loggedUpTo = r.lastPreparedDecree;
  // .init-info must not claim a durable decree above the new rows before the marker goes.
  await r.persistInitInfo();
  if (p.fullCopy) await r.storage.write([{ type: 'del', key: markerKey(MARKER_LEARNING) }]);
  r.learnIncomplete = false;
}

/** Applies prepares buffered during the stream, then ends the learning state. */
async function _applyBuffered(r: Replica): Promise<void> {
  const learning = r.learning!;
  while (learning.buffered.length > 0) {
    const writes: Promise<void>[] = [];
    for (const req of learning.buffered.splice(0)) {
      const written = appendEntries(r, req.ballot, req.mutations, req.last_committed_decree);
      if (written === 'gap') throw new Error(`buffered prepare of decree ${req.mutations[0]?.decree} does not follow decree ${r.lastPreparedDecree}`);
      writes.push(written);
    }
    await Promise.all(writes);
  }
  // Same tick as the emptiness check above: no prepare can be buffered and then forgotten.
  r.learning = undefined;
}
