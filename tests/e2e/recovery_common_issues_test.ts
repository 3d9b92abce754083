// Goal: every "Common Issues and Solutions" case of the seed, on a real onebox, where Pegasus
// core-dumps we refuse with one clear line; each case ends by counting the keys written before.
// Method: one operator session (4 replica servers, so that a stopped fourth one holds replicas as in
// the seed's example), moving cluster_root to a fresh path for each recovery round.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { bench, clusterHealthy, eventually, foundCount, ok, replicaDirsOf, requireNoOnebox, ROOT, runSh, sed, shell, shellInBackground, writeNodeList } from '../support/onebox.ts';

const N = 2000;
/** N rows from 4 bench threads (disjoint keys), to keep the suite short. */
const ROWS = `--app_name temp -n ${N / 4} --thread_num 4`;
const META = 'onebox/meta1/config.ini';
const ALL = ['127.0.0.1:34801', '127.0.0.1:34802', '127.0.0.1:34803', '127.0.0.1:34804'];
let root = '/pegasus/onebox';

test.before(() => requireNoOnebox());
test.after(() => {
  runSh(['stop_onebox']);
});

function restartMeta(): { code: number; out: string } {
  runSh(['stop_onebox_instance', '-m', '1']);
  return runSh(['start_onebox_instance', '-m', '1']);
}

function moveRoot(to: string): void {
  sed(META, `${root}/`, `${to}/`);
  root = to;
}

function setFlag(on: boolean): void {
  sed(META, `recover_from_replica_server = ${!on}`, `recover_from_replica_server = ${on}`);
}

function countKeys(): number {
  const r = ok(bench(`${ROWS} -t readrandom_pegasus`), 'readrandom');
  return foundCount(r)!.found;
}

test('setup: 4 replica servers, table temp, N rows', () => {
  ok(runSh(['clear_onebox']), 'clear_onebox');
  ok(runSh(['start_onebox', '-m', '1', '-r', '4', '-w']), 'start_onebox -r 4');
  ok(bench(`${ROWS} -t fillseq_pegasus`), 'fillseq');
});

test('recovery to a non-empty zookeeper node: the meta refuses (Pegasus core-dumps)', () => {
  setFlag(true);
  const r = restartMeta();
  assert.is.not(r.code, 0, r.out);
  assert.match(r.out, 'recover_from_replica_server = true');
  assert.match(r.out, `${root}/127.0.0.1/apps`);
  setFlag(false);
  ok(restartMeta(), 'restart meta with the flag back off');
  assert.is(countKeys(), N);
});

test('forgetting to set recover_from_replica_server: refuse, touch nothing (Pegasus core-dumps)', () => {
  moveRoot('/pegasus/onebox_forgot');
  const r = restartMeta();
  assert.is.not(r.code, 0, r.out);
  assert.match(r.out, 'metadata looks lost');
  assert.match(r.out, 'recover_from_replica_server = true');
});

test('a replica server that cannot be reached: ERR_TRY_AGAIN, then --skip_bad_nodes', async () => {
  moveRoot('/pegasus/onebox_recovery');
  setFlag(true);
  ok(restartMeta(), 'meta in recovery mode');
  ok(runSh(['stop_onebox_instance', '-r', '4']), 'stop replica 4');
  writeNodeList('recover_node_list', ALL);
  const failed = shell('recover -f recover_node_list');
  assert.is(failed.code, 2, failed.out); // refused: nothing written
  assert.match(failed.out, 'Recover result: ERR_TRY_AGAIN');
  assert.match(failed.out, 'ERROR: collect app and replica info from node(127.0.0.1:34804) failed with err(ERR_NETWORK_FAILURE), you can skip it by set skip_bad_nodes option');
  assert.match(shell('ls').out, 'list apps failed, error=ERR_UNDER_RECOVERY');
  const skippedRun = shell('recover -f recover_node_list --skip_bad_nodes');
  assert.is(skippedRun.code, 3, skippedRun.out); // partial: recovered, with a node skipped
  const skipped = skippedRun.out;
  assert.match(skipped, 'Skip bad nodes: true');
  assert.match(skipped, 'Recover result: ERR_OK');
  assert.match(skipped, 'WARNING: collect app and replica info from node(127.0.0.1:34804) failed with err(ERR_NETWORK_FAILURE), skip the bad node');
  assert.match(skipped, /WARNING: partition\(1\.\d\) only collects 2\/3 of replicas, may lost data/);
  assert.is(countKeys(), N);
  ok(runSh(['start_onebox_instance', '-r', '4']), 'replica 4 back');
  // Its replicas were not looked at: quarantined (kept, never assigned), listed, counted by nodes -d.
  await eventually('replica 4 reports its replicas, which are quarantined', () => {
    const r = shell('quarantine');
    return { done: /^127\.0\.0\.1:34804\s+1\.\d+\s/m.test(r.out), detail: r.out };
  }, 30_000, 500);
  assert.match(shell('nodes -d').out, /127\.0\.0\.1:34804\s+ALIVE\s+\d+\s+\d+\s+\d+\s+[1-9]\d*\n/);
  assert.ok(replicaDirsOf('1').some((d) => d.includes('/replica4/')), 'replica 4 keeps its replica dirs');
  assert.is(countKeys(), N);
  // The operator compared them and releases them: replica 4 removes them, the guardian may then
  // use replica 4 again, and every key is still there.
  const released = shell('quarantine --release 127.0.0.1:34804');
  assert.is(released.code, 0, released.out);
  assert.match(released.out, /replica\(s\) released: node 127\.0\.0\.1:34804 removes them at its next config sync/);
  await eventually('replica 4 removed the released replicas', () => {
    const r = shell('quarantine');
    return { done: r.out.includes('no replica is in quarantine'), detail: r.out };
  }, 30_000, 500);
  assert.match(readFileSync(join(ROOT, 'onebox/replica4/server.log'), 'utf8'), /removed replica 1\.\d+ .*the meta listed it in replicas_to_remove/);
  assert.is(shell('quarantine --release 127.0.0.1:34804').code, 2, 'nothing left to release: refused');
  await eventually('the guardian heals every partition, replica 4 included', clusterHealthy, 90_000);
  assert.is(countKeys(), N);
});

