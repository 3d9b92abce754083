// Goal: a replica's storage on disk. The LevelDB wrapper reads log ranges only while contiguous,
// gives checkpoints and digests from one snapshot (rows and committed decree always agree, whatever
// is written meanwhile), and clears ranges. Replica dirs load with their ballot and decrees; a dir
// that fails to load is renamed `<dir>.<us>.err` and kept; dirs with ignored suffixes are left
// alone; a LevelDB held by another process stops the load instead of being renamed.
// Method: real LevelDB and files in a temp dir, removed at the end.

import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AppInfo } from '../../proto/src/index.ts';
import { MetaClient } from './meta_client.ts';
import type { ReplicaContext } from './replica.ts';
import { DataDirLockedError, createReplica, loadReplicas, repsDir } from './replica_dirs.ts';
import { INIT_INFO_FILE, RDB_SUBDIR, parseReplicaDirName, readInitInfo, replicaDirName, storedAppInfo, writeInitInfo } from './replica_files.ts';
import { ReplicaStorage } from './replica_storage.ts';
import {
  MARKER_LAST_COMMITTED_DECREE,
  MARKER_LAST_PREPARED_DECREE,
  applyEntryOp,
  logEntryOp,
  markerOp,
} from './storage_format.ts';
import { noFailPoints } from './fail_points.ts';

let root: string;
const lines: string[] = [];
const ctx: ReplicaContext = {
  me: '127.0.0.1:1',
  rpcTimeoutMs: 1000,
  idleCommitDelayMs: 10,
  failPoints: noFailPoints(),
  log: (l) => lines.push(l),
  peer: () => {
    throw new Error('no peers in this test');
  },
  meta: new MetaClient([]),
};
const dirOptions = () => ({ dataDir: root, sync: false, nowUs: () => 1700000000000000n });
const bytes = (s: string) => new TextEncoder().encode(s);
const entry = (decree: number, key: string, value: string) => ({ decree, ballot: 3, op: 'put' as const, key: bytes(key), value: bytes(value) });

function appInfo(appId: number, partitionCount: number): AppInfo {
  return {
    status: 'AS_DROPPED',
    app_type: 'pegasus',
    app_name: `t${appId}`,
    app_id: appId,
    partition_count: partitionCount,
    envs: { a: 'b' },
    is_stateful: true,
    max_replica_count: 3,
    expire_second: 99,
    create_second: 1,
    drop_second: 5,
  };
}

test.before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pegasus-replica-storage-test-'));
});

test.after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

test('log ranges are read while contiguous; markers default to 0', async () => {
  const s = await ReplicaStorage.open(path.join(root, 'db1'), { sync: false, createIfMissing: true });
  assert.equal(await s.readMarkers(), { lastCommittedDecree: 0, lastPreparedDecree: 0, learning: false });
  await s.write([1, 2, 3, 5].map((d) => logEntryOp(entry(d, `k${d}`, `v${d}`))));
  assert.equal((await s.readLog(1, 10)).map((e) => e.decree), [1, 2, 3]);
  assert.equal((await s.readLog(2, 2)).map((e) => e.decree), [2]);
  assert.equal((await s.readLog(4, 10)).map((e) => e.decree), []);
  assert.is(await s.firstLogDecree(), 1);
  await s.clearLogAfter(2);
  assert.equal((await s.readLog(1, 10)).map((e) => e.decree), [1, 2]);
  await s.close();
});

test('a checkpoint and a digest come from one snapshot', async () => {
  const s = await ReplicaStorage.open(path.join(root, 'db2'), { sync: false, createIfMissing: true });
  const commit = (decree: number, key: string, value: string) =>
    s.write([applyEntryOp(entry(decree, key, value)), markerOp(MARKER_LAST_COMMITTED_DECREE, decree)]);
  for (let d = 1; d <= 2500; d++) await commit(d, `key${String(d).padStart(5, '0')}`, `v${d}`);
  const digestBefore = await s.digest();
  assert.equal([digestBefore.lastCommittedDecree, digestBefore.rowCount], [2500, 2500]);
  const cp = await s.openCheckpoint();
  await commit(2501, 'key99999', 'late'); // after the snapshot: invisible to it
  let rows = 0;
  for (;;) {
    const chunk = await cp.next(1000);
    if (chunk.length === 0) break;
    assert.ok(chunk.length <= 1000);
    rows += chunk.length;
  }
  await cp.close();
  assert.is(cp.decree, 2500);
  assert.is(rows, 2500);
  const after = await s.digest();
  assert.equal([after.lastCommittedDecree, after.rowCount], [2501, 2501]);
  assert.is.not(after.checksum, digestBefore.checksum);
  await s.close();
});

