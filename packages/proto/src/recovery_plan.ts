// The recovery plan as it travels: the reviewable result of a metadata recovery (`recover --plan`),
// which the meta builds (packages/meta/src/recovery/plan/), the shell prints and saves as JSON, and
// `recover --apply` sends back. Plain JSON types only: no Maps, no undefined values, so a saved plan
// reads back the same. The rules that fill them are in the meta's plan files.

import type { ErrorCode } from './error_code.ts';
import type { AppStatus, NodeAddress } from './types.ts';

/** One replica of a partition as recovery sees it: who holds it and how far it got. */
export type PlanCandidate = {
  node: NodeAddress;
  ballot: number;
  last_committed_decree: number;
  last_prepared_decree: number;
};

/**
 * One app info as a node reported it. Beyond name, status, partition count and drop times it holds
 * every other field that ends up in ZooKeeper (type, replica count, create time, envs): a change in
 * any of them changes what would be written, so it must change the plan id.
 */
export type AppFingerprint = {
  app_id: number;
  app_name: string;
  status: AppStatus;
  partition_count: number;
  drop_second: number;
  expire_second: number;
  app_type: string;
  is_stateful: boolean;
  max_replica_count: number;
  create_second: number;
  envs: Record<string, string>;
};

/**
 * One replica as a node reported it: the numbers that choose the primary. Not its status: a status
 * does not change what recovery builds, and it changes by itself (a restarted replica server comes
 * back PS_INACTIVE), which must not void a reviewed plan. The row form of one entry of
 * ReplicaColumns, as plan changes (plan_diff.ts) name it.
 */
export type ReplicaFingerprint = {
  /** "app_id.partition_index". */
  gpid: string;
  ballot: number;
  last_committed_decree: number;
  last_prepared_decree: number;
};

/**
 * A node's replicas column by column: entry i of every column is replica i. Columns, not one object
 * per replica, because a plan carries every replica of the cluster (9600 on the benchmark cluster):
 * five arrays per node cost the meta a fraction of 10^4 small objects to build and to collect, and
 * their part of a saved plan is a fifth the size (170 KB of JSON there, against 810 KB as rows).
 * Ascending app id, then partition index (numerically).
 */
export type ReplicaColumns = {
  app_id: number[];
  partition_index: number[];
  ballot: number[];
  last_committed_decree: number[];
  last_prepared_decree: number[];
};

/**
 * One node's answer. A node that did not answer (`answered: false`) carries its error and no apps
 * or replicas, even when one of its two queries succeeded: the construct step ignores a bad node
 * entirely (construct_recovery.ts), so its half answer cannot change the plan and must not change
 * the id. Latency and transport detail are not cluster state and are left out.
 */
export type NodeFingerprint = {
  node: NodeAddress;
  answered: boolean;
  /** Set only when `answered` is false. */
  err?: ErrorCode;
  /** Ascending app id. */
  apps: AppFingerprint[];
  replicas: ReplicaColumns;
};

export type RiskTier = 'intact' | 'degraded' | 'at-risk' | 'lost';

/** Every tier, best first: the order totals and reports list them in. */
export const RISK_TIERS: readonly RiskTier[] = ['intact', 'degraded', 'at-risk', 'lost'];

export type PlanOptions = { skip_bad_nodes: boolean; skip_lost_partitions: boolean };

export type PlanPartition = {
  pidx: number;
  /** "app_id.pidx". */
  gpid: string;
  /** The primary to be written; absent for a lost partition and for every partition of a dropped table. */
  primary?: NodeAddress;
  /** The replicas found, best first (the primary, if any, first). */
  candidates: PlanCandidate[];
  tier: RiskTier;
  may_lose_decrees: number;
  missing_replicas: number;
};

export type PlanTable = {
  app_id: number;
  /** The name to be written (after a rename). */
  app_name: string;
  /** The name the replicas reported, when recovery renamed the table to `{name}-{id}`. */
  original_name?: string;
  /** Recovered as AS_DROPPED: its partitions are not built (no primary) and it is not served. */
  was_dropped: boolean;
  drop_second: number;
  expire_second: number;
  partition_count: number;
  max_replica_count: number;
  partitions: PlanPartition[];
};

