// Even placement of replicas over alive replica servers. Pure: loads in, choices out.
// The rule: a new primary goes to the node with the fewest primaries, a new secondary to the node
// with the fewest replicas; ties go to the lower address so a placement never depends on map order.

import type { NodeAddress, PartitionConfiguration } from '../../../proto/src/index.ts';

export type NodeLoad = { primaries: number; total: number };

export function computeNodeLoads(configs: Iterable<PartitionConfiguration>, nodes: Iterable<NodeAddress>): Map<NodeAddress, NodeLoad> {
  const loads = new Map<NodeAddress, NodeLoad>();
  for (const node of nodes) loads.set(node, { primaries: 0, total: 0 });
  for (const pc of configs) {
    if (pc.primary) {
      const l = loads.get(pc.primary);
      if (l) {
        l.primaries++;
        l.total++;
      }
    }
    for (const s of pc.secondaries) {
      const l = loads.get(s);
      if (l) l.total++;
    }
  }
  return loads;
}

/** The least-loaded node of `loads` not in `exclude`, or undefined when none is left. */
export function pickLeastLoaded(loads: Map<NodeAddress, NodeLoad>, exclude: ReadonlySet<NodeAddress>, forPrimary: boolean): NodeAddress | undefined {
  let best: NodeAddress | undefined;
  for (const [node, l] of loads) {
    if (exclude.has(node)) continue;
    if (best === undefined) {
      best = node;
      continue;
    }
    const b = loads.get(best)!;
    const key = forPrimary ? [l.primaries, l.total] : [l.total, l.primaries];
    const bestKey = forPrimary ? [b.primaries, b.total] : [b.total, b.primaries];
    if (key[0] < bestKey[0] || (key[0] === bestKey[0] && (key[1] < bestKey[1] || (key[1] === bestKey[1] && node < best)))) best = node;
  }
  return best;
}

/**
 * Members for `partitionCount` new partitions of `replicaCount` replicas each, updating `loads` as
 * it goes so that consecutive partitions spread. Fewer alive nodes than replicas: the partition
 * gets what there is and the guardian adds the rest later.
 */
export function placeNewPartitions(
  partitionCount: number,
  replicaCount: number,
  loads: Map<NodeAddress, NodeLoad>,
): { primary: NodeAddress; secondaries: NodeAddress[] }[] {
  const out: { primary: NodeAddress; secondaries: NodeAddress[] }[] = [];
  for (let i = 0; i < partitionCount; i++) {
    const chosen = new Set<NodeAddress>();
    const primary = pickLeastLoaded(loads, chosen, true);
    if (primary === undefined) {
      out.push({ primary: '', secondaries: [] });
      continue;
    }
    chosen.add(primary);
    loads.get(primary)!.primaries++;
    loads.get(primary)!.total++;
    const secondaries: NodeAddress[] = [];
    while (secondaries.length < replicaCount - 1) {
      const s = pickLeastLoaded(loads, chosen, false);
      if (s === undefined) break;
      chosen.add(s);
      loads.get(s)!.total++;
      secondaries.push(s);
    }
    out.push({ primary, secondaries });
  }
  return out;
}
