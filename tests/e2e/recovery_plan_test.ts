// Goal: a recovery an operator can review before it writes anything (issue "Recovery an operator can
// trust"): `recover --plan` writes nothing and names a plan id; a write between plan and apply makes
// `recover --apply` refuse and name each partition that moved; plan + apply + verify recover every
// key; a replica server left out of the node list is reported; the result is recorded (cluster_info,
// recover_status) and a meta restarted with the flag still on serves instead of refusing.
// Method: an operator session through run.sh and the shell with a real ZooKeeper, the metadata lost
// by moving cluster_root as in the seed; exit codes checked (0 ok, 1 failed, 2 refused).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bench, eventually, foundCount, ok, requireNoOnebox, ROOT, runSh, sed, shell, writeNodeList } from '../support/onebox.ts';

const BEFORE = '--app_name temp -n 100 --thread_num 4'; // 400 keys, before the plan
const AFTER_PLAN = '--app_name temp -n 5 --thread_num 4 --hashkey_size 9'; // 20 keys, after it
const META = 'onebox/meta1/config.ini';
const NODES = ['127.0.0.1:34801', '127.0.0.1:34802', '127.0.0.1:34803'];

test.before(() => requireNoOnebox());
test.after(() => {
  runSh(['stop_onebox']);
});

function found(rows: string): number {
  return foundCount(ok(bench(`${rows} -t readrandom_pegasus`), `readrandom ${rows}`))!.found;
}

function restartMeta(): void {
  runSh(['stop_onebox_instance', '-m', '1']);
  ok(runSh(['start_onebox_instance', '-m', '1']), 'start meta');
}

const planId = (out: string) => /^plan id: ([0-9a-f]{16})$/m.exec(out)?.[1];

test('setup: a onebox with 400 keys; a plan made on the live cluster (a drill) writes nothing', () => {
  ok(runSh(['clear_onebox']), 'clear_onebox');
  ok(runSh(['start_onebox', '-m', '1', '-w']), 'start_onebox');
  ok(bench(`${BEFORE} -t fillseq_pegasus`), 'fillseq');
  writeNodeList('recover_node_list', NODES);
  const plan = ok(shell('recover -f recover_node_list --plan -o plan_old.json'), 'plan while serving');
  assert.match(plan, /^node 127\.0\.0\.1:34801: ok in \d+ ms$/m);
  assert.match(plan, /^table 1 temp: 8 partitions, 3 replicas each$/m);
  assert.match(plan, /^  partition 1\.0: intact, primary 127\.0\.0\.1:3480\d \(\d+, \d+, \d+\); others /m);
  assert.match(plan, /^totals: 8 partitions served: intact 8, degraded 0, at-risk 0, lost 0; may lose 0 decrees$/m);
  assert.match(plan, /^NOT REBUILT: table 1 temp: duplication, backup policies/m);
  assert.ok(planId(plan), plan);
  assert.is(JSON.parse(readFileSync(join(ROOT, 'plan_old.json'), 'utf8')).plan_id, planId(plan));
  assert.match(shell('ls').out, /AVAILABLE\s+temp/); // still serving, nothing written
});

test('a write after the plan: apply is refused (exit 2) and names the partitions that moved', () => {
  ok(bench(`${AFTER_PLAN} -t fillseq_pegasus`), 'fillseq after the plan');
  // Lose the metadata as in the seed: a fresh cluster_root, recovery mode.
  sed(META, '/pegasus/onebox/', '/pegasus/onebox_plan/');
  sed(META, 'recover_from_replica_server = false', 'recover_from_replica_server = true');
  restartMeta();
  const refused = shell('recover --apply plan_old.json');
  assert.is(refused.code, 2, refused.out);
  assert.match(refused.out, 'Recover result: ERR_INCONSISTENT_STATE');
  assert.match(refused.out, /the cluster changed since plan [0-9a-f]{16} was made/);
  assert.match(refused.out, /^CHANGED: 127\.0\.0\.1:3480\d 1\.\d: ballot\/last_committed\/last_prepared \d+\/\d+\/\d+ -> \d+\/\d+\/\d+$/m);
  assert.match(shell('ls').out, 'list apps failed, error=ERR_UNDER_RECOVERY'); // nothing written
});

test('a replica server left out of the node list is reported as heartbeating but unlisted', () => {
  writeNodeList('two_nodes', NODES.slice(0, 2));
  const plan = ok(shell('recover -f two_nodes --plan'), 'plan from two nodes');
  assert.match(plan, 'WARNING: node 127.0.0.1:34803 sends heartbeats but is not in the node list');
  assert.match(plan, /^totals: 8 partitions served: intact 0, degraded 8, at-risk 0, lost 0/m);
  assert.match(plan, /^WARNING: partition 1\.0 has 2 of 3 replicas; needs 1 more node/m);
});

test('plan, apply, verify: every key is back, the recovery is recorded', async () => {
  const plan = ok(shell('recover -f recover_node_list --plan -o plan_new.json'), 'plan in recovery mode');
  const id = planId(plan)!;
  const applied = ok(shell('recover --apply plan_new.json'), 'apply');
  assert.match(applied, `Apply plan: ${id}`);
  assert.match(applied, 'Recover result: ERR_OK');
  assert.match(applied, /^NOT REBUILT: table 1 temp: duplication, backup policies/m);
  await eventually('verify: every partition whole, replicas agree', () => {
    const r = shell('verify');
    return { done: r.code === 0, detail: r.out };
  }, 90_000);
  const verified = shell('verify').out;
  assert.match(verified, /8 of 8 partitions verified, 420 rows/);
  assert.match(verified, `OK the tables match recovery plan ${id}`);
  assert.is(found(BEFORE), 400);
  assert.is(found(AFTER_PLAN), 20);
  assert.match(shell('cluster_info').out, new RegExp(`last_recovery\\s+: \\S+ apply plan ${id} from 3 nodes: 1 tables, 8 partitions`));
  const status = JSON.parse(ok(shell('recover_status --json'), 'recover_status'));
  assert.is(status.audit.plan_id, id);
  assert.is(status.meta_mode, 'serving');
});

test('the meta restarted with the flag still on serves its own recovery, with a warning', () => {
  restartMeta();
  assert.match(readFileSync(join(ROOT, 'onebox/meta1/server.log'), 'utf8'), 'holds the tables of a completed recovery');
  assert.match(shell('ls').out, /AVAILABLE\s+temp/);
  assert.is(shell('recover -f recover_node_list').code, 2); // ERR_SERVICE_ALREADY_RUNNING: refused
});

test('bad input: a missing or foreign plan file, options that the plan carries', () => {
  const missing = shell('recover --apply no_such_plan.json');
  assert.is(missing.code, 1);
  assert.match(missing.out, 'open file no_such_plan.json failed');
  const foreign = shell('recover --apply recover_node_list');
  assert.is(foreign.code, 1);
  assert.match(foreign.out, 'is not JSON');
  const mixed = shell('recover --apply plan_new.json -f recover_node_list');
  assert.is(mixed.code, 1);
  assert.match(mixed.out, '--apply takes the node list and options from the plan file; remove --node_list_file');
  assert.not.match(`${missing.out}${foreign.out}${mixed.out}`, /at .*\.ts:\d+/);
});

test.run();
