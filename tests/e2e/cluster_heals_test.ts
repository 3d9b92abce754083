// Goal: the onebox a new user starts stores, replicates and serves data, and heals itself (issues
// "A onebox cluster ..." and "The cluster heals itself ..."): a replica server that stops does not
// stop writes; when it returns it learns what it missed and every replica holds the same rows; a
// primary killed with -9 during a running fillseq loses no acknowledged write; the meta leader of
// `-m 3` killed with -9 is replaced by another with the same metadata, and the shell and clients
// follow it; kill -9 of every replica server loses nothing; the seed's "Online Cluster Recovery"
// with three metas: all of them in recovery mode, the leader recovers, and when it dies a
// follower whose flag is still on serves the recovered tables instead of refusing.
// Method: an operator session through run.sh, the shell and the bench, with a real ZooKeeper. Three
// disjoint key sets (hash keys of 16, 12 and 10 bytes), written by 4 bench threads each, are counted
// after every step; `verify` compares the row count and checksum of every replica of every
// partition. recovery_demo_test runs the seed's exact single-meta, single-thread commands.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bench, benchInBackground, clusterHealthy, eventually, foundCount, ok, requireNoOnebox, ROOT, runSh, sed, shell, writeNodeList } from '../support/onebox.ts';

const BEFORE = '--app_name temp -n 500 --thread_num 4'; // 2000 keys
const WHILE_DOWN = '--app_name temp -n 1250 --thread_num 4 --hashkey_size 12'; // 5000 keys
const DURING_KILL = '--app_name temp -n 300 --thread_num 4 --hashkey_size 10'; // 1200 keys

test.before(() => requireNoOnebox());
test.after(() => {
  runSh(['stop_onebox']);
});

function found(rows: string): number {
  return foundCount(ok(bench(`${rows} -t readrandom_pegasus`), `readrandom ${rows}`))!.found;
}

function verified(): { done: boolean; detail: string } {
  const r = shell('verify');
  return { done: r.code === 0 && /Verify result: OK/.test(r.out), detail: r.out };
}

function leaderMeta(): string {
  const m = /primary_meta_server\s+: 127\.0\.0\.1:346(\d\d)/.exec(shell('cluster_info').out);
  return m ? String(Number(m[1])) : '';
}

test('start with three metas, fill, read back, inspect', () => {
  ok(runSh(['clear_onebox']), 'clear_onebox');
  ok(runSh(['start_onebox', '-m', '3', '-w']), 'start_onebox -m 3 -w');
  ok(bench(`${BEFORE} -t fillseq_pegasus`), 'fillseq');
  assert.is(found(BEFORE), 2000);
  const info = ok(shell('cluster_info'), 'cluster_info');
  assert.match(info, /zookeeper_root\s+: \/pegasus\/onebox\/127\.0\.0\.1/);
  assert.match(info, /meta_servers\s+: 127\.0\.0\.1:34601,127\.0\.0\.1:34602,127\.0\.0\.1:34603/);
  assert.match(ok(shell('ls'), 'ls'), /\b1\s+AVAILABLE\s+temp\b/);
});

test('a replica server stops: 5000 more keys are written with two replicas', () => {
  ok(runSh(['stop_onebox_instance', '-r', '3']), 'stop replica 3');
  ok(bench(`${WHILE_DOWN} -t fillseq_pegasus`), 'fillseq while replica 3 is down');
  assert.is(found(WHILE_DOWN), 5000);
  const nodes = shell('nodes -d').out;
  assert.match(nodes, /127\.0\.0\.1:34803\s+UNALIVE\s+0\s+0\s+0/);
  assert.match(nodes, /alive_node_count\s+: 2/);
  assert.match(nodes, /unalive_node_count\s+: 1/);
});

test('it returns, learns what it missed, and every replica holds the same rows', async () => {
  ok(runSh(['start_onebox_instance', '-r', '3']), 'start replica 3');
  await eventually('every partition fully healthy', clusterHealthy, 60_000);
  // verify reads the digest (row count + checksum) of every replica, not only the primary's.
  await eventually('verify OK: all replicas agree', verified, 60_000);
  assert.match(shell('verify').out, /8 of 8 partitions verified, 7000 rows/);
  assert.match(shell('nodes -d').out, /alive_node_count\s+: 3/);
});

test('a primary killed with -9 during fillseq: no acknowledged write is lost', async () => {
  const filling = benchInBackground(`${DURING_KILL} -t fillseq_pegasus`);
  // Replica server 1 is the primary of some partitions; kill it while the bench writes. The bench
  // stops at the first write that still fails after the client's retries, so exit 0 means every
  // one of the 1200 writes was acknowledged.
  await new Promise((r) => setTimeout(r, 2500));
  ok(runSh(['stop_onebox_instance', '-r', '1', '--kill9']), 'kill -9 replica 1');
  const filled = await filling;
  ok(filled, 'fillseq across the kill');
  assert.match(filled.out, /Statistics for write/);
  assert.is(found(DURING_KILL), 1200);
  assert.match(shell('nodes -d').out, /127\.0\.0\.1:34801\s+UNALIVE\s+0\s+0\s+0/);
});

test('the killed server returns and the cluster is whole again', async () => {
  ok(runSh(['start_onebox_instance', '-r', '1']), 'start replica 1');
  await eventually('verify OK after replica 1 returns', verified, 60_000);
  assert.match(shell('verify').out, /8 of 8 partitions verified, 8200 rows/);
});

