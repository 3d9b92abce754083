// Request and response messages of every RPC. Names follow Pegasus's thrift structs and RPC names
// (idl/meta_admin.thrift, idl/replica_admin.thrift); every response carries `err`.

import type { NodeFingerprint, QuarantinedReplica, RecoveryAudit, RecoveryPlan } from './recovery_plan.ts';
import type { ErrorCode } from './error_code.ts';
import type { AppInfo, AppStatus, Gpid, NodeAddress, PartitionConfiguration, PartitionStatus, ReplicaInfo } from './types.ts';

// ---- meta server: client and admin RPCs ----------------------------------------------------------

export type ListAppsRequest = { status: AppStatus | 'all' };
export type ListAppsResponse = { err: ErrorCode; hint: string; infos: AppInfo[] };

export type CreateAppRequest = {
  app_name: string;
  options: {
    partition_count: number;
    replica_count: number;
    success_if_exist: boolean;
    app_type: string;
    envs: Record<string, string>;
  };
};
export type CreateAppResponse = { err: ErrorCode; hint: string; appid: number };

export type DropAppRequest = { app_name: string; options: { success_if_not_exist: boolean; reserve_seconds: number } };
export type DropAppResponse = { err: ErrorCode; hint: string };

export type RecallAppRequest = { app_id: number; new_app_name: string };
export type RecallAppResponse = { err: ErrorCode; hint: string; info?: AppInfo };

/** Pegasus: query_cfg_request / RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX. Empty indices = all. */
export type QueryConfigRequest = { app_name: string; partition_indices: number[] };
export type QueryConfigResponse = {
  err: ErrorCode;
  hint: string;
  app_id: number;
  partition_count: number;
  is_stateful: boolean;
  partitions: PartitionConfiguration[];
};

export const NODE_STATUSES = ['ALIVE', 'UNALIVE'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];
export type NodeInfo = { node: NodeAddress; status: NodeStatus };
export type ListNodesRequest = { status: NodeStatus | 'all' };
export type ListNodesResponse = {
  err: ErrorCode;
  hint: string;
  infos: NodeInfo[];
  /** Our extension: replicas in quarantine after a partial recovery (absent when none). */
  quarantined?: QuarantinedReplica[];
};

/**
 * Our extension (issue "Recovery an operator can trust", Fencing): let the replica server remove the
 * quarantined replicas of `node` (only `gpid`'s, when given), once the operator has compared them
 * with the serving replicas (shell `quarantine --release`).
 */
export type ReleaseQuarantineRequest = { node: NodeAddress; gpid?: string };
export type ReleaseQuarantineResponse = { err: ErrorCode; hint: string; released: QuarantinedReplica[] };

export type ClusterInfoRequest = Record<string, never>;
export type ClusterInfoResponse = { err: ErrorCode; hint: string; keys: string[]; values: string[] };

/**
 * What start_recovery is asked to do (our extension; Pegasus has only `recover`):
 * - recover: collect, construct and write in one step (the seed's plain form);
 * - plan: collect and construct, write nothing, answer the plan (also in serving mode: a drill);
 * - apply: collect again, and write only if the cluster still matches `expected_plan_id`.
 */
export const RECOVERY_MODES = ['recover', 'plan', 'apply'] as const;
export type RecoveryMode = (typeof RECOVERY_MODES)[number];

/** Pegasus: configuration_recovery_request (idl/meta_admin.thrift), plus `mode` and the plan to apply. */
export type StartRecoveryRequest = {
  recovery_nodes: NodeAddress[];
  skip_bad_nodes: boolean;
  skip_lost_partitions: boolean;
  mode?: RecoveryMode;
  /** apply: the reviewed plan's id and the answers it was built from (to name what changed). */
  expected_plan_id?: string;
  expected_fingerprints?: NodeFingerprint[];
  /**
   * Chosen by the caller (any text, e.g. random): query_recovery_status reports it while this
   * attempt runs and after it ended, so a shell prints only its own attempt's progress.
   */
  attempt_token?: string;
};
export type StartRecoveryResponse = {
  err: ErrorCode;
  hint_message: string;
  /** Every mode: the plan built from this attempt's answers (absent when the node list was refused). */
  plan?: RecoveryPlan;
  /** apply refused because the cluster moved: one line per change since the plan. */
  changes?: string[];
  /** How each listed node answered the collection. */
  collected?: CollectedNode[];
};

/** One node's answer to the collection, as progress: ERR_OK or its error, and how long it took. */
export type CollectedNode = { node: NodeAddress; err: ErrorCode; latency_ms: number };

export type RecoveryStage = 'idle' | 'collecting' | 'constructing' | 'writing' | 'done' | 'failed';

/** Our extension: is a recovery running, at which stage, and how did the last one end. */
export type QueryRecoveryStatusRequest = Record<string, never>;
export type QueryRecoveryStatusResponse = {
  err: ErrorCode;
  hint: string;
  /** The meta's mode: starting, checking_empty_storage, recovery or serving. */
  meta_mode: string;
  running: boolean;
  /** The stage of the running attempt, or how the last attempt since this meta started ended. */
  stage: RecoveryStage;
  mode: RecoveryMode | '';
  started_at_ms: number;
  finished_at_ms: number;
  /** The attempt_token of the attempt described ('' when it gave none). */
  attempt_token: string;
  /** Nodes that answered so far (running) or in the last attempt. */
  collected: CollectedNode[];
  /** The last attempt's answer, once it ended. */
  last_err: ErrorCode | '';
  last_hint_message: string;
  /** The completed recovery recorded under cluster_root, if any (survives meta restarts). */
  audit?: RecoveryAudit;
};

