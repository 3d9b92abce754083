// Partition health as `ls -d` and `app -d` count it (replication_ddl_client::list_apps/list_app):
//
//   primary?  replica_count (primary + secondaries)    fully_healthy  write_unhealthy  read_unhealthy
//   yes       >= max_replica_count                     yes            no               no
//   yes       2 .. max_replica_count-1                 no             no               no
//   yes       < 2 (the primary alone)                  no             yes              no
//   no        any                                      no             yes              yes
//
// `unhealthy` is every partition that is not fully healthy.

import type { NodeAddress, PartitionConfiguration } from '../../proto/src/index.ts';

export type PartitionHealth = { replicaCount: number; fullyHealthy: boolean; writeUnhealthy: boolean; readUnhealthy: boolean };

export function partitionHealth(pc: PartitionConfiguration): PartitionHealth {
  const hasPrimary = pc.primary !== '';
  const replicaCount = (hasPrimary ? 1 : 0) + pc.secondaries.length;
  if (!hasPrimary) return { replicaCount, fullyHealthy: false, writeUnhealthy: true, readUnhealthy: true };
  const fullyHealthy = replicaCount >= pc.max_replica_count;
  return { replicaCount, fullyHealthy, writeUnhealthy: !fullyHealthy && replicaCount < 2, readUnhealthy: false };
}

export type AppHealth = { fullyHealthy: number; unhealthy: number; writeUnhealthy: number; readUnhealthy: number };

/** Counts over an app's partitions; `partitionCount` (not the list length) is the denominator. */
export function appHealth(partitions: readonly PartitionConfiguration[], partitionCount: number): AppHealth {
  let fullyHealthy = 0;
  let writeUnhealthy = 0;
  let readUnhealthy = 0;
  for (const pc of partitions) {
    const h = partitionHealth(pc);
    if (h.fullyHealthy) fullyHealthy++;
    if (h.writeUnhealthy) writeUnhealthy++;
    if (h.readUnhealthy) readUnhealthy++;
  }
  return { fullyHealthy, unhealthy: partitionCount - fullyHealthy, writeUnhealthy, readUnhealthy };
}

export type NodeReplicaCount = { primary: number; secondary: number };

/** Primaries and secondaries served by each node, over the given partitions. */
export function countReplicasPerNode(partitions: readonly PartitionConfiguration[]): Map<NodeAddress, NodeReplicaCount> {
  const counts = new Map<NodeAddress, NodeReplicaCount>();
  const entry = (node: NodeAddress) => {
    let c = counts.get(node);
    if (!c) counts.set(node, (c = { primary: 0, secondary: 0 }));
    return c;
  };
  for (const pc of partitions) {
    if (pc.primary !== '') entry(pc.primary).primary++;
    for (const s of pc.secondaries) entry(s).secondary++;
  }
  return counts;
}

/** Order nodes like Pegasus's std::map<rpc_address>: by host text, then by port as a number. */
export function compareNodes(a: NodeAddress, b: NodeAddress): number {
  const [ha, pa] = [a.slice(0, a.lastIndexOf(':')), Number(a.slice(a.lastIndexOf(':') + 1))];
  const [hb, pb] = [b.slice(0, b.lastIndexOf(':')), Number(b.slice(b.lastIndexOf(':') + 1))];
  if (ha !== hb) return ha < hb ? -1 : 1;
  return pa - pb;
}
