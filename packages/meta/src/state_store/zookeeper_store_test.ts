// Goal: the ZooKeeper backend behaves as the MetaStateStore contract says (the in-memory store is
// tested against the same rows), against a real ZooKeeper server. Method: start a private
// ZooKeeper (Debian package) on a random port in a temp dir, run the rows, stop it.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startPrivateZookeeper } from '../../../../tests/support/zookeeper_server.ts';
import { loadTables, writeTables } from './app_storage.ts';
import { connectZookeeperStore, type ZookeeperStore } from './zookeeper_store.ts';

let zk: Awaited<ReturnType<typeof startPrivateZookeeper>>;
let store: ZookeeperStore;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

test.before(async () => {
  zk = await startPrivateZookeeper();
  store = await connectZookeeperStore({ hostsList: zk.hostsList, timeoutMs: 10000, connectTimeoutMs: 10000, onSessionLost: () => {} });
});
test.after(async () => {
  await store?.close();
  await zk?.stop();
});

test('create / get / set / children / deleteTree', async () => {
  await store.ensurePath('/a/b');
  assert.is(await store.create('/a/b/c', enc('1')), 'created');
  assert.is(await store.create('/a/b/c', enc('2')), 'exists');
  assert.is(dec(await store.get('/a/b/c')), '1');
  assert.is(await store.set('/a/b/c', enc('3')), 'set');
  assert.is(dec(await store.get('/a/b/c')), '3');
  assert.is(await store.set('/a/b/none', enc('3')), 'no_node');
  assert.is(await store.get('/a/b/none'), undefined);
  assert.equal(await store.getChildren('/a/b'), ['c']);
  await store.deleteTree('/a');
  assert.is(await store.getChildren('/a'), undefined);
});

test('tables round-trip through ZooKeeper', async () => {
  const root = '/pegasus/t/127.0.0.1';
  const info = { status: 'AS_AVAILABLE' as const, app_type: 'pegasus', app_name: 'temp', app_id: 1, partition_count: 1, envs: {}, is_stateful: true, max_replica_count: 3, expire_second: 0, create_second: 1, drop_second: 0 };
  const pc = { pid: { app_id: 1, partition_index: 0 }, ballot: 2, max_replica_count: 3, primary: 'h:1', secondaries: [], last_drops: [], last_committed_decree: 0, partition_flags: 0 };
  await writeTables(store, root, { apps: [info], partitions: new Map([[1, [pc]]]) });
  const loaded = await loadTables(store, root);
  assert.is(loaded.kind, 'loaded');
  if (loaded.kind === 'loaded') assert.equal(loaded.tables.partitions.get(1), [pc]);
});

test('leader lock: the first holder leads, the second waits until it is released', async () => {
  const other = await connectZookeeperStore({ hostsList: zk.hostsList, timeoutMs: 10000, connectTimeoutMs: 10000, onSessionLost: () => {} });
  const first = await store.acquireLeaderLock('/pegasus/lock', 'h:1', () => {});
  let seen = '';
  let acquired = false;
  const second = other.acquireLeaderLock('/pegasus/lock', 'h:2', (leader) => (seen = leader)).then((l) => {
    acquired = true;
    return l;
  });
  await new Promise((r) => setTimeout(r, 300));
  assert.is(acquired, false);
  assert.is(seen, 'h:1');
  await first.release();
  const lock = await second;
  assert.ok(acquired);
  await lock.release();
  await other.close();
});

test.run();
