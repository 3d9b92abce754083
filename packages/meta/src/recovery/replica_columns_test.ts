// Goal: show that replyColumns keeps every replica in the node's order and says "ascending" only
// for pids that strictly ascend as numbers, the one case in which the fingerprint takes the columns
// as they are and settling skips the search for a node's repeated pids.
// Method: small replica lists, in order, repeated, out of order and malformed.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReplicaInfo } from '../../../proto/src/types.ts';
import { REPLICA_COLUMN_ORDER, replyColumns } from './replica_columns.ts';

const rep = (app_id: unknown, partition_index: unknown, ballot = 1): ReplicaInfo =>
  ({ pid: { app_id, partition_index }, ballot, status: 'PS_INACTIVE', last_committed_decree: 2, last_prepared_decree: 3, last_durable_decree: 2, app_type: 'pegasus', disk_tag: 'default' }) as ReplicaInfo;

test('the columns hold every replica in the order given', () => {
  const got = replyColumns([rep(2, 0, 7), rep(1, 3, 8)]);
  assert.equal(got.columns, { app_id: [2, 1], partition_index: [0, 3], ballot: [7, 8], last_committed_decree: [2, 2], last_prepared_decree: [3, 3] });
});

test('the numbers are the five columns one after the other, converted as Number() does', () => {
  const { columns, numbers } = replyColumns([rep(2, 0, 7), rep('1', 3, 8)]);
  const flat = REPLICA_COLUMN_ORDER.flatMap((name) => columns[name]).map(Number);
  assert.equal([...numbers], flat);
  assert.equal([...numbers], [2, 1, 0, 3, 7, 8, 2, 2, 3, 3]);
});

const CASES: [name: string, replicas: ReplicaInfo[], ascending: boolean][] = [
  ['none', [], true],
  ['one', [rep(1, 0)], true],
  ['app by app, index by index', [rep(1, 0), rep(1, 1), rep(2, 0), rep(10, 3)], true],
  ['a pid listed twice in a row', [rep(1, 0), rep(1, 0)], false],
  ['a pid listed twice apart', [rep(1, 0), rep(1, 1), rep(1, 0)], false],
  ['indexes out of order', [rep(1, 1), rep(1, 0)], false],
  ['apps out of order', [rep(2, 0), rep(1, 5)], false],
  ['a string app id', [rep('1', 0), rep('2', 0)], false],
  ['a string index', [rep(1, '0')], false],
  ['NaN', [rep(1, 0), rep(Number.NaN, 1)], false],
];
for (const [name, replicas, ascending] of CASES) {
  test(`ascending: ${name} -> ${ascending}`, () => assert.is(replyColumns(replicas).ascending, ascending));
}

test.run();
