// Goal: a recovery an operator can review before it writes anything (issue "Recovery an operator can
// trust"): `recover --plan` writes nothing and names a plan id; a write between plan and apply makes
// `recover --apply` refuse and name each partition that moved; plan + apply + verify recover every
// key; a replica server left out of the node list is reported; the result is recorded (cluster_info,
// recover_status) and a meta restarted with the flag still on serves instead of refusing; a primary
// that logged writes its secondaries never received makes the plan mark that partition `at-risk`
// with exactly that many decrees, and the recovery then keeps every acknowledged row.
// Method: an operator session through run.sh and the shell with a real ZooKeeper, the metadata lost
// by moving cluster_root as in the seed; exit codes checked (0 ok, 1 failed, 2 refused). The stale
// replica is made with the replica server's test-only fail point replica_drop_outgoing_prepares
// (packages/replica/src/fail_points.ts: the onebox starts with PEGASUS_TS_FAIL_POINT_SIGNALS=1 and
// SIGUSR2 switches it on in one server); the test reads that server's decrees with
// query_replica_info to know the count to expect.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { partitionIndexOf, toBytes } from '../../packages/client/src/routing.ts';
import { ReplicaService, RpcClient } from '../../packages/proto/src/index.ts';
import { bench, eventually, foundCount, ok, requireNoOnebox, ROOT, runSh, sed, shell, startShell, writeNodeList } from '../support/onebox.ts';

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

