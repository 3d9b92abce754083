// Goal: the seed's last section, "Recovery of soft-deleted tables": a dropped but unexpired table
// comes back from recovery as a normal table; where two tables share a name the higher id keeps it
// and the other becomes `{name}-{id}`; every row is read back from the right table. Also recall
// before expiry, restarts between drop and expiry (nothing lost, nothing back early), and removal
// after expiry. Method: an operator session on the onebox; the two generations of table `t` get
// disjoint key sets (16- and 12-byte hash keys), so a row in the wrong table would be counted.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bench, eventually, foundCount, ok, replicaDirsOf, requireNoOnebox, runSh, sed, shell, writeNodeList } from '../support/onebox.ts';

test.before(() => requireNoOnebox());
test.after(() => {
  runSh(['stop_onebox']);
});

const OLD = '--app_name t -n 250 --thread_num 4';
const NEW = '--app_name t -n 125 --thread_num 4 --hashkey_size 12';
let oldId = 0;

function found(args: string): number {
  return foundCount(ok(bench(`${args} -t readrandom_pegasus`), `readrandom ${args}`))!.found;
}

function idOf(lsOut: string, name: string): number {
  const m = new RegExp(`^(\\d+)\\s+\\w+\\s+${name.replace(/[-]/g, '\\-')}\\s`, 'm').exec(lsOut);
  if (!m) throw new Error(`no table ${name} in:\n${lsOut}`);
  return Number(m[1]);
}

test('setup: t (1000 rows), dropped; t again (500 other rows); recall of another table', () => {
  ok(runSh(['clear_onebox']), 'clear_onebox');
  ok(runSh(['start_onebox', '-m', '1', '-w']), 'start_onebox');
  ok(shell('create t -p 4 -r 3'), 'create t');
  oldId = idOf(shell('ls').out, 't');
  ok(bench(`${OLD} -t fillseq_pegasus`), 'fill old t');
  ok(shell('drop t'), 'drop t');
  assert.match(shell('ls -a').out, /DROPPED\s+t\s/);
  ok(shell('create t -p 4 -r 3'), 'create t again');
  ok(bench(`${NEW} -t fillseq_pegasus`), 'fill new t');
  assert.is(found(NEW), 500);
  assert.is(found(OLD), 0); // the new t holds none of the old rows
});

test('recall before expiry brings a dropped table back with its data', async () => {
  ok(shell('create r -p 2 -r 3'), 'create r');
  ok(bench('--app_name r -n 50 --thread_num 4 -t fillseq_pegasus'), 'fill r');
  const id = idOf(shell('ls').out, 'r');
  ok(shell('drop r'), 'drop r');
  assert.match(shell('recall 9999').out, 'failed');
  // A restart of the meta and of a replica server in between neither loses the data nor brings the
  // table back by itself.
  runSh(['stop_onebox_instance', '-m', '1']);
  ok(runSh(['start_onebox_instance', '-m', '1']), 'restart meta');
  runSh(['stop_onebox_instance', '-r', '1']);
  ok(runSh(['start_onebox_instance', '-r', '1']), 'restart replica 1');
  assert.match(shell('ls -a').out, /DROPPED\s+r\s/);
  assert.is(replicaDirsOf(String(id)).length, 6);
  ok(shell(`recall ${id}`), 'recall r');
  assert.is(foundCount(ok(bench('--app_name r -n 50 --thread_num 4 -t readrandom_pegasus'), 'read r'))!.found, 200);
});

test('after the retention expires the replica servers delete the data; it stays dropped', async () => {
  ok(shell('create g -p 2 -r 3'), 'create g');
  ok(bench('--app_name g -n 25 --thread_num 4 -t fillseq_pegasus'), 'fill g');
  const id = idOf(shell('ls').out, 'g');
  assert.is(replicaDirsOf(String(id)).length, 6);
  ok(shell('drop g --reserve_seconds 8'), 'drop g');
  // Restarts before the expiry do not remove the data early.
  runSh(['stop_onebox_instance', '-m', '1']);
  ok(runSh(['start_onebox_instance', '-m', '1']), 'restart meta');
  runSh(['stop_onebox_instance', '-r', '2']);
  ok(runSh(['start_onebox_instance', '-r', '2']), 'restart replica 2');
  assert.is(replicaDirsOf(String(id)).length, 6, 'kept until the retention expires');
  await eventually('g replicas removed from disk', () => {
    const left = replicaDirsOf(String(id));
    return { done: left.length === 0, detail: left.join(' ') };
  }, 60_000);
  assert.match(shell('ls -a').out, /DROPPED\s+g\s/);
  assert.match(shell(`recall ${id}`).out, 'failed');
});

test('recovery brings the dropped t back as t-<old id>; the newer t keeps the name', async () => {
  sed('onebox/meta1/config.ini', '/pegasus/onebox', '/pegasus/onebox_recovery');
  sed('onebox/meta1/config.ini', 'recover_from_replica_server = false', 'recover_from_replica_server = true');
  runSh(['stop_onebox_instance', '-m', '1']);
  ok(runSh(['start_onebox_instance', '-m', '1']), 'meta in recovery mode');
  writeNodeList('recover_node_list', ['127.0.0.1:34801', '127.0.0.1:34802', '127.0.0.1:34803']);
  const out = ok(shell('recover -f recover_node_list'), 'recover');
  assert.match(out, 'Recover result: ERR_OK');
  const ls = shell('ls').out;
  assert.ok(idOf(ls, 't') > oldId, ls);
  assert.is(idOf(ls, `t-${oldId}`), oldId);
  assert.match(out, `WARNING: app(${oldId})'s old name(t) is conflict with others, rename it to (t-${oldId})`);
  assert.is(found(NEW), 500);
  assert.is(found(OLD.replace('--app_name t', `--app_name t-${oldId}`)), 1000);
  assert.is(found(OLD), 0);
  assert.not.match(ls, /\sg\s/); // g's data expired before the loss: it does not come back
});

test.run();
