// Entry point: `node --import tsx packages/replica/src/main.ts <path/to/config.ini>`.
// Operator mistakes (bad config, port in use) print one line to stderr and exit 1; SIGTERM or
// SIGINT stop serving, close every LevelDB cleanly and exit 0.

import * as grpc from '@grpc/grpc-js';
import { readReplicaConfig } from './config.ts';
import { maybeInstallFailPointSignal, noFailPoints } from './fail_points.ts';
import { stdoutLog } from './logger.ts';
import { ReplicaServerStartError, startReplicaServer } from './replica_server.ts';

// grpc-js writes its own errors to stderr; stderr is kept for the one line an operator must read,
// so its messages go to the server log instead.
grpc.setLogger({
  error: (...args: unknown[]) => stdoutLog(`grpc: ${args.map(String).join(' ')}`),
  info: (...args: unknown[]) => stdoutLog(`grpc: ${args.map(String).join(' ')}`),
  debug: (...args: unknown[]) => stdoutLog(`grpc: ${args.map(String).join(' ')}`),
});

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: main.ts <path/to/config.ini>\n');
    process.exit(1);
  }
  const read = await readReplicaConfig(file);
  if (!read.ok) {
    process.stderr.write(`ERR_INVALID_PARAMETERS: ${read.error}\n`);
    process.exit(1);
  }
  const cfg = read.config;
  const failPoints = noFailPoints();
  maybeInstallFailPointSignal(failPoints, process.env, stdoutLog);
  let server;
  try {
    server = await startReplicaServer({
      address: cfg.address,
      metaServers: cfg.metaServers,
      dataDir: cfg.dataDir,
      configSyncIntervalMs: cfg.configSyncIntervalMs,
      fdLeaseMs: cfg.fdLeaseSeconds * 1000,
      mutationLogSync: cfg.mutationLogSync,
      rpcTimeoutMs: cfg.rpcTimeoutMs,
      failPoints,
    });
  } catch (e) {
    if (!(e instanceof ReplicaServerStartError)) throw e;
    process.stderr.write(`${e.err}: ${e.message}\n`);
    process.exit(1);
  }
  const stop = (signal: string) => {
    process.stdout.write(`${new Date().toISOString()} got ${signal}, stopping\n`);
    // Not server.stop(): its graceful gRPC shutdown would crash Deno peers (see closeForExit).
    server.closeForExit().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`error while stopping: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

await main();
