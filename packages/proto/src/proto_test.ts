// Goal: the shared wire and file formats: cbor-x records round-trip every message shape we send
// (bytes stay bytes), the INI reader reports bad lines with their numbers, node addresses and
// table names are checked, and the Pegasus key layout and partition hash are stable.
// Method: table rows, one per case.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ConfigReader,
  crc32,
  decodeMessage,
  decodePegasusKey,
  encodeMessage,
  encodePegasusKey,
  isValidAppName,
  parseIni,
  parseNodeAddress,
  partitionOfHashKey,
  unavailableDetail,
} from './index.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

test('codec: messages round-trip, Uint8Array fields stay Uint8Array', () => {
  const msgs = [
    { pid: { app_id: 1, partition_index: 7 }, op: 'put', hash_key: bytes('h'), sort_key: bytes(''), value: new Uint8Array(100).fill(3) },
    { err: 'ERR_OK', hint_message: 'WARNING: partition(1.0) only collects 2/3 of replicas, may lost data' },
    { recovery_nodes: ['127.0.0.1:34801', '127.0.0.1:34802'], skip_bad_nodes: true, skip_lost_partitions: false },
    { err: 'ERR_OK', partitions: [], learner_assignments: [], replicas_to_close: [{ app_id: 2, partition_index: 0 }] },
  ];
  for (const m of msgs) assert.equal(decodeMessage(encodeMessage(m)), m);
  const back = decodeMessage<{ value: unknown }>(encodeMessage(msgs[0]));
  assert.ok(back.value instanceof Uint8Array);
});

test('ini: sections, comments, typed reads, errors with line numbers', () => {
  const ok = parseIni('; c\n[meta_server]\ncluster_root = /pegasus/onebox/127.0.0.1\n# c\nrecover_from_replica_server = false\n[x]\nn = 12\nb = maybe\n', 'f.ini');
  assert.ok(ok.ok);
  if (!ok.ok) return;
  const r = new ConfigReader(ok.ini, 'f.ini');
  assert.is(r.string('meta_server', 'cluster_root', ''), '/pegasus/onebox/127.0.0.1');
  assert.is(r.bool('meta_server', 'recover_from_replica_server', true), false);
  assert.is(r.int('x', 'n', 0), 12);
  assert.is(r.bool('x', 'b', true), true);
  assert.equal(r.errors, ['f.ini: [x] b = "maybe" must be true or false']);
  assert.equal(parseIni('[a]\nno equals sign\n', 'g.ini'), { ok: false, error: 'g.ini line 2: expected "[section]" or "key = value", got "no equals sign"' });
});

const addresses: [string, string | undefined][] = [
  ['127.0.0.1:34801',   '127.0.0.1:34801'],
  [' host-a.b:1 ',      'host-a.b:1'],
  ['127.0.0.1',         undefined],
  ['127.0.0.1:0',       undefined],
  ['127.0.0.1:70000',   undefined],
  ['x.x.x.x:34801',     'x.x.x.x:34801'],
  [':34801',            undefined],
];
for (const [text, expected] of addresses) test(`parseNodeAddress(${JSON.stringify(text)})`, () => assert.is(parseNodeAddress(text), expected));

test('table names: Pegasus characters plus "-" (for recovered {name}-{id})', () => {
  for (const ok of ['temp', 't-2', 'a.b:c_d']) assert.ok(isValidAppName(ok), ok);
  for (const bad of ['', 'a/b', 'a b', 'x'.repeat(129)]) assert.not.ok(isValidAppName(bad), bad);
});

test('pegasus key layout and partition hash', () => {
  const key = encodePegasusKey(bytes('hk'), bytes('sk'));
  assert.equal([...key.subarray(0, 2)], [0, 2]);
  const { hashKey, sortKey } = decodePegasusKey(key);
  assert.is(new TextDecoder().decode(hashKey), 'hk');
  assert.is(new TextDecoder().decode(sortKey), 'sk');
  assert.is(crc32(bytes('123456789')), 0xcbf43926); // the CRC-32 check value
  assert.is(partitionOfHashKey(bytes('123456789'), bytes('x'), 8), 0xcbf43926 % 8);
  assert.is(partitionOfHashKey(bytes(''), bytes('123456789'), 8), 0xcbf43926 % 8);
});

test('a peer that is down: the transport detail is the connect error, without grpc-js framing', () => {
  assert.is(unavailableDetail('No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:34803. Resolution note: '), 'connect ECONNREFUSED 127.0.0.1:34803');
  assert.is(unavailableDetail('Connection dropped'), 'Connection dropped');
});

test.run();
