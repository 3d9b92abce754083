// The one definition of "better replica" used by metadata recovery, and the node order it ends
// with. Everything in recovery that must not depend on the order replies arrived (primary choice,
// last_drops, the capped candidate list, the order of hint lines, which of two compatible app infos
// is kept) sorts with these two functions.
//
// Pegasus: `dropped_cmp` (src/meta/meta_data.h:168-183), used by `collect_drop_replica`
// (src/meta/meta_data.cpp:355-387) and `construct_replica` (meta_data.cpp:99-155).

import type { NodeAddress } from '../../../proto/src/types.ts';

/**
 * One replica of a partition as recovery sees it: who holds it and how far it got.
 * Pegasus: `dropped_replica` without `time`, which is always INVALID_TIMESTAMP (0) in recovery, so
 * the first key of Pegasus's comparator never decides anything here.
 */
export type Candidate = {
  node: NodeAddress;
  ballot: number;
  last_committed_decree: number;
  last_prepared_decree: number;
};

/**
 * Node order for tie-breaks: plain UTF-16 code-unit order of the `host:port` text, the smaller
 * text first. Node identity is the exact text (pegasus-spec §2.7), so this is total and stable.
 * It is not a "natural" order ('n10' sorts before 'n9'); it only has to be the same every time.
 */
export function compareNodes(a: NodeAddress, b: NodeAddress): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compare two replicas of one partition. Negative when `a` is worse than `b`, positive when `a`
 * is better, 0 only for the same node with the same numbers. Sorting ascending with it therefore
 * puts the worst first and the best last, which is Pegasus's order for `dropped` and `last_drops`.
 *
 * The keys, in order (the first that differs decides):
 *
 * | key                     | the better replica has      |
 * |-------------------------|-----------------------------|
 * | ballot                  | the higher one              |
 * | last_committed_decree   | the higher one              |
 * | last_prepared_decree    | the higher one              |
 * | node (`compareNodes`)   | the smaller address text    |
 *
 * Why the last row: Pegasus inserts with `lower_bound`, so on a tie the node collected earlier ends
 * up later in `dropped`, that is better; "earlier" means earlier in the operator's node list. We
 * make the tie-break a function of the address instead, so the answer depends neither on the order
 * replies arrived nor on the order of the list. For a list written in ascending order (34801,
 * 34802, 34803: the usual case) both rules pick the same node. Two replicas that tie on all three
 * numbers hold the same prepared prefix, so either is a correct primary; we only need to pick the
 * same one every time.
 */
export function compareReplicaCandidates(a: Candidate, b: Candidate): number {
  return (
    _compareNumbers(a.ballot, b.ballot) ||
    _compareNumbers(a.last_committed_decree, b.last_committed_decree) ||
    _compareNumbers(a.last_prepared_decree, b.last_prepared_decree) ||
    // Reversed on purpose: the smaller address is the better replica.
    compareNodes(b.node, a.node)
  );
}

function _compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
