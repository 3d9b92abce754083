// gRPC service definitions, without protobuf: each method is a path plus the cbor-x codec.
// Method names are Pegasus's RPC handler names (meta_service.cpp, replica_stub.cpp).

import type * as grpc from '@grpc/grpc-js';
import { decodeMessage, encodeMessage } from './codec.ts';
import type * as m from './messages.ts';
import { CONFIG_TYPES, MUTATION_OPS, NODE_STATUSES, RECOVERY_MODES } from './messages.ts';
import { address, anything, arrayOf, bool, bytes, int, mapOf, obj, oneOf, type Shape, str } from './shapes.ts';
import { APP_STATUSES, type AppInfo, type Gpid, PARTITION_STATUSES, type PartitionConfiguration, type ReplicaInfo } from './types.ts';

/** A method with the shape its requests must have (checked by startRpcServer before the handler). */
export type MethodWithShape<Req, Res> = grpc.MethodDefinition<Req, Res> & { requestShape: Shape };

function method<Req, Res>(service: string, name: string, requestShape: Shape, responseStream = false): MethodWithShape<Req, Res> {
  return {
    path: `/${service}/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: encodeMessage,
    requestDeserialize: (b: Buffer) => decodeMessage<Req>(b),
    responseSerialize: encodeMessage,
    responseDeserialize: (b: Buffer) => decodeMessage<Res>(b),
    requestShape,
  };
}

// Shapes of the structs inside requests (types.ts, messages.ts), field for field.
const GPID = obj<Gpid>({ app_id: int, partition_index: int });
const APP_INFO = obj<AppInfo>({
  status: oneOf(...APP_STATUSES),
  app_type: str,
  app_name: str,
  app_id: int,
  partition_count: int,
  envs: mapOf(str),
  is_stateful: bool,
  max_replica_count: int,
  expire_second: int,
  create_second: int,
  drop_second: int,
});
const PARTITION_CONFIGURATION = obj<PartitionConfiguration>({
  pid: GPID,
  ballot: int,
  max_replica_count: int,
  primary: str,
  secondaries: arrayOf(str),
  last_drops: arrayOf(str),
  last_committed_decree: int,
  partition_flags: int,
});
const REPLICA_INFO = obj<ReplicaInfo>({
  pid: GPID,
  ballot: int,
  status: oneOf(...PARTITION_STATUSES),
  last_committed_decree: int,
  last_prepared_decree: int,
  last_durable_decree: int,
  app_type: str,
  disk_tag: str,
});
const MUTATION_OP = oneOf(...MUTATION_OPS);
const MUTATION = obj<m.Mutation>({ decree: int, op: MUTATION_OP, key: bytes, value: bytes });

const META = 'pegasus.meta';
export const MetaService = {
  list_apps: method<m.ListAppsRequest, m.ListAppsResponse>(META, 'list_apps', obj<m.ListAppsRequest>({ status: oneOf('all', ...APP_STATUSES) })),
  create_app: method<m.CreateAppRequest, m.CreateAppResponse>(
    META,
    'create_app',
    obj<m.CreateAppRequest>({
      app_name: str,
      options: obj<m.CreateAppRequest['options']>({ partition_count: int, replica_count: int, success_if_exist: bool, app_type: str, envs: mapOf(str) }),
    }),
  ),
  drop_app: method<m.DropAppRequest, m.DropAppResponse>(
    META,
    'drop_app',
    obj<m.DropAppRequest>({ app_name: str, options: obj<m.DropAppRequest['options']>({ success_if_not_exist: bool, reserve_seconds: int }) }),
  ),
  recall_app: method<m.RecallAppRequest, m.RecallAppResponse>(META, 'recall_app', obj<m.RecallAppRequest>({ app_id: int, new_app_name: str })),
  query_configuration_by_index: method<m.QueryConfigRequest, m.QueryConfigResponse>(
    META,
    'query_configuration_by_index',
    obj<m.QueryConfigRequest>({ app_name: str, partition_indices: arrayOf(int) }),
  ),
  list_nodes: method<m.ListNodesRequest, m.ListNodesResponse>(META, 'list_nodes', obj<m.ListNodesRequest>({ status: oneOf('all', ...NODE_STATUSES) })),
  release_quarantine: method<m.ReleaseQuarantineRequest, m.ReleaseQuarantineResponse>(META, 'release_quarantine', obj<m.ReleaseQuarantineRequest>({ node: str, gpid: str }, ['gpid'])),
  cluster_info: method<m.ClusterInfoRequest, m.ClusterInfoResponse>(META, 'cluster_info', obj<m.ClusterInfoRequest>({})),
  start_recovery: method<m.StartRecoveryRequest, m.StartRecoveryResponse>(
    META,
    'start_recovery',
    obj<m.StartRecoveryRequest>(
      {
        recovery_nodes: arrayOf(str),
        skip_bad_nodes: bool,
        skip_lost_partitions: bool,
        // A misspelt mode must be refused, never taken for a recovery that writes.
        mode: oneOf(...RECOVERY_MODES),
        expected_plan_id: str,
        // A saved plan's fingerprints, as the operator's file holds them: plan_diff.ts reads any shape.
        expected_fingerprints: arrayOf(anything),
        attempt_token: str,
      },
      ['mode', 'expected_plan_id', 'expected_fingerprints', 'attempt_token'],
    ),
  ),
  query_recovery_status: method<m.QueryRecoveryStatusRequest, m.QueryRecoveryStatusResponse>(META, 'query_recovery_status', obj<m.QueryRecoveryStatusRequest>({})),
  config_sync: method<m.ConfigSyncRequest, m.ConfigSyncResponse>(
    META,
    'config_sync',
    obj<m.ConfigSyncRequest>({ node: address, stored_replicas: arrayOf(REPLICA_INFO), missing_replicas: arrayOf(GPID) }, ['missing_replicas']),
  ),
  update_partition_configuration: method<m.UpdatePartitionConfigurationRequest, m.UpdatePartitionConfigurationResponse>(
    META,
    'update_partition_configuration',
    obj<m.UpdatePartitionConfigurationRequest>({ type: oneOf(...CONFIG_TYPES), node: address, config: PARTITION_CONFIGURATION }),
  ),
};

const REPLICA = 'pegasus.replica';
export const ReplicaService = {
  client_write: method<m.ClientWriteRequest, m.ClientWriteResponse>(
    REPLICA,
    'client_write',
    obj<m.ClientWriteRequest>({ pid: GPID, op: MUTATION_OP, hash_key: bytes, sort_key: bytes, value: bytes }),
  ),
  client_read: method<m.ClientReadRequest, m.ClientReadResponse>(REPLICA, 'client_read', obj<m.ClientReadRequest>({ pid: GPID, hash_key: bytes, sort_key: bytes })),
  prepare: method<m.PrepareRequest, m.PrepareResponse>(
    REPLICA,
    'prepare',
    obj<m.PrepareRequest>({ pid: GPID, ballot: int, mutations: arrayOf(MUTATION), last_committed_decree: int }),
  ),
  commit: method<m.CommitRequest, m.CommitResponse>(REPLICA, 'commit', obj<m.CommitRequest>({ pid: GPID, ballot: int, last_committed_decree: int })),
  query_app_info: method<m.QueryAppInfoRequest, m.QueryAppInfoResponse>(REPLICA, 'query_app_info', obj<m.QueryAppInfoRequest>({ meta_server: str })),
  query_replica_info: method<m.QueryReplicaInfoRequest, m.QueryReplicaInfoResponse>(REPLICA, 'query_replica_info', obj<m.QueryReplicaInfoRequest>({ node1: str })),
  add_learner: method<m.AddLearnerRequest, m.AddLearnerResponse>(
    REPLICA,
    'add_learner',
    obj<m.AddLearnerRequest>({ pid: GPID, ballot: int, primary: str, info: APP_INFO }),
  ),
  learn: method<m.LearnRequest, m.LearnChunk>(
    REPLICA,
    'learn',
    obj<m.LearnRequest>({ pid: GPID, ballot: int, learner: str, last_committed_decree: int }),
    true,
  ),
  partition_digest: method<m.PartitionDigestRequest, m.PartitionDigestResponse>(REPLICA, 'partition_digest', obj<m.PartitionDigestRequest>({ pid: GPID })),
};

export type MetaServiceDefinition = typeof MetaService;
export type ReplicaServiceDefinition = typeof ReplicaService;
