// Test helpers: N replica servers plus a fake meta in this process, on random ports in
// 61000-65499, with data dirs under one temp dir that `stop()` removes. Conditions are polled
// against a deadline and a timeout reports the last observation (no fixed sleeps).

import { rmSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomPort } from '../../../tests/support/ports.ts';
import type { ClientWriteResponse, Gpid, NodeAddress, PartitionDigestResponse, ReplicaServiceDefinition } from '../../proto/src/index.ts';
import { ReplicaService, RpcClient } from '../../proto/src/index.ts';
import { FakeMeta } from './_fake_meta.ts';
import { formatLogLine } from './logger.ts';
import { type ReplicaServerHandle, type ReplicaServerOptions, ReplicaServerStartError, startReplicaServer } from './replica_server.ts';

const encoder = new TextEncoder();
export const bytes = (s: string): Uint8Array => encoder.encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Polls `probe` until it returns true; on timeout throws with the last value it described. */
export async function waitFor(what: string, probe: () => Promise<boolean | string> | boolean | string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: boolean | string = false;
  for (;;) {
    try {
      last = await probe();
    } catch (e) {
      last = `threw ${String(e)}`;
    }
    if (last === true) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export type ClusterOptions = { servers: number; idleCommitDelayMs?: number; configSyncIntervalMs?: number; rpcTimeoutMs?: number; fdLeaseMs?: number };

export class TestCluster {
  readonly root: string;
  readonly meta: FakeMeta;
  readonly nodes: NodeAddress[];
  readonly servers = new Map<NodeAddress, ReplicaServerHandle>();
  readonly logs: string[] = [];
  /** Per-node option overrides applied by the next startServer of that node. */
  readonly overrides = new Map<NodeAddress, Partial<ReplicaServerOptions>>();
  private readonly options: ClusterOptions;
  private readonly clients = new Map<NodeAddress, RpcClient<ReplicaServiceDefinition>>();

  private constructor(root: string, meta: FakeMeta, nodes: NodeAddress[], options: ClusterOptions) {
    this.root = root;
    this.meta = meta;
    this.nodes = nodes;
    this.options = options;
  }

  static async start(options: ClusterOptions): Promise<TestCluster> {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pegasus-replica-test-'));
    // Also removed if the process exits without reaching stop() (an uncaught error).
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
    let meta: FakeMeta | undefined;
    while (!meta) meta = await FakeMeta.start(`127.0.0.1:${randomPort()}`);
    const cluster = new TestCluster(root, meta, [], options);
    for (let i = 0; i < options.servers; i++) cluster.nodes.push(await cluster.startServer(undefined, `replica${i}`));
    return cluster;
  }

  dataDir(node: NodeAddress): string {
    return path.join(this.root, node.replace(':', '_'));
  }

  /** Starts a server at `node` (or at a fresh random port); retries ports that are taken. */
  async startServer(node?: NodeAddress, label = node ?? ''): Promise<NodeAddress> {
    for (;;) {
      const address = node ?? `127.0.0.1:${randomPort()}`;
      try {
        const handle = await startReplicaServer({
          address,
          metaServers: [this.meta.address],
          dataDir: this.dataDir(address),
          configSyncIntervalMs: this.options.configSyncIntervalMs ?? 100,
          rpcTimeoutMs: this.options.rpcTimeoutMs ?? 2000,
          idleCommitDelayMs: this.options.idleCommitDelayMs,
          fdLeaseMs: this.options.fdLeaseMs ?? 3000,
          log: (line) => this.logs.push(formatLogLine(`[${label}] ${line}`)),
          ...this.overrides.get(address),
        });
        this.servers.set(address, handle);
        return address;
      } catch (e) {
        if (node || !(e instanceof ReplicaServerStartError) || e.err !== 'ERR_ADDRESS_ALREADY_USED') throw e;
      }
    }
  }

  async stopServer(node: NodeAddress): Promise<void> {
    await this.servers.get(node)?.stop();
    this.servers.delete(node);
    this.clients.get(node)?.close();
    this.clients.delete(node);
  }

  client(node: NodeAddress): RpcClient<ReplicaServiceDefinition> {
    let c = this.clients.get(node);
    if (!c) {
      c = new RpcClient(ReplicaService, node);
      this.clients.set(node, c);
    }
    return c;
  }

  async write(node: NodeAddress, pid: Gpid, key: string, value: string): Promise<ClientWriteResponse> {
    const res = await this.client(node).call('client_write', { pid, op: 'put', hash_key: bytes(key), sort_key: bytes('s'), value: bytes(value) }, 5000);
    return res.ok ? res.res : { err: res.err, decree: -1, server: node };
  }

  async read(node: NodeAddress, pid: Gpid, key: string): Promise<string | undefined> {
    const res = await this.client(node).call('client_read', { pid, hash_key: bytes(key), sort_key: bytes('s') }, 5000);
    if (!res.ok || res.res.err !== 'ERR_OK') throw new Error(`read ${key} from ${node}: ${res.ok ? res.res.err : res.err}`);
    return res.res.found ? text(res.res.value) : undefined;
  }

  async digest(node: NodeAddress, pid: Gpid): Promise<PartitionDigestResponse> {
    const res = await this.client(node).call('partition_digest', { pid }, 5000);
    if (!res.ok) throw new Error(`digest from ${node}: ${res.err}`);
    return res.res;
  }

  /**
   * Waits until every node in `nodes` has the same committed rows for `pid`, at a committed decree
   * of at least `minDecree` (pass the decree of the last acked write: rows land just after acks).
   */
  async waitDigestsAgree(pid: Gpid, nodes: NodeAddress[], minDecree = 0, timeoutMs = 10000): Promise<PartitionDigestResponse> {
    let first: PartitionDigestResponse | undefined;
    await waitFor(`digests of ${nodes.join(' ')} to agree at decree >= ${minDecree}`, async () => {
      const ds = await Promise.all(nodes.map((n) => this.digest(n, pid)));
      first = ds[0];
      const same = ds.every((d) => d.err === 'ERR_OK' && d.last_committed_decree >= minDecree && d.last_committed_decree === first!.last_committed_decree && d.checksum === first!.checksum && d.row_count === first!.row_count);
      return same || ds.map((d, i) => `${nodes[i]}=${d.err}/${d.last_committed_decree}/${d.row_count}/${d.checksum}`).join(' ');
    }, timeoutMs);
    return first!;
  }

  /** Waits until `node` reports `status` for `pid` (via the server's own replica infos). */
  async waitStatus(node: NodeAddress, pid: Gpid, status: string, timeoutMs = 10000): Promise<void> {
    await waitFor(`${node} to be ${status} of ${pid.app_id}.${pid.partition_index}`, () => {
      const info = this.servers.get(node)?.replicaInfos().find((r) => r.pid.app_id === pid.app_id && r.pid.partition_index === pid.partition_index);
      return info?.status === status || `${info?.status} at ballot ${info?.ballot}`;
    }, timeoutMs);
  }

  /** Waits until the primary answers writes (it may be re-committing an inherited tail first); returns the probe's decree. */
  async waitWritable(node: NodeAddress, pid: Gpid, key = '__probe__'): Promise<number> {
    let decree = -1;
    await waitFor(`${node} to accept writes`, async () => {
      const res = await this.write(node, pid, key, 'probe');
      decree = res.decree;
      return res.err === 'ERR_OK' || res.err;
    });
    return decree;
  }

  /** Prints the servers' log lines (call when a test fails). */
  dumpLogs(grep?: RegExp): void {
    for (const l of this.logs) if (!grep || grep.test(l)) console.log(l);
  }

  async stop(): Promise<void> {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    await Promise.all([...this.servers.keys()].map((n) => this.stopServer(n)));
    this.meta.stop();
    await fs.rm(this.root, { recursive: true, force: true });
  }
}
