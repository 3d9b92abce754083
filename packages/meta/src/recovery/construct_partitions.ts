// Phase C of metadata recovery: turn the replicas the nodes reported into partition
// configurations. Pure: no I/O, no clock, no logging; inputs are not mutated.
//
// Pegasus: `server_state::construct_partitions` (src/meta/server_state.cpp:2536-2623), with
// `collect_replica` / `collect_drop_replica` (src/meta/meta_data.cpp:157-178, 355-387) and
// `construct_replica` (meta_data.cpp:99-155); pegasus-spec §2.5 and the worked example §2.10.
// Seed: "Recovery finds a partition with an incomplete replica count" and "... with no available
// replica" (the hint lines below are the seed's, character for character).

import type { AppInfo, Gpid, NodeAddress, PartitionConfiguration, ReplicaInfo } from '../../../proto/src/types.ts';
import { emptyPartitionConfiguration, gpidToString } from '../../../proto/src/types.ts';
import { type Candidate, compareNodes, compareReplicaCandidates } from './compare_replica_candidates.ts';
import { type ReplyColumns, replyColumns } from './replica_columns.ts';

/** The replica part of one good node's report. */
export type ReplicasReport = { node: NodeAddress; replicas: readonly ReplicaInfo[] };

export type ConstructPartitionsOptions = {
  /**
   * false: decide everything (candidates, primaries, lines, lost partitions) but make no
   * PartitionConfiguration, so `partitions` is empty. A plan writes nothing and shows the primary
   * through chosenPrimary, so it skips them: ~10^4 objects on a large cluster. Default true.
   */
  configurations?: boolean;
  /** Build a partition with no replica as an empty one (WARNING) instead of failing (ERROR). */
  skipLostPartitions: boolean;
  /**
   * Pegasus `[meta_server] max_reserved_dropped_replicas`: how many replicas beyond
   * `max_replica_count` each partition remembers. Code default 1, production template 0.
   */
  maxReservedDroppedReplicas: number;
};

export type ConstructPartitionsResult =
  | {
      ok: true;
      /** Per app id (every app, ascending), its partitions in index order. */
      partitions: Map<number, PartitionConfiguration[]>;
      /**
       * Per app id (every app in `partitions`), per partition index, the replicas kept for that
       * partition, sorted by `compareReplicaCandidates`: worst first, best (the primary, if built)
       * last; capped at `max_replica_count + maxReservedDroppedReplicas` like Pegasus's
       * `cc.dropped` plus primary. Read one with candidatesOf.
       */
      candidates: RecoveryCandidates;
      /** Partition warnings and lost-partition lines, in app id then partition index order. */
      hintLines: string[];
      /** Partitions of available apps with no replica (ERROR lines unless skipped). */
      lostPartitionCount: number;
    }
  | { ok: false; outcome: 'unknown_app_in_replica'; hintLines: string[] };

/**
 * The replicas kept per partition: by app id, then partition index (no gpid text per partition: a
 * large cluster has ~10^4 of them, bench/recovery_bench.ts). Never mutated once built.
 */
export type RecoveryCandidates = ReadonlyMap<number, readonly (readonly Candidate[])[]>;

const _NO_CANDIDATES: readonly Candidate[] = Object.freeze([]);

/** The candidates of one partition, worst first; none for a partition that was not built. */
export function candidatesOf(candidates: RecoveryCandidates, pid: Gpid): readonly Candidate[] {
  return candidates.get(pid.app_id)?.[pid.partition_index] ?? _NO_CANDIDATES;
}

/**
 * Build every app's partitions from the collected replicas. `apps` is constructApps's list (final
 * statuses); `reportedAppIds` are the ids some node reported as an app (not placeholders);
 * `replicas` are the good nodes' reports, or a CandidateCollector they were added to (the handler
 * adds each node as its answer arrives). Both give the same result.
 */
