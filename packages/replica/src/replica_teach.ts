// The primary's side of learning (Pegasus replica_learn.cpp, `on_learn` and the primary's part of
// `add_potential_secondary`). docs/PROTOCOL.md "Learning":
// 1. The meta assigns a learner N; the primary invites it with `add_learner`.
// 2. N calls `learn`. The primary makes N a (best-effort) prepare target from its current
//    last_prepared_decree U on, then streams either its log after N's committed decree or a
//    checkpoint (rows from a LevelDB snapshot, then the decree they stand at) followed by the log,
//    up to U. Live prepares carry everything after U, so N's log has no gap.
//    A full copy is chosen when N has nothing (-1), is ahead of the primary, or needs decrees the
//    primary's log no longer has (it learned by full copy itself). Each `mutations` chunk carries
//    the primary's last_committed_decree in `decree`, so N commits as it goes.
// 3. The stream done, the primary checks that N reports the streamed decrees (query_replica_info),
//    asks the meta to upgrade N to secondary (CT_UPGRADE_TO_SECONDARY) and adopts the answer.

import type * as grpc from '@grpc/grpc-js';
import type { ErrorCode, LearnChunk, LearnRequest, NodeAddress } from '../../proto/src/index.ts';
import type { Replica, TeachState } from './replica.ts';
import { dropTarget, isServing, newTarget, toMutation } from './replica_2pc.ts';
import { applyConfig } from './replica_config.ts';

/** Rows (or mutations) per learn chunk: a partition is never held in memory whole. */
export const LEARN_CHUNK_SIZE = 1000;

type LearnCall = grpc.ServerWritableStream<LearnRequest, LearnChunk>;

/** Handles a learner assignment from config_sync (repeated every sync until the upgrade). */
export async function maybeTeach(r: Replica, learner: NodeAddress, ballot: number): Promise<void> {
  if (!isServing(r) || r.ballot !== ballot || learner === r.ctx.me || r.config?.secondaries.includes(learner)) return;
  const current = r.teaching.get(learner);
  const staleInvite = current?.phase === 'invited' && Date.now() - current.sinceMs > 2 * r.ctx.rpcTimeoutMs;
  if (current && !staleInvite) return;
  const mine: TeachState = { phase: 'invited', sinceMs: Date.now() };
  r.teaching.set(learner, mine);
  r.log(`inviting learner ${learner} at ballot ${ballot}`);
  const res = await r.ctx.peer(learner).call('add_learner', { pid: r.pid, ballot, primary: r.ctx.me, info: r.info }, r.ctx.rpcTimeoutMs);
  if (res.ok && res.res.err === 'ERR_OK') return;
  r.log(`learner ${learner} refused add_learner: ${res.ok ? `${res.res.err} ${res.res.hint}` : `${res.err} ${res.detail}`}`);
  if (r.teaching.get(learner) === mine) r.teaching.delete(learner);
}

function _refuseLearn(r: Replica | undefined, req: LearnRequest): ErrorCode | undefined {
  if (!r) return 'ERR_OBJECT_NOT_FOUND';
  if (req.ballot !== r.ballot) return 'ERR_INVALID_VERSION';
  if (!isServing(r) || r.teaching.get(req.learner)?.phase !== 'invited') return 'ERR_INVALID_STATE';
  return undefined;
}

function _chunk(err: ErrorCode, kind: LearnChunk['kind'], decree: number): LearnChunk {
  return { err, kind, rows: [], mutations: [], decree };
}

/** Writes one chunk, waiting for the stream to drain when its buffer is full (backpressure). */
function _writeChunk(call: LearnCall, chunk: LearnChunk): Promise<void> {
  if (call.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
    call.on('close', done);
  });
}

export async function serveLearn(r: Replica | undefined, req: LearnRequest, call: LearnCall): Promise<void> {
  const refusal = _refuseLearn(r, req);
  if (refusal || !r) return _writeChunk(call, _chunk(refusal ?? 'ERR_OBJECT_NOT_FOUND', 'done', -1));
  const st = r.teaching.get(req.learner)!;
  st.phase = 'streaming';
  const ballot = r.ballot;
  const until = r.lastPreparedDecree;
  dropTarget(r, req.learner);
  r.targets.set(req.learner, newTarget(req.learner, true, until));
  const alive = () =>
    !r.closed && !call.cancelled && r.status === 'PS_PRIMARY' && r.ballot === ballot && r.teaching.get(req.learner) === st && r.targets.get(req.learner)?.isLearner === true;
  const lcd = req.last_committed_decree;
  const full = lcd < 0 || lcd > r.lastCommittedDecree || lcd + 1 < r.logStartDecree;
  r.log(`teaching ${req.learner}: ${full ? 'full copy' : `log after decree ${lcd}`}, up to decree ${until}`);
  try {
    const from = full ? (await _streamCheckpoint(r, call, alive)) + 1 : lcd + 1;
    await _streamLog(r, call, from, until, alive);
    if (!alive()) throw new Error('teaching was cancelled (ballot, role or learner changed)');
    await _writeChunk(call, _chunk('ERR_OK', 'done', r.lastCommittedDecree));
  } catch (e) {
    r.log(`teaching ${req.learner} failed: ${e instanceof Error ? e.message : String(e)}`);
    if (r.teaching.get(req.learner) === st) {
      r.teaching.delete(req.learner);
      dropTarget(r, req.learner);
    }
    if (!call.cancelled) await _writeChunk(call, _chunk('ERR_LEARN_FAILED', 'done', -1));
    return;
  }
  void _upgradeLearner(r, req.learner, ballot, st, until);
}

