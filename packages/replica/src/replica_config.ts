// Applying a partition configuration from the meta server (Pegasus replica_config.cpp,
// `update_local_configuration`). The rule that matters most: a replica never accepts a lower
// ballot. Role follows the config: PS_PRIMARY if `primary` is this node, PS_SECONDARY if it is
// among `secondaries`, else PS_INACTIVE (the meta lists only partitions the node serves).

import type { NodeAddress, PartitionConfiguration, PartitionStatus } from '../../proto/src/index.ts';
import type { Replica } from './replica.ts';
import { dropTarget, logLocally, newTarget, pumpAll, stepDown, tryCommit } from './replica_2pc.ts';

export type ConfigDecision = { action: 'ignore'; reason: string } | { action: 'adopt'; status: PartitionStatus };

/** Pure: what a replica (its ballot, status, whether it learns) does with `config` sent to `me`. */
export function decideConfig(
  local: { ballot: number; status: PartitionStatus; learning: boolean },
  config: PartitionConfiguration,
  me: NodeAddress,
): ConfigDecision {
  if (local.status === 'PS_ERROR') {
    // A replica whose storage failed stays out of service until the server restarts and reloads it.
    return { action: 'ignore', reason: 'the replica is in PS_ERROR after a storage failure' };
  }
  if (config.ballot < local.ballot) {
    return { action: 'ignore', reason: `config ballot ${config.ballot} < local ballot ${local.ballot}` };
  }
  const status: PartitionStatus =
    config.primary === me ? 'PS_PRIMARY' : config.secondaries.includes(me) ? 'PS_SECONDARY' : 'PS_INACTIVE';
  if (local.learning && status !== 'PS_SECONDARY') {
    // Only the upgrade that ends a learn may change a learner's role while it learns.
    return { action: 'ignore', reason: `learning; config would make it ${status}` };
  }
  return { action: 'adopt', status };
}

/** True when the config makes `me` a member, i.e. a missing replica should be created for it. */
export function isMember(config: PartitionConfiguration, me: NodeAddress): boolean {
  return config.primary === me || config.secondaries.includes(me);
}

export async function applyConfig(r: Replica, config: PartitionConfiguration): Promise<void> {
  const decision = decideConfig({ ballot: r.ballot, status: r.status, learning: r.learning !== undefined }, config, r.ctx.me);
  if (decision.action === 'ignore') {
    if (r.lastIgnoredBallot !== config.ballot) r.log(`ignoring config: ${decision.reason}`);
    r.lastIgnoredBallot = config.ballot;
    return;
  }
  const ballotChanged = config.ballot > r.ballot;
  const wasPrimary = r.status === 'PS_PRIMARY';
  const persisted = r.adoptBallot(config.ballot);
  r.config = config;
  if (decision.status === 'PS_PRIMARY') {
    if (!wasPrimary) startPrimary(r, config);
    else updateMembership(r, config, ballotChanged);
  } else if (wasPrimary) {
    stepDown(r, decision.status, `config at ballot ${config.ballot} names primary '${config.primary}'`);
  } else {
    r.setStatus(decision.status, `config at ballot ${config.ballot}`);
  }
  await persisted;
  tryCommit(r);
}

/**
 * `replicas_to_close`, or a partition the meta no longer lists: keep the data, stop serving.
 * A learner (PS_POTENTIAL_SECONDARY) is left alone: it is not a member until its upgrade, so the
 * meta does not list it, and its primary checks that it is still a learner before the upgrade.
 */
export function closeReplica(r: Replica, why: string): void {
  if (r.learning || r.status === 'PS_ERROR' || r.status === 'PS_POTENTIAL_SECONDARY') return;
  if (r.status === 'PS_PRIMARY') stepDown(r, 'PS_INACTIVE', why);
  else r.setStatus('PS_INACTIVE', why);
}

/**
 * Becomes primary. The prepared tail it inherits (decrees after its commit point) may have been
 * acked to clients by the old primary, so it is re-prepared at the new ballot to every secondary
 * and committed before this replica serves reads or writes.
 */
export function startPrimary(r: Replica, config: PartitionConfiguration): void {
  stepDown(r, 'PS_PRIMARY', `config at ballot ${config.ballot}`);
  for (const s of config.secondaries) {
    if (s !== r.ctx.me) r.targets.set(s, newTarget(s, false, r.lastCommittedDecree));
  }
  const tail = r.memoryEntries(r.lastCommittedDecree + 1, r.lastPreparedDecree).map((e) => ({ ...e, ballot: r.ballot }));
  for (const e of tail) r.prepared.set(e.decree, e);
  r.loggedUpTo = r.lastCommittedDecree;
  r.servingFrom = r.lastPreparedDecree;
  if (tail.length > 0) {
    r.log(`re-preparing inherited decrees ${tail[0].decree}..${tail[tail.length - 1].decree} before serving`);
    logLocally(r, tail);
  }
  pumpAll(r);
  tryCommit(r);
}

/** Same primary, new membership (a learner upgraded, a secondary removed). */
export function updateMembership(r: Replica, config: PartitionConfiguration, ballotChanged: boolean): void {
  const secondaries = new Set(config.secondaries.filter((s) => s !== r.ctx.me));
  for (const t of [...r.targets.values()]) {
    if (secondaries.has(t.node)) continue;
    // A removed secondary no longer holds commits back. Learners are taught within one ballot.
    if (!t.isLearner || ballotChanged) {
      dropTarget(r, t.node);
      r.teaching.delete(t.node);
    }
  }
  for (const s of secondaries) {
    const t = r.targets.get(s);
    if (!t) r.targets.set(s, newTarget(s, false, r.lastCommittedDecree));
    else if (t.isLearner) {
      // Acks given as a learner were best effort (buffered in memory); as a secondary it must log
      // the prepared tail durably, so it is prepared again.
      t.isLearner = false;
      t.ackedUpTo = Math.min(t.ackedUpTo, r.lastCommittedDecree);
      r.teaching.delete(s);
    }
  }
  if (ballotChanged) {
    for (const node of [...r.teaching.keys()]) if (!r.targets.has(node)) r.teaching.delete(node);
  }
  tryCommit(r);
  pumpAll(r);
}
