// The pure core of metadata recovery: the nodes' reports, the operator's options and the time go
// in; tables, partition configurations, hint lines and an outcome come out. No I/O, no clock, no
// logging, no mutation of the input (docs/style.md, "Pure core, thin shell").
//
// Pegasus: `server_state::sync_apps_from_replica_nodes` after its RPCs (src/meta/server_state.cpp
// :2625-2747), then `construct_apps` (construct_apps.ts) and `construct_partitions`
// (construct_partitions.ts); pegasus-spec §2.3-2.5, §2.9-2.11. Seed: "Send the recover command
// through the shell" and every case of "Common Issues and Solutions" (its hint lines are matched
// character for character). Where we differ from Pegasus (never abort, `{name}-{id}`, skipped
// nodes), the comments say so; docs/decisions.md has the list.

import type { ErrorCode } from '../../../proto/src/error_code.ts';
import type { AppInfo, NodeAddress, PartitionConfiguration } from '../../../proto/src/types.ts';
import { compareNodes } from './compare_replica_candidates.ts';
import { constructApps } from './construct_apps.ts';
import { CandidateCollector, constructPartitions, type RecoveryCandidates } from './construct_partitions.ts';
import type { NodeReport } from './node_report.ts';

export type RecoveryOptions = {
  /** Shell `--skip_bad_nodes`: go on without the nodes that did not answer (WARNING lines). */
  skipBadNodes: boolean;
  /** Shell `--skip_lost_partitions`: build partitions with no replica as empty ones. */
  skipLostPartitions: boolean;
  /** The time, in seconds since the epoch; becomes the placeholders' `expire_second`. */
  nowSeconds: number;
  /** `[meta_server] max_reserved_dropped_replicas` (≥ 0; code default 1, production 0). */
  maxReservedDroppedReplicas: number;
  /** false: leave `partitions` empty, everything else as usual (a plan; see constructPartitions). */
  configurations?: boolean;
  /**
   * The replicas of every good report (err ERR_OK), already collected node by node as the answers
   * arrived (the handler does, and then drops the decoded lists). The reports' own `replicas` are
   * not read then. Made from the reports when absent.
   */
  collected?: CandidateCollector;
};

/**
 * Every way a recovery attempt can end, one per thing the operator can act on, with the error
 * code the meta answers and the next step. Any outcome but `ok` builds nothing: the meta stays in
 * recovery mode and ZooKeeper is not touched (Pegasus `_all_apps.clear()`, pegasus-spec §2.8).
 */
export const RECOVERY_OUTCOMES = {
  ok: { err: 'ERR_OK', next: 'nothing; read the WARNING lines, if any' },
  no_nodes: { err: 'ERR_INVALID_PARAMETERS', next: 'list at least one replica server in the node list' },
  duplicate_node: { err: 'ERR_INVALID_PARAMETERS', next: 'list each replica server once' },
  bad_nodes: { err: 'ERR_TRY_AGAIN', next: 'bring the named nodes back, or retry with --skip_bad_nodes' },
  invalid_app_info: { err: 'ERR_TRY_AGAIN', next: "inspect the named node's .app-info files, then retry" },
  conflicting_app_info: { err: 'ERR_TRY_AGAIN', next: 'make the named nodes agree on the app info, then retry' },
  unknown_app_in_replica: { err: 'ERR_TRY_AGAIN', next: "inspect the named node's replica directories, then retry" },
  lost_partitions: { err: 'ERR_TRY_AGAIN', next: 'bring back the nodes that hold them, or retry with --skip_lost_partitions (they come back empty)' },
} as const satisfies Record<string, { err: ErrorCode; next: string }>;

export type RecoveryOutcome = keyof typeof RECOVERY_OUTCOMES;

export type RecoveryResult = {
  err: ErrorCode;
  outcome: RecoveryOutcome;
  /** One line per string, no trailing newline: bad nodes, renames, then partitions (app id, index). */
  hintLines: string[];
  /** Every id from 1 to the highest reported id, ascending; empty unless `err` is ERR_OK. */
  apps: AppInfo[];
  /** Per app id, its partitions in index order; empty unless `err` is ERR_OK (and `configurations` is not false). */
  partitions: Map<number, PartitionConfiguration[]>;
  /**
   * Per partition in `partitions` (by app id, then index: candidatesOf), the replicas kept for it,
   * worst first and best (the primary, if any) last. For the plan and fencing; not persisted.
   */
  candidates: RecoveryCandidates;
};

/** The hint message as Pegasus's `configuration_recovery_response.hint_message` carries it. */
export function formatHintMessage(lines: readonly string[]): string {
  return lines.join('\n');
}

/**
 * Check the operator's node list before anything else: it must name at least one node, each once.
 * Exported so a caller can refuse a bad list before sending any query; constructRecovery repeats
 * the check on the reports. Node identity is the exact `host:port` text (pegasus-spec §2.7).
 */