// ---- meta server: replica-server RPCs ------------------------------------------------------------

/**
 * Pegasus: RPC_CM_CONFIG_SYNC. Doubles as the failure-detector beacon: a replica server sends it
 * every `config_sync_interval_ms` with every replica it stores.
 */
export type ConfigSyncRequest = {
  node: NodeAddress;
  stored_replicas: ReplicaInfo[];
  /**
   * Partitions the meta's last answer listed this node as a member of, which it holds no replica
   * of and was not told to create (its data dir was lost or moved away). The meta then takes the
   * node out of those partitions as if it had died there, and the guardian heals them from the
   * replicas that hold the data (Pegasus: remove_replica_on_meta_server). Absent: none.
   */
  missing_replicas?: Gpid[];
};
export type ConfigSyncResponse = {
  err: ErrorCode;
  hint: string;
  /**
   * Every partition the node serves (as primary or secondary), with its app info.
   * `create_if_missing`: the node may create the replica empty if it has none. True only for a
   * partition that holds no data yet (a new table's, or a fresh primary the guardian placed); a
   * member that lacks any other partition must not create it empty (it would serve nothing as if
   * it held the rows), and reports it in `missing_replicas` instead.
   */
  partitions: { config: PartitionConfiguration; info: AppInfo; create_if_missing: boolean }[];
  /** Partitions whose primary is this node and that need a new secondary: the primary teaches it. */
  learner_assignments: { pid: Gpid; learner: NodeAddress; ballot: number }[];
  /** Replicas this node must close (not delete): the meta does not assign them to it. */
  replicas_to_close: Gpid[];
  /**
   * Replicas of dropped tables whose retention has expired: the node deletes their data (Pegasus:
   * gc_replicas in the config sync reply). Absent in answers from older metas: treat as empty.
   */
  replicas_to_remove?: Gpid[];
};

export const CONFIG_TYPES = ['CT_UPGRADE_TO_SECONDARY', 'CT_REMOVE', 'CT_ASSIGN_PRIMARY'] as const;
export type ConfigType = (typeof CONFIG_TYPES)[number];

/** Pegasus: RPC_CM_UPDATE_PARTITION_CONFIGURATION, sent by a primary. */
export type UpdatePartitionConfigurationRequest = {
  type: ConfigType;
  node: NodeAddress;
  /** The configuration the primary believes is current; the meta refuses a stale ballot. */
  config: PartitionConfiguration;
};
export type UpdatePartitionConfigurationResponse = { err: ErrorCode; hint: string; config?: PartitionConfiguration };

// ---- replica server ------------------------------------------------------------------------------

export const MUTATION_OPS = ['put', 'remove'] as const;
export type MutationOp = (typeof MUTATION_OPS)[number];
export type Mutation = { decree: number; op: MutationOp; key: Uint8Array; value: Uint8Array };

export type ClientWriteRequest = { pid: Gpid; op: MutationOp; hash_key: Uint8Array; sort_key: Uint8Array; value: Uint8Array };
export type ClientWriteResponse = { err: ErrorCode; decree: number; server: NodeAddress };

export type ClientReadRequest = { pid: Gpid; hash_key: Uint8Array; sort_key: Uint8Array };
export type ClientReadResponse = { err: ErrorCode; found: boolean; value: Uint8Array; server: NodeAddress };

/** Primary -> secondaries (and learners): log these mutations at `ballot`; commit up to `last_committed_decree`. */
export type PrepareRequest = { pid: Gpid; ballot: number; mutations: Mutation[]; last_committed_decree: number };
export type PrepareResponse = { err: ErrorCode; ballot: number; last_prepared_decree: number };

/** Primary -> secondaries when idle: commit up to `last_committed_decree`. */
export type CommitRequest = { pid: Gpid; ballot: number; last_committed_decree: number };
export type CommitResponse = { err: ErrorCode };

/** Pegasus: query_app_info_request; `meta_server` names the asker. */
export type QueryAppInfoRequest = { meta_server: NodeAddress };
export type QueryAppInfoResponse = { err: ErrorCode; apps: AppInfo[] };

/** Pegasus: query_replica_info_request; `node1` is the target node, ignored by the replica. */
export type QueryReplicaInfoRequest = { node1: NodeAddress };
export type QueryReplicaInfoResponse = { err: ErrorCode; replicas: ReplicaInfo[] };

/** Primary -> learner: start learning `pid` from me at `ballot`. */
export type AddLearnerRequest = { pid: Gpid; ballot: number; primary: NodeAddress; info: AppInfo };
export type AddLearnerResponse = { err: ErrorCode; hint: string };

/** Learner -> primary, server-streaming: everything after the learner's state. */
export type LearnRequest = {
  pid: Gpid;
  ballot: number;
  learner: NodeAddress;
  /** The learner's committed decree; -1 asks for a full copy. */
  last_committed_decree: number;
};
/** One chunk of a learn stream: either data rows of a checkpoint or committed mutations. */
export type LearnChunk = {
  err: ErrorCode;
  kind: 'checkpoint_rows' | 'checkpoint_done' | 'mutations' | 'done';
  rows: { key: Uint8Array; value: Uint8Array }[];
  mutations: Mutation[];
  /** For checkpoint_done: the committed decree the checkpoint stands at. For done: primary's lcd. */
  decree: number;
};

/** Per-partition digest of committed data, read from one replica (for verification and tests). */
export type PartitionDigestRequest = { pid: Gpid };
export type PartitionDigestResponse = {
  err: ErrorCode;
  status: PartitionStatus;
  ballot: number;
  last_committed_decree: number;
  row_count: number;
  checksum: string;
};
