// Entry point of a meta server process: `node --import tsx packages/meta/src/main.ts <config.ini>`.
// Every refusal is one line on stderr and exit code 1; a stack trace here is a bug.

import { readFileSync } from 'node:fs';
import { MetaService, startRpcServer } from '../../proto/src/index.ts';
import { parseMetaConfig } from './config.ts';
import { MetaServiceCore } from './server/meta_service.ts';
import { connectZookeeperStore } from './state_store/zookeeper_store.ts';

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

function fail(line: string): never {
  // run.sh sends stdout and stderr to one server.log, so one write is enough.
  process.stderr.write(`${new Date().toISOString()} ERROR: ${line}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const configPath = process.argv[2];
  if (!configPath) fail('usage: meta <config.ini>');
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (e) {
    fail(`cannot read config file ${configPath}: ${(e as Error).message}`);
  }
  const parsed = parseMetaConfig(text, configPath);
  if (!parsed.ok) fail(parsed.error);
  const config = parsed.config;
  log(`meta server ${config.address} starting: cluster_root = ${config.clusterRoot}, recover_from_replica_server = ${config.recoverFromReplicaServer}`);

  let store;
  try {
    store = await connectZookeeperStore({
      hostsList: config.zookeeperHosts,
      timeoutMs: config.zookeeperTimeoutMs,
      // A ZooKeeper just started (cold JVM, fsync of its first transaction) can take longer than a
      // short session timeout's connect attempt (2/3 of it, in the C client); allow a few attempts.
      connectTimeoutMs: Math.max(30_000, config.zookeeperTimeoutMs),
      onSessionLost: (detail) => fail(`${detail}: the leader lock is gone, stopping so another meta server can take over`),
      onConnectionChange: (connected, detail) => log(connected ? detail : `WARNING: ${detail}`),
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const core = new MetaServiceCore({ config, store, log });
  const bound = await startRpcServer(MetaService, core.handlers(), config.address, log);
  if (!bound.ok) fail(`cannot listen on ${config.address} ([apps.meta] ports in ${configPath}): ${bound.err}: ${bound.detail}`);
  log(`listening on ${config.address}`);

  const shutdown = async (signal: string) => {
    log(`${signal}: stopping`);
    await core.stop();
    bound.server.forceShutdown();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    const result = await core.start();
    if (!result.ok) {
      // Delete the leader lock node before leaving: closing the session is not awaited by the
      // ZooKeeper client, so without this the node could outlive the process until the session
      // times out, and the operator's corrected restart would wait that long for the lock.
      await core.stop();
      await store.close();
      fail(result.error);
    }
    log(`meta server ${config.address} is ${result.mode}`);
  } catch (e) {
    fail(`start-up failed: ${(e as Error).message}`);
  }
}

main().catch((e) => fail(`unexpected: ${e instanceof Error ? e.stack : String(e)}`));