export function constructPartitions(
  apps: readonly AppInfo[],
  reportedAppIds: ReadonlySet<number>,
  replicas: readonly ReplicasReport[] | CandidateCollector,
  options: ConstructPartitionsOptions,
): ConstructPartitionsResult {
  const collector = replicas instanceof CandidateCollector ? replicas : CandidateCollector.of(replicas);
  const collected = _settleCandidates(apps, reportedAppIds, collector, options.maxReservedDroppedReplicas);
  if (collected.unknownAppLines.length > 0) {
    return { ok: false, outcome: 'unknown_app_in_replica', hintLines: collected.unknownAppLines };
  }
  const build = options.configurations !== false;
  const partitions = new Map<number, PartitionConfiguration[]>();
  const candidates = new Map<number, readonly (readonly Candidate[])[]>();
  const hintLines: string[] = [];
  let lostPartitionCount = 0;
  for (const app of apps) {
    const pcs: PartitionConfiguration[] = [];
    const slots = collected.slotsById.get(app.app_id)?.slots ?? [];
    const kept: (readonly Candidate[])[] = new Array(app.partition_count);
    for (let pidx = 0; pidx < app.partition_count; pidx++) {
      const list = (kept[pidx] = slots[pidx] ?? _NO_CANDIDATES);
      // Pegasus: "ignore constructing partitions for dropping app": the partitions stay empty
      // and no line is written, not even for lost partitions. The replicas are still kept.
      if (app.status === 'AS_AVAILABLE') {
        const line = _partitionLine(app, pidx, list, options.skipLostPartitions);
        if (line) hintLines.push(line);
        if (list.length === 0) lostPartitionCount++;
      }
      if (build) pcs.push(_configuration(app, pidx, list));
    }
    if (build) partitions.set(app.app_id, pcs);
    candidates.set(app.app_id, kept);
    hintLines.push(...(collected.outOfRangeLines.get(app.app_id) ?? []));
  }
  return { ok: true, partitions, candidates, hintLines, lostPartitionCount };
}

/**
 * The replica that becomes the primary of a partition: the best candidate (the last; `candidates`
 * worst first), for a partition of an available app; none for a lost partition or a dropped app.
 * The one rule both the written configuration and the plan (which may skip building it) follow.
 */
export function chosenPrimary(app: AppInfo, candidates: readonly Candidate[]): Candidate | undefined {
  return app.status === 'AS_AVAILABLE' && candidates.length > 0 ? candidates[candidates.length - 1] : undefined;
}

/**
 * The replicas of every good node, node by node, before the app list is known: each node's reply
 * columns (replica_columns.ts). constructPartitions settles them against the apps, Pegasus's
 * `collect_replica` for each (`_settleCandidates`).
 *
 * Why node by node: the handler adds each node's columns as its answer arrives and then drops the
 * decoded answer. A plan then keeps a few number columns per node alive instead of ~10^4 decoded
 * replies, which every young-generation collection would otherwise copy again
 * (bench/recovery_bench.ts; a plan should cost at most 1.2x the collection).
 */
export class CandidateCollector {
  readonly #rows: _NodeRows[] = [];

  /** A collector with these reports added, in order. */
  static of(reports: readonly ReplicasReport[]): CandidateCollector {
    const collector = new CandidateCollector();
    for (const r of reports) collector.add(r.node, replyColumns(r.replicas));
    return collector;
  }

  /**
   * Add one node's replicas, as replyColumns made them from its answer (call once per node). The
   * columns are kept, not copied (they are never mutated); settling makes the candidates.
   */
  add(node: NodeAddress, reply: ReplyColumns): void {
    this.#rows.push({ node, reply });
  }

  /** The nodes added, in the order they were added. */
  nodes(): NodeAddress[] {
    return this.#rows.map((r) => r.node);
  }

  /** Every node's rows, in the order added. Read only. */
  rows(): readonly _NodeRows[] {
    return this.#rows;
  }
}

/** One node's replicas as replyColumns read them: row i is replica i of the node's answer. */
type _NodeRows = { node: NodeAddress; reply: ReplyColumns };

