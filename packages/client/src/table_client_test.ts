// Goal: the table client routes each row to its partition's primary, and survives a primary switch
// by refreshing the configuration and retrying; when nothing helps it returns the last error once
// the operation's deadline passes. Method: a fake meta whose configuration the test changes, and
// fake replicas that store rows in a Map and record the gpid of every request they get.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type ClientReadResponse,
  type ClientWriteResponse,
  type ErrorCode,
  type Gpid,
  MetaService,
  type PartitionConfiguration,
  ReplicaService,
} from '../../proto/src/index.ts';
import { partitionIndexOf, toBytes } from './routing.ts';
import { PegasusClient } from './table_client.ts';
import { partition, startTestServer, type TestServer } from './test_support.ts';

const PARTITION_COUNT = 4;
const APP_ID = 2;

type FakeMeta = TestServer & { queries: number; configs: PartitionConfiguration[]; err: ErrorCode };

async function fakeMeta(primary: string): Promise<FakeMeta> {
  const self = { queries: 0, err: 'ERR_OK', configs: [] as PartitionConfiguration[] } as FakeMeta;
  for (let i = 0; i < PARTITION_COUNT; i++) self.configs.push(partition(APP_ID, i, [primary]));
  const server = await startTestServer(MetaService, {
    query_configuration_by_index: async (req) => {
      self.queries++;
      if (self.err !== 'ERR_OK' || req.app_name !== 'temp') {
        return { err: self.err === 'ERR_OK' ? 'ERR_OBJECT_NOT_FOUND' : self.err, hint: '', app_id: 0, partition_count: 0, is_stateful: true, partitions: [] };
      }
      return { err: 'ERR_OK', hint: '', app_id: APP_ID, partition_count: PARTITION_COUNT, is_stateful: true, partitions: self.configs };
    },
  });
  return Object.assign(self, server);
}

type FakeReplica = TestServer & { rows: Map<string, Uint8Array>; pids: Gpid[]; refuseWith?: ErrorCode };

async function fakeReplica(refuseWith?: ErrorCode): Promise<FakeReplica> {
  const self = { rows: new Map(), pids: [], refuseWith } as unknown as FakeReplica;
  const key = (h: Uint8Array, s: Uint8Array) => `${Buffer.from(h).toString('hex')}/${Buffer.from(s).toString('hex')}`;
  const server = await startTestServer(ReplicaService, {
    client_write: async (req): Promise<ClientWriteResponse> => {
      self.pids.push(req.pid);
      if (self.refuseWith) return { err: self.refuseWith, decree: 0, server: self.address };
      if (req.op === 'put') self.rows.set(key(req.hash_key, req.sort_key), req.value);
      else self.rows.delete(key(req.hash_key, req.sort_key));
      return { err: 'ERR_OK', decree: self.pids.length, server: self.address };
    },
    client_read: async (req): Promise<ClientReadResponse> => {
      self.pids.push(req.pid);
      if (self.refuseWith) return { err: self.refuseWith, found: false, value: new Uint8Array(0), server: self.address };
      const value = self.rows.get(key(req.hash_key, req.sort_key));
      return { err: 'ERR_OK', found: value !== undefined, value: value ?? new Uint8Array(0), server: self.address };
    },
  });
  return Object.assign(self, server);
}

test('set/get/del go to the primary of the routed partition', async () => {
  const replica = await fakeReplica();
  const meta = await fakeMeta(replica.address);
  const client = new PegasusClient([meta.address]);
  try {
    const opened = await client.openTable('temp');
    assert.is(opened.err, 'ERR_OK');
    if (opened.err !== 'ERR_OK') return;
    const table = opened.table;
    assert.is(table.partitionCount, PARTITION_COUNT);
    for (const h of ['a', 'b', 'c', 'd', 'e']) assert.is((await table.set(h, 's', `v_${h}`)).err, 'ERR_OK');
    const expectedPidx = ['a', 'b', 'c', 'd', 'e'].map((h) => partitionIndexOf(toBytes(h), toBytes('s'), PARTITION_COUNT));
    assert.equal(replica.pids.map((p) => p.partition_index), expectedPidx);
    assert.ok(replica.pids.every((p) => p.app_id === APP_ID));
    const got = await table.get('c', 's');
    assert.is(got.err, 'ERR_OK');
    assert.ok(got.found);
    assert.is(Buffer.from(got.value).toString(), 'v_c');
    assert.is(got.partition_index, expectedPidx[2]);
    assert.is((await table.del('c', 's')).err, 'ERR_OK');
    const gone = await table.get('c', 's');
    assert.is(gone.err, 'ERR_OK');
    assert.is(gone.found, false);
  } finally {
    client.close();
    await Promise.all([meta.stop(), replica.stop()]);
  }
});

