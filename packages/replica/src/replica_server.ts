// Starting and stopping a whole replica server in-process: used by main.ts and by integration
// tests. The gRPC port is bound before any replica dir is touched, so a second server started by
// mistake on the same config stops at ERR_ADDRESS_ALREADY_USED and never opens the data.

import type { ErrorCode, NodeAddress, ReplicaInfo } from '../../proto/src/index.ts';
import { ReplicaService, shutdownRpcServer, startRpcServer } from '../../proto/src/index.ts';
import type { FailPoints } from './fail_points.ts';
import { type Log, stdoutLog } from './logger.ts';
import { DataDirLockedError } from './replica_dirs.ts';
import { IDLE_COMMIT_DELAY_MS } from './replica_2pc.ts';
import { replicaHandlers } from './replica_handlers.ts';
import { ReplicaStub } from './replica_stub.ts';

export type ReplicaServerOptions = {
  /** `host:port` to listen on; also this node's identity towards the meta and its peers. */
  address: NodeAddress;
  /** `[meta_server] server_list`. */
  metaServers: NodeAddress[];
  /** Absolute path; replicas live in `<dataDir>/reps/`. */
  dataDir: string;
  /** Default 1000. */
  configSyncIntervalMs?: number;
  /** Default 9000: `[replication] fd_lease_seconds` (see config.ts). */
  fdLeaseMs?: number;
  /** Default false: batches reach the OS (survive kill -9) but are not fsynced. */
  mutationLogSync?: boolean;
  /** Default 5000: deadline of every RPC this server makes (learn streams excepted). */
  rpcTimeoutMs?: number;
  /** Default IDLE_COMMIT_DELAY_MS: idle time after which a primary sends `commit` to its secondaries. */
  idleCommitDelayMs?: number;
  /** Test-only fault injection (fail_points.ts); default: all off. */
  failPoints?: FailPoints;
  /** Default: stdout, each line prefixed with an ISO time. */
  log?: Log;
};

export type ReplicaServerHandle = {
  address: NodeAddress;
  /** Graceful, for in-process use: drains gRPC, stops syncing, closes every LevelDB cleanly. */
  stop(): Promise<void>;
  /**
   * For a process about to exit (SIGTERM): stops syncing and closes every LevelDB cleanly, but
   * leaves the gRPC sockets for the OS to close. A graceful gRPC shutdown sends HTTP/2 GOAWAY to
   * every peer, and a peer running on Deno 2.9 then crashes inside nghttp2 (denoland/deno#36788,
   * reproduced here with three replica servers: the primary died with SIGSEGV when a secondary
   * shut down gracefully). A socket closed without GOAWAY is just a failed connection to peers.
   */
  closeForExit(): Promise<void>;
  /** What query_replica_info would answer (for tests). */
  replicaInfos(): ReplicaInfo[];
  /** Runs one config sync now instead of waiting for the timer (for tests). */
  syncNow(): Promise<void>;
};

/** A graceful gRPC shutdown is forced after this long (a learn stream would otherwise hold it open). */
const GRACEFUL_SHUTDOWN_MS = 1000;

/** A start failure an operator can act on; `err` is the code, the message says what to do. */
export class ReplicaServerStartError extends Error {
  readonly err: ErrorCode;
  constructor(err: ErrorCode, message: string) {
    super(message);
    this.err = err;
  }
}

export async function startReplicaServer(options: ReplicaServerOptions): Promise<ReplicaServerHandle> {
  const log = options.log ?? stdoutLog;
  const stub = new ReplicaStub({
    me: options.address,
    metaServers: options.metaServers,
    dataDir: options.dataDir,
    configSyncIntervalMs: options.configSyncIntervalMs ?? 1000,
    fdLeaseMs: options.fdLeaseMs ?? 9000,
    mutationLogSync: options.mutationLogSync ?? false,
    rpcTimeoutMs: options.rpcTimeoutMs ?? 5000,
    idleCommitDelayMs: options.idleCommitDelayMs ?? IDLE_COMMIT_DELAY_MS,
    failPoints: options.failPoints,
    log,
  });
  let markLoaded!: () => void;
  const loaded = new Promise<void>((resolve) => (markLoaded = resolve));
  const bound = await startRpcServer(ReplicaService, replicaHandlers(stub, loaded), options.address, log);
  if (!bound.ok) {
    const why = bound.err === 'ERR_ADDRESS_ALREADY_USED' ? 'the port is in use; stop the other process or change the port' : bound.detail;
    throw new ReplicaServerStartError(bound.err, `cannot listen on ${options.address}: ${why}`);
  }
  try {
    await stub.load();
  } catch (e) {
    await shutdownRpcServer(bound.server, GRACEFUL_SHUTDOWN_MS);
    await stub.stop({ closeConnections: true });
    if (e instanceof DataDirLockedError) throw new ReplicaServerStartError('ERR_INVALID_STATE', e.message);
    const detail = e instanceof Error ? e.message : String(e);
    throw new ReplicaServerStartError('ERR_INVALID_DATA', `cannot load replicas from ${options.dataDir}: ${detail}`);
  }
  markLoaded();
  stub.startSyncLoop();
  log(`replica server ${options.address} serving; meta servers ${options.metaServers.join(',')}`);
  let stopping: Promise<void> | undefined;
  const stopAll = (graceful: boolean) =>
    (stopping ??= (async () => {
      if (graceful) await shutdownRpcServer(bound.server, GRACEFUL_SHUTDOWN_MS);
      await stub.stop({ closeConnections: graceful });
      log(`replica server ${options.address} stopped`);
    })());
  return {
    address: options.address,
    stop: () => stopAll(true),
    closeForExit: () => stopAll(false),
    replicaInfos: () => [...stub.replicas.values()].map((r) => r.replicaInfo()),
    syncNow: () => stub.syncOnce(),
  };
}

