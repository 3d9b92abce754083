// Collection-phase benchmark of metadata recovery (issue "Metadata recovery", Benchmark): a generated
// cluster of 10 replica servers holding 100 tables x 32 partitions x 3 replicas, recovered from
// start_recovery to the last ZooKeeper write, split into collect / construct / write, beside the same
// number of raw ZooKeeper creates issued the same way (apps concurrently, then partitions
// concurrently), in one run against one private ZooKeeper.
//
// The replica servers are in-process gRPC servers answering query_app_info / query_replica_info
// from generated data (real gRPC + cbor-x over loopback, no LevelDB: recovery only reads metadata).
// Run: node --import tsx bench/recovery_bench.ts [--iterations N]

import { Bench } from 'tinybench';
import { type AppInfo, type ReplicaInfo, ReplicaService, RpcClient, startRpcServer } from '../packages/proto/src/index.ts';
import type { MetaConfig } from '../packages/meta/src/config.ts';
import { collectReplicaInfos } from '../packages/meta/src/recovery/collect_replica_infos.ts';
import { constructRecovery } from '../packages/meta/src/recovery/construct_recovery.ts';
import { MetaServiceCore } from '../packages/meta/src/server/meta_service.ts';
import { writeTables } from '../packages/meta/src/state_store/app_storage.ts';
import { connectZookeeperStore } from '../packages/meta/src/state_store/zookeeper_store.ts';
import { startPrivateZookeeper } from '../tests/support/zookeeper_server.ts';

const NODES = 10, TABLES = 100, PARTITIONS = 32, REPLICAS = 3;
const iterations = Number(process.argv[process.argv.indexOf('--iterations') + 1]) || 5;

function generate(): { nodes: Map<number, { apps: AppInfo[]; replicas: ReplicaInfo[] }> } {
  const nodes = new Map<number, { apps: AppInfo[]; replicas: ReplicaInfo[] }>();
  for (let n = 0; n < NODES; n++) nodes.set(n, { apps: [], replicas: [] });
  for (let app = 1; app <= TABLES; app++) {
    const info: AppInfo = { status: 'AS_AVAILABLE', app_type: 'pegasus', app_name: `t${app}`, app_id: app, partition_count: PARTITIONS, envs: {}, is_stateful: true, max_replica_count: REPLICAS, expire_second: 0, create_second: 1, drop_second: 0 };
    for (let p = 0; p < PARTITIONS; p++) {
      for (let r = 0; r < REPLICAS; r++) {
        const holder = nodes.get((app * PARTITIONS + p + r) % NODES)!;
        if (!holder.apps.includes(info)) holder.apps.push(info);
        holder.replicas.push({ pid: { app_id: app, partition_index: p }, ballot: 3 + r, status: 'PS_INACTIVE', last_committed_decree: 1000 + p, last_prepared_decree: 1000 + p + r, last_durable_decree: 1000 + p, app_type: 'pegasus', disk_tag: 'default' });
      }
    }
  }
  return { nodes };
}

