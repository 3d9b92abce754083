// Goal: the seed's demonstration (steps 1-7 of meta-recovery.txt) works verbatim on the onebox, and
// afterwards the cluster heals (the other replicas rejoin by learning, and verify finds the same
// 10000 rows on every replica). Method: the operator session
// through run.sh, the seed's two sed commands, and the shell; every key written before the loss is
// counted after it.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bench, clusterHealthy, eventually, foundCount, ok, requireNoOnebox, runSh, sed, shell, writeNodeList } from '../support/onebox.ts';

test.before(() => requireNoOnebox());
test.after(() => {
  runSh(['stop_onebox']);
});

test('steps 1-2: a onebox with 10000 rows', () => {
  ok(runSh(['clear_onebox']), 'clear_onebox');
  ok(runSh(['start_onebox', '-m', '1', '-w']), 'start_onebox');
  assert.match(shell('cluster_info').out, /zookeeper_root\s+: \/pegasus\/onebox\/127\.0\.0\.1/);
  ok(bench('--app_name temp -t fillseq_pegasus -n 10000'), 'fillseq');
});

test('steps 3-4: the seed sed commands, restart meta: recovery mode', async () => {
  sed('onebox/meta1/config.ini', '/pegasus/onebox', '/pegasus/onebox_recovery');
  sed('onebox/meta1/config.ini', 'recover_from_replica_server = false', 'recover_from_replica_server = true');
  ok(runSh(['stop_onebox_instance', '-m', '1']), 'stop meta');
  ok(runSh(['start_onebox_instance', '-m', '1']), 'start meta');
  await eventually('ERR_UNDER_RECOVERY', () => {
    const r = shell('ls');
    return { done: r.out.includes('list apps failed, error=ERR_UNDER_RECOVERY'), detail: r.out };
  }, 30_000);
});

test('step 5: recover -f recover_node_list prints the seed block and ERR_OK', () => {
  writeNodeList('recover_node_list', ['127.0.0.1:34801', '127.0.0.1:34802', '127.0.0.1:34803']);
  const out = ok(shell('recover -f recover_node_list'), 'recover');
  const expected = [
    'Wait seconds: 100',
    'Skip bad nodes: false',
    'Skip lost partitions: false',
    'Node list:',
    '=============================',
    '127.0.0.1:34801',
    '127.0.0.1:34802',
    '127.0.0.1:34803',
    '=============================',
    'Recover result: ERR_OK',
  ].join('\n');
  assert.ok(out.includes(expected), out);
  assert.match(shell('ls').out, /\bAVAILABLE\s+temp\b/);
  assert.match(shell('cluster_info').out, /zookeeper_root\s+: \/pegasus\/onebox_recovery\/127\.0\.0\.1/);
  assert.match(shell('recover -f recover_node_list').out, 'Recover result: ERR_SERVICE_ALREADY_RUNNING');
});

test('step 6: (10000 of 10000 found)', () => {
  assert.equal(foundCount(ok(bench('--app_name temp -t readrandom_pegasus -n 10000'), 'readrandom')), { found: 10000, total: 10000 });
});

test('step 7: flag back to false, restart meta: serves normally and heals', async () => {
  sed('onebox/meta1/config.ini', 'recover_from_replica_server = true', 'recover_from_replica_server = false');
  ok(runSh(['stop_onebox_instance', '-m', '1']), 'stop meta');
  ok(runSh(['start_onebox_instance', '-m', '1']), 'start meta');
  await eventually('every partition fully healthy again', clusterHealthy, 180_000);
  // The rejoined replicas learned every row: all three replicas of each partition hold the same
  // rows (verify compares their digests), 10000 in all.
  await eventually('verify OK', () => {
    const r = shell('verify');
    return { done: r.code === 0, detail: r.out };
  }, 60_000);
  assert.match(shell('verify').out, /8 of 8 partitions verified, 10000 rows/);
});

test.run();
