// Goal: show that constructApps builds Pegasus's table list (placeholders for missing ids, final
// statuses, name conflicts resolved from the highest id down) with our `{name}-{id}` rename, and
// that it refuses, with a message, app infos Pegasus would abort on.
// Method: one table of successful cases, Pegasus's construct_apps_test first (state_sync_test.cpp
// :394-435, with `__` replaced by `-`); each app is summarised as "id name status pN" so a row reads
// at a glance. Then a table of refusals with their exact ERROR lines, and a few single checks.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AppInfo } from '../../../proto/src/types.ts';
import { type AppsReport, COMPARED_APP_FIELDS, compatibleAppInfos, constructApps } from './construct_apps.ts';

const NOW = 1_700_000_000;

const app = (id: number, name: string, partitions = 8, more: Partial<AppInfo> = {}): AppInfo => ({
  status: 'AS_AVAILABLE',
  app_type: 'pegasus',
  app_name: name,
  app_id: id,
  partition_count: partitions,
  envs: {},
  is_stateful: true,
  max_replica_count: 3,
  expire_second: 0,
  create_second: 0,
  drop_second: 0,
  ...more,
});
const on = (node: string, ...apps: AppInfo[]): AppsReport => ({ node, apps });
const brief = (a: AppInfo) => `${a.app_id} ${a.app_name} ${a.status} p${a.partition_count}`;
const renamed = (id: number, from: string, to: string) => `WARNING: app(${id})'s old name(${from}) is conflict with others, rename it to (${to})`;

const OK_ROWS: { name: string; reports: AppsReport[]; apps: string[]; hints: string[] }[] = [
  {
    name: 'pegasus construct_apps_test, adapted to -{id}',
    reports: [on('n1', app(2, 'test-4', 10), app(4, 'test', 20), app(6, 'test', 30))],
    apps: [
      '1 __drop_holder__1 AS_DROPPED p1',
      '2 test-4-2 AS_AVAILABLE p10',
      '3 __drop_holder__3 AS_DROPPED p1',
      '4 test-4 AS_AVAILABLE p20',
      '5 __drop_holder__5 AS_DROPPED p1',
      '6 test AS_AVAILABLE p30',
    ],
    hints: [renamed(4, 'test', 'test-4'), renamed(2, 'test-4', 'test-4-2')],
  },
  {
    name: 'soft-deleted table: two tables named t, ids 1 and 3',
    reports: [on('n1', app(1, 't')), on('n2', app(3, 't'))],
    apps: ['1 t-1 AS_AVAILABLE p8', '2 __drop_holder__2 AS_DROPPED p1', '3 t AS_AVAILABLE p8'],
    hints: [renamed(1, 't', 't-1')],
  },
  {
    name: 'rename repeats -{id} while the name is still taken',
    reports: [on('n1', app(3, 'x'), app(4, 'x-3'), app(5, 'x'))],
    apps: ['1 __drop_holder__1 AS_DROPPED p1', '2 __drop_holder__2 AS_DROPPED p1', '3 x-3-3 AS_AVAILABLE p8', '4 x-3 AS_AVAILABLE p8', '5 x AS_AVAILABLE p8'],
    hints: [renamed(3, 'x', 'x-3-3')],
  },
  {
    name: 'gaps in ids become placeholders',
    reports: [on('n1', app(5, 'b')), on('n2', app(2, 'a'))],
    apps: ['1 __drop_holder__1 AS_DROPPED p1', '2 a AS_AVAILABLE p8', '3 __drop_holder__3 AS_DROPPED p1', '4 __drop_holder__4 AS_DROPPED p1', '5 b AS_AVAILABLE p8'],
    hints: [],
  },
  {
    name: 'a placeholder name is taken like any other (higher id wins)',
    reports: [on('n1', app(2, '__drop_holder__1'))],
    apps: ['1 __drop_holder__1-1 AS_DROPPED p1', '2 __drop_holder__1 AS_AVAILABLE p8'],
    hints: [renamed(1, '__drop_holder__1', '__drop_holder__1-1')],
  },
  {
    name: 'AVAILABLE stays, any other reported status becomes DROPPED',
    reports: [on('n1', app(1, 'a'), app(2, 'b', 8, { status: 'AS_DROPPED' }), app(3, 'c', 8, { status: 'AS_CREATING' }), app(4, 'd', 8, { status: 'AS_DROPPING' }), app(5, 'e', 8, { status: 'AS_RECALLING' }))],
    apps: ['1 a AS_AVAILABLE p8', '2 b AS_DROPPED p8', '3 c AS_DROPPED p8', '4 d AS_DROPPED p8', '5 e AS_DROPPED p8'],
    hints: [],
  },
  {
    name: 'the same app from every node is one app',
    reports: [on('n1', app(1, 'temp')), on('n2', app(1, 'temp')), on('n3', app(1, 'temp'))],
    apps: ['1 temp AS_AVAILABLE p8'],
    hints: [],
  },
  {
    name: 'no app reported: nothing, no placeholder',
    reports: [on('n1'), on('n2')],
    apps: [],
    hints: [],
  },
];

for (const row of OK_ROWS) {
  test(row.name, () => {
    const got = constructApps(row.reports, NOW);
    assert.ok(got.ok, JSON.stringify(got));
    if (!got.ok) return;
    assert.equal(got.apps.map(brief), row.apps);
    assert.equal(got.hintLines, row.hints);
  });
}

