// One node's replicas as columns, read once from its decoded `query_replica_info` answer and then
// shared by the two things recovery makes of it: the node's fingerprint (plan/fingerprint.ts) and
// its partition candidates (construct_partitions.ts, CandidateCollector). The handler makes them
// as each answer arrives and then drops the decoded list (recovery_handler.ts). Pure.

import type { ReplicaColumns } from '../../../proto/src/recovery_plan.ts';
import type { ReplicaInfo } from '../../../proto/src/types.ts';

/** The columns' order wherever they are laid end to end: ReplyColumns' numbers, a node's digest. */
export const REPLICA_COLUMN_ORDER = ['app_id', 'partition_index', 'ballot', 'last_committed_decree', 'last_prepared_decree'] as const satisfies readonly (keyof ReplicaColumns)[];

/**
 * A node's replicas in the order the node listed them: entry i of every column is replica i.
 * `ascending`: every pid is a pair of numbers and they strictly ascend (app id, then partition
 * index), which is what replica servers send; such a list repeats no pid and is already in the
 * fingerprint's order. Never mutated once made (the fingerprint and the candidates share it).
 */
export type ReplyColumns = {
  columns: ReplicaColumns;
  ascending: boolean;
  /**
   * The same five columns one after the other in REPLICA_COLUMN_ORDER, each value as a float64 (a
   * malformed value converts as Number() does). Made in the same pass, because the node's digest hashes exactly
   * these numbers (fingerprint.ts, nodeDigest): a second pass over the columns would cost about as
   * much again.
   */
  numbers: Float64Array;
};

/** Read the replicas' columns in one pass, checking the order as it goes. */
export function replyColumns(replicas: readonly ReplicaInfo[]): ReplyColumns {
  // Sized up front: filled by push, each column would grow (and copy) about ten times.
  const n = replicas.length;
  const columns: ReplicaColumns = { app_id: new Array(n), partition_index: new Array(n), ballot: new Array(n), last_committed_decree: new Array(n), last_prepared_decree: new Array(n) };
  // Written column by column in REPLICA_COLUMN_ORDER, with the offsets spelled out (a loop over
  // the names would cost a keyed lookup per value on ~10^4 replicas).
  const numbers = new Float64Array(n * REPLICA_COLUMN_ORDER.length);
  let ascending = true;
  for (let i = 0; i < n; i++) {
    const r = replicas[i];
    const appId = r.pid.app_id;
    const pidx = r.pid.partition_index;
    // A malformed value (a string, NaN) ends the fast path: the readers then sort or search.
    if (typeof appId !== 'number' || typeof pidx !== 'number') ascending = false;
    else if (i > 0 && !(appId > columns.app_id[i - 1] || (appId === columns.app_id[i - 1] && pidx > columns.partition_index[i - 1]))) ascending = false;
    columns.app_id[i] = appId;
    columns.partition_index[i] = pidx;
    columns.ballot[i] = r.ballot;
    columns.last_committed_decree[i] = r.last_committed_decree;
    columns.last_prepared_decree[i] = r.last_prepared_decree;
    numbers[i] = appId;
    numbers[n + i] = pidx;
    numbers[2 * n + i] = r.ballot;
    numbers[3 * n + i] = r.last_committed_decree;
    numbers[4 * n + i] = r.last_prepared_decree;
  }
  return { columns, ascending, numbers };
}
