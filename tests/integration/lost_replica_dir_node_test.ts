// Goal: a replica server that comes back with its data dir wiped loses no row. The meta still lists
// it as a member (it returned within fd_grace_seconds), so it must not make empty replicas and serve
// them as if they held the rows: it reports them missing (config_sync's missing_replicas), the
// meta's guardian takes it out of those partitions (a secondary is promoted where it was primary),
// and it learns them back from the members that hold the rows. Pegasus does the same through
// remove_replica_on_meta_server.
// Method: the real meta service core (in-memory store) and three real replica servers (LevelDB,
// gRPC) in this process; 60 rows over 2 partitions x 3 replicas; one server stopped, its data dir
// removed, started again at once. Node only (several gRPC servers in one process, see
// replica_2pc_node_test).

import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { partitionIndexOf } from '../../packages/client/src/routing.ts';
import type { MetaConfig } from '../../packages/meta/src/config.ts';
import { MetaServiceCore } from '../../packages/meta/src/server/meta_service.ts';
import { MemoryStateStore } from '../../packages/meta/src/state_store/memory_store.ts';
import { type Gpid, MetaService, type PartitionConfiguration, partitionMembers, ReplicaService, RpcClient, startRpcServer } from '../../packages/proto/src/index.ts';
import { waitFor } from '../../packages/replica/src/_test_cluster.ts';
import { randomPort } from '../support/ports.ts';
import { type ReplicaServerHandle, ReplicaServerStartError, startReplicaServer } from '../../packages/replica/src/replica_server.ts';

const ROWS = 60;
const PARTITIONS = 2;
const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

let root: string;
let core: MetaServiceCore;
let stopMeta: () => void;
let metaAddress: string;
const metaLines: string[] = [];
const replicaLines: string[] = [];
const servers = new Map<string, ReplicaServerHandle>();
const clients = new Map<string, RpcClient<typeof ReplicaService>>();

function metaConfig(address: string): MetaConfig {
  return {
    configPath: 'test', address, serverList: [address], clusterRoot: '/test', lockRoot: '/test', recoverFromReplicaServer: false,
    holdSecondsForDroppedApp: 600, maxReservedDroppedReplicas: 1, emptyStorageCheckSeconds: 0,
    // Long enough that a restarted server is still a member when it comes back; the guardian
    // starts acting one grace period after the meta begins serving.
    fdGraceSeconds: 6, lbIntervalMs: 200, clusterName: 'test', zookeeperHosts: '', zookeeperTimeoutMs: 1000, rpcTimeoutMs: 2000, defaultApps: [],
  };
}

async function startServer(address: string): Promise<void> {
  const handle = await startReplicaServer({
    address, metaServers: [metaAddress], dataDir: path.join(root, address.replace(':', '_')),
    configSyncIntervalMs: 100, fdLeaseMs: 5000, rpcTimeoutMs: 2000, log: (l) => replicaLines.push(`[${address}] ${l}`),
  });
  servers.set(address, handle);
}

function client(node: string): RpcClient<typeof ReplicaService> {
  let c = clients.get(node);
  if (!c) clients.set(node, (c = new RpcClient(ReplicaService, node)));
  return c;
}

const configs = (): PartitionConfiguration[] => core.state.partitions.get(1) ?? [];
const key = (i: number) => ({ hash: encode(`key${i}`), sort: encode('') });
const pidOf = (i: number): Gpid => ({ app_id: 1, partition_index: partitionIndexOf(key(i).hash, key(i).sort, PARTITIONS) });

/** Every member of every partition reports the same committed decree and checksum. */
async function wholeAndAgreeing(): Promise<true | string> {
  for (const pc of configs()) {
    if (partitionMembers(pc).length < 3) return `partition ${pc.pid.partition_index} has ${partitionMembers(pc).length} members`;
    const digests = await Promise.all(partitionMembers(pc).map((n) => client(n).call('partition_digest', { pid: pc.pid }, 2000)));
    const seen = digests.map((d) => (d.ok && d.res.err === 'ERR_OK' ? `${d.res.last_committed_decree}/${d.res.row_count}/${d.res.checksum}` : 'no answer'));
    if (new Set(seen).size !== 1 || seen[0] === 'no answer') return `partition ${pc.pid.partition_index}: ${seen.join(' | ')}`;
  }
  return true;
}

