// Goal: what a replica server keeps across a restart, and what a new primary does with the tail it
// inherits. After a stop and start, every replica comes back PS_INACTIVE with the same ballot and
// decrees, is reported by query_replica_info / query_app_info while the meta is still in recovery,
// and serves again once the meta's config arrives; a replica dir that cannot load is renamed
// `.err`, never deleted; a member whose replica dir is gone creates no empty one unless the meta says
// the partition holds no rows yet, and reports it missing instead. A secondary promoted with prepared-but-uncommitted decrees re-prepares and
// commits them before it serves, so a write acked by the old primary is readable from the new one.
// Method: three in-process servers with a fake meta; the old primary's idle `commit` is delayed for
// a minute so that its secondaries really hold an uncommitted tail when it stops.

// Node only (`_node_test`): Deno 2.9.6 crashes inside nghttp2 when an in-process gRPC server
// stops while clients in the same process hold sessions to it (denoland/deno#36788);
// main_deno_node_test.ts covers the server on Deno with separate processes.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReplicaInfo } from '../../proto/src/index.ts';
import { TestCluster, waitFor } from './_test_cluster.ts';

const P = { app_id: 1, partition_index: 0 };
let c: TestCluster;
let A: string, B: string, C: string;

const infoOf = (node: string): ReplicaInfo => c.servers.get(node)!.replicaInfos().find((r) => r.pid.app_id === 1)!;

test.before(async () => {
  c = await TestCluster.start({ servers: 3 });
  [A, B, C] = c.nodes;
  c.meta.createApp(1, 'restart_me', 1, () => [A, B, C]);
  await c.waitStatus(A, P, 'PS_PRIMARY');
  await c.waitStatus(B, P, 'PS_SECONDARY');
  await c.waitStatus(C, P, 'PS_SECONDARY');
  await c.waitWritable(A, P);
});

test.after(async () => {
  await c.stop();
});

test('a restart keeps every replica with its ballot and decrees; it waits for the meta', async () => {
  for (let i = 0; i < 50; i++) assert.is((await c.write(A, P, `k${i}`, `v${i}`)).err, 'ERR_OK');
  await c.waitDigestsAgree(P, [A, B, C], 51); // the secondaries know the last commit too: at rest
  const before = new Map([A, B, C].map((n) => [n, infoOf(n)]));
  for (const n of [A, B, C]) {
    assert.is(before.get(n)!.last_committed_decree, 51);
    assert.is(before.get(n)!.last_prepared_decree, 51);
  }
  // A garbage replica dir on B: it must be moved aside, not loaded and not deleted.
  const junk = path.join(c.dataDir(B), 'reps', '9.0.pegasus');
  await fs.mkdir(junk, { recursive: true });
  await fs.writeFile(path.join(junk, '.app-info'), '{not json');
  for (const n of [A, B, C]) c.meta.refuse.set(n, 'ERR_UNDER_RECOVERY');
  try {
    await _restartAndCheck(before);
  } finally {
    for (const n of [A, B, C]) c.meta.refuse.delete(n);
  }
  await c.waitStatus(A, P, 'PS_PRIMARY');
  await c.waitWritable(A, P);
  for (let i = 0; i < 50; i++) assert.is(await c.read(A, P, `k${i}`), `v${i}`);
});

/** Restarts all three servers while the meta refuses them, and checks what they report. */
async function _restartAndCheck(before: Map<string, ReplicaInfo>): Promise<void> {
  for (const n of [A, B, C]) await c.stopServer(n);
  c.overrides.set(A, { idleCommitDelayMs: 60_000 }); // for the next test
  for (const n of [A, B, C]) await c.startServer(n);
  for (const n of [A, B, C]) {
    const res = await c.client(n).call('query_replica_info', { node1: n }, 5000);
    assert.ok(res.ok && res.res.err === 'ERR_OK');
    assert.is(res.res.replicas.length, 1, `${n} reports one replica`);
    const r = res.res.replicas[0];
    const b = before.get(n)!;
    assert.is(r.status, 'PS_INACTIVE');
    assert.is(r.ballot, b.ballot);
    assert.is(r.last_committed_decree, b.last_committed_decree, `${n} lcd`);
    assert.is(r.last_prepared_decree, b.last_prepared_decree, `${n} lpd`);
    assert.is(r.last_durable_decree, r.last_committed_decree);
    assert.is(r.app_type, 'pegasus');
    const apps = await c.client(n).call('query_app_info', { meta_server: c.meta.address }, 5000);
    assert.ok(apps.ok && apps.res.apps.length === 1 && apps.res.apps[0].app_name === 'restart_me');
  }
  const renamed = (await fs.readdir(path.join(c.dataDir(B), 'reps'))).filter((n) => n.startsWith('9.0.pegasus.'));
  assert.is(renamed.length, 1);
  assert.match(renamed[0], /^9\.0\.pegasus\.\d+\.err$/);
  assert.is((await c.write(A, P, 'during-recovery', 'v')).err, 'ERR_INVALID_STATE');
}