test('setup: a onebox with 400 keys; a plan made on the live cluster (a drill) writes nothing', async () => {
  ok(runSh(['clear_onebox']), 'clear_onebox');
  ok(runSh(['start_onebox', '-m', '1', '-w'], '', 300_000, { PEGASUS_TS_FAIL_POINT_SIGNALS: '1' }), 'start_onebox');
  ok(bench(`${BEFORE} -t fillseq_pegasus`), 'fillseq');
  // `intact` needs every replica at the primary's committed decree. Secondaries hear the last
  // commit point from the primary's idle `commit`, which a loaded machine may deliver late. Twice
  // in full-suite runs the drill found a partition not intact (the plan text was not kept; the
  // asserts below now print it), never in runs of this file alone: plan once verify sees the
  // members agree, so a lag that never ends still fails here, with verify's words.
  await eventually('verify: every replica at the same decree', () => {
    const r = shell('verify');
    return { done: r.code === 0, detail: r.out };
  }, 60_000);
  writeNodeList('recover_node_list', NODES);
  const plan = ok(shell('recover -f recover_node_list --plan -o plan_old.json'), 'plan while serving');
  assert.match(plan, /^node 127\.0\.0\.1:34801: ok in \d+ ms$/m, plan);
  assert.match(plan, /^table 1 temp: 8 partitions, 3 replicas each$/m, plan);
  assert.match(plan, /^  partition 1\.0: intact, primary 127\.0\.0\.1:3480\d \(\d+, \d+, \d+\); others /m, plan);
  assert.match(plan, /^totals: 8 partitions served: intact 8, degraded 0, at-risk 0, lost 0; may lose 0 decrees$/m, plan);
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
  assert.match(plan, /^WARNING: partition 1\.0 has 2 of 3 replicas; needs 1 more node; held by 127\.0\.0\.1:34803, whose answer was not used/m);
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

/** Partition `pidx` of `temp` as `app temp -d` shows it: ballot and primary. */
function partitionRow(pidx: number): { ballot: number; primary: string } | undefined {
  const out = shell('app temp -d').out;
  const row = out.split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[0] === String(pidx) && /^\d+$/.test(f[1] ?? '') && /:\d+$/.test(f[3] ?? ''));
  return row ? { ballot: Number(row[1]), primary: row[3] } : undefined;
}

/** What replica server `node` reports for `gpid` (query_replica_info), as an observer. */
async function decreesOf(node: string, gpid: string): Promise<{ ballot: number; lcd: number; lpd: number } | undefined> {
  const client = new RpcClient(ReplicaService, node);
  try {
    const r = await client.call('query_replica_info', { node1: node }, 3000);
    const info = r.ok ? r.res.replicas.find((x) => `${x.pid.app_id}.${x.pid.partition_index}` === gpid) : undefined;
    return info ? { ballot: info.ballot, lcd: info.last_committed_decree, lpd: info.last_prepared_decree } : undefined;
  } finally {
    client.close();
  }
}

test('a primary that logged writes nobody else has: its partition is at-risk in the plan, with the count', async () => {
  const before = partitionRow(0);
  assert.ok(before, 'partition 0 of temp has a primary');
  const stale = before!.primary;
  const index = NODES.indexOf(stale) + 1;
  const pid = Number(readFileSync(join(ROOT, `onebox/replica${index}/pid`), 'utf8'));
  const held = (await decreesOf(stale, '1.0'))!;
  // Three hash keys that partition 1.0 serves, one writer shell each, opened before the fault.
  const keys: string[] = [];
  for (let i = 0; keys.length < 3; i++) if (partitionIndexOf(toBytes(`risk${i}`), toBytes('s'), 8) === 0) keys.push(`risk${i}`);
  const writers = keys.map(() => startShell());
  writers.forEach((w) => w.send('use temp'));
  await eventually('the writer shells opened temp', () => ({ done: writers.every((w) => /^OK$/m.test(w.output())), detail: writers.map((w) => w.output()).join('\n---\n') }), 60_000, 200);
  process.kill(pid, 'SIGUSR2'); // replica_drop_outgoing_prepares on: the primary logs, its secondaries hear nothing
  const log = join(ROOT, `onebox/replica${index}/server.log`);
  await eventually('the fail point is on', () => ({ done: readFileSync(log, 'utf8').includes('replica_drop_outgoing_prepares is now ON'), detail: '' }), 10_000, 100);
  writers.forEach((w, i) => w.send(`set ${keys[i]} s never-acked`));
  let logged = held;
  for (const deadline = Date.now() + 20_000; logged.lpd < held.lpd + 3 && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 100));
    logged = (await decreesOf(stale, '1.0')) ?? logged;
  }
  // Kill it at once, and the writers with it: their retries must not reach the next primary.
  ok(runSh(['stop_onebox_instance', '-r', String(index), '--kill9']), 'kill -9 the stale primary');
  writers.forEach((w) => w.kill());
  assert.is(logged.lpd, held.lpd + 3, `replica server ${stale} logged the three writes of partition 1.0 (before: ${JSON.stringify(held)}, now ${JSON.stringify(logged)})`);
  assert.is(logged.lcd, held.lcd, 'none of them committed');
  await eventually('another replica is primary of 1.0 at a higher ballot', () => {
    const now = partitionRow(0);
    return { done: !!now && now.primary !== stale && now.ballot > before!.ballot, detail: JSON.stringify(now) };
  }, 60_000);
  const promoted = partitionRow(0)!.primary;
  // ... and has taken the new ballot itself (its next config sync), before the metadata goes: a
  // replica still at the old ballot would tie with the stale one, whose longer log would then win.
  for (const deadline = Date.now() + 30_000; ((await decreesOf(promoted, '1.0'))?.ballot ?? 0) <= before!.ballot;) {
    if (Date.now() > deadline) throw new Error(`${promoted} did not take a ballot above ${before!.ballot} for 1.0`);
    await new Promise((r) => setTimeout(r, 200));
  }

  // Lose the metadata again; the stale replica server returns while the meta is in recovery mode.
  sed(META, '/pegasus/onebox_plan/', '/pegasus/onebox_risk/');
  restartMeta();
  ok(runSh(['start_onebox_instance', '-r', String(index)]), 'start the stale replica server');
  await eventually('every replica server answers', () => {
    const r = shell('recover -f recover_node_list --plan');
    return { done: r.code === 0, detail: r.out };
  }, 60_000);
  const plan = ok(shell('recover -f recover_node_list --plan'), 'plan with a stale replica');
  const line = plan.split('\n').find((l) => l.startsWith('  partition 1.0: ')) ?? plan;
  assert.match(line, /^  partition 1\.0: at-risk, may lose 3 decrees, primary 127\.0\.0\.1:3480\d \(/, `partition 1.0 (the promoted primary was ${promoted}):\n${plan}`);
  assert.not.match(line, `primary ${stale} `, `the stale replica is not chosen:\n${plan}`);
  assert.match(plan, /^totals: 8 partitions served: intact \d+, degraded \d+, at-risk 1, lost 0; may lose 3 decrees$/m, plan);

  // The recovery keeps every acknowledged row; the three writes were never acknowledged.
  ok(shell('recover -f recover_node_list'), 'recover');
  await eventually('verify: every partition whole, replicas agree', () => {
    const r = shell('verify');
    return { done: r.code === 0, detail: r.out };
  }, 90_000);
  assert.is(found(BEFORE), 400);
  assert.is(found(AFTER_PLAN), 20);
  const lost = shell(`use temp\n${keys.map((k) => `get ${k} s`).join('\n')}`).out;
  assert.not.match(lost, 'never-acked');
});

test.run();