test('equal rows give equal digests; one changed value does not', async () => {
  const a = await ReplicaStorage.open(path.join(root, 'dbA'), { sync: false, createIfMissing: true });
  const b = await ReplicaStorage.open(path.join(root, 'dbB'), { sync: false, createIfMissing: true });
  const rows = [entry(1, 'x', '1'), entry(2, 'y', '2'), entry(3, 'z', '3')];
  await a.write([...rows.map(applyEntryOp), markerOp(MARKER_LAST_COMMITTED_DECREE, 3)]);
  await b.write([...[...rows].reverse().map(applyEntryOp), markerOp(MARKER_LAST_COMMITTED_DECREE, 3)]);
  assert.equal(await a.digest(), await b.digest());
  await b.write([applyEntryOp(entry(4, 'y', '2!'))]);
  assert.is.not((await a.digest()).checksum, (await b.digest()).checksum);
  await a.close();
  await b.close();
});

test('replica dirs: names and the stored app info', () => {
  assert.is(replicaDirName({ app_id: 2, partition_index: 7 }, 'pegasus'), '2.7.pegasus');
  assert.equal(parseReplicaDirName('2.7.pegasus'), { pid: { app_id: 2, partition_index: 7 }, appType: 'pegasus' });
  assert.is(parseReplicaDirName('2.pegasus'), undefined);
  const stored = storedAppInfo(appInfo(1, 4));
  assert.equal([stored.status, stored.drop_second, stored.expire_second, stored.envs], ['AS_AVAILABLE', 0, 0, { a: 'b' }]);
});

test('a created replica reloads with its ballot and decrees', async () => {
  const dataDir = path.join(root, 'load1');
  await fs.mkdir(dataDir);
  const opts = { ...dirOptions(), dataDir };
  const r = await createReplica({ app_id: 1, partition_index: 0 }, appInfo(1, 2), 4, ctx, opts);
  await r.storage.write([
    ...[1, 2, 3].map((d) => applyEntryOp(entry(d, `k${d}`, 'v'))),
    ...[1, 2, 3, 4, 5].map((d) => logEntryOp({ ...entry(d, `k${d}`, 'v'), ballot: d === 5 ? 6 : 4 })),
    markerOp(MARKER_LAST_COMMITTED_DECREE, 3),
    markerOp(MARKER_LAST_PREPARED_DECREE, 5),
  ]);
  await r.close();
  const loaded = await loadReplicas(ctx, opts);
  assert.is(loaded.length, 1);
  const info = loaded[0].replicaInfo();
  // The logged decree 5 was prepared at ballot 6: replaying it raises the ballot (Pegasus does).
  assert.equal([info.status, info.ballot, info.last_committed_decree, info.last_prepared_decree], ['PS_INACTIVE', 6, 3, 5]);
  assert.is(loaded[0].info.app_name, 't1');
  await loaded[0].close();
});

test('a dir that fails to load is renamed .err; ignored and split dirs are left alone', async () => {
  const dataDir = path.join(root, 'load2');
  const reps = repsDir(dataDir);
  await fs.mkdir(path.join(reps, '3.0.pegasus'), { recursive: true }); // no .app-info
  await fs.mkdir(path.join(reps, '4.0.pegasus.1234.gar'), { recursive: true });
  await fs.mkdir(path.join(reps, 'junk'), { recursive: true });
  const opts = { ...dirOptions(), dataDir };
  const split = await createReplica({ app_id: 5, partition_index: 3 }, appInfo(5, 2), 1, ctx, opts); // pidx >= count
  await split.close();
  const lost = await createReplica({ app_id: 6, partition_index: 0 }, appInfo(6, 1), 1, ctx, opts);
  await lost.close();
  // .init-info claims a durable decree the rows do not have: the rows lost data.
  await writeInitInfo(path.join(reps, '6.0.pegasus'), { init_ballot: 1, init_durable_decree: 10 });
  const loaded = await loadReplicas(ctx, opts);
  assert.is(loaded.length, 0);
  const names = (await fs.readdir(reps)).sort();
  assert.equal(names, ['3.0.pegasus.1700000000000000.err', '4.0.pegasus.1234.gar', '5.3.pegasus', '6.0.pegasus.1700000000000000.err', 'junk.1700000000000000.err']);
  assert.ok(lines.some((l) => /cannot load replica dir .*6\.0\.pegasus: last_committed_decree 0 < init_durable_decree 10/.test(l)));
  assert.is((await readInitInfo(path.join(reps, '6.0.pegasus.1700000000000000.err'))).init_durable_decree, 10, 'kept, not deleted');
});

test('a LevelDB locked by another process stops the load', async () => {
  const dataDir = path.join(root, 'load3');
  const opts = { ...dirOptions(), dataDir };
  const r = await createReplica({ app_id: 1, partition_index: 0 }, appInfo(1, 1), 1, ctx, opts);
  try {
    await loadReplicas(ctx, opts);
    assert.unreachable('the load should have failed');
  } catch (e) {
    assert.instance(e, DataDirLockedError);
  } finally {
    await r.close();
  }
  assert.ok((await fs.readdir(repsDir(dataDir))).includes('1.0.pegasus'), 'not renamed');
  assert.ok((await fs.readdir(path.join(repsDir(dataDir), '1.0.pegasus'))).includes(INIT_INFO_FILE));
  assert.ok((await fs.stat(path.join(repsDir(dataDir), '1.0.pegasus', RDB_SUBDIR))).isDirectory());
});

test.run();
