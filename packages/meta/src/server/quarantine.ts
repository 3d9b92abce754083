// Quarantine after a partial recovery (issue "Recovery an operator can trust", Fencing). A node the
// recovery did not hear from (skipped with --skip_bad_nodes, or never listed) may rejoin later with
// replicas of partitions that are now served elsewhere. Those replicas were not looked at when the
// primaries were chosen, so they may hold writes nobody else has, or be stale: either way they are
// evidence. They are kept in quarantine: never deleted, never chosen as a learner target for their
// partition (learning would overwrite them), never promoted. The config sync still closes an active
// one (it must not serve at its old ballot); a replica with a ballot above the record stays
// "unknown" (config_sync.ts) and is left alone entirely. Pure.
//
// Deliberately conservative: every such replica on a node outside the recovery is quarantined, also
// one the node learned after the recovery and lost again; the cost is only that the guardian picks
// another node for that partition. The operator reviews the list (shell `quarantine`) and releases
// what is not needed (`quarantine --release NODE [--gpid G]`): the meta then lists those replicas
// in that node's replicas_to_remove, and the replica server removes them (.gar rename first).
//
// A release names exact replicas (node, gpid, ballot) and is kept in the meta's memory only: a
// replica that changed since (another ballot) or a meta that restarted before the node synced
// keeps it in quarantine, which is the safe side; the operator releases again.

import type { AppInfo, NodeAddress, PartitionConfiguration, QuarantinedReplica, ReplicaInfo } from '../../../proto/src/index.ts';
import { gpidToString } from '../../../proto/src/index.ts';

export type QuarantineInput = {
  apps: ReadonlyMap<number, AppInfo>;
  partitions: ReadonlyMap<number, PartitionConfiguration[]>;
  /** The nodes whose answers the recovery that built cluster_root used; undefined: no recovery. */
  recoveredFrom: ReadonlySet<NodeAddress> | undefined;
  /** Each node's replicas, as its last config sync reported them. */
  nodeReplicas: ReadonlyMap<NodeAddress, ReadonlyMap<string, ReplicaInfo>>;
};

export function findQuarantinedReplicas(input: QuarantineInput): QuarantinedReplica[] {
  if (!input.recoveredFrom) return [];
  const out: QuarantinedReplica[] = [];
  for (const [node, replicas] of input.nodeReplicas) {
    if (input.recoveredFrom.has(node)) continue;
    for (const r of replicas.values()) {
      const info = input.apps.get(r.pid.app_id);
      const pc = input.partitions.get(r.pid.app_id)?.[r.pid.partition_index];
      if (!info || info.status !== 'AS_AVAILABLE' || !pc) continue;
      if (pc.primary === node || pc.secondaries.includes(node)) continue;
      if (r.ballot > pc.ballot) continue; // above the record: config_sync leaves it alone as unknown
      out.push({
        node,
        gpid: gpidToString(r.pid),
        ballot: r.ballot,
        last_committed_decree: r.last_committed_decree,
        last_prepared_decree: r.last_prepared_decree,
        served_at_ballot: pc.ballot,
      });
    }
  }
  return out.sort((a, b) => (a.node === b.node ? a.gpid.localeCompare(b.gpid, 'en', { numeric: true }) : a.node < b.node ? -1 : 1));
}

/** Per gpid, the nodes holding a quarantined replica of it: the guardian must not add them there. */
export function quarantinedHolders(list: readonly QuarantinedReplica[]): Map<string, Set<NodeAddress>> {
  const out = new Map<string, Set<NodeAddress>>();
  for (const q of list) {
    let set = out.get(q.gpid);
    if (!set) out.set(q.gpid, (set = new Set()));
    set.add(q.node);
  }
  return out;
}

/** Released replicas not yet removed: node -> gpid -> the ballot the operator saw. */
export type ReleasedQuarantine = Map<NodeAddress, Map<string, number>>;

/** The quarantined replicas a release request names: all of `node`'s, or its one of `gpid`. */
export function selectForRelease(list: readonly QuarantinedReplica[], node: NodeAddress, gpid?: string): QuarantinedReplica[] {
  return list.filter((q) => q.node === node && (gpid === undefined || q.gpid === gpid));
}

/** Remember `selected` as released (mutates `released`: the meta's own record). */
export function recordRelease(released: ReleasedQuarantine, selected: readonly QuarantinedReplica[]): void {
  for (const q of selected) {
    let byGpid = released.get(q.node);
    if (!byGpid) released.set(q.node, (byGpid = new Map()));
    byGpid.set(q.gpid, q.ballot);
  }
}

/**
 * What to put in `node`'s replicas_to_remove: its released replicas that are still quarantined at
 * the ballot the operator released. Entries that no longer match (removed, changed, or back in the
 * partition) are forgotten, so a release never applies to a replica the operator did not see.
 * Mutates `released`.
 *
 * | released (gpid, ballot) | quarantined now          | result                          |
 * |-------------------------|--------------------------|---------------------------------|
 * | (1.0, 3)                | (1.0, 3)                 | remove 1.0; keep the release    |
 * | (1.0, 3)                | (1.0, 4)                 | nothing; release forgotten      |
 * | (1.0, 3)                | not quarantined (gone)   | nothing; release forgotten      |
 */
export function releasedToRemove(released: ReleasedQuarantine, node: NodeAddress, quarantinedNow: readonly QuarantinedReplica[]): string[] {
  const byGpid = released.get(node);
  if (!byGpid) return [];
  const now = new Map(quarantinedNow.filter((q) => q.node === node).map((q) => [q.gpid, q.ballot]));
  const out: string[] = [];
  for (const [gpid, ballot] of byGpid) {
    if (now.get(gpid) === ballot) out.push(gpid);
    else byGpid.delete(gpid);
  }
  if (byGpid.size === 0) released.delete(node);
  return out;
}
