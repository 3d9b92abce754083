// Helpers for tests that need a real gRPC server in the test process (fake metas and replicas).
// Ports are drawn at random from 40000-59999, away from the onebox ports (34601.., 34801..).

import type * as grpc from '@grpc/grpc-js';
import {
  type AppInfo,
  type ClientReadResponse,
  type ClientWriteResponse,
  MetaService,
  type PartitionConfiguration,
  ReplicaService,
  shutdownRpcServer,
  startRpcServer,
  type UnaryHandlers,
} from '../../proto/src/index.ts';

type AnyService = Record<string, grpc.MethodDefinition<any, any>>;

export type TestServer = { address: string; server: grpc.Server; stop: () => Promise<void> };

/** Bind `handlers` on 127.0.0.1 at a random port in 40000-59999, retrying when a port is taken. */
export async function startTestServer<S extends AnyService>(service: S, handlers: UnaryHandlers<S>): Promise<TestServer> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 40000 + Math.floor(Math.random() * 20000);
    const address = `127.0.0.1:${port}`;
    const started = await startRpcServer(service, handlers, address, (line) => console.error(line));
    if (started.ok) {
      const server = started.server;
      const stop = () => shutdownRpcServer(server);
      return { address, server, stop };
    }
    if (started.err !== 'ERR_ADDRESS_ALREADY_USED') throw new Error(`cannot start test server: ${started.detail}`);
  }
  throw new Error('cannot find a free port in 40000-59999');
}

/** An address in the test range where nothing listens (bound and released at once). */
export async function unusedAddress(): Promise<string> {
  const { createServer } = await import('node:net');
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 40000 + Math.floor(Math.random() * 20000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return `127.0.0.1:${port}`;
  }
  throw new Error('cannot find a free port in 40000-59999');
}

/** An AVAILABLE app info with Pegasus's defaults; override what the test cares about. */
export function appInfo(overrides: Partial<AppInfo> & { app_id: number; app_name: string }): AppInfo {
  return {
    status: 'AS_AVAILABLE',
    app_type: 'pegasus',
    partition_count: 4,
    envs: {},
    is_stateful: true,
    max_replica_count: 3,
    expire_second: 0,
    create_second: 0,
    drop_second: 0,
    ...overrides,
  };
}

/** A partition configuration: `members` is [primary, ...secondaries]; '' as primary means none. */
export function partition(appId: number, pidx: number, members: string[], ballot = 1, maxReplicaCount = 3): PartitionConfiguration {
  const [primary = '', ...secondaries] = members;
  return {
    pid: { app_id: appId, partition_index: pidx },
    ballot,
    max_replica_count: maxReplicaCount,
    primary,
    secondaries,
    last_drops: [],
    last_committed_decree: 0,
    partition_flags: 0,
  };
}

export type MemoryReplica = TestServer & { rows: Map<string, Uint8Array>; requests: number };

/** A replica server that keeps rows in a Map and serves every partition it is asked for as primary. */
export async function startMemoryReplica(): Promise<MemoryReplica> {
  const self = { rows: new Map<string, Uint8Array>(), requests: 0 } as MemoryReplica;
  const key = (h: Uint8Array, s: Uint8Array) => `${Buffer.from(h).toString('hex')}/${Buffer.from(s).toString('hex')}`;
  let decree = 0;
  const server = await startTestServer(ReplicaService, {
    client_write: async (req): Promise<ClientWriteResponse> => {
      self.requests++;
      if (req.op === 'put') self.rows.set(key(req.hash_key, req.sort_key), req.value);
      else self.rows.delete(key(req.hash_key, req.sort_key));
      return { err: 'ERR_OK', decree: ++decree, server: self.address };
    },
    client_read: async (req): Promise<ClientReadResponse> => {
      self.requests++;
      const value = self.rows.get(key(req.hash_key, req.sort_key));
      return { err: 'ERR_OK', found: value !== undefined, value: value ?? new Uint8Array(0), server: self.address };
    },
  });
  return Object.assign(self, server);
}

/** A meta that serves one table whose partitions have the given primaries (round robin). */
export async function startTableMeta(appName: string, partitionCount: number, primaries: string[]): Promise<TestServer> {
  const partitions = Array.from({ length: partitionCount }, (_, i) => partition(2, i, [primaries[i % primaries.length]], 1, 1));
  return startTestServer(MetaService, {
    query_configuration_by_index: async (req) =>
      req.app_name === appName
        ? { err: 'ERR_OK', hint: '', app_id: 2, partition_count: partitionCount, is_stateful: true, partitions }
        : { err: 'ERR_OBJECT_NOT_FOUND', hint: '', app_id: 0, partition_count: 0, is_stateful: true, partitions: [] },
  });
}
