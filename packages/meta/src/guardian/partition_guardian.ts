// The partition guardian's decisions, as one pure function over a partition configuration and what
// the meta knows of the nodes (Pegasus: partition_guardian.cpp, on_missing_primary /
// on_missing_secondary). The meta server carries the decision out: it writes the new configuration
// to ZooKeeper before anyone sees it.
//
// A member that is alive but says it holds no replica of the partition (its data dir was lost:
// config_sync's missing_replicas) counts as dead here, except that it does not go into last_drops,
// which names the nodes that may still hold the partition's rows.
//
// Rules, in order:
//   primary dead, a secondary alive   -> promote the best secondary, ballot + 1
//   primary dead, no member alive     -> clear the members (all into last_drops), ballot + 1
//   a secondary dead                  -> remove it into last_drops, ballot + 1
//   no primary, never had a member    -> assign a fresh primary on the least-loaded node, ballot + 1
//   no primary, had members (DDD)     -> once every last_drops node is back and reports the
//                                        replica, promote the best of them; else wait
//   no primary, no last_drops, ballot>0 -> wait: no node is known to hold its rows
//   fewer members than max            -> one learner: a last_drops node that still holds the
//                                        replica (best first), else the least-loaded node
// "Best" is compareReplicaState: ballot, then last_committed_decree, then last_prepared_decree, then
// the lower address, so the result never depends on the order reports arrived.

import type { NodeAddress, PartitionConfiguration, ReplicaInfo } from '../../../proto/src/index.ts';
import { type NodeLoad, pickLeastLoaded } from '../placement/place_replicas.ts';

export type GuardianInput = {
  pc: PartitionConfiguration;
  alive: ReadonlySet<NodeAddress>;
  /** This partition's replica as last reported by each alive node that holds one. */
  reported: ReadonlyMap<NodeAddress, ReplicaInfo>;
  loads: Map<NodeAddress, NodeLoad>;
  pendingLearner?: NodeAddress;
  /** Nodes never to add to this partition: they hold a quarantined replica of it (quarantine.ts). */
  excluded?: ReadonlySet<NodeAddress>;
  /** Alive members that hold no replica of this partition (missing_replicas); see the header. */
  lacking?: ReadonlySet<NodeAddress>;
};

export type GuardianAction =
  | { kind: 'none' }
  | { kind: 'wait'; reason: string }
  | { kind: 'update'; reason: string; config: PartitionConfiguration }
  | { kind: 'add_learner'; reason: string; learner: NodeAddress };

/** > 0 when a is the better replica to serve as primary. */
export function compareReplicaState(a: { node: NodeAddress; info?: ReplicaInfo }, b: { node: NodeAddress; info?: ReplicaInfo }): number {
  const ka = a.info ? [a.info.ballot, a.info.last_committed_decree, a.info.last_prepared_decree] : [-1, -1, -1];
  const kb = b.info ? [b.info.ballot, b.info.last_committed_decree, b.info.last_prepared_decree] : [-1, -1, -1];
  for (let i = 0; i < 3; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i];
  return a.node < b.node ? 1 : a.node > b.node ? -1 : 0;
}

function best(nodes: NodeAddress[], reported: ReadonlyMap<NodeAddress, ReplicaInfo>): NodeAddress {
  return nodes.map((node) => ({ node, info: reported.get(node) })).sort((a, b) => compareReplicaState(b, a))[0].node;
}

/** Append nodes to last_drops (most recent last), without duplicates, keeping the newest `max`. */
export function appendLastDrops(lastDrops: NodeAddress[], dropped: NodeAddress[], max: number): NodeAddress[] {
  const out = lastDrops.filter((n) => !dropped.includes(n));
  out.push(...dropped);
  return out.slice(Math.max(0, out.length - Math.max(max, 1)));
}

function next(pc: PartitionConfiguration, change: Partial<PartitionConfiguration>): PartitionConfiguration {
  return { ...pc, ...change, ballot: pc.ballot + 1 };
}

