// Goal: show that diffFingerprints reports every change an operator must see between a plan and
// now, one line each, and nothing when nothing changed; and that "no change" agrees with "same
// plan id" for every mutation we can think of.
// Method: a three-node cluster is fingerprinted; each row changes it and expects the formatted
// lines. Then a seeded random walk of mutations checks: diff empty <=> same plan id.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { app, N, rep, rng } from '../_recovery_test_support.ts';
import type { ReplicaInfo } from '../../../../proto/src/types.ts';
import type { NodeReport } from '../node_report.ts';
import { fingerprintReports, planId, replicaRow } from './fingerprint.ts';
import { diffFingerprints, formatPlanChange } from './plan_diff.ts';


function cluster(): NodeReport[] {
  const apps = [app(1, 'temp', 4)];
  return [1, 2, 3].map((n) => ({ node: N(n), apps, replicas: [rep('1.0', 5, 100), rep('1.3', 5, 100), rep('1.10', 2, 7)], err: 'ERR_OK', latencyMs: 1 }));
}
const PLANNED = fingerprintReports(cluster());
const on = (n: number, f: (r: NodeReport) => NodeReport) => cluster().map((r) => (r.node === N(n) ? f(r) : r));
const editReplica = (gpid: string, edit: Partial<ReplicaInfo>) => (r: NodeReport): NodeReport => ({
  ...r, replicas: r.replicas!.map((x) => (`${x.pid.app_id}.${x.pid.partition_index}` === gpid ? { ...x, ...edit } : x)),
});
const lines = (reports: NodeReport[]) => diffFingerprints(PLANNED, fingerprintReports(reports)).map(formatPlanChange);
const TIMEOUT = (r: NodeReport): NodeReport => ({ ...r, err: 'ERR_TIMEOUT' });

// Rule: one line per node-level change, app change or replica change; node, then id/gpid order.
const ROWS: [name: string, now: NodeReport[], expected: string[]][] = [
  ['identical', cluster(), []],
  ['decrees moved', on(1, editReplica('1.3', { last_committed_decree: 120, last_prepared_decree: 120 })),
    [`${N(1)} 1.3: ballot/last_committed/last_prepared 5/100/100 -> 5/120/120`]],
  ['ballot moved', on(2, editReplica('1.0', { ballot: 6 })),
    [`${N(2)} 1.0: ballot/last_committed/last_prepared 5/100/100 -> 6/100/100`]],
  ['only the status: not a change', on(2, editReplica('1.0', { status: 'PS_ERROR' })),
    []],
  ['replica disappeared', on(3, (r) => ({ ...r, replicas: r.replicas!.filter((x) => x.pid.partition_index !== 3) })),
    [`${N(3)} 1.3: replica disappeared (was ballot/last_committed/last_prepared 5/100/100)`]],
  ['replica appeared', on(3, (r) => ({ ...r, replicas: [...r.replicas!, rep('1.2', 4, 50, 51)] })),
    [`${N(3)} 1.2: replica appeared with ballot/last_committed/last_prepared 4/50/51`]],
  ['node stopped answering', on(2, TIMEOUT),
    [`${N(2)}: no longer answers (ERR_TIMEOUT); its 1 app and 3 replicas drop out`]],
  ['node removed from the list', cluster().slice(0, 2),
    [`${N(3)}: no longer in the node list`]],
  ['node added to the list', [...cluster(), { node: N(4), err: 'ERR_NETWORK_FAILURE', latencyMs: 1 }],
    [`${N(4)}: new in the node list (does not answer)`]],
  ['app renamed and dropped', on(1, (r) => ({ ...r, apps: [app(1, 'temp2', 4, { status: 'AS_DROPPED', drop_second: 5 })] })),
    [`${N(1)} app 1: app_name temp -> temp2, drop_second 0 -> 5, status AS_AVAILABLE -> AS_DROPPED`]],
  ['app envs', on(1, (r) => ({ ...r, apps: [app(1, 'temp', 4, { envs: { k: 'v' } })] })),
    [`${N(1)} app 1: envs {} -> {"k":"v"}`]],
  ['app appeared', on(1, (r) => ({ ...r, apps: [...r.apps!, app(2, 'new', 8)] })),
    [`${N(1)} app 2: appeared (new, AS_AVAILABLE, 8 partitions)`]],
  ['app disappeared', on(1, (r) => ({ ...r, apps: [] })),
    [`${N(1)} app 1: disappeared (temp, AS_AVAILABLE, 4 partitions)`]],
  ['several, in node then gpid order', on(3, editReplica('1.10', { ballot: 3 })).map((r) => (r.node === N(1) ? editReplica('1.3', { ballot: 6 })(editReplica('1.0', { ballot: 6 })(r)) : r)),
    [`${N(1)} 1.0: ballot/last_committed/last_prepared 5/100/100 -> 6/100/100`,
     `${N(1)} 1.3: ballot/last_committed/last_prepared 5/100/100 -> 6/100/100`,
     `${N(3)} 1.10: ballot/last_committed/last_prepared 2/7/7 -> 3/7/7`]],
];

