// Goal: the onebox a new user starts with one command stores, replicates and serves data, and keeps
// it across restarts (issue "A onebox cluster ..."). Method: the operator session of the seed's
// first steps through run.sh and the shell, with a real ZooKeeper; then kill -9 every replica
// server, restart them, and count every key again. The 10000 rows are written by 4 bench threads
// (2500 each, disjoint keys) to keep the suite short; recovery_demo_test runs the seed's exact
// single-threaded commands.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bench, clusterHealthy, eventually, foundCount, ok, requireNoOnebox, runSh, shell } from '../support/onebox.ts';

const ROWS = '--app_name temp -n 2500 --thread_num 4';

test.before(() => requireNoOnebox());
test.after(() => {
  runSh(['stop_onebox']);
});

test('start, fill, read back, inspect', async () => {
  ok(runSh(['clear_onebox']), 'clear_onebox');
  ok(runSh(['start_onebox', '-m', '1', '-w']), 'start_onebox -m 1 -w');
  ok(bench(`${ROWS} -t fillseq_pegasus`), 'fillseq');
  const read = ok(bench(`${ROWS} -t readrandom_pegasus`), 'readrandom');
  assert.equal(foundCount(read), { found: 10000, total: 10000 });
  assert.match(ok(shell('cluster_info'), 'cluster_info'), /zookeeper_root\s+: \/pegasus\/onebox\/127\.0\.0\.1/);
  assert.match(ok(shell('ls'), 'ls'), /\b1\s+AVAILABLE\s+temp\b/);
});

test('meta restart keeps the tables', async () => {
  ok(runSh(['stop_onebox_instance', '-m', '1']), 'stop meta');
  ok(runSh(['start_onebox_instance', '-m', '1']), 'start meta');
  await eventually('temp listed after the meta restart', () => {
    const r = shell('ls');
    return { done: /\bAVAILABLE\s+temp\b/.test(r.out), detail: r.out };
  }, 60_000);
  assert.equal(foundCount(ok(bench(`${ROWS} -t readrandom_pegasus`), 'readrandom')), { found: 10000, total: 10000 });
});

test('kill -9 and restart every replica server: nothing lost', async () => {
  for (const r of ['1', '2', '3']) ok(runSh(['stop_onebox_instance', '-r', r, '--kill9']), `kill -9 replica ${r}`);
  for (const r of ['1', '2', '3']) ok(runSh(['start_onebox_instance', '-r', r]), `start replica ${r}`);
  await eventually('a healthy cluster after the replica restarts', clusterHealthy, 120_000);
  assert.equal(foundCount(ok(bench(`${ROWS} -t readrandom_pegasus`), 'readrandom')), { found: 10000, total: 10000 });
});

test('bad input: unknown command, unknown table, unknown run.sh command', () => {
  const r = shell('no_such_command');
  assert.is.not(r.code, 0);
  assert.match(r.out, "ERROR: invalid subcommand 'no_such_command'");
  const app = shell('app no_such_table');
  assert.is.not(app.code, 0);
  assert.match(app.out, 'query app no_such_table failed, error=');
  const sh = runSh(['no_such_thing']);
  assert.is.not(sh.code, 0);
  assert.not.match(sh.out, /at .*\.ts:\d+/); // no stack trace
});

test.run();