type _Collected = {
  /** Per reported app id, per partition index, its candidates (worst first, capped); holes: none. */
  slotsById: Map<number, { app: AppInfo; slots: (readonly Candidate[] | undefined)[] }>;
  unknownAppLines: string[];
  /** Per app id, the WARNING lines for replicas with a partition index out of range. */
  outOfRangeLines: Map<number, string[]>;
};

/**
 * Settle the collected replicas against the apps. Three cases per replica:
 *
 * | the replica's app id / partition index          | what happens                          |
 * |-------------------------------------------------|---------------------------------------|
 * | app id no node reported as an app               | ERROR line, nothing is built          |
 * | index not in 0 .. partition_count-1             | WARNING line, the replica is ignored  |
 * | otherwise                                       | becomes a candidate of its partition  |
 *
 * Pegasus CHECKs (aborts) on the first row and, for a placeholder id, silently collects into a
 * dropped app. We fail with a message: a replica without an app info means the node's answers
 * contradict each other (a replica server reports an app info for every replica it holds), and
 * recovering around it would hide that replica's data. Pegasus does not check the index at all;
 * a replica server only loads indexes below partition_count, so such a replica is split garbage.
 *
 * The candidate list of a partition keeps the best `max_replica_count + reserve` replicas, as
 * Pegasus's `check_size` does by dropping the worst one after each insert; with a total order the
 * survivors are the same whatever the order nodes came in. A node that reports one gpid twice
 * keeps its last entry (Pegasus removes the node's old entry before inserting).
 *
 * Two passes over the rows: find each replica's partition and count per partition, then fill
 * lists made at their exact size (a list grown by insertion would be copied once per replica, and
 * a `push` reserves 17 slots), then sort each list. The collector is not changed.
 */
function _settleCandidates(
  apps: readonly AppInfo[],
  reportedAppIds: ReadonlySet<number>,
  collector: CandidateCollector,
  maxReservedDroppedReplicas: number,
): _Collected {
  // Only apps some node reported get slots; a replica of any other id is an unknown-app error.
  // Every partition of those apps has one number, its slot: the app's offset plus its index.
  const entries = new Map<number, _SlotsEntry>();
  let partitions = 0;
  for (const app of apps) {
    if (!reportedAppIds.has(app.app_id)) continue;
    entries.set(app.app_id, { app, offset: partitions, slots: new Array(app.partition_count) });
    partitions += app.partition_count;
  }
  const rows = collector.rows();
  const unknown: _Unknown[] = [];
  const outOfRange: { appId: number; pidx: number; node: NodeAddress; line: string }[] = [];
  // Pass 1: each replica's slot (-1: none; those are named), and the count per slot.
  const counts = new Int32Array(partitions);
  const slotsOfRows = rows.map(({ node, reply }) => {
    const { app_id: appIds, partition_index: pidxs } = reply.columns;
    const slotOf = new Int32Array(appIds.length).fill(-1);
    let entryId: number | undefined;
    let entry: _SlotsEntry | undefined;
    for (let i = 0; i < appIds.length; i++) {
      // Replica servers list their replicas app by app: look the entry up once per run of one id.
      if (appIds[i] !== entryId || i === 0) entry = entries.get((entryId = appIds[i]));
      const pidx = pidxs[i];
      if (!entry) {
        unknown.push({ appId: appIds[i], pidx, node, gpid: gpidToString({ app_id: appIds[i], partition_index: pidx }) });
      } else if (_isIndexOf(entry.app, pidx)) {
        counts[(slotOf[i] = entry.offset + pidx)]++;
      } else {
        const { app } = entry;
        const line =
          `WARNING: ignore replica(${gpidToString({ app_id: app.app_id, partition_index: pidx })}) on node(${node}): app(${app.app_id}) has partition_count(${app.partition_count}), ` +
          `the replica may be left over from a partition split; check that node's replica directories`;
        outOfRange.push({ appId: app.app_id, pidx, node, line });
      }
    }
    return slotOf;
  });
  // Pass 2: fill each slot's list, nodes in the order added, each node's replicas in its order.
  const lists: Candidate[][] = new Array(partitions);
  for (let slot = 0; slot < partitions; slot++) if (counts[slot] > 0) lists[slot] = new Array(counts[slot]);
  counts.fill(0);
  rows.forEach(({ node, reply }, k) => {
    const { ballot, last_committed_decree: committed, last_prepared_decree: prepared } = reply.columns;
    const slotOf = slotsOfRows[k];
    for (let i = 0; i < slotOf.length; i++) {
      const slot = slotOf[i];
      if (slot >= 0) lists[slot][counts[slot]++] = { node, ballot: ballot[i], last_committed_decree: committed[i], last_prepared_decree: prepared[i] };
    }
  });
  // Sort each list worst first, one entry per node, capped.
  const mayRepeat = rows.some((r) => !r.reply.ascending);
  for (const { app, offset, slots } of entries.values()) {
    const cap = app.max_replica_count + maxReservedDroppedReplicas;
    for (let pidx = 0; pidx < slots.length; pidx++) {
      const list = lists[offset + pidx];
      if (!list) continue;
      const sorted = _sortWorstFirst(mayRepeat ? _lastEntryPerNode(list) : list);
      slots[pidx] = sorted.length > cap ? sorted.slice(sorted.length - cap) : sorted;
    }
  }
  return { slotsById: entries, unknownAppLines: _unknownAppLines(unknown), outOfRangeLines: _groupOutOfRange(outOfRange) };
}

