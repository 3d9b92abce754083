// The meta server's config.ini, read with Pegasus's section and key names (pegasus-spec §1.1), so
// that grepping a key from the seed (`cluster_root`, `recover_from_replica_server`, ...) lands here.

import { ConfigReader, parseIni } from '../../proto/src/index.ts';
import { normalizeRoot } from './state_store/state_store.ts';

export type DefaultAppConfig = { app_name: string; app_type: string; partition_count: number; max_replica_count: number };

export type MetaConfig = {
  configPath: string;
  /** This meta's identity, `[network] primary_interface` + `[apps.meta] ports`. */
  address: string;
  serverList: string[];
  /** `[meta_server] cluster_root`: where tables live in ZooKeeper. */
  clusterRoot: string;
  /** `[meta_server] distributed_lock_service_parameters`: the root of the leader lock. */
  lockRoot: string;
  /** `[meta_server] recover_from_replica_server`: enter recovery mode when cluster_root is empty. */
  recoverFromReplicaServer: boolean;
  /** `[meta_server] hold_seconds_for_dropped_app`: soft-delete retention (Pegasus default 7 days). */
  holdSecondsForDroppedApp: number;
  /** `[meta_server] max_reserved_dropped_replicas`: extra recovery candidates kept per partition. */
  maxReservedDroppedReplicas: number;
  /**
   * `[meta_server] empty_storage_check_seconds` (ours): on empty storage with the recovery flag off,
   * listen this long for replica servers that still hold data before creating the default tables;
   * if any does, the metadata was lost and we refuse instead of creating tables over it.
   */
  emptyStorageCheckSeconds: number;
  /** `[replication] fd_grace_seconds`: a replica server silent this long is declared dead. */
  fdGraceSeconds: number;
  /** `[replication] lb_interval_ms`: period of the partition guardian. */
  lbIntervalMs: number;
  clusterName: string;
  zookeeperHosts: string;
  zookeeperTimeoutMs: number;
  rpcTimeoutMs: number;
  defaultApps: DefaultAppConfig[];
};

export type MetaConfigResult = { ok: true; config: MetaConfig } | { ok: false; error: string };

export function parseMetaConfig(text: string, configPath: string): MetaConfigResult {
  const parsed = parseIni(text, configPath);
  if (!parsed.ok) return parsed;
  const r = new ConfigReader(parsed.ini, configPath);
  const port = r.int('apps.meta', 'ports', 34601, 1);
  const host = r.string('network', 'primary_interface', '127.0.0.1');
  const clusterRoot = normalizeRoot(r.string('meta_server', 'cluster_root', '/'));
  const config: MetaConfig = {
    configPath,
    address: `${host}:${port}`,
    serverList: r.string('meta_server', 'server_list', `${host}:${port}`).split(',').map((s) => s.trim()).filter(Boolean),
    clusterRoot,
    lockRoot: normalizeRoot(r.string('meta_server', 'distributed_lock_service_parameters', clusterRoot)),
    recoverFromReplicaServer: r.bool('meta_server', 'recover_from_replica_server', false),
    holdSecondsForDroppedApp: r.int('meta_server', 'hold_seconds_for_dropped_app', 604800, 0),
    maxReservedDroppedReplicas: r.int('meta_server', 'max_reserved_dropped_replicas', 1, 0),
    emptyStorageCheckSeconds: r.int('meta_server', 'empty_storage_check_seconds', 3, 0),
    fdGraceSeconds: r.int('replication', 'fd_grace_seconds', 10, 1),
    lbIntervalMs: r.int('replication', 'lb_interval_ms', 10000, 10),
    clusterName: r.string('replication', 'cluster_name', 'onebox'),
    zookeeperHosts: r.string('zookeeper', 'hosts_list', '127.0.0.1:22181'),
    zookeeperTimeoutMs: r.int('zookeeper', 'timeout_ms', 30000, 1000),
    rpcTimeoutMs: r.int('task..default', 'rpc_timeout_milliseconds', 5000, 1),
    defaultApps: [],
  };
  // Default tables in lexicographic section order, as Pegasus visits its std::map of sections.
  for (const section of r.sections().filter((s) => s.startsWith('meta_server.apps.')).sort()) {
    config.defaultApps.push({
      app_name: r.string(section, 'app_name', section.slice('meta_server.apps.'.length)),
      app_type: r.string(section, 'app_type', 'pegasus'),
      partition_count: r.int(section, 'partition_count', 1, 1),
      max_replica_count: r.int(section, 'max_replica_count', 3, 1),
    });
  }
  if (clusterRoot === '/') r.errors.push(`${configPath}: [meta_server] cluster_root must name a ZooKeeper path such as /pegasus/onebox/127.0.0.1`);
  if (r.errors.length > 0) return { ok: false, error: r.errors.join('; ') };
  return { ok: true, config };
}
