// Fencing after recovery: every recovered partition's ballot is raised above every ballot any node
// reported for it. Pegasus copies the primary's ballot (pegasus-spec §2.5, consequence 11); then a
// replica that was skipped or unlisted, holding the same ballot, could still pass for a current
// member. With the ballot one above all of them, every older replica is provably stale: replica
// servers refuse lower ballots, and the meta never assigns a replica above its record.

import type { PartitionConfiguration } from '../../../proto/src/types.ts';
import { candidatesOf, type RecoveryCandidates } from './construct_partitions.ts';

export function fenceBallots(
  partitions: ReadonlyMap<number, PartitionConfiguration[]>,
  candidates: RecoveryCandidates,
): Map<number, PartitionConfiguration[]> {
  const out = new Map<number, PartitionConfiguration[]>();
  for (const [appId, pcs] of partitions) {
    out.set(appId, pcs.map((pc) => {
      if (!pc.primary) return pc; // empty (lost, skipped) or dropped: nothing to fence
      const seen = candidatesOf(candidates, pc.pid);
      const highest = seen.reduce((max, c) => Math.max(max, c.ballot), pc.ballot);
      return { ...pc, ballot: highest + 1 };
    }));
  }
  return out;
}