for (const [name, now, expected] of ROWS) {
  test(name, () => assert.equal(lines(now), expected));
}

test('a node that answers again is one line, not one per replica', () => {
  const planned = fingerprintReports(on(2, TIMEOUT));
  const got = diffFingerprints(planned, PLANNED).map(formatPlanChange);
  assert.equal(got, [`${N(2)}: answers now (was ERR_TIMEOUT): 1 app, 3 replicas`]);
});

test("a failing node's error changed", () => {
  const planned = fingerprintReports(on(2, TIMEOUT));
  const now = fingerprintReports(on(2, (r) => ({ ...r, err: 'ERR_NETWORK_FAILURE' })));
  assert.equal(diffFingerprints(planned, now).map(formatPlanChange), [`${N(2)}: still does not answer, error ERR_TIMEOUT -> ERR_NETWORK_FAILURE`]);
});

test('a malformed node reporting one gpid twice: multiset difference', () => {
  const planned = fingerprintReports(on(1, (r) => ({ ...r, replicas: [...r.replicas!, rep('1.0', 4, 90)] })));
  const now = fingerprintReports(on(1, (r) => ({ ...r, replicas: [...r.replicas!, rep('1.0', 4, 91)] })));
  assert.equal(diffFingerprints(planned, now).map(formatPlanChange), [
    `${N(1)} 1.0: replica disappeared (was ballot/last_committed/last_prepared 4/90/90)`,
    `${N(1)} 1.0: replica appeared with ballot/last_committed/last_prepared 4/91/91`,
  ]);
});

test('a difference no kind shows is still reported', () => {
  const twice = [...PLANNED, PLANNED[0]];
  assert.equal(diffFingerprints(twice, PLANNED).map((c) => c.kind), ['other']);
  assert.match(formatPlanChange({ kind: 'other' }), /re-plan/);
});

test('a plan saved before replicas were columns (rows) still diffs, replica by replica', () => {
  const rows = PLANNED.map((f) => ({ ...f, replicas: f.replicas.app_id.map((_, i) => replicaRow(f.replicas, i)) }));
  const now = fingerprintReports(on(1, editReplica('1.3', { ballot: 6 })));
  assert.equal(diffFingerprints(rows, now).map(formatPlanChange), [`${N(1)} 1.3: ballot/last_committed/last_prepared 5/100/100 -> 6/100/100`]);
  assert.equal(diffFingerprints(rows, PLANNED), [{ kind: 'older_plan_format' }], 'same state, older file: says so');
});

test('an edited plan file of any shape gives changes, never an exception', () => {
  const now = fingerprintReports(cluster());
  for (const planned of [[], [null], [42], [{}], [{ node: N(1) }], [{ node: N(1), answered: true, apps: 'x', replicas: { app_id: 'x' } }], [{ node: N(1), answered: true, apps: [], replicas: [1, null] }],
    // Columns of unequal lengths, or one missing (this threw before: the meta answered "BUG: handler threw").
    [{ node: N(1), answered: true, apps: [], replicas: { app_id: [1], partition_index: [] } }],
    [{ node: N(1), answered: true, apps: [], replicas: { app_id: [1], partition_index: [0], ballot: [3], last_committed_decree: [1] } }]]) {
    const changes = diffFingerprints(planned, now);
    assert.ok(changes.length > 0, JSON.stringify(planned));
    changes.map(formatPlanChange);
  }
});

test('changes are JSON', () => {
  const changes = diffFingerprints(PLANNED, fingerprintReports(on(1, editReplica('1.0', { ballot: 9 }))));
  assert.equal(JSON.parse(JSON.stringify(changes)), changes);
});

test('random mutations: diff empty exactly when the plan id is the same', () => {
  const seed = Date.now() % 1_000_000;
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const mutations: ((r: NodeReport) => NodeReport)[] = [
    (r) => r,
    (r) => editReplica(pick(['1.0', '1.3', '1.10']), { ballot: pick([4, 5, 6]) })(r),
    (r) => editReplica(pick(['1.0', '1.3']), { last_committed_decree: pick([99, 100, 101]) })(r),
    (r) => editReplica(pick(['1.0', '1.3']), { last_prepared_decree: pick([100, 101]) })(r),
    (r) => ({ ...r, replicas: r.replicas!.slice(Math.floor(rand() * 2)) }),
    (r) => ({ ...r, apps: [app(1, pick(['temp', 'x']), pick([4, 8]))] }),
    (r) => ({ ...r, err: pick(['ERR_OK', 'ERR_TIMEOUT'] as const) }),
  ];
  const id0 = planId({}, PLANNED);
  for (let round = 0; round < 300; round++) {
    let now = cluster();
    for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) {
      const node = N(1 + Math.floor(rand() * 3));
      const mutate = pick(mutations);
      now = now.map((r) => (r.node === node ? mutate(r) : r));
    }
    const fps = fingerprintReports(now);
    const empty = diffFingerprints(PLANNED, fps).length === 0;
    assert.is(empty, planId({}, fps) === id0, `seed ${seed}, round ${round}`);
  }
});

test.run();