export function checkRecoveryNodes(nodes: readonly NodeAddress[]): RecoveryResult | undefined {
  if (nodes.length === 0) {
    return _fail('no_nodes', ['ERROR: the recovery node list is empty, list at least one replica server']);
  }
  const counts = new Map<NodeAddress, number>();
  for (const n of nodes) counts.set(n, (counts.get(n) ?? 0) + 1);
  const lines = [...counts]
    .filter(([, count]) => count > 1)
    .sort(([a], [b]) => compareNodes(a, b))
    .map(([n, count]) => `ERROR: node(${n}) is listed ${count} times in the recovery node list, list each replica server once`);
  return lines.length > 0 ? _fail('duplicate_node', lines) : undefined;
}

/**
 * Turn the nodes' reports into the tables and partitions to write. The result is a function of
 * the *set* of reports: reports are sorted by node address first, so neither the order replies
 * arrived nor the order of the node list changes anything, hint lines included.
 */
export function constructRecovery(reports: readonly NodeReport[], options: RecoveryOptions): RecoveryResult {
  if (!Number.isInteger(options.maxReservedDroppedReplicas) || options.maxReservedDroppedReplicas < 0) {
    // Our own configuration, validated when it is read: a bad value here is a bug, not input.
    throw new RangeError(`maxReservedDroppedReplicas must be a non-negative integer, got ${options.maxReservedDroppedReplicas}`);
  }
  const listError = checkRecoveryNodes(reports.map((r) => r.node));
  if (listError) return listError;
  const sorted = [...reports].sort((a, b) => compareNodes(a.node, b.node));

  // Phase A's verdict (server_state.cpp:2687-2715): a node is bad when a query failed.
  const bad = sorted.filter((r) => r.err !== 'ERR_OK');
  const badLines = bad.map((r) => _badNodeLine(r, options.skipBadNodes));
  if (bad.length > 0 && !options.skipBadNodes) return _fail('bad_nodes', badLines);
  // A skipped node contributes nothing, not even the answer that did arrive. Pegasus uses that
  // half answer (pegasus-spec §2.3, "Quirk"): app infos without the replicas, or replicas without
  // the app infos, which for us would be an unknown-app error. A node is either in or out.
  const good = sorted.filter((r) => r.err === 'ERR_OK');
  if (good.length === 0) {
    // Pegasus would build an empty cluster and write it. That loses every table's metadata for
    // nothing, so we refuse (only reachable with skip_bad_nodes).
    return _fail('bad_nodes', [
      ...badLines,
      'ERROR: no node of the recovery node list answered, nothing to recover from; bring the nodes back or fix the node list, then retry',
    ]);
  }

  const apps = constructApps(
    good.map((r) => ({ node: r.node, apps: r.apps ?? [] })),
    options.nowSeconds,
  );
  if (!apps.ok) return _fail(apps.outcome, [...badLines, ...apps.hintLines]);
  const built = constructPartitions(apps.apps, apps.reportedAppIds, _collectedFrom(good, options.collected), options);
  if (!built.ok) return _fail(built.outcome, [...badLines, ...apps.hintLines, ...built.hintLines]);
  const hintLines = [...badLines, ...apps.hintLines, ...built.hintLines];
  // Pegasus: `failed_count > 0 && !skip_lost_partitions` -> ERR_TRY_AGAIN (server_state.cpp:2606-2622).
  if (built.lostPartitionCount > 0 && !options.skipLostPartitions) return _fail('lost_partitions', hintLines);
  return { err: 'ERR_OK', outcome: 'ok', hintLines, apps: apps.apps, partitions: built.partitions, candidates: built.candidates };
}

/** The candidates of the good reports: the caller's collector (checked to hold exactly those nodes), or new. */
function _collectedFrom(good: readonly NodeReport[], collected: CandidateCollector | undefined): CandidateCollector {
  if (!collected) return CandidateCollector.of(good.map((r) => ({ node: r.node, replicas: r.replicas ?? [] })));
  const fed = [...collected.nodes()].sort(compareNodes);
  // `good` is sorted by node already. A mismatch is the caller's bug, not the cluster's input.
  if (fed.length !== good.length || fed.some((n, i) => n !== good[i].node)) {
    throw new Error(`the collected candidates come from nodes [${fed.join(',')}], not the good reports [${good.map((r) => r.node).join(',')}]`);
  }
  return collected;
}

/** pegasus-spec §2.9, the two bad-node texts (Pegasus writes them without `\n`; we keep lines apart). */
function _badNodeLine(r: NodeReport, skipBadNodes: boolean): string {
  const head = `collect app and replica info from node(${r.node}) failed with err(${r.err})`;
  return skipBadNodes ? `WARNING: ${head}, skip the bad node` : `ERROR: ${head}, you can skip it by set skip_bad_nodes option`;
}

function _fail(outcome: Exclude<RecoveryOutcome, 'ok'>, hintLines: string[]): RecoveryResult {
  return { err: RECOVERY_OUTCOMES[outcome].err, outcome, hintLines, apps: [], partitions: new Map(), candidates: new Map() };
}