/** An id no node reported, filled so ids are never reused (construct_apps.ts): no data, no table. */
export type PlanPlaceholder = { app_id: number; app_name: string };

export type PlanTotals = {
  /** Partitions of tables that will be served (not dropped), and how many fall in each tier. */
  partitions: number;
  tiers: Record<RiskTier, number>;
  may_lose_decrees: number;
};

export type PlanCompleteness = {
  /** Nodes that sent config syncs to the meta while it was in recovery mode but are not in the node list. */
  unlisted_heartbeating_nodes: NodeAddress[];
  /** Listed nodes that did not answer, with their error (null: no report at all). */
  unanswered_nodes: { node: NodeAddress; err: ErrorCode | null }[];
  /**
   * Partitions of served tables with some but fewer than max_replica_count replicas, and the
   * replica servers that would supply more: nodes whose heartbeats (config syncs) say they hold a
   * replica of it, but whose answer the recovery did not use (not listed, or listed and failed).
   */
  under_replicated: { gpid: string; replicas: number; needs: number; held_by_unused_nodes: NodeAddress[] }[];
};

export type PlanNotRebuilt = { app_id: number; app_name: string; kinds: string[] };

export type RecoveryPlan = {
  plan_id: string;
  created_at_second: number;
  options: PlanOptions;
  /** The operator's node list, as given. */
  node_list: NodeAddress[];
  /** How the construct step ended (construct_recovery.ts RECOVERY_OUTCOMES), and the operator's next step. */
  outcome: string;
  next_step: string;
  err: ErrorCode;
  hint_lines: string[];
  /** User tables, ascending id; empty unless err is ERR_OK. */
  tables: PlanTable[];
  placeholders: PlanPlaceholder[];
  totals: PlanTotals;
  completeness: PlanCompleteness;
  /** Per user table, what the operator must restore by hand. */
  not_rebuilt: PlanNotRebuilt[];
  /** Every node's answer the plan was built from: `recover --apply` compares the cluster with it. */
  fingerprints: NodeFingerprint[];
};

/**
 * What a successful recovery records under the new cluster_root (`<cluster_root>/recovery_audit`),
 * written before the unlock marker so it exists exactly when the recovered tables do. cluster_info
 * shows it in one line; a meta restarted with recover_from_replica_server still on finds it and
 * serves (with a warning) instead of refusing.
 */
export type RecoveryAudit = {
  plan_id: string;
  mode: 'recover' | 'apply';
  options: PlanOptions;
  node_list: NodeAddress[];
  meta_server: NodeAddress;
  started_at_ms: number;
  finished_at_ms: number;
  err: ErrorCode;
  tables: number;
  partitions: number;
  /** Skips used, warnings: the hint lines of the answer. */
  hint_lines: string[];
  /** The nodes whose answers were used; replicas on any other node are quarantined when it joins. */
  answered_nodes: NodeAddress[];
  /** The user tables written (shell `verify` checks the cluster still has them, as written). */
  table_list: { app_id: number; app_name: string; partition_count: number }[];
};

/**
 * A replica on a node the recovery did not hear from, of a partition now served by others: kept,
 * never assigned (packages/meta/src/server/quarantine.ts).
 */
export type QuarantinedReplica = {
  node: NodeAddress;
  gpid: string;
  ballot: number;
  last_committed_decree: number;
  last_prepared_decree: number;
  /** The partition's ballot in the metadata now. */
  served_at_ballot: number;
};

/** The recovery that built cluster_root, in one line: when, which plan, from what, with which skips. */
export function describeRecovery(a: RecoveryAudit): string {
  const skips = [a.options.skip_bad_nodes ? 'skip_bad_nodes' : '', a.options.skip_lost_partitions ? 'skip_lost_partitions' : ''].filter((x) => x !== '');
  return `${new Date(a.finished_at_ms).toISOString()} ${a.mode} plan ${a.plan_id} from ${a.node_list.length} nodes: ${a.tables} tables, ${a.partitions} partitions${skips.length > 0 ? `, ${skips.join(', ')}` : ''}`;
}