test.before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pegasus-lost-dir-test-'));
  for (;;) {
    metaAddress = `127.0.0.1:${randomPort()}`;
    core = new MetaServiceCore({ config: metaConfig(metaAddress), store: new MemoryStateStore(), log: (l) => metaLines.push(l) });
    const bound = await startRpcServer(MetaService, core.handlers(), metaAddress, () => {});
    if (bound.ok) {
      stopMeta = () => bound.server.forceShutdown();
      break;
    }
    if (bound.err !== 'ERR_ADDRESS_ALREADY_USED') throw new Error(bound.detail);
  }
  assert.equal(await core.start(), { ok: true, mode: 'serving' });
  while (servers.size < 3) {
    try {
      await startServer(`127.0.0.1:${randomPort()}`);
    } catch (e) {
      // A taken port: try another; anything else is a failure.
      if (!(e instanceof ReplicaServerStartError) || e.err !== 'ERR_ADDRESS_ALREADY_USED') throw e;
    }
  }
});

test.after(async () => {
  clients.forEach((c) => c.close());
  await Promise.all([...servers.values()].map((s) => s.stop()));
  await core.stop();
  stopMeta();
  await fs.rm(root, { recursive: true, force: true });
});

test('a server back with its data dir wiped serves no empty replica; it is taken out, learns back, and every row is read', async () => {
  await waitFor('three alive replica servers', () => core.state.aliveNodes().length === 3);
  const created = await core.handlers().create_app!({ app_name: 't', options: { partition_count: PARTITIONS, replica_count: 3, app_type: 'pegasus', success_if_exist: false, envs: {} } });
  assert.is(created.err, 'ERR_OK');
  const write = async (i: number) => {
    const pc = configs()[pidOf(i).partition_index];
    const res = await client(pc.primary).call('client_write', { pid: pidOf(i), op: 'put', hash_key: key(i).hash, sort_key: key(i).sort, value: encode(`v${i}`) }, 2000);
    return res.ok ? res.res.err : res.err;
  };
  // One probe row per partition: key0 and key1 both hash to partition 0, so probing them left
  // partition 1's primary unchecked, and CI's first write to it (row 4) found it not yet serving.
  const probes = Array.from({ length: PARTITIONS }, (_, p) => Array.from({ length: ROWS }, (_, i) => i).find((i) => pidOf(i).partition_index === p)!);
  await waitFor('every primary to accept writes', async () => {
    for (const i of probes) {
      const err = await write(i);
      if (err !== 'ERR_OK') return `row ${i} (partition ${pidOf(i).partition_index}): ${err}`;
    }
    return true;
  });
  for (let i = 0; i < ROWS; i++) assert.is(await write(i), 'ERR_OK', `write ${i}`);
  await waitFor('every replica to hold the rows', wholeAndAgreeing);

  // The primary of partition 0 loses its disk and comes straight back, still listed as a member.
  const before = configs().map((pc) => ({ ...pc }));
  const wiped = before[0].primary;
  await servers.get(wiped)!.stop();
  clients.get(wiped)?.close();
  clients.delete(wiped);
  await fs.rm(path.join(root, wiped.replace(':', '_')), { recursive: true });
  await startServer(wiped);

  await waitFor(`${wiped} to report its partitions missing`, () => replicaLines.some((l) => l.includes(`[${wiped}]`) && l.includes('not creating an empty one')) || 'no report yet');
  await waitFor('the guardian to promote another primary', () => configs()[0].primary !== wiped || `primary still ${configs()[0].primary}`);
  assert.ok(metaLines.some((l) => l.includes(`primary ${wiped} holds no replica of it: promote secondary`)), metaLines.join('\n'));
  assert.ok(configs().every((pc) => !pc.last_drops.includes(wiped)), 'a server that holds nothing is no last_drop');
  await waitFor('every partition whole again, its replicas agreeing', wholeAndAgreeing, 30_000);
  assert.ok(configs().every((pc) => partitionMembers(pc).includes(wiped)), `${wiped} learned its partitions back`);

  for (let i = 0; i < ROWS; i++) {
    const pc = configs()[pidOf(i).partition_index];
    const res = await client(pc.primary).call('client_read', { pid: pidOf(i), hash_key: key(i).hash, sort_key: key(i).sort }, 2000);
    assert.ok(res.ok && res.res.err === 'ERR_OK' && res.res.found && decode(res.res.value) === `v${i}`, `row ${i}`);
  }
});

test.run();