async function main(): Promise<void> {
  const zk = await startPrivateZookeeper();
  const store = await connectZookeeperStore({ hostsList: zk.hostsList, timeoutMs: 30000, connectTimeoutMs: 10000, onSessionLost: () => {} });
  const { nodes } = generate();
  const servers = [];
  const addresses: string[] = [];
  for (const [, data] of nodes) {
    const port = 40000 + Math.floor(Math.random() * 20000);
    const bound = await startRpcServer(ReplicaService, {
      query_app_info: async () => ({ err: 'ERR_OK', apps: data.apps }),
      query_replica_info: async () => ({ err: 'ERR_OK', replicas: data.replicas }),
    }, `127.0.0.1:${port}`, () => {});
    if (!bound.ok) throw new Error(bound.detail);
    servers.push(bound.server);
    addresses.push(`127.0.0.1:${port}`);
  }
  const clients = new Map(addresses.map((a) => [a, new RpcClient(ReplicaService, a)]));
  const query = {
    queryAppInfo: (node: string, ms: number) => clients.get(node)!.call('query_app_info', { meta_server: 'bench:0' }, ms),
    queryReplicaInfo: (node: string, ms: number) => clients.get(node)!.call('query_replica_info', { node1: node }, ms),
  };
  let round = 0;
  const stages = { collect: [] as number[], construct: [] as number[], write: [] as number[] };
  const options = { skipBadNodes: false, skipLostPartitions: false, nowSeconds: 1, maxReservedDroppedReplicas: 1 };
  const bench = new Bench({ iterations, time: 0, warmupIterations: 1, throws: true });

  bench.add('start_recovery through the meta service (collect+construct+write)', async () => {
    const root = `/bench/service${round++}`;
    const config = { configPath: 'bench', address: '127.0.0.1:1', serverList: [], clusterRoot: root, lockRoot: root, recoverFromReplicaServer: true, holdSecondsForDroppedApp: 1, maxReservedDroppedReplicas: 1, emptyStorageCheckSeconds: 0, fdGraceSeconds: 5, lbIntervalMs: 100000, clusterName: 'bench', zookeeperHosts: zk.hostsList, zookeeperTimeoutMs: 30000, rpcTimeoutMs: 5000, defaultApps: [] } satisfies MetaConfig;
    const core = new MetaServiceCore({ config, store, log: () => {} });
    await core.start();
    const res = await core.handlers().start_recovery!({ recovery_nodes: addresses, skip_bad_nodes: false, skip_lost_partitions: false });
    if (res.err !== 'ERR_OK') throw new Error(`${res.err}: ${res.hint_message}`);
    await core.stop();
  });

  bench.add('the same recovery, stage by stage', async () => {
    let t = performance.now();
    const reports = await collectReplicaInfos(addresses, query, 5000);
    stages.collect.push(performance.now() - t);
    t = performance.now();
    const result = constructRecovery(reports, options);
    stages.construct.push(performance.now() - t);
    if (result.err !== 'ERR_OK') throw new Error(result.err);
    t = performance.now();
    await writeTables(store, `/bench/stages${round++}`, { apps: result.apps, partitions: result.partitions });
    stages.write.push(performance.now() - t);
  });

  bench.add(`raw ZooKeeper: ${2 + TABLES + TABLES * PARTITIONS} creates/sets issued the same way`, async () => {
    const root = `/bench/raw${round++}`;
    const payload = new Uint8Array(300);
    await store.ensurePath(root);
    await store.create(`${root}/apps`, payload);
    await Promise.all(Array.from({ length: TABLES }, (_, a) => store.create(`${root}/apps/${a + 1}`, payload)));
    const creates = [];
    for (let a = 1; a <= TABLES; a++) for (let p = 0; p < PARTITIONS; p++) creates.push(store.create(`${root}/apps/${a}/${p}`, payload));
    await Promise.all(creates);
    await store.set(`${root}/apps`, payload);
  });

  await bench.run();
  console.log(`recovery benchmark: ${NODES} replica servers, ${TABLES} tables x ${PARTITIONS} partitions x ${REPLICAS} replicas, ${iterations} iterations, ${new Date().toISOString()}`);
  for (const task of bench.tasks) {
    const r = task.result as unknown as { latency?: { p50?: number; mean?: number; min?: number; max?: number } };
    const l = r.latency ?? {};
    console.log(`${task.name.padEnd(78)} p50 ${l.p50?.toFixed(1)} ms  mean ${l.mean?.toFixed(1)} ms  min ${l.min?.toFixed(1)}  max ${l.max?.toFixed(1)}`);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`stages (median of ${stages.collect.length}): collect ${median(stages.collect).toFixed(1)} ms, construct ${median(stages.construct).toFixed(1)} ms, write ${median(stages.write).toFixed(1)} ms`);
  clients.forEach((c) => c.close());
  servers.forEach((s) => s.forceShutdown());
  await store.close();
  await zk.stop();
}

main().catch((e) => {
  console.error(`ERROR: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