// Refusals: nothing is built and every offending node is named.
const FAIL_ROWS: { name: string; reports: AppsReport[]; outcome: string; hints: string[] }[] = [
  {
    name: 'a node missed a rename: conflicting app info',
    reports: [on('n2', app(2, 'temp_old')), on('n1', app(2, 'temp'))],
    outcome: 'conflicting_app_info',
    hints: ['ERROR: node(n1) and node(n2) report different infos for app(2): app_name("temp" vs "temp_old"); check the .app-info files of app(2) on both nodes, then retry'],
  },
  {
    name: 'several fields differ, two nodes disagree with the first',
    reports: [on('n1', app(2, 'temp')), on('n2', app(2, 'temp', 4, { max_replica_count: 2 })), on('n3', app(2, 'temp', 8, { is_stateful: false }))],
    outcome: 'conflicting_app_info',
    hints: [
      'ERROR: node(n1) and node(n2) report different infos for app(2): partition_count(8 vs 4), max_replica_count(3 vs 2); check the .app-info files of app(2) on both nodes, then retry',
      'ERROR: node(n1) and node(n3) report different infos for app(2): is_stateful(true vs false); check the .app-info files of app(2) on both nodes, then retry',
    ],
  },
  {
    name: 'app_id 0 (Pegasus CHECKs app_id > 0)',
    reports: [on('n1', app(0, 'zero'))],
    outcome: 'invalid_app_info',
    hints: ["ERROR: node(n1) reports an invalid info for app(0): app_id must be a positive integer; check the .app-info files of that node's replicas, then retry"],
  },
  {
    name: 'partition_count 0 and max_replica_count 0',
    reports: [on('n1', app(1, 'a', 0, { max_replica_count: 0 }))],
    outcome: 'invalid_app_info',
    hints: ["ERROR: node(n1) reports an invalid info for app(1): partition_count(0) must be a positive integer, max_replica_count(0) must be a positive integer; check the .app-info files of that node's replicas, then retry"],
  },
  {
    name: 'envs that are not a map of strings',
    reports: [on('n1', app(1, 'a', 2, { envs: null as never })), on('n2', app(2, 'b', 2, { envs: { k: 5 } as never }))],
    outcome: 'invalid_app_info',
    hints: [
      "ERROR: node(n1) reports an invalid info for app(1): envs(null) must be a map of strings; check the .app-info files of that node's replicas, then retry",
      "ERROR: node(n2) reports an invalid info for app(2): envs({\"k\":5}) must be a map of strings; check the .app-info files of that node's replicas, then retry",
    ],
  },
  {
    name: 'a partition_count no table has (a corrupt .app-info must not stall the meta)',
    reports: [on('n1', app(1, 'a', 2 ** 30))],
    outcome: 'invalid_app_info',
    hints: ["ERROR: node(n1) reports an invalid info for app(1): partition_count(1073741824) is above 1048576; check the .app-info files of that node's replicas, then retry"],
  },
];

for (const row of FAIL_ROWS) {
  test(row.name, () => {
    const got = constructApps(row.reports, NOW);
    assert.not.ok(got.ok);
    if (got.ok) return;
    assert.is(got.outcome, row.outcome);
    assert.equal(got.hintLines, row.hints);
  });
}

test("compatible infos (envs differ): the smallest node's is kept, whatever the order", () => {
  const fromN1 = app(1, 'temp', 8, { envs: { 'replica.deny_client_request': 'reconfig*all' } });
  const fromN2 = app(1, 'temp', 8, { envs: {} });
  for (const reports of [[on('n1', fromN1), on('n2', fromN2)], [on('n2', fromN2), on('n1', fromN1)]]) {
    const got = constructApps(reports, NOW);
    assert.ok(got.ok);
    if (got.ok) assert.equal(got.apps[0].envs, fromN1.envs);
  }
});

test('a placeholder is exactly Pegasus\'s, expired now', () => {
  const got = constructApps([on('n1', app(2, 'temp'))], NOW);
  assert.ok(got.ok);
  if (!got.ok) return;
  assert.equal(got.apps[0], {
    status: 'AS_DROPPED',
    app_type: 'pegasus',
    app_name: '__drop_holder__1',
    app_id: 1,
    partition_count: 1,
    envs: {},
    is_stateful: true,
    max_replica_count: 3,
    expire_second: NOW,
    create_second: 0,
    drop_second: 0,
  });
  assert.equal([...got.reportedAppIds], [2]);
});

test('compatibleAppInfos compares exactly COMPARED_APP_FIELDS', () => {
  const base = app(2, 'temp', 8, { envs: { a: '1' } });
  const changed: Record<string, unknown> = { status: 'AS_DROPPED', app_type: 'other', app_name: 'x', app_id: 3, partition_count: 4, is_stateful: false, max_replica_count: 2, expire_second: 9, create_second: 9, drop_second: 9 };
  assert.equal(Object.keys(changed).sort(), [...COMPARED_APP_FIELDS].sort());
  for (const [field, value] of Object.entries(changed)) assert.is(compatibleAppInfos(base, { ...base, [field]: value }), false, field);
  assert.is(compatibleAppInfos(base, { ...base, envs: { a: '2' } }), true, 'envs are not compared');
});

test('the input is not mutated', () => {
  const reports = [on('n1', app(1, 't', 8, { envs: { a: '1' } })), on('n2', app(3, 't', 8, { status: 'AS_DROPPING' }))];
  const before = structuredClone(reports);
  const got = constructApps(reports, NOW);
  assert.equal(reports, before);
  assert.ok(got.ok);
  if (got.ok) assert.is.not(got.apps[0].envs, reports[0].apps[0].envs);
});

test.run();