/** Streams the committed rows from one snapshot; returns the decree they stand at. */
async function _streamCheckpoint(r: Replica, call: LearnCall, alive: () => boolean): Promise<number> {
  const cp = await r.storage.openCheckpoint();
  try {
    for (;;) {
      if (!alive()) throw new Error('teaching was cancelled during the checkpoint');
      const rows = await cp.next(LEARN_CHUNK_SIZE);
      if (rows.length === 0) break;
      await _writeChunk(call, { ..._chunk('ERR_OK', 'checkpoint_rows', cp.decree), rows });
    }
  } finally {
    await cp.close();
  }
  await _writeChunk(call, _chunk('ERR_OK', 'checkpoint_done', cp.decree));
  return cp.decree;
}

/**
 * Streams log entries [from, until]: committed ones from the log on disk, the prepared tail from
 * memory. Each chunk's `decree` is the commit point at sending time (the learner may commit the
 * chunk's entries up to it).
 */
async function _streamLog(r: Replica, call: LearnCall, from: number, until: number, alive: () => boolean): Promise<void> {
  let next = from;
  while (next <= until) {
    if (!alive()) throw new Error('teaching was cancelled during the log');
    const entries = await r.entries(next, Math.min(until, next + LEARN_CHUNK_SIZE - 1));
    if (entries.length === 0) throw new Error(`log entry ${next} is missing (log starts at ${r.logStartDecree})`);
    const chunk = _chunk('ERR_OK', 'mutations', r.lastCommittedDecree);
    await _writeChunk(call, { ...chunk, mutations: entries.map(toMutation) });
    next = entries[entries.length - 1].decree + 1;
  }
}

/**
 * A finished stream only says the learner received everything; before asking the meta to make it
 * a member, check that it applied it: it reports PS_POTENTIAL_SECONDARY with the streamed decrees
 * logged (a learner whose apply failed reports PS_INACTIVE).
 */
async function _learnerCaughtUp(r: Replica, learner: NodeAddress, until: number): Promise<string | undefined> {
  const deadline = Date.now() + r.ctx.rpcTimeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline && !r.closed) {
    const res = await r.ctx.peer(learner).call('query_replica_info', { node1: learner }, r.ctx.rpcTimeoutMs);
    const info = res.ok ? res.res.replicas.find((x) => x.pid.app_id === r.pid.app_id && x.pid.partition_index === r.pid.partition_index) : undefined;
    if (info?.status === 'PS_POTENTIAL_SECONDARY' && info.last_prepared_decree >= until) return undefined;
    last = info ? `${info.status} at decree ${info.last_prepared_decree}` : res.ok ? 'no such replica' : res.err;
    if (info && info.status !== 'PS_POTENTIAL_SECONDARY') break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return `learner reports ${last}, expected PS_POTENTIAL_SECONDARY at decree >= ${until}`;
}

async function _upgradeLearner(r: Replica, learner: NodeAddress, ballot: number, st: TeachState, until: number): Promise<void> {
  const notCaughtUp = await _learnerCaughtUp(r, learner, until);
  if (r.teaching.get(learner) !== st || r.ballot !== ballot || !r.config) return;
  if (notCaughtUp) return _dropLearner(r, learner, st, notCaughtUp);
  st.phase = 'upgrading';
  const config = { ...r.config, ballot: r.ballot };
  const req = { type: 'CT_UPGRADE_TO_SECONDARY' as const, node: learner, config };
  const res = await r.ctx.meta.call('update_partition_configuration', req, r.ctx.rpcTimeoutMs);
  if (res.ok && res.res.err === 'ERR_OK' && res.res.config) {
    r.log(`meta upgraded ${learner} to secondary at ballot ${res.res.config.ballot}`);
    await applyConfig(r, res.res.config);
    return;
  }
  _dropLearner(r, learner, st, `meta refused the upgrade: ${res.ok ? `${res.res.err} ${res.res.hint}` : `${res.err} ${res.detail}`}`);
}

function _dropLearner(r: Replica, learner: NodeAddress, st: TeachState, why: string): void {
  r.log(`not upgrading ${learner} to secondary: ${why}`);
  if (r.teaching.get(learner) === st) {
    r.teaching.delete(learner);
    dropTarget(r, learner);
  }
}
