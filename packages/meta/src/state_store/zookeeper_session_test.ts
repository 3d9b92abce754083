// Goal: the meta gives up its ZooKeeper session exactly when the session is gone. Method: a real
// private ZooKeeper restarted on the same port, once without its data (as after the disaster this
// project recovers from: it refuses the old session forever, and the C client would retry forever)
// and once with it (the session survives a short outage and must be kept).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type PrivateZookeeper, startPrivateZookeeper } from '../../../../tests/support/zookeeper_server.ts';
import { connectZookeeperStore, type ZookeeperStore } from './zookeeper_store.ts';

const enc = (s: string) => new TextEncoder().encode(s);

type Watched = { store: ZookeeperStore; lost: Promise<string>; changes: Array<[boolean, string]>; lostYet: () => boolean };

async function connectWatched(zk: PrivateZookeeper, timeoutMs: number): Promise<Watched> {
  let resolveLost!: (d: string) => void;
  let lostYet = false;
  const lost = new Promise<string>((r) => (resolveLost = r));
  const changes: Array<[boolean, string]> = [];
  const store = await connectZookeeperStore({
    hostsList: zk.hostsList,
    timeoutMs,
    connectTimeoutMs: 20_000,
    onSessionLost: (d) => {
      lostYet = true;
      resolveLost(d);
    },
    onConnectionChange: (connected, d) => changes.push([connected, d]),
  });
  return { store, lost, changes, lostYet: () => lostYet };
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

test('a ZooKeeper back without its data: the session is declared lost after [zookeeper] timeout_ms', async () => {
  const zk = await startPrivateZookeeper();
  const w = await connectWatched(zk, 5000);
  try {
    // The client must have seen a transaction, or the empty server would accept the old session id.
    await w.store.ensurePath('/pegasus/seen');
    const t0 = Date.now();
    await zk.restart('wipe');
    const detail = await within(w.lost, 30_000, 'onSessionLost');
    assert.ok(Date.now() - t0 >= 4000, `lost only after the session timeout (${Date.now() - t0} ms: ${detail})`);
    assert.match(detail, /for 5000 ms \(\[zookeeper\] timeout_ms\)/);
    assert.match(detail, /recover_from_replica_server = true/);
    assert.equal(w.changes.map(([c]) => c), [false], 'one warning when the connection dropped, no reconnect');
  } finally {
    await w.store.close();
    await zk.stop();
  }
});

test('a ZooKeeper back with its data within the session timeout: the session is kept', async () => {
  const zk = await startPrivateZookeeper();
  const w = await connectWatched(zk, 20_000);
  try {
    assert.is(await w.store.create('/kept', enc('1')), 'created');
    await zk.restart('keep');
    const deadline = Date.now() + 20_000;
    while (!w.changes.some(([c]) => c) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(w.changes.map(([c]) => c), [false, true], 'dropped, then reconnected');
    assert.match(w.changes[1][1], /the session is kept/);
    assert.is(new TextDecoder().decode(await w.store.get('/kept')), '1');
    assert.is(w.lostYet(), false);
  } finally {
    await w.store.close();
    await zk.stop();
  }
});

test.run();
