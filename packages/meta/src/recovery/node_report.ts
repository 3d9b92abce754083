// What the collect step (collect_replica_infos.ts, I/O) hands to the construct step
// (construct_recovery.ts, pure): one report per node of the operator's list. Kept in its own file
// so the pure core does not import the I/O step.

import type { ErrorCode } from '../../../proto/src/error_code.ts';
import type { AppInfo, NodeAddress, ReplicaInfo } from '../../../proto/src/types.ts';

/**
 * One node's answers to `query_app_info` and `query_replica_info` (Pegasus:
 * `sync_apps_from_replica_nodes`, src/meta/server_state.cpp:2625-2747).
 *
 * - `err` is `ERR_OK` when both answers arrived and both said `ERR_OK`. Otherwise it is the error
 *   of the failed query; when both failed, the replica query's error (Pegasus overwrites the app
 *   query's error with it, server_state.cpp:2687-2699).
 * - `apps` / `replicas` are set for each query that succeeded, even when the other failed; the
 *   construct step nevertheless ignores a bad node entirely (see construct_recovery.ts).
 */
export type NodeReport = {
  node: NodeAddress;
  apps?: AppInfo[];
  replicas?: ReplicaInfo[];
  err: ErrorCode;
  /** Wall time from sending the first query to settling the last, for logs and progress. */
  latencyMs: number;
  /** The transport's own words about a failure (for logs; never part of a hint line). */
  detail?: string;
};