test('primary switch: ERR_INVALID_STATE -> refresh -> retry on the new primary', async () => {
  const oldPrimary = await fakeReplica('ERR_INVALID_STATE');
  const newPrimary = await fakeReplica();
  const meta = await fakeMeta(oldPrimary.address);
  const client = new PegasusClient([meta.address], { opTimeoutMs: 5000 });
  try {
    const opened = await client.openTable('temp');
    if (opened.err !== 'ERR_OK') return assert.unreachable(opened.err);
    // The meta moves every partition to the new primary after the client opened the table.
    meta.configs = meta.configs.map((pc) => ({ ...pc, ballot: pc.ballot + 1, primary: newPrimary.address }));
    const written = await opened.table.set('k', 's', 'v');
    assert.is(written.err, 'ERR_OK');
    assert.is(written.server, newPrimary.address);
    assert.is(oldPrimary.pids.length, 1);
    assert.is(newPrimary.rows.size, 1);
    assert.ok(meta.queries >= 2, 'the configuration was refreshed');
  } finally {
    client.close();
    await Promise.all([meta.stop(), oldPrimary.stop(), newPrimary.stop()]);
  }
});

test('deadline: the last error comes back after retrying', async () => {
  const stuck = await fakeReplica('ERR_NOT_ENOUGH_MEMBER');
  const meta = await fakeMeta(stuck.address);
  // A deadline of 1500 ms leaves room for several attempts even on a loaded 2-core machine (the
  // suite runs other processes meanwhile); giving up within 2x the deadline shows it stops retrying.
  const client = new PegasusClient([meta.address], { opTimeoutMs: 1500 });
  try {
    const opened = await client.openTable('temp');
    if (opened.err !== 'ERR_OK') return assert.unreachable(opened.err);
    const started = Date.now();
    const written = await opened.table.set('k', 's', 'v');
    const elapsed = Date.now() - started;
    assert.is(written.err, 'ERR_NOT_ENOUGH_MEMBER');
    assert.ok(stuck.pids.length >= 2, `retried (${stuck.pids.length} attempts)`);
    assert.ok(elapsed < 3000, `gave up near the deadline (${elapsed} ms)`);
  } finally {
    client.close();
    await Promise.all([meta.stop(), stuck.stop()]);
  }
});

test('no primary: retries until the deadline, then ERR_TIMEOUT naming the partition', async () => {
  const meta = await fakeMeta('');
  const client = new PegasusClient([meta.address], { opTimeoutMs: 300 });
  try {
    const opened = await client.openTable('temp');
    if (opened.err !== 'ERR_OK') return assert.unreachable(opened.err);
    const got = await opened.table.get('k', 's');
    assert.is(got.err, 'ERR_TIMEOUT');
    assert.ok(got.detail.includes('has no primary'), got.detail);
    assert.is(got.found, false);
  } finally {
    client.close();
    await meta.stop();
  }
});

test('errors that are final are not retried; a missing table fails open', async () => {
  const replica = await fakeReplica('ERR_INVALID_PARAMETERS');
  const meta = await fakeMeta(replica.address);
  const client = new PegasusClient([meta.address]);
  try {
    assert.is((await client.openTable('nope')).err, 'ERR_OBJECT_NOT_FOUND');
    const opened = await client.openTable('temp');
    if (opened.err !== 'ERR_OK') return assert.unreachable(opened.err);
    assert.is((await opened.table.set('k', 's', 'v')).err, 'ERR_INVALID_PARAMETERS');
    assert.is(replica.pids.length, 1);
    // The table is dropped while a write retries: the write ends with the meta's answer.
    replica.refuseWith = 'ERR_INVALID_STATE';
    meta.err = 'ERR_APP_NOT_EXIST';
    assert.is((await opened.table.set('k', 's', 'v')).err, 'ERR_APP_NOT_EXIST');
  } finally {
    client.close();
    await Promise.all([meta.stop(), replica.stop()]);
  }
});

test.run();
