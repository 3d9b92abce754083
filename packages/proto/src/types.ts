// Wire and stored structures. Field names are Pegasus's thrift field names (snake_case) so a port
// can grep for them (idl/dsn.layer2.thrift, idl/metadata.thrift). TypeScript variables stay camelCase.

// Enumerations are lists of their texts, so the request shapes (services.ts) name the same values.
export const APP_STATUSES = ['AS_INVALID', 'AS_AVAILABLE', 'AS_CREATING', 'AS_DROPPING', 'AS_DROPPED', 'AS_RECALLING'] as const;
export type AppStatus = (typeof APP_STATUSES)[number];

export const PARTITION_STATUSES = ['PS_INVALID', 'PS_INACTIVE', 'PS_ERROR', 'PS_PRIMARY', 'PS_SECONDARY', 'PS_POTENTIAL_SECONDARY'] as const;
export type PartitionStatus = (typeof PARTITION_STATUSES)[number];

/** A node's identity is its `host:port` text, exactly (pegasus-spec §2.7, "Node identity pitfall"). */
export type NodeAddress = string;

/** Partition id: "app_id.partition_index", as Pegasus prints a gpid. */
export type Gpid = { app_id: number; partition_index: number };

export function gpidToString(pid: Gpid): string {
  return `${pid.app_id}.${pid.partition_index}`;
}

export function parseGpid(text: string): Gpid | undefined {
  const m = /^(\d+)\.(\d+)$/.exec(text);
  if (!m) return undefined;
  return { app_id: Number(m[1]), partition_index: Number(m[2]) };
}

export type AppInfo = {
  status: AppStatus;
  app_type: string;
  app_name: string;
  app_id: number;
  partition_count: number;
  envs: Record<string, string>;
  is_stateful: boolean;
  max_replica_count: number;
  /** Seconds since the epoch; 0 when not dropped. */
  expire_second: number;
  create_second: number;
  drop_second: number;
};

export type PartitionConfiguration = {
  pid: Gpid;
  ballot: number;
  max_replica_count: number;
  /** '' when there is no primary. */
  primary: NodeAddress;
  secondaries: NodeAddress[];
  /** Nodes that held a replica most recently, worst first and best last (Pegasus's order). */
  last_drops: NodeAddress[];
  last_committed_decree: number;
  partition_flags: number;
};

/** What a replica server reports about one replica it holds (query_replica_info, config_sync). */
export type ReplicaInfo = {
  pid: Gpid;
  ballot: number;
  status: PartitionStatus;
  last_committed_decree: number;
  last_prepared_decree: number;
  last_durable_decree: number;
  app_type: string;
  disk_tag: string;
};

export const INVALID_BALLOT = -1;

export function emptyPartitionConfiguration(pid: Gpid, maxReplicaCount: number): PartitionConfiguration {
  return {
    pid,
    ballot: 0,
    max_replica_count: maxReplicaCount,
    primary: '',
    secondaries: [],
    last_drops: [],
    last_committed_decree: 0,
    partition_flags: 0,
  };
}

/** Members of a partition: primary first, then secondaries. */
export function partitionMembers(pc: PartitionConfiguration): NodeAddress[] {
  return pc.primary ? [pc.primary, ...pc.secondaries] : [...pc.secondaries];
}

/** Parse "host:port"; the host must be an IPv4 literal or a plain hostname, the port 1..65535. */
export function parseNodeAddress(text: string): NodeAddress | undefined {
  const m = /^([A-Za-z0-9][A-Za-z0-9.-]*):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return `${m[1]}:${port}`;
}

/**
 * Valid table names: Pegasus's valid_app_char (0-9 a-z A-Z . : _) plus '-', because metadata
 * recovery renames a conflicting table to `{name}-{id}` (the seed's spelling; docs/decisions.md),
 * and that name must stay usable from the shell and the bench.
 */
export const APP_NAME_CHARS = '0-9a-zA-Z.:_-';

export function isValidAppName(name: string): boolean {
  return name.length > 0 && name.length <= 128 && /^[0-9a-zA-Z.:_-]+$/.test(name);
}
