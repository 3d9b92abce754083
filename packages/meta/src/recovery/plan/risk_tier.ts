// How much one partition may lose by being recovered from the replicas that were found, in four
// tiers an operator can sort by. Pure.
//
// The primary is the last candidate (construct_partitions.ts: candidates sorted worst first by
// compareReplicaCandidates, the best becomes the primary). After recovery that primary's log is
// the partition's history: it re-prepares its own uncommitted tail (Pegasus: a new primary
// re-proposes everything it prepared beyond last_committed_decree with its new ballot,
// `replica::replay_prepare_list`, src/replica/replica_config.cpp), and every other replica
// learns from it, discarding whatever it holds beyond the primary's log. So:
//
// - held            = max(primary.last_committed_decree, primary.last_prepared_decree): the
//                     decrees the primary's log holds. Its own tail is not at risk.
// - mayLoseDecrees  = max(0, max over the other candidates c of
//                     max(c.last_committed_decree, c.last_prepared_decree) − held):
//                     decrees some replica prepared (or committed) that the primary does not hold.
//                     They are thrown away when that replica learns. For every well-formed replica
//                     last_prepared ≥ last_committed, so this is "last_prepared − held"; the max
//                     only keeps a malformed reply (committed > prepared) from hiding decrees.
//                     This is a count of decrees that *may* be lost: a decree prepared but never
//                     committed was never acknowledged to a client; one committed was.
//
// | tier     | when                                                                              |
// |----------|-----------------------------------------------------------------------------------|
// | lost     | no candidate: the partition comes back empty (skip_lost_partitions) or not at all |
// | at-risk  | mayLoseDecrees > 0: some replica holds writes the chosen primary does not         |
// | intact   | not at-risk, at least max_replica_count candidates, and every candidate's         |
// |          | last_committed_decree equals the primary's: nothing to lose, nothing to relearn   |
// | degraded | anything else: no data is lost, but replicas are missing or must catch up         |
//
// Why lcd for `intact` but lpd for `at-risk`: a replica behind the primary only has to learn (no
// loss, but the partition is not whole until it has); a replica ahead of the primary is the loss.

import type { NodeAddress } from '../../../../proto/src/types.ts';
import type { Candidate } from '../compare_replica_candidates.ts';
import { RISK_TIERS, type RiskTier } from '../../../../proto/src/recovery_plan.ts';

export { RISK_TIERS, type RiskTier };

export type PartitionRisk = {
  tier: RiskTier;
  /** The chosen primary (the last candidate); absent when the partition is lost. */
  primary?: NodeAddress;
  /** Decrees some other replica holds beyond the primary's log (see the header). */
  mayLoseDecrees: number;
  /** max(0, maxReplicaCount − candidates): replicas the guardian must add by learning. */
  missingReplicas: number;
};

/** Assess one partition from its candidates, sorted worst first and the primary last. */
export function assessPartition(candidates: readonly Candidate[], maxReplicaCount: number): PartitionRisk {
  const missingReplicas = Math.max(0, maxReplicaCount - candidates.length);
  if (candidates.length === 0) return { tier: 'lost', mayLoseDecrees: 0, missingReplicas };
  const primary = candidates[candidates.length - 1];
  const held = Math.max(primary.last_committed_decree, primary.last_prepared_decree);
  // One pass over the others (a plan assesses every partition of the cluster).
  let mayLoseDecrees = 0;
  let allCommittedAsPrimary = true;
  for (let i = 0; i < candidates.length - 1; i++) {
    const c = candidates[i];
    mayLoseDecrees = Math.max(mayLoseDecrees, Math.max(c.last_committed_decree, c.last_prepared_decree) - held);
    if (c.last_committed_decree !== primary.last_committed_decree) allCommittedAsPrimary = false;
  }
  const tier: RiskTier =
    mayLoseDecrees > 0 ? 'at-risk' : candidates.length >= maxReplicaCount && allCommittedAsPrimary ? 'intact' : 'degraded';
  return { tier, primary: primary.node, mayLoseDecrees, missingReplicas };
}
