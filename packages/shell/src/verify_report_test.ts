// Goal: `verify` passes a partition only when it is whole (all replicas, same decree, same rows,
// roles as the meta says, a read works) and names every reason when it is not. Method: table tests
// over hand-made evidence.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PartitionConfiguration } from '../../proto/src/index.ts';
import { compareWithAppliedPlan, formatVerifyLines, type MemberDigest, type PartitionEvidence, verifyPartition, verifyTables } from './verify_report.ts';
import type { AppInfo } from '../../proto/src/index.ts';

const A = '127.0.0.1:34801', B = '127.0.0.1:34802', C = '127.0.0.1:34803';

function config(primary: string, secondaries: string[], over: Partial<PartitionConfiguration> = {}): PartitionConfiguration {
  return { pid: { app_id: 2, partition_index: 3 }, ballot: 7, max_replica_count: 3, primary, secondaries, last_drops: [], last_committed_decree: 0, ...over } as PartitionConfiguration;
}

function digest(node: string, over: Partial<Extract<MemberDigest, { ok: true }>> = {}): MemberDigest {
  return { node, ok: true, status: node === A ? 'PS_PRIMARY' : 'PS_SECONDARY', ballot: 7, last_committed_decree: 100, row_count: 40, checksum: 'abcd0123', ...over };
}

function evidence(over: Partial<PartitionEvidence> = {}): PartitionEvidence {
  return { config: config(A, [B, C]), digests: [digest(A), digest(B), digest(C)], sampleRead: { err: 'ERR_OK', detail: '' }, ...over };
}

const cases: { name: string; e: PartitionEvidence; problems: RegExp[]; decreesDiffer?: boolean }[] = [
  { name: 'whole', e: evidence(), problems: [] },
  { name: 'no primary', e: evidence({ config: config('', [B, C]), digests: [digest(B), digest(C)] }), problems: [/^no primary$/, /^2 of 3 replicas$/] },
  { name: 'a secondary missing', e: evidence({ config: config(A, [B]), digests: [digest(A), digest(B)] }), problems: [/^2 of 3 replicas$/] },
  { name: 'a member cannot be asked', e: evidence({ digests: [digest(A), digest(B), { node: C, ok: false, err: 'ERR_NETWORK_FAILURE', detail: 'refused' }] }), problems: [/34803: digest failed, ERR_NETWORK_FAILURE \(refused\)/] },
  { name: 'a role the meta does not give', e: evidence({ digests: [digest(A), digest(B, { status: 'PS_INACTIVE' }), digest(C)] }), problems: [/34802: is PS_INACTIVE, the meta says PS_SECONDARY/] },
  { name: 'an older ballot', e: evidence({ digests: [digest(A), digest(B), digest(C, { ballot: 6 })] }), problems: [/34803: at ballot 6, the meta says 7/] },
  { name: 'different decrees only', e: evidence({ digests: [digest(A), digest(B), digest(C, { last_committed_decree: 98, row_count: 38 })] }), problems: [/different decrees: .*34803=98/], decreesDiffer: true },
  {
    name: 'same decree, different rows',
    e: evidence({ digests: [digest(A), digest(B, { checksum: 'ffff0000' }), digest(C)] }),
    problems: [/disagree on their rows at decree 100: .*34802 rows=40 checksum=ffff0000/],
  },
  { name: 'the read fails', e: evidence({ sampleRead: { err: 'ERR_INVALID_STATE', detail: '' } }), problems: [/^sample read failed, ERR_INVALID_STATE$/] },
  { name: 'a member not asked', e: evidence({ digests: [digest(A), digest(B)] }), problems: [/34803: not asked/] },
];

for (const c of cases) {
  test(`verifyPartition: ${c.name}`, () => {
    const v = verifyPartition(c.e);
    assert.is(v.gpid, '2.3');
    assert.is(v.ok, c.problems.length === 0, v.problems.join('; '));
    assert.is(v.problems.length, c.problems.length, v.problems.join('; '));
    c.problems.forEach((re, i) => assert.match(v.problems[i], re));
    assert.is(v.decreesDiffer, c.decreesDiffer ?? false);
  });
}

test('verifyTables: a partition the meta does not list fails; totals and lines name it', () => {
  const report = verifyTables([{ app_id: 2, app_name: 'temp', partition_count: 5, partitions: [evidence()] }]);
  assert.is(report.ok, false);
  assert.is(report.partition_count, 5);
  assert.is(report.failed_partition_count, 4);
  const lines = formatVerifyLines(report);
  assert.ok(lines.includes('FAILED temp partition 2.0: the meta lists no configuration'), lines.join('\n'));
  assert.match(lines.join('\n'), /FAILED app temp \(id 2\): 1 of 5 partitions verified, 40 rows/);
  assert.is(lines[lines.length - 1], 'Verify result: FAILED, 4 of 5 partitions not verified');
});

test('verifyTables: all whole', () => {
  const report = verifyTables([{ app_id: 2, app_name: 'temp', partition_count: 1, partitions: [evidence({ config: config(A, [B, C], { pid: { app_id: 2, partition_index: 0 } }) })] }]);
  assert.is(report.ok, true);
  assert.equal(formatVerifyLines(report), ['OK app temp (id 2): 1 of 1 partitions verified, 40 rows', 'Verify result: OK, 1 partitions of 1 tables verified']);
});

test('compareWithAppliedPlan: a table written by the recovery must still be listed, as written; a later drop is fine', () => {
  const app = (app_id: number, app_name: string, partition_count: number, status: AppInfo['status'] = 'AS_AVAILABLE') => ({ app_id, app_name, partition_count, status }) as AppInfo;
  const written = [{ app_id: 1, app_name: 'temp', partition_count: 8 }, { app_id: 2, app_name: 't-2', partition_count: 4 }, { app_id: 3, app_name: 'x', partition_count: 2 }];
  assert.equal(compareWithAppliedPlan(written, [app(1, 'temp', 8), app(2, 't-2', 4, 'AS_DROPPED'), app(3, 'x', 2)]), []);
  const problems = compareWithAppliedPlan(written, [app(1, 'temp', 4), app(2, 't-2', 4)]);
  assert.equal(problems, ['table 1: the recovery wrote temp with 8 partitions, the meta lists temp with 4', 'table 3 (x) was written by the recovery but the meta does not list it']);
  const report = verifyTables([], { plan_id: 'abc', problems });
  assert.is(report.ok, false);
  assert.match(formatVerifyLines(report).join('\n'), /FAILED plan abc: table 3 \(x\)[^\n]*\nVerify result: FAILED, 0 of 0 partitions not verified, 2 difference\(s\) from the applied plan$/);
});

test.run();
