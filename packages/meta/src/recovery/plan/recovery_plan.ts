// The recovery plan: what a metadata recovery would write to ZooKeeper, laid out for an operator
// to review before anything is written (shell `recover --plan`). It is JSON (no Maps, no
// undefined values), so it can be saved, diffed and applied later; `plan_id` names the cluster
// state it was built from (fingerprint.ts), and the apply step refuses a plan whose id no longer
// matches. Pure: no I/O, no clock (the caller passes `createdAtSeconds`); inputs are not mutated.

import type { ErrorCode } from '../../../../proto/src/error_code.ts';
import type { AppInfo, NodeAddress } from '../../../../proto/src/types.ts';
import { gpidToString } from '../../../../proto/src/types.ts';
import { type Candidate, compareNodes } from '../compare_replica_candidates.ts';
import { RECOVERY_OUTCOMES, type RecoveryOptions, type RecoveryResult } from '../construct_recovery.ts';
import { candidatesOf, chosenPrimary } from '../construct_partitions.ts';
import type { NodeReport } from '../node_report.ts';
import { fingerprintReports, planId } from './fingerprint.ts';
import { RISK_TIERS, type RiskTier, assessPartition } from './risk_tier.ts';
import type {
  NodeFingerprint,
  PlanCompleteness,
  PlanNotRebuilt,
  PlanOptions,
  PlanPartition,
  PlanPlaceholder,
  PlanTable,
  PlanTotals,
  RecoveryPlan,
} from '../../../../proto/src/recovery_plan.ts';

export type { PlanCompleteness, PlanNotRebuilt, PlanOptions, PlanPartition, PlanPlaceholder, PlanTable, PlanTotals, RecoveryPlan };

/**
 * Metadata that lives only in the meta's ZooKeeper tree, never on a replica server, so recovery
 * cannot bring it back: duplications, backup policies, bulk load and partition split progress.
 * After a recovery the operator restores them by hand (re-add a dup, re-create a policy, ...).
 */
export const NOT_CARRIED_BY_REPLICAS = ['duplication', 'backup policies', 'bulk load state', 'partition split state'] as const;

/**
 * Table envs are carried: each replica's `.app-info` holds them, so they come back whenever the
 * recovered app info has any. An empty set may mean the table never had envs, or that they were
 * lost; we cannot tell, so the plan asks the operator to check.
 */
export const TABLE_ENVS = 'table envs';

export type RecoveryPlanInput = {
  result: RecoveryResult;
  reports: readonly NodeReport[];
  /** Only the skip flags are kept: the clock and the meta's configuration do not belong in the id. */
  options: Pick<RecoveryOptions, 'skipBadNodes' | 'skipLostPartitions'>;
  nodeList: readonly NodeAddress[];
  heartbeatingNodes: readonly NodeAddress[];
  /**
   * Per heartbeating node, the gpids its last config sync listed (the meta hears them in recovery
   * mode too): where an under-replicated partition could find more replicas. Default: none known.
   */
  heartbeatReplicas?: ReadonlyMap<NodeAddress, readonly string[]>;
  createdAtSeconds: number;
  /**
   * fingerprintReports(reports), if the caller already has it (the handler fingerprints each node
   * as its answer arrives, with fingerprintNode + sortFingerprints); computed here otherwise.
   */
  fingerprints?: readonly NodeFingerprint[];
};

/** Lay out a recovery result for review. Tables are built only when the result is ERR_OK. */
export function buildRecoveryPlan(input: RecoveryPlanInput): RecoveryPlan {
  const { result, reports } = input;
  const options: PlanOptions = { skip_bad_nodes: input.options.skipBadNodes, skip_lost_partitions: input.options.skipLostPartitions };
  const good = reports.filter((r) => r.err === 'ERR_OK');
  const reportedNames = _reportedNames(good);
  const built = result.err === 'ERR_OK' ? result.apps : [];
  const userApps = built.filter((a) => reportedNames.has(a.app_id));
  const tables = userApps.map((a) => _planTable(a, reportedNames.get(a.app_id)!, result));
  const served = tables.filter((t) => !t.was_dropped);
  const fingerprints = input.fingerprints ? [...input.fingerprints] : fingerprintReports(reports);
  return {
    plan_id: planId(options, fingerprints),
    created_at_second: input.createdAtSeconds,
    options,
    node_list: [...input.nodeList],
    outcome: result.outcome,
    next_step: RECOVERY_OUTCOMES[result.outcome].next,
    err: result.err,
    hint_lines: [...result.hintLines],
    tables,
    placeholders: built.filter((a) => !reportedNames.has(a.app_id)).map((a) => ({ app_id: a.app_id, app_name: a.app_name })),
    totals: _totals(served),
    completeness: {
      unlisted_heartbeating_nodes: _unlisted(input.heartbeatingNodes, input.nodeList),
      unanswered_nodes: _unanswered(input.nodeList, reports),
      under_replicated: _underReplicated(served, _holdersNotUsed(input.heartbeatReplicas, good)),
    },
    not_rebuilt: userApps.map((a) => ({
      app_id: a.app_id,
      app_name: a.app_name,
      kinds: [...NOT_CARRIED_BY_REPLICAS, ...(Object.keys(a.envs).length === 0 ? [TABLE_ENVS] : [])],
    })),
    fingerprints,
  };
}

