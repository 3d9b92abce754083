// What the meta answers a replica server's config_sync (Pegasus: server_state::on_config_sync), as a
// pure function. Safety rules that Pegasus enforces with an abort (pegasus-spec §1.3, seed "Common
// Issues" 2) become data here:
//  - a replica of a gpid the metadata does not know is reported as `unknown` and left alone: never
//    closed, never assigned, never overwritten;
//  - a replica whose ballot is higher than the metadata's record for its partition is left alone
//    too: telling its node to close or relearn it could lose the newest copy;
//  - a member may create its replica empty only where no data can exist yet (mayCreateEmpty):
//    Pegasus's meta lists a node only after the node made the replica (config proposals); ours
//    lists a new table's members at once, so it says per partition which case it is.

import {
  type AppInfo,
  type ConfigSyncResponse,
  type Gpid,
  gpidToString,
  type NodeAddress,
  partitionMembers,
  type PartitionConfiguration,
  type ReplicaInfo,
} from '../../../proto/src/index.ts';

export type PendingLearner = { learner: NodeAddress; ballot: number; sinceMs: number };

export type ClusterTables = {
  apps: ReadonlyMap<number, AppInfo>;
  partitions: ReadonlyMap<number, PartitionConfiguration[]>;
  pendingLearners: ReadonlyMap<string, PendingLearner>;
  /** Per gpid of a table this meta created, the members that have not yet reported their new replica. */
  newReplicas: ReadonlyMap<string, ReadonlySet<NodeAddress>>;
  /** What each node (alive or not) last reported holding, by gpid text. */
  nodes: ReadonlyMap<NodeAddress, { alive: boolean; replicas: ReadonlyMap<string, unknown> }>;
};

/**
 * May `node`, a member of `pc` without a replica of it, create the replica empty? Only where no row
 * can exist yet:
 * - the partition belongs to a table this meta created and `node` has not reported it since; or
 * - (after a meta restart, which forgets the above) the partition was never reconfigured (ballot
 *   1, no last_drops), every member is alive, and no node has ever reported a replica of it.
 * Anything else means the node lost a replica that holds rows (its data dir was wiped or moved
 * away). An empty one would serve nothing as if it held them, and as primary it would teach its
 * emptiness to the others; the node reports it as missing instead and the guardian takes it out.
 */
export function mayCreateEmpty(tables: ClusterTables, pc: PartitionConfiguration, node: NodeAddress): boolean {
  const key = gpidToString(pc.pid);
  if (tables.newReplicas.get(key)?.has(node)) return true;
  if (pc.ballot !== 1 || pc.last_drops.length > 0) return false;
  for (const member of partitionMembers(pc)) if (!tables.nodes.get(member)?.alive) return false;
  for (const s of tables.nodes.values()) if (s.replicas.has(key)) return false;
  return true;
}

/**
 * A partition's configuration as query_configuration_by_index shows it (clients route by it; `ls
 * -d`, `app -d`, `nodes -d`, `verify` and `run.sh start_onebox -w` count health from it): without
 * the members of a table this meta just created that have not reported their replica yet. Pegasus
 * lists a node only once the node made the replica (its config proposals), so a new table there
 * shows no primary until the replica servers have it; ours lists the members at once (they get
 * create_if_missing), and without this view a table looked fully healthy before any replica
 * existed: `-w` returned, and a meta restarted into recovery right then found nothing to recover.
 * A client that sees no primary retries, as during any primary change. After a meta restart
 * nothing is pending (newReplicas is in memory), so the stored configuration shows as it is.
 */
export function publishedConfiguration(tables: Pick<ClusterTables, 'newReplicas'>, pc: PartitionConfiguration): PartitionConfiguration {
  const pending = tables.newReplicas.get(gpidToString(pc.pid));
  if (!pending || pending.size === 0) return pc;
  return {
    ...pc,
    primary: pending.has(pc.primary) ? '' : pc.primary,
    secondaries: pc.secondaries.filter((s) => !pending.has(s)),
  };
}

export type ConfigSyncAnswer = Omit<ConfigSyncResponse, 'err' | 'hint'> & {
  /** Replicas the metadata cannot account for: unknown gpid, or a ballot above the record. */
  unknown: { pid: Gpid; ballot: number; reason: string }[];
};

/**
 * Soft delete's retention rule (Pegasus: server_state::on_config_sync, pegasus-spec §3.6): a
 * dropped table's replicas are kept until `expire_second`; an expire time of 0 means "never
 * collect" (safety). Unlike Pegasus we do not also require meta_function_level lively.
 */
export function isRetentionExpired(info: AppInfo, nowSeconds: number): boolean {
  return info.status === 'AS_DROPPED' && info.expire_second > 0 && info.expire_second < nowSeconds;
}

export function answerConfigSync(tables: ClusterTables, node: NodeAddress, stored: ReplicaInfo[], nowSeconds: number): ConfigSyncAnswer {
  const answer: ConfigSyncAnswer = { partitions: [], learner_assignments: [], replicas_to_close: [], replicas_to_remove: [], unknown: [] };
  for (const [appId, pcs] of tables.partitions) {
    const info = tables.apps.get(appId);
    if (!info || info.status !== 'AS_AVAILABLE') continue;
    for (const pc of pcs) {
      if (pc.primary === node || pc.secondaries.includes(node)) answer.partitions.push({ config: pc, info, create_if_missing: mayCreateEmpty(tables, pc, node) });
      const pending = tables.pendingLearners.get(gpidToString(pc.pid));
      if (pending && pc.primary === node && pending.ballot === pc.ballot) {
        answer.learner_assignments.push({ pid: pc.pid, learner: pending.learner, ballot: pc.ballot });
      }
    }
  }
  for (const r of stored) {
    const info = tables.apps.get(r.pid.app_id);
    const pc = tables.partitions.get(r.pid.app_id)?.[r.pid.partition_index];
    if (!info || !pc) {
      answer.unknown.push({ pid: r.pid, ballot: r.ballot, reason: 'the metadata has no such partition' });
      continue;
    }
    const active = r.status !== 'PS_INACTIVE' && r.status !== 'PS_ERROR';
    // A dropped table's replicas close but keep their data until the retention ends (soft delete).
    if (info.status !== 'AS_AVAILABLE') {
      if (isRetentionExpired(info, nowSeconds)) answer.replicas_to_remove!.push(r.pid);
      else if (active) answer.replicas_to_close.push(r.pid);
      continue;
    }
    if (pc.primary === node || pc.secondaries.includes(node)) continue;
    if (r.ballot > pc.ballot) {
      answer.unknown.push({ pid: r.pid, ballot: r.ballot, reason: `its ballot ${r.ballot} is above the metadata's ${pc.ballot}` });
      continue;
    }
    const pending = tables.pendingLearners.get(gpidToString(r.pid));
    if (pending?.learner === node) continue;
    if (active) answer.replicas_to_close.push(r.pid);
  }
  return answer;
}
