// Goal: the ZooKeeper layout round-trips, and the lock/unlock commit marker makes a cut-short write
// visible and removable. Method: the in-memory store (same semantics as ZooKeeper's).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AppInfo, PartitionConfiguration } from '../../../proto/src/index.ts';
import { decodePartition, encodePartition, loadTables, writeTables } from './app_storage.ts';
import { MemoryStateStore } from './memory_store.ts';

const ROOT = '/pegasus/onebox/127.0.0.1';
const info: AppInfo = { status: 'AS_AVAILABLE', app_type: 'pegasus', app_name: 'temp', app_id: 1, partition_count: 2, envs: {}, is_stateful: true, max_replica_count: 3, expire_second: 0, create_second: 100, drop_second: 0 };
const pcs: PartitionConfiguration[] = [0, 1].map((i) => ({ pid: { app_id: 1, partition_index: i }, ballot: 3, max_replica_count: 3, primary: 'h:1', secondaries: ['h:2'], last_drops: ['h:3'], last_committed_decree: 0, partition_flags: 0 }));

test('partition JSON uses Pegasus field names and "invalid address" for no primary', () => {
  const text = new TextDecoder().decode(encodePartition({ ...pcs[0], primary: '' }));
  assert.ok(text.startsWith('{"pid":"1.0","ballot":3,"max_replica_count":3,"primary":"invalid address"'));
  assert.equal(decodePartition(encodePartition(pcs[0])), pcs[0]);
});

test('write then load round-trips, marker ends at unlock', async () => {
  const store = new MemoryStateStore();
  await writeTables(store, ROOT, { apps: [info], partitions: new Map([[1, pcs]]) });
  assert.is(store.dump()[`${ROOT}/apps`], 'unlock');
  const loaded = await loadTables(store, ROOT);
  assert.is(loaded.kind, 'loaded');
  if (loaded.kind === 'loaded') {
    assert.equal(loaded.tables.apps, [info]);
    assert.equal(loaded.tables.partitions.get(1), pcs);
  }
});

test('a write cut short after the lock marker is removed on load', async () => {
  const store = new MemoryStateStore();
  await writeTables(store, ROOT, { apps: [info], partitions: new Map([[1, pcs]]) }, {
    afterLock: async () => {
      store.failing = true; // the process "dies" here: nothing after the marker is written
    },
  }).catch(() => {});
  store.failing = false;
  assert.is(store.dump()[`${ROOT}/apps`], 'lock');
  const loaded = await loadTables(store, ROOT);
  assert.is(loaded.kind, 'removed_partial_write');
  assert.is(store.dump()[`${ROOT}/apps`], undefined);
  assert.is((await loadTables(store, ROOT)).kind, 'empty');
});

test('empty /apps node counts as empty storage; garbage is reported with its path', async () => {
  const store = new MemoryStateStore();
  await store.ensurePath(`${ROOT}/apps`);
  assert.is((await loadTables(store, ROOT)).kind, 'empty');
  await store.create(`${ROOT}/apps/1`, new TextEncoder().encode('not json'));
  const loaded = await loadTables(store, ROOT);
  assert.equal(loaded, { kind: 'corrupt', path: `${ROOT}/apps/1`, detail: 'not a JSON app_info' });
});

test.run();
