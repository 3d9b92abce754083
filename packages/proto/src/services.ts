// gRPC service definitions, without protobuf: each method is a path plus the cbor-x codec.
// Method names are Pegasus's RPC handler names (meta_service.cpp, replica_stub.cpp).

import type * as grpc from '@grpc/grpc-js';
import { decodeMessage, encodeMessage } from './codec.ts';
import type * as m from './messages.ts';

function method<Req, Res>(service: string, name: string, responseStream = false): grpc.MethodDefinition<Req, Res> {
  return {
    path: `/${service}/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: encodeMessage,
    requestDeserialize: (b: Buffer) => decodeMessage<Req>(b),
    responseSerialize: encodeMessage,
    responseDeserialize: (b: Buffer) => decodeMessage<Res>(b),
  };
}

const META = 'pegasus.meta';
export const MetaService = {
  list_apps: method<m.ListAppsRequest, m.ListAppsResponse>(META, 'list_apps'),
  create_app: method<m.CreateAppRequest, m.CreateAppResponse>(META, 'create_app'),
  drop_app: method<m.DropAppRequest, m.DropAppResponse>(META, 'drop_app'),
  recall_app: method<m.RecallAppRequest, m.RecallAppResponse>(META, 'recall_app'),
  query_configuration_by_index: method<m.QueryConfigRequest, m.QueryConfigResponse>(META, 'query_configuration_by_index'),
  list_nodes: method<m.ListNodesRequest, m.ListNodesResponse>(META, 'list_nodes'),
  release_quarantine: method<m.ReleaseQuarantineRequest, m.ReleaseQuarantineResponse>(META, 'release_quarantine'),
  cluster_info: method<m.ClusterInfoRequest, m.ClusterInfoResponse>(META, 'cluster_info'),
  start_recovery: method<m.StartRecoveryRequest, m.StartRecoveryResponse>(META, 'start_recovery'),
  query_recovery_status: method<m.QueryRecoveryStatusRequest, m.QueryRecoveryStatusResponse>(META, 'query_recovery_status'),
  config_sync: method<m.ConfigSyncRequest, m.ConfigSyncResponse>(META, 'config_sync'),
  update_partition_configuration: method<m.UpdatePartitionConfigurationRequest, m.UpdatePartitionConfigurationResponse>(
    META,
    'update_partition_configuration',
  ),
};

const REPLICA = 'pegasus.replica';
export const ReplicaService = {
  client_write: method<m.ClientWriteRequest, m.ClientWriteResponse>(REPLICA, 'client_write'),
  client_read: method<m.ClientReadRequest, m.ClientReadResponse>(REPLICA, 'client_read'),
  prepare: method<m.PrepareRequest, m.PrepareResponse>(REPLICA, 'prepare'),
  commit: method<m.CommitRequest, m.CommitResponse>(REPLICA, 'commit'),
  query_app_info: method<m.QueryAppInfoRequest, m.QueryAppInfoResponse>(REPLICA, 'query_app_info'),
  query_replica_info: method<m.QueryReplicaInfoRequest, m.QueryReplicaInfoResponse>(REPLICA, 'query_replica_info'),
  add_learner: method<m.AddLearnerRequest, m.AddLearnerResponse>(REPLICA, 'add_learner'),
  learn: method<m.LearnRequest, m.LearnChunk>(REPLICA, 'learn', true),
  partition_digest: method<m.PartitionDigestRequest, m.PartitionDigestResponse>(REPLICA, 'partition_digest'),
};

export type MetaServiceDefinition = typeof MetaService;
export type ReplicaServiceDefinition = typeof ReplicaService;