/** Per reported app: its first slot number, and its settled lists by partition index. */
type _SlotsEntry = { app: AppInfo; offset: number; slots: (readonly Candidate[] | undefined)[] };

function _isIndexOf(app: AppInfo, pidx: number): boolean {
  return Number.isInteger(pidx) && pidx >= 0 && pidx < app.partition_count;
}

/** `list` (one partition's candidates in the order added) with only the last entry of each node. */
function _lastEntryPerNode(list: Candidate[]): Candidate[] {
  // The usual list is a few replicas from distinct nodes: compare pairs, no map. A long one (a
  // malformed node listing one gpid over and over) or one with a repeat goes through the map.
  if (list.length <= 8 && !_repeatsANode(list)) return list;
  const last = new Map<NodeAddress, number>();
  list.forEach((c, i) => last.set(c.node, i));
  return last.size === list.length ? list : list.filter((c, i) => last.get(c.node) === i);
}

function _repeatsANode(list: readonly Candidate[]): boolean {
  for (let i = 1; i < list.length; i++) for (let j = 0; j < i; j++) if (list[j].node === list[i].node) return true;
  return false;
}

/**
 * Sort in place by compareReplicaCandidates, worst first. A partition has a handful of replicas, so
 * an insertion sort beats Array#sort (a large cluster has ~10^4 partitions; bench/recovery_bench.ts).
 */
function _sortWorstFirst(list: Candidate[]): Candidate[] {
  for (let i = 1; i < list.length; i++) {
    const c = list[i];
    let j = i - 1;
    while (j >= 0 && compareReplicaCandidates(list[j], c) > 0) {
      list[j + 1] = list[j];
      j--;
    }
    list[j + 1] = c;
  }
  return list;
}

type _Unknown = { appId: number; pidx: number; node: NodeAddress; gpid: string };

/** One ERROR line per (app id, node), naming the node's first such replica; app id then node order. */
function _unknownAppLines(unknown: readonly _Unknown[]): string[] {
  const firstGpid = new Map<string, _Unknown>();
  const sorted = [...unknown].sort((a, b) => _compareNumbers(a.appId, b.appId) || compareNodes(a.node, b.node) || _compareNumbers(a.pidx, b.pidx));
  for (const u of sorted) {
    const key = `${u.appId}\n${u.node}`;
    if (!firstGpid.has(key)) firstGpid.set(key, u);
  }
  return [...firstGpid.values()].map(
    (u) =>
      `ERROR: node(${u.node}) reports replica(${u.gpid}) but no node reports app(${u.appId}); ` +
      `check the replica directories and .app-info files of app(${u.appId}) on that node, then retry`,
  );
}

