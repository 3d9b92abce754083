// The replica server's RPC handlers: each checks its request, finds the replica and hands over to
// the protocol phase that owns the RPC. query_app_info / query_replica_info are answered whatever
// the meta's state (metadata recovery depends on them, pegasus-spec §3.1).

import type * as grpc from '@grpc/grpc-js';
import type { AppInfo, Gpid, LearnChunk, LearnRequest, ReplicaServiceDefinition, UnaryHandlers } from '../../proto/src/index.ts';
import { INVALID_BALLOT } from '../../proto/src/index.ts';
import { clientWrite } from './replica_2pc.ts';
import { onAddLearner } from './replica_learn.ts';
import { onCommit, onPrepare } from './replica_prepare.ts';
import { clientRead, partitionDigest } from './replica_read.ts';
import type { ReplicaStub } from './replica_stub.ts';
import { serveLearn } from './replica_teach.ts';

function _isGpid(pid: unknown): pid is Gpid {
  const p = pid as Gpid | undefined;
  return typeof p === 'object' && p !== null && Number.isSafeInteger(p.app_id) && Number.isSafeInteger(p.partition_index);
}

function _isBytes(...values: unknown[]): boolean {
  return values.every((v) => v instanceof Uint8Array);
}

const EMPTY = new Uint8Array(0);

/** `ready` resolves once the replica dirs are loaded; handlers wait for it. */
export function replicaHandlers(stub: ReplicaStub, ready: Promise<void>): UnaryHandlers<ReplicaServiceDefinition> {
  const me = stub.me;
  return {
    client_write: async (req) => {
      await ready;
      if (!_isGpid(req.pid) || !_isBytes(req.hash_key, req.sort_key, req.value)) {
        return { err: 'ERR_INVALID_PARAMETERS', decree: -1, server: me };
      }
      const r = stub.get(req.pid);
      return r ? clientWrite(r, req) : { err: 'ERR_INVALID_STATE', decree: -1, server: me };
    },
    client_read: async (req) => {
      await ready;
      if (!_isGpid(req.pid) || !_isBytes(req.hash_key, req.sort_key)) return { err: 'ERR_INVALID_PARAMETERS', found: false, value: EMPTY, server: me };
      return clientRead(stub.get(req.pid), req, me);
    },
    prepare: async (req) => {
      await ready;
      if (!_isGpid(req.pid) || !Array.isArray(req.mutations)) return { err: 'ERR_INVALID_PARAMETERS', ballot: INVALID_BALLOT, last_prepared_decree: -1 };
      return onPrepare(stub.get(req.pid), req);
    },
    commit: async (req) => {
      await ready;
      return _isGpid(req.pid) ? onCommit(stub.get(req.pid), req) : { err: 'ERR_INVALID_PARAMETERS' };
    },
    query_app_info: async (req) => {
      await ready;
      stub.log(`${me}: got query app info request from (${req.meta_server ?? ''})`);
      // One app info per app_id, the first replica's wins (replica_stub.cpp:1258-1291).
      const apps = new Map<number, AppInfo>();
      for (const r of stub.replicas.values()) if (!apps.has(r.info.app_id)) apps.set(r.info.app_id, r.info);
      return { err: 'ERR_OK', apps: [...apps.values()] };
    },
    query_replica_info: async () => {
      await ready;
      return { err: 'ERR_OK', replicas: [...stub.replicas.values()].map((r) => r.replicaInfo()) };
    },
    add_learner: async (req) => {
      await ready;
      if (!_isGpid(req.pid) || typeof req.info !== 'object') return { err: 'ERR_INVALID_PARAMETERS', hint: 'pid and info are required' };
      return onAddLearner(stub.get(req.pid), req, () => stub.getOrCreate(req.pid, req.info, req.ballot));
    },
    // proto's UnaryHandlers cannot tell `learn` streams (its responseStream is typed `boolean`),
    // so the streaming signature is asserted here; startRpcServer does pass the call.
    learn: (async (req: LearnRequest, call: grpc.ServerWritableStream<LearnRequest, LearnChunk>) => {
      await ready;
      return serveLearn(_isGpid(req.pid) ? stub.get(req.pid) : undefined, req, call);
    }) as unknown as UnaryHandlers<ReplicaServiceDefinition>['learn'],
    partition_digest: async (req) => {
      await ready;
      return partitionDigest(_isGpid(req.pid) ? stub.get(req.pid) : undefined);
    },
  };
}