test('a partition with 1 of 3 replicas, and one with none: warnings, ERR_TRY_AGAIN, then --skip_lost_partitions', async () => {
  // The metadata is lost first: no meta serves while the replicas are hidden. (A serving meta would
  // answer the restarted servers' config syncs with their roles; before config_sync carried
  // create_if_missing, a server listed as a member of a partition it did not hold created it empty,
  // and 1.1 came back empty instead of lost: a race this test once lost in a full run.)
  runSh(['stop_onebox_instance', '-m', '1']);
  for (const r of ['1', '2', '3', '4']) runSh(['stop_onebox_instance', '-r', r]);
  // Hide replicas the way an operator would lose them: move the directories aside (".bak" is ignored).
  const one = replicaDirsOf('1.0');
  for (const d of one.slice(1)) renameSync(d, `${d}.bak`);
  const none = replicaDirsOf('1.1');
  for (const d of none) renameSync(d, `${d}.bak`);
  moveRoot('/pegasus/onebox_recovery2');
  ok(runSh(['start_onebox_instance', '-m', '1']), 'meta in recovery mode at a new root');
  for (const r of ['1', '2', '3', '4']) ok(runSh(['start_onebox_instance', '-r', r]), `start replica ${r}`);
  const failed = shell('recover -f recover_node_list');
  assert.match(failed.out, 'Recover result: ERR_TRY_AGAIN', failed.out);
  assert.match(failed.out, 'ERROR: partition(1.1) has no replica collected, you can force recover it by set skip_lost_partitions option');
  const forcedRun = shell('recover -f recover_node_list --skip_lost_partitions');
  assert.is(forcedRun.code, 3, forcedRun.out); // partial: recovered, with a lost partition made empty
  const forced = forcedRun.out;
  assert.match(forced, 'Recover result: ERR_OK');
  assert.match(forced, 'WARNING: partition(1.0) only collects 1/3 of replicas, may lost data');
  assert.match(forced, 'WARNING: partition(1.1) has no replica collected, force recover the lost partition to empty');
  const found = countKeys();
  // Partition 1.1 came back empty and every other partition is whole.
  assert.ok(found < N && found > N * 0.75, `found ${found} of ${N}`);
  for (const d of [...one.slice(1), ...none]) assert.ok(existsSync(`${d}.bak`), `${d}.bak kept`);
  await eventually('1.1 writable again', () => {
    const r = shell('use temp\nset lost_partition_probe s v\nget lost_partition_probe s');
    return { done: r.out.includes('"v"') || r.out.includes('v\n'), detail: r.out };
  }, 60_000);
});

test('the meta killed with -9 in the middle of writing: the next start cleans up, a plain re-run works', async () => {
  const before = countKeys();
  moveRoot('/pegasus/onebox_recovery3');
  runSh(['stop_onebox_instance', '-m', '1']);
  // Fault injection: the meta pauses right after writing the "lock" marker.
  ok(runSh(['start_onebox_instance', '-m', '1'], '', 60_000, { PEGASUS_TS_PAUSE_AFTER_RECOVERY_LOCK_MS: '60000' }), 'meta with fault injection');
  const pending = shellInBackground('recover -f recover_node_list -w 90');
  const log = join(ROOT, 'onebox/meta1/server.log');
  await eventually('the meta paused after the lock marker', () => {
    const text = readFileSync(log, 'utf8');
    return { done: text.includes('fault injection: pausing'), detail: text.slice(-500) };
  }, 60_000, 200);
  // Another shell (say, one whose wait ran out) can see where the recovery is.
  const status = ok(shell('recover_status'), 'recover_status');
  assert.match(status, /^recovery\s+: running \(recover\), stage writing, started /m);
  assert.match(status, /^  node 127\.0\.0\.1:34801: ok in \d+ ms$/m);
  ok(runSh(['stop_onebox_instance', '-m', '1', '--kill9']), 'kill -9 meta');
  const interrupted = await pending;
  assert.not.match(interrupted.out, 'Recover result: ERR_OK');
  ok(runSh(['start_onebox_instance', '-m', '1']), 'meta restarted');
  assert.match(readFileSync(log, 'utf8'), 'carried the "lock" marker');
  assert.match(shell('ls').out, 'list apps failed, error=ERR_UNDER_RECOVERY');
  assert.match(ok(shell('recover -f recover_node_list'), 're-run'), 'Recover result: ERR_OK');
  assert.is(countKeys(), before);
});

test.run();