function _groupOutOfRange(outOfRange: { appId: number; pidx: number; node: NodeAddress; line: string }[]): Map<number, string[]> {
  const grouped = new Map<number, string[]>();
  const sorted = [...outOfRange].sort((a, b) => _compareNumbers(a.appId, b.appId) || _compareNumbers(a.pidx, b.pidx) || compareNodes(a.node, b.node));
  for (const o of sorted) grouped.set(o.appId, [...(grouped.get(o.appId) ?? []), o.line]);
  return grouped;
}

/** Numeric order that stays consistent even for NaN (a malformed reply must not upset a sort). */
function _compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Pegasus `construct_replica` for one partition, given its candidates sorted worst first:
 * - none: the partition is lost. For an available app, ERROR line (the caller fails with
 *   ERR_TRY_AGAIN), or with skip_lost_partitions a WARNING line and an empty partition (ballot 0,
 *   no primary); the guardian then gives it a fresh empty primary (pegasus-spec §2.5).
 * - otherwise the best is the primary (chosenPrimary) and the partition takes its ballot (not
 *   bumped, as in Pegasus). `last_committed_decree` is also the primary's; Pegasus leaves it 0 until
 *   the next configuration change, we fill it so the stored configuration says what the primary holds.
 * - `last_drops` = the next best, at most `max_replica_count - 1`, worst first and best last:
 *   ballots [6, 7, 8, 9] give primary 9 and last_drops [7, 8]. Secondaries stay empty; the guardian
 *   adds them back by learning.
 * - fewer than `max_replica_count` replicas: the "only collects" WARNING (none when more).
 * A dropped app's partitions stay empty, with no line.
 */
function _configuration(app: AppInfo, pidx: number, candidates: readonly Candidate[]): PartitionConfiguration {
  const pc = emptyPartitionConfiguration({ app_id: app.app_id, partition_index: pidx }, app.max_replica_count);
  const primary = chosenPrimary(app, candidates);
  if (!primary) return pc;
  pc.primary = primary.node;
  pc.ballot = primary.ballot;
  pc.last_committed_decree = primary.last_committed_decree;
  // The next best, worst first (candidates[length-1] is the primary).
  const drops = _lastDropCount(app, candidates);
  pc.last_drops = new Array(drops);
  for (let i = 0; i < drops; i++) pc.last_drops[i] = candidates[candidates.length - 1 - drops + i].node;
  return pc;
}

/** How many candidates below the primary go to last_drops: at most max_replica_count - 1. */
function _lastDropCount(app: AppInfo, candidates: readonly Candidate[]): number {
  return Math.max(0, Math.min(candidates.length - 1, app.max_replica_count - 1));
}

/** The hint line of one partition of an available app (see _configuration), if it has one. */
function _partitionLine(app: AppInfo, pidx: number, candidates: readonly Candidate[], skipLostPartitions: boolean): string | undefined {
  // No local helper closure for the gpid text: tsx (how run.sh starts the meta) names every named
  // closure with Object.defineProperty when it is made, which cost ~2 ms per recovery here, one
  // closure per partition (bench/RESULTS.md, sixth pass). Plain functions are named once.
  if (candidates.length === 0) {
    const gpid = _gpidText(app, pidx);
    return skipLostPartitions
      ? `WARNING: partition(${gpid}) has no replica collected, force recover the lost partition to empty`
      : `ERROR: partition(${gpid}) has no replica collected, you can force recover it by set skip_lost_partitions option`;
  }
  const collected = 1 + _lastDropCount(app, candidates);
  if (collected < app.max_replica_count) {
    return `WARNING: partition(${_gpidText(app, pidx)}) only collects ${collected}/${app.max_replica_count} of replicas, may lost data`;
  }
  return undefined;
}

function _gpidText(app: AppInfo, pidx: number): string {
  return gpidToString({ app_id: app.app_id, partition_index: pidx });
}
