// Goal: pin down the pure routing rules every client must agree on, so that a row written by one
// process is read from the same partition by another. Method: table-driven cases with known
// CRC-32 values, plus the retry classification and backoff schedule, one row per case.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  backoffMs,
  indexPartitions,
  isRetryableOpError,
  isTableGoneError,
  parseMetaList,
  partitionIndexOf,
  primaryOf,
  toBytes,
} from './routing.ts';
import { partition } from './test_support.ts';

test('partitionIndexOf: CRC-32 of the hash key modulo partition_count', () => {
  // crc32("123456789") = 0xCBF43926 (the standard check value) = 3421780262.
  const rows: [hashKey: string, sortKey: string, count: number, expected: number][] = [
    ['123456789', '', 8, 3421780262 % 8],
    ['123456789', 'any sort key', 8, 3421780262 % 8],
    ['123456789', '', 7, 3421780262 % 7],
    ['', '123456789', 8, 3421780262 % 8], // empty hash key: the sort key is hashed instead
    ['123456789', '', 1, 0],
  ];
  for (const [h, s, count, expected] of rows) {
    assert.is(partitionIndexOf(toBytes(h), toBytes(s), count), expected, `${h}/${s}/${count}`);
  }
});

test('partitionIndexOf: every sort key of one hash key lands in the same partition', () => {
  const hashKey = toBytes('user_42');
  const first = partitionIndexOf(hashKey, toBytes('a'), 16);
  for (let i = 0; i < 50; i++) assert.is(partitionIndexOf(hashKey, toBytes(`sort_${i}`), 16), first);
});

test('partitionIndexOf: refuses a partition count that cannot route', () => {
  for (const bad of [0, -1, 1.5, NaN]) assert.throws(() => partitionIndexOf(toBytes('k'), toBytes(''), bad));
});

test('indexPartitions: by partition_index, whatever the order; missing ones stay undefined', () => {
  const byIndex = indexPartitions([partition(2, 3, ['n3']), partition(2, 0, ['n0']), partition(2, 9, ['out'])], 4);
  assert.is(byIndex.length, 4);
  assert.is(byIndex[0]?.primary, 'n0');
  assert.is(byIndex[1], undefined);
  assert.is(byIndex[3]?.primary, 'n3');
  assert.is(primaryOf(byIndex, 3), 'n3');
  assert.is(primaryOf(byIndex, 1), undefined);
  assert.is(primaryOf(indexPartitions([partition(2, 0, [''])], 1), 0), undefined, "'' means no primary");
});

test('retry classification', () => {
  const rows: [code: Parameters<typeof isRetryableOpError>[0], retry: boolean][] = [
    ['ERR_OK',                false],
    ['ERR_INVALID_STATE',     true],
    ['ERR_INVALID_VERSION',   true],
    ['ERR_NOT_ENOUGH_MEMBER', true],
    ['ERR_NETWORK_FAILURE',   true],
    ['ERR_TIMEOUT',           true],
    ['ERR_INACTIVE_STATE',    true],
    ['ERR_INVALID_PARAMETERS', false],
    ['ERR_APP_NOT_EXIST',     false],
    ['ERR_UNDER_RECOVERY',    false],
  ];
  for (const [code, retry] of rows) assert.is(isRetryableOpError(code), retry, code);
  assert.ok(isTableGoneError('ERR_OBJECT_NOT_FOUND'));
  assert.ok(isTableGoneError('ERR_APP_NOT_EXIST'));
  assert.not.ok(isTableGoneError('ERR_UNDER_RECOVERY'));
});

test('backoff doubles from 50 ms and stops at 1 s', () => {
  assert.equal([0, 1, 2, 3, 4, 5, 6, 100].map((a) => backoffMs(a)), [50, 100, 200, 400, 800, 1000, 1000, 1000]);
  assert.equal([0, 1, 2].map((a) => backoffMs(a, { initialMs: 10, maxMs: 15 })), [10, 15, 15]);
});

test('parseMetaList', () => {
  assert.equal(parseMetaList('127.0.0.1:34601,127.0.0.1:34602'), { ok: true, servers: ['127.0.0.1:34601', '127.0.0.1:34602'] });
  assert.equal(parseMetaList(' 127.0.0.1:34601 , ,127.0.0.1:34601'), { ok: true, servers: ['127.0.0.1:34601'] });
  assert.equal(parseMetaList('127.0.0.1'), { ok: false, message: 'parse 127.0.0.1 as a host:port meta server failed' });
  assert.equal(parseMetaList(' , '), { ok: false, message: 'no meta server in list " , "' });
});

test.run();