/**
 * Per app id some answered node reported, the name it reported. Ids not in here are placeholders.
 * Only answered nodes count, as in the construct step; all of them agree on the name (app_name is a
 * compared field, or the construct step would have failed), so the first in node order is taken.
 */
function _reportedNames(good: readonly NodeReport[]): Map<number, string> {
  const names = new Map<number, string>();
  for (const r of [...good].sort((a, b) => compareNodes(a.node, b.node))) {
    for (const a of r.apps ?? []) if (!names.has(a.app_id)) names.set(a.app_id, a.app_name);
  }
  return names;
}

function _planTable(app: AppInfo, reportedName: string, result: RecoveryResult): PlanTable {
  const table: PlanTable = {
    app_id: app.app_id,
    app_name: app.app_name,
    was_dropped: app.status !== 'AS_AVAILABLE',
    drop_second: app.drop_second,
    expire_second: app.expire_second,
    partition_count: app.partition_count,
    max_replica_count: app.max_replica_count,
    partitions: [],
  };
  if (reportedName !== app.app_name) table.original_name = reportedName;
  // The app's lists once (candidatesOf per partition would look the app up 10^4 times on a large cluster).
  const lists = result.candidates.get(app.app_id);
  for (let pidx = 0; pidx < app.partition_count; pidx++) {
    const pid = { app_id: app.app_id, partition_index: pidx };
    const candidates = lists?.[pidx] ?? candidatesOf(result.candidates, pid);
    table.partitions.push(_planPartition(pidx, gpidToString(pid), candidates, chosenPrimary(app, candidates), app.max_replica_count));
  }
  return table;
}

/**
 * The tier describes the replicas found, for dropped tables too (what a later recall would find);
 * the primary is the one to be written, so a dropped table's partitions have none.
 */
function _planPartition(pidx: number, gpid: string, worstFirst: readonly Candidate[], primary: Candidate | undefined, max: number): PlanPartition {
  const risk = assessPartition(worstFirst, max);
  // Best first, in a list of its own (of exactly its length), holding the result's candidate
  // objects: neither the plan nor the result is ever mutated, and one copy less of ~10^4 objects
  // keeps the plan cheap.
  const bestFirst: Candidate[] = new Array(worstFirst.length);
  for (let i = 0; i < worstFirst.length; i++) bestFirst[i] = worstFirst[worstFirst.length - 1 - i];
  const partition: PlanPartition = {
    pidx,
    gpid,
    candidates: bestFirst,
    tier: risk.tier,
    may_lose_decrees: risk.mayLoseDecrees,
    missing_replicas: risk.missingReplicas,
  };
  if (primary) partition.primary = primary.node;
  return partition;
}

function _totals(served: readonly PlanTable[]): PlanTotals {
  const tiers = Object.fromEntries(RISK_TIERS.map((t) => [t, 0])) as Record<RiskTier, number>;
  let partitions = 0;
  let mayLose = 0;
  for (const t of served) {
    for (const p of t.partitions) {
      partitions++;
      tiers[p.tier]++;
      mayLose += p.may_lose_decrees;
    }
  }
  return { partitions, tiers, may_lose_decrees: mayLose };
}

/** Per gpid, the heartbeating nodes that say they hold it but whose answer was not used, in node order. */
function _holdersNotUsed(heartbeatReplicas: RecoveryPlanInput['heartbeatReplicas'], good: readonly NodeReport[]): Map<string, NodeAddress[]> {
  const used = new Set(good.map((r) => r.node));
  const holders = new Map<string, NodeAddress[]>();
  const nodes = [...(heartbeatReplicas?.keys() ?? [])].filter((n) => !used.has(n)).sort(compareNodes);
  for (const node of nodes) {
    for (const gpid of new Set(heartbeatReplicas!.get(node))) {
      const list = holders.get(gpid);
      if (list) list.push(node);
      else holders.set(gpid, [node]);
    }
  }
  return holders;
}

function _underReplicated(served: readonly PlanTable[], holders: ReadonlyMap<string, NodeAddress[]>): PlanCompleteness['under_replicated'] {
  const out: PlanCompleteness['under_replicated'] = [];
  for (const t of served) {
    for (const p of t.partitions) {
      if (p.candidates.length === 0 || p.missing_replicas === 0) continue;
      out.push({ gpid: p.gpid, replicas: p.candidates.length, needs: p.missing_replicas, held_by_unused_nodes: [...(holders.get(p.gpid) ?? [])] });
    }
  }
  return out;
}

function _unlisted(heartbeating: readonly NodeAddress[], nodeList: readonly NodeAddress[]): NodeAddress[] {
  const listed = new Set(nodeList);
  return [...new Set(heartbeating)].filter((n) => !listed.has(n)).sort(compareNodes);
}

function _unanswered(nodeList: readonly NodeAddress[], reports: readonly NodeReport[]): { node: NodeAddress; err: ErrorCode | null }[] {
  const errByNode = new Map(reports.map((r) => [r.node, r.err]));
  return [...new Set(nodeList)]
    .filter((n) => errByNode.get(n) !== 'ERR_OK')
    .sort(compareNodes)
    .map((node) => ({ node, err: errByNode.get(node) ?? null }));
}
