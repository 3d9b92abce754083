// The generated cluster of the recovery benchmarks: 10 replica servers holding 100 tables x 32
// partitions x 3 replicas, as in-process gRPC servers answering query_app_info and
// query_replica_info from generated data (real gRPC + cbor-x over loopback, no LevelDB: recovery
// reads only metadata). bench/recovery_bench.ts runs them in its own process or, through
// _recovery_bench_servers.ts, in a child process of their own (the shape of a real cluster, where
// a node's encoding and sending does not run on the meta's thread).

import { type AppInfo, type ReplicaInfo, ReplicaService, startRpcServer } from '../packages/proto/src/index.ts';

export const NODES = 10, TABLES = 100, PARTITIONS = 32, REPLICAS = 3;

export type GeneratedNode = { apps: AppInfo[]; replicas: ReplicaInfo[] };

/** The same data every time: replica r of partition p of app a lives on node (a*32 + p + r) % 10. */
export function generateCluster(): GeneratedNode[] {
  const nodes: GeneratedNode[] = Array.from({ length: NODES }, () => ({ apps: [], replicas: [] }));
  for (let app = 1; app <= TABLES; app++) {
    const info: AppInfo = { status: 'AS_AVAILABLE', app_type: 'pegasus', app_name: `t${app}`, app_id: app, partition_count: PARTITIONS, envs: {}, is_stateful: true, max_replica_count: REPLICAS, expire_second: 0, create_second: 1, drop_second: 0 };
    for (let p = 0; p < PARTITIONS; p++) {
      for (let r = 0; r < REPLICAS; r++) {
        const holder = nodes[(app * PARTITIONS + p + r) % NODES];
        if (!holder.apps.includes(info)) holder.apps.push(info);
        holder.replicas.push({ pid: { app_id: app, partition_index: p }, ballot: 3 + r, status: 'PS_INACTIVE', last_committed_decree: 1000 + p, last_prepared_decree: 1000 + p + r, last_durable_decree: 1000 + p, app_type: 'pegasus', disk_tag: 'default' });
      }
    }
  }
  return nodes;
}

/** Start one gRPC server per generated node on a free loopback port; their addresses and a stop. */
export async function startGeneratedServers(nodes: readonly GeneratedNode[]): Promise<{ addresses: string[]; stop: () => void }> {
  const servers: { forceShutdown(): void }[] = [];
  const addresses: string[] = [];
  for (const data of nodes) {
    for (let attempt = 0; ; attempt++) {
      const address = `127.0.0.1:${40000 + Math.floor(Math.random() * 20000)}`;
      const bound = await startRpcServer(ReplicaService, {
        query_app_info: async () => ({ err: 'ERR_OK', apps: data.apps }),
        query_replica_info: async () => ({ err: 'ERR_OK', replicas: data.replicas }),
      }, address, () => {});
      if (bound.ok) {
        servers.push(bound.server);
        addresses.push(address);
        break;
      }
      if (attempt >= 20) throw new Error(`cannot bind a benchmark replica server: ${bound.detail}`);
    }
  }
  return { addresses, stop: () => servers.forEach((s) => s.forceShutdown()) };
}
