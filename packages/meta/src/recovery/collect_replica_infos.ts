// The collect step of metadata recovery (the I/O half; construct_recovery.ts is the pure half):
// ask every node of the operator's list both questions at once, wait at most the deadline, and
// keep one report per node, in list order.
//
// Pegasus: the RPC part of `server_state::sync_apps_from_replica_nodes` (src/meta/server_state.cpp
// :2625-2699), pegasus-spec §2.3. Seed: "Design and Implementation", last point (the meta talks
// only to the listed nodes; a failed node fails the recovery unless skipped).
// The transport is injected (`NodeQuery`), so tests use fakes and this file imports no gRPC.

import type { ErrorCode } from '../../../proto/src/error_code.ts';
import type { QueryAppInfoResponse, QueryReplicaInfoResponse } from '../../../proto/src/messages.ts';
import type { CallResult } from '../../../proto/src/rpc.ts';
import type { NodeAddress } from '../../../proto/src/types.ts';
import type { NodeReport } from './node_report.ts';

/**
 * The two questions, as RPCs to one node. `deadlineMs` is the time the call may take, in ms from
 * now (hand it to `RpcClient.call` as its timeout). An implementation should resolve, not throw;
 * if it throws anyway, the node is reported with ERR_UNKNOWN.
 */
export type NodeQuery = {
  queryAppInfo(node: NodeAddress, deadlineMs: number): Promise<CallResult<QueryAppInfoResponse>>;
  queryReplicaInfo(node: NodeAddress, deadlineMs: number): Promise<CallResult<QueryReplicaInfoResponse>>;
};

/**
 * Ask every node `query_app_info` and `query_replica_info`, all 2×N calls in parallel, no retry
 * (as Pegasus). Resolves one report per node, in the order of `nodes`, no later than `deadlineMs`
 * after the call (plus timer slack): a query not settled by then counts as ERR_TIMEOUT, whatever
 * the injected transport does. Never rejects, unless `onNodeDone` throws.
 *
 * @param deadlineMs the time budget in ms from now, shared by every query; Pegasus uses the RPC
 *   timeout, `[task..default] rpc_timeout_milliseconds` (5000).
 * @param onNodeDone called once per node as soon as both of its answers are in (progress logs).
 *
 * A node's `err` (see NodeReport): the transport error of a failed query, or the error a node put
 * in its answer (Pegasus's replica always answers ERR_OK; Pegasus would silently skip such an
 * answer, we make the node bad so the operator hears about it); the replica query's error when both
 * failed. A node listed twice is asked twice; constructRecovery then refuses the list.
 */
export async function collectReplicaInfos(
  nodes: readonly NodeAddress[],
  query: NodeQuery,
  deadlineMs: number,
  onNodeDone?: (report: NodeReport) => void,
): Promise<NodeReport[]> {
  // One end time for all: a slow first answer must not give a later query more time.
  const endAt = performance.now() + deadlineMs;
  const deadline = { endAt, deadlineMs };
  return await Promise.all(nodes.map((node) => _askNode(node, query, deadline, onNodeDone)));
}

async function _askNode(
  node: NodeAddress,
  query: NodeQuery,
  deadline: _Deadline,
  onNodeDone: ((report: NodeReport) => void) | undefined,
): Promise<NodeReport> {
  const started = performance.now();
  const [apps, replicas] = await Promise.all([
    _withDeadline((budgetMs) => query.queryAppInfo(node, budgetMs), deadline),
    _withDeadline((budgetMs) => query.queryReplicaInfo(node, budgetMs), deadline),
  ]);
  const appAnswer = _checkAnswer('query_app_info', apps, (res) => res.apps);
  const replicaAnswer = _checkAnswer('query_replica_info', replicas, (res) => res.replicas);
  // Pegasus overwrites the app query's error with the replica query's (server_state.cpp:2687-2699).
  const err = replicaAnswer.err !== 'ERR_OK' ? replicaAnswer.err : appAnswer.err;
  const details = [appAnswer.detail, replicaAnswer.detail].filter((d) => d !== undefined);
  const report: NodeReport = { node, err, latencyMs: Math.round(performance.now() - started) };
  if (appAnswer.list) report.apps = appAnswer.list;
  if (replicaAnswer.list) report.replicas = replicaAnswer.list;
  if (details.length > 0) report.detail = details.join('; ');
  onNodeDone?.(report);
  return report;
}

/** The shared end time (performance.now() clock) and the budget it came from, for messages. */
type _Deadline = { endAt: number; deadlineMs: number };

/** Race one query against the shared end time; a throwing transport becomes ERR_UNKNOWN. */
async function _withDeadline<Res>(send: (budgetMs: number) => Promise<CallResult<Res>>, deadline: _Deadline): Promise<CallResult<Res>> {
  const budgetMs = Math.max(0, deadline.endAt - performance.now());
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<CallResult<Res>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, err: 'ERR_TIMEOUT', detail: `no answer within the ${deadline.deadlineMs} ms deadline` }), budgetMs);
  });
  const call = Promise.resolve()
    .then(() => send(budgetMs))
    .catch((e: unknown): CallResult<Res> => ({ ok: false, err: 'ERR_UNKNOWN', detail: `the transport threw: ${e instanceof Error ? e.message : String(e)}` }));
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Turn one call's result into (err, list, detail); an answer without its list is ERR_INVALID_DATA. */
function _checkAnswer<Res extends { err: ErrorCode }, Item>(
  what: string,
  result: CallResult<Res>,
  listOf: (res: Res) => Item[],
): { err: ErrorCode; list?: Item[]; detail?: string } {
  if (!result.ok) return { err: result.err, detail: `${what}: ${result.detail}` };
  if (result.res.err !== 'ERR_OK') return { err: result.res.err, detail: `${what}: the node answered ${result.res.err}` };
  const list = listOf(result.res);
  if (!Array.isArray(list)) return { err: 'ERR_INVALID_DATA', detail: `${what}: the answer has no list` };
  return { err: 'ERR_OK', list };
}