export function decidePartition(input: GuardianInput): GuardianAction {
  const { pc, alive, reported } = input;
  const lacking = input.lacking ?? new Set<NodeAddress>();
  const gone = (n: NodeAddress) => !alive.has(n) || lacking.has(n);
  const deadSecondaries = pc.secondaries.filter(gone);
  const aliveSecondaries = pc.secondaries.filter((s) => !gone(s));
  // last_drops: only the nodes that may still hold rows (a lacking member holds none).
  const lastDrops = (dropped: NodeAddress[]) => appendLastDrops(pc.last_drops, dropped.filter((n) => !lacking.has(n)), pc.max_replica_count);
  const why = (n: NodeAddress) => (lacking.has(n) ? 'holds no replica of it' : 'is dead');
  if (pc.primary && gone(pc.primary)) {
    const dropped = [pc.primary, ...deadSecondaries];
    if (aliveSecondaries.length === 0) {
      return { kind: 'update', reason: `primary ${pc.primary} ${why(pc.primary)} and no secondary is alive`, config: next(pc, { primary: '', secondaries: [], last_drops: lastDrops(dropped) }) };
    }
    const primary = best(aliveSecondaries, reported);
    return {
      kind: 'update',
      reason: `primary ${pc.primary} ${why(pc.primary)}: promote secondary ${primary}`,
      config: next(pc, { primary, secondaries: aliveSecondaries.filter((s) => s !== primary), last_drops: lastDrops(dropped) }),
    };
  }
  if (deadSecondaries.length > 0) {
    const reason = `secondary ${deadSecondaries.map((s) => `${s} ${why(s)}`).join(', ')}: remove it`;
    return { kind: 'update', reason, config: next(pc, { secondaries: aliveSecondaries, last_drops: lastDrops(deadSecondaries) }) };
  }
  if (!pc.primary) return decideMissingPrimary(input, aliveSecondaries);
  return decideMissingSecondary(input);
}

function decideMissingPrimary(input: GuardianInput, aliveSecondaries: NodeAddress[]): GuardianAction {
  const { pc, alive, reported, loads } = input;
  if (aliveSecondaries.length > 0) {
    const primary = best(aliveSecondaries, reported);
    return { kind: 'update', reason: `no primary: promote secondary ${primary}`, config: next(pc, { primary, secondaries: aliveSecondaries.filter((s) => s !== primary) }) };
  }
  if (pc.last_drops.length === 0 && pc.ballot === 0) {
    const primary = pickLeastLoaded(new Map([...loads].filter(([n]) => alive.has(n))), new Set(), true);
    if (!primary) return { kind: 'wait', reason: 'no alive replica server to place a new primary on' };
    return { kind: 'update', reason: `new partition: assign primary ${primary}`, config: next(pc, { primary }) };
  }
  if (pc.last_drops.length === 0) {
    // Every member left without a trace (they all lost their replicas): no node is known to
    // hold the rows, and placing an empty primary would pass that loss off as a healthy table.
    return { kind: 'wait', reason: 'no member and no last_drops: no node is known to hold its rows (every member lost its replica); it stays unavailable rather than come back empty' };
  }
  const missing = pc.last_drops.filter((n) => !alive.has(n) || !reported.has(n));
  if (missing.length > 0) {
    return { kind: 'wait', reason: `no member alive; waiting for last_drops ${missing.join(',')} to report their replicas` };
  }
  const primary = best(pc.last_drops, reported);
  return { kind: 'update', reason: `every last_drops node is back: promote ${primary}`, config: next(pc, { primary, last_drops: pc.last_drops.filter((n) => n !== primary) }) };
}

function decideMissingSecondary(input: GuardianInput): GuardianAction {
  const { pc, alive, reported, loads, pendingLearner } = input;
  const excluded = input.excluded ?? new Set<NodeAddress>();
  const members = new Set([pc.primary, ...pc.secondaries]);
  if (members.size >= pc.max_replica_count) return { kind: 'none' };
  if (pendingLearner !== undefined) return { kind: 'none' };
  const holders = pc.last_drops.filter((n) => alive.has(n) && reported.has(n) && !members.has(n) && !excluded.has(n));
  if (holders.length > 0) {
    const learner = best(holders, reported);
    return { kind: 'add_learner', reason: `${members.size}/${pc.max_replica_count} replicas: ${learner} still holds a replica`, learner };
  }
  const learner = pickLeastLoaded(new Map([...loads].filter(([n]) => alive.has(n) && !excluded.has(n))), members, false);
  if (!learner) return { kind: 'wait', reason: `${members.size}/${pc.max_replica_count} replicas and no other alive node` };
  return { kind: 'add_learner', reason: `${members.size}/${pc.max_replica_count} replicas: add ${learner}`, learner };
}
