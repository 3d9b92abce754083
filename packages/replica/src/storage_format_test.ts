// Goal: the LevelDB key layout keeps each record kind in its own contiguous range, orders the log
// by decree (big-endian), and round-trips log entries and markers exactly.
// Method: pure encode/decode checks, including the byte order LevelDB uses to sort keys.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DATA_PREFIX,
  LOG_PREFIX,
  MARKER_PREFIX,
  dataKey,
  decodeDecree,
  decodeLogEntry,
  decreeOfLogKey,
  encodeDecree,
  encodeLogEntry,
  logKey,
  markerKey,
  pegasusKeyOfDataKey,
  prefixRange,
} from './storage_format.ts';

/** LevelDB's default comparator: bytewise. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

test('log keys sort in decree order and round-trip', () => {
  const decrees = [0, 1, 2, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER];
  const keys = decrees.map(logKey);
  for (let i = 1; i < keys.length; i++) assert.ok(compareBytes(keys[i - 1], keys[i]) < 0, `${decrees[i - 1]} < ${decrees[i]}`);
  for (let i = 0; i < keys.length; i++) assert.is(decreeOfLogKey(keys[i]), decrees[i]);
  assert.throws(() => logKey(-1));
  assert.throws(() => logKey(1.5));
});

test('record kinds live in disjoint ranges', () => {
  const d = dataKey(new Uint8Array([0xff, 0xff, 0xff]));
  const l = logKey(Number.MAX_SAFE_INTEGER);
  const m = markerKey('last_committed_decree');
  const inRange = (k: Uint8Array, prefix: number) => {
    const r = prefixRange(prefix);
    return compareBytes(r.gte, k) <= 0 && compareBytes(k, r.lt) < 0;
  };
  assert.ok(inRange(d, DATA_PREFIX) && !inRange(d, LOG_PREFIX) && !inRange(d, MARKER_PREFIX));
  assert.ok(inRange(l, LOG_PREFIX) && !inRange(l, DATA_PREFIX) && !inRange(l, MARKER_PREFIX));
  assert.ok(inRange(m, MARKER_PREFIX) && !inRange(m, DATA_PREFIX) && !inRange(m, LOG_PREFIX));
  assert.equal([...pegasusKeyOfDataKey(dataKey(new Uint8Array([1, 2])))], [1, 2]);
});

test('log entries round-trip', () => {
  const cases = [
    { decree: 1, ballot: 1, op: 'put' as const, key: new Uint8Array([0, 1, 65, 66]), value: new Uint8Array([1, 2, 3]) },
    { decree: 2 ** 33, ballot: 12345, op: 'remove' as const, key: new Uint8Array([0, 0]), value: new Uint8Array(0) },
    { decree: 7, ballot: 3, op: 'put' as const, key: new Uint8Array(0), value: new Uint8Array(100000).fill(9) },
  ];
  for (const e of cases) assert.equal(decodeLogEntry(e.decree, encodeLogEntry(e)), e);
  assert.throws(() => decodeLogEntry(1, new Uint8Array(5)), /shorter than its header/);
  const bad = encodeLogEntry(cases[0]);
  bad[8] = 7;
  assert.throws(() => decodeLogEntry(1, bad), /malformed/);
});

test('markers are decimal text', () => {
  assert.is(new TextDecoder().decode(encodeDecree(1234)), '1234');
  assert.is(decodeDecree(encodeDecree(0)), 0);
  assert.is(decodeDecree(encodeDecree(2 ** 50)), 2 ** 50);
  assert.is(decodeDecree(undefined), undefined);
  assert.is(decodeDecree(new TextEncoder().encode('x1')), undefined);
});

test.run();