test('a new primary commits its inherited tail before serving', async () => {
  await c.waitStatus(B, P, 'PS_SECONDARY');
  await c.waitStatus(C, P, 'PS_SECONDARY');
  assert.is((await c.write(A, P, 'last-acked', 'yes')).err, 'ERR_OK');
  // With the idle commit delayed, B logged the last write but does not know it committed.
  const b = infoOf(B);
  assert.is(b.last_prepared_decree, b.last_committed_decree + 1, 'B holds an uncommitted tail');
  await c.stopServer(A);
  await c.stopServer(C); // so that B cannot commit its tail yet
  const ballot = c.meta.config(P).ballot + 1;
  c.meta.setConfig(P, { ballot, primary: B, secondaries: [C], last_drops: [A] });
  await c.waitStatus(B, P, 'PS_PRIMARY');
  assert.is(infoOf(B).ballot, ballot);
  for (let i = 0; i < 5; i++) {
    const res = await c.client(B).call('client_read', { pid: P, hash_key: new TextEncoder().encode('last-acked'), sort_key: new TextEncoder().encode('s') }, 5000);
    assert.ok(res.ok);
    assert.is(res.res.err, 'ERR_INVALID_STATE', 'B must not serve before its tail is committed');
    await new Promise((r) => setTimeout(r, 50));
  }
  await c.startServer(C);
  let first: string | undefined;
  await waitFor('B to serve reads', async () => {
    try {
      first = await c.read(B, P, 'last-acked');
      return true;
    } catch (e) {
      return String(e);
    }
  });
  assert.is(first, 'yes');
  assert.ok(c.logs.some((l) => /re-preparing inherited decrees/.test(l)));
  const last = await c.write(B, P, 'after-failover', 'v');
  assert.is(last.err, 'ERR_OK');
  await c.waitDigestsAgree(P, [B, C], last.decree);
});

test('the ballot adopted from a config survives a restart; a lower ballot is then refused', async () => {
  const ballot = infoOf(C).ballot;
  await c.stopServer(C);
  await c.startServer(C);
  assert.is(infoOf(C).ballot, ballot);
  const res = await c.client(C).call('prepare', { pid: P, ballot: ballot - 1, mutations: [], last_committed_decree: 0 }, 5000);
  assert.ok(res.ok);
  assert.is(res.res.err, 'ERR_INVALID_VERSION');
  assert.is(res.res.ballot, ballot);
  await c.waitStatus(C, P, 'PS_SECONDARY');
  await c.waitDigestsAgree(P, [B, C], await c.waitWritable(B, P));
});

test('a member whose replica dir is gone makes no empty one unless the meta says it may; it reports the replica missing', async () => {
  await c.stopServer(C);
  await fs.rm(path.join(c.dataDir(C), 'reps', '1.0.pegasus'), { recursive: true });
  c.meta.holdsData.add('1.0'); // the meta knows this partition holds rows
  await c.startServer(C);
  await waitFor('C to report 1.0 missing', () => (c.meta.lastMissing.get(C) ?? []).some((p) => p.app_id === 1 && p.partition_index === 0));
  assert.is(infoOf(C), undefined, 'no empty replica was made');
  assert.ok(c.logs.some((l) => l.includes('holds no replica of it; not creating an empty one')), 'the node says why');
  // A partition that holds no rows yet (a new table's) is created empty, as before.
  c.meta.holdsData.delete('1.0');
  await waitFor('C to create 1.0', () => infoOf(C) !== undefined);
  await waitFor('C to stop reporting 1.0 missing', () => (c.meta.lastMissing.get(C) ?? []).length === 0);
});

test.run();
