// Reads a replica server's config.ini (docs/PROTOCOL.md "Config files"). Relative paths are
// resolved against the config file's directory, so a onebox dir can be moved as a whole.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ConfigReader, type NodeAddress, parseIni, parseNodeAddress } from '../../proto/src/index.ts';

export type ReplicaServerConfig = {
  /** This node's identity, `primary_interface:ports`. */
  address: NodeAddress;
  metaServers: NodeAddress[];
  /** Absolute; replicas live in `<dataDir>/reps/`. */
  dataDir: string;
  configSyncIntervalMs: number;
  /**
   * `[replication] fd_lease_seconds` (Pegasus's name and default, 9): without an answer from the
   * meta for this long, every primary and secondary here becomes PS_INACTIVE. Keep it below the
   * meta's fd_grace_seconds, so an isolated primary has stopped before another is promoted.
   */
  fdLeaseSeconds: number;
  /** fsync every mutation-log batch (see replica_storage.ts for what `false` still survives). */
  mutationLogSync: boolean;
  rpcTimeoutMs: number;
};

export type ConfigResult = { ok: true; config: ReplicaServerConfig } | { ok: false; error: string };

export async function readReplicaConfig(file: string): Promise<ConfigResult> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    return { ok: false, error: `cannot read config file ${file}: ${code}` };
  }
  return parseReplicaConfig(text, file);
}

export function parseReplicaConfig(text: string, file: string): ConfigResult {
  const parsed = parseIni(text, file);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  const cfg = new ConfigReader(parsed.ini, file);
  const missing = [
    ['apps.replica', 'ports'],
    ['meta_server', 'server_list'],
  ].filter(([s, k]) => !cfg.has(s, k));
  if (missing.length > 0) {
    return { ok: false, error: `${file}: missing ${missing.map(([s, k]) => `[${s}] ${k}`).join(' and ')}` };
  }
  const port = cfg.int('apps.replica', 'ports', 0, 1);
  const host = cfg.string('network', 'primary_interface', '127.0.0.1');
  const address = parseNodeAddress(`${host}:${port}`);
  const listText = cfg.string('meta_server', 'server_list', '');
  const metaServers = listText.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const badMeta = metaServers.filter((s) => parseNodeAddress(s) === undefined);
  const config: ReplicaServerConfig = {
    address: address ?? '',
    metaServers: metaServers.map((s) => parseNodeAddress(s) ?? s),
    dataDir: path.resolve(path.dirname(path.resolve(file)), cfg.string('replication', 'data_dir', './data/replica')),
    configSyncIntervalMs: cfg.int('replication', 'config_sync_interval_ms', 1000, 1),
    fdLeaseSeconds: cfg.int('replication', 'fd_lease_seconds', 9, 1),
    mutationLogSync: cfg.bool('replication', 'mutation_log_sync', false),
    rpcTimeoutMs: cfg.int('task..default', 'rpc_timeout_milliseconds', 5000, 1),
  };
  const errors = [...cfg.errors];
  if (port > 65535) errors.push(`${file}: [apps.replica] ports = ${port} is not a port (1..65535)`);
  else if (!address && cfg.errors.length === 0) errors.push(`${file}: [network] primary_interface = "${host}" is not a host name or IPv4 address`);
  if (metaServers.length === 0) errors.push(`${file}: [meta_server] server_list is empty`);
  if (badMeta.length > 0) errors.push(`${file}: [meta_server] server_list has "${badMeta[0]}", expected host:port`);
  if (errors.length > 0) return { ok: false, error: errors[0] };
  return { ok: true, config };
}