test('the meta leader killed with -9: another takes over with the same tables; shell and bench follow', async () => {
  const leader = leaderMeta();
  assert.ok(leader !== '', 'cluster_info names the leader');
  const replicaLogPath = join(ROOT, 'onebox/replica1/server.log');
  const logOffset = readFileSync(replicaLogPath, 'utf8').length;
  ok(runSh(['stop_onebox_instance', '-m', leader, '--kill9']), `kill -9 meta ${leader}`);
  // The others take over once the dead leader's ZooKeeper session expires ([zookeeper] timeout_ms).
  await eventually('a new leader', () => {
    const now = leaderMeta();
    return { done: now !== '' && now !== leader, detail: `leader: ${now || 'none'}` };
  }, 60_000);
  assert.match(ok(shell('ls'), 'ls'), /\b1\s+AVAILABLE\s+temp\b/);
  ok(bench('--app_name temp -n 50 --thread_num 4 --hashkey_size 9 -t fillseq_pegasus'), 'writes under the new leader');
  assert.is(found('--app_name temp -n 50 --thread_num 4 --hashkey_size 9'), 200);
  // With no leading meta for longer than fd_lease_seconds (4 s; the election takes ~10 s), the
  // replica servers stopped serving, and took their roles back from the new leader.
  const replicaLog = readFileSync(replicaLogPath, 'utf8').slice(logOffset);
  assert.match(replicaLog, 'become PS_INACTIVE until the meta answers again');
  assert.match(replicaLog, 'a meta server answers again; the lease is renewed');
  ok(runSh(['start_onebox_instance', '-m', leader]), `meta ${leader} returns as a follower`);
  assert.match(shell('cluster_info').out, /primary_meta_server\s+: 127\.0\.0\.1:346\d\d/);
});

test('kill -9 and restart every replica server: nothing lost', async () => {
  for (const r of ['1', '2', '3']) ok(runSh(['stop_onebox_instance', '-r', r, '--kill9']), `kill -9 replica ${r}`);
  for (const r of ['1', '2', '3']) ok(runSh(['start_onebox_instance', '-r', r]), `start replica ${r}`);
  await eventually('a healthy cluster after the replica restarts', clusterHealthy, 120_000);
  // Every acknowledged row, on every replica: 2000 + 5000 + 1200 + 200 distinct keys, digests equal.
  await eventually('verify OK after kill -9 of every replica server', verified, 60_000);
  assert.match(shell('verify').out, /8 of 8 partitions verified, 8400 rows/);
  assert.is(found(DURING_KILL), 1200);
});

test('online recovery with three metas: the leader recovers every row; a follower with the flag still on takes over', async () => {
  // The seed's steps 3-7 on every meta (its "Online Cluster Recovery"): new paths, flag on, restart.
  for (const m of ['1', '2', '3']) {
    sed(`onebox/meta${m}/config.ini`, '/pegasus/onebox', '/pegasus/onebox_recovery');
    sed(`onebox/meta${m}/config.ini`, 'recover_from_replica_server = false', 'recover_from_replica_server = true');
  }
  for (const m of ['1', '2', '3']) ok(runSh(['stop_onebox_instance', '-m', m]), `stop meta ${m}`);
  for (const m of ['1', '2', '3']) ok(runSh(['start_onebox_instance', '-m', m]), `start meta ${m}`);
  assert.match(shell('ls').out, 'list apps failed, error=ERR_UNDER_RECOVERY');
  writeNodeList('recover_node_list', ['127.0.0.1:34801', '127.0.0.1:34802', '127.0.0.1:34803']);
  assert.match(ok(shell('recover -f recover_node_list'), 'recover'), 'Recover result: ERR_OK');
  assert.match(ok(shell('cluster_info'), 'cluster_info'), /zookeeper_root\s+: \/pegasus\/onebox_recovery\/127\.0\.0\.1/);
  // Every row written in the earlier steps, on every replica (row counts and checksums agree).
  await eventually('verify OK after the online recovery', verified, 60_000);
  assert.match(shell('verify').out, /8 of 8 partitions verified, 8400 rows/);
  const leader = leaderMeta();
  assert.ok(leader !== '', 'cluster_info names the leader');
  ok(runSh(['stop_onebox_instance', '-m', leader, '--kill9']), `kill -9 meta ${leader}`);
  await eventually('a new leader after the recovery', () => {
    const now = leaderMeta();
    return { done: now !== '' && now !== leader, detail: `leader: ${now || 'none'}` };
  }, 60_000);
  const follower = leaderMeta();
  assert.match(readFileSync(join(ROOT, `onebox/meta${follower}/server.log`), 'utf8'), 'holds the tables of a completed recovery');
  assert.match(ok(shell('ls'), 'ls under the new leader'), /\b1\s+AVAILABLE\s+temp\b/);
  assert.is(found(DURING_KILL), 1200);
});

test('bad input: unknown command, unknown table, unknown run.sh command', () => {
  const r = shell('no_such_command');
  assert.is.not(r.code, 0);
  assert.match(r.out, "ERROR: invalid subcommand 'no_such_command'");
  const app = shell('app no_such_table');
  assert.is.not(app.code, 0);
  assert.match(app.out, 'query app no_such_table failed, error=');
  const v = shell('verify -a no_such_table');
  assert.is.not(v.code, 0);
  assert.match(v.out, 'no available table named no_such_table');
  const sh = runSh(['no_such_thing']);
  assert.is.not(sh.code, 0);
  assert.not.match(sh.out, /at .*\.ts:\d+/); // no stack trace
});

test.run();
