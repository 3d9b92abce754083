// Goal: the node list of `recover` is read as Pegasus reads it: comments (`#`, `;`) and blank lines
// skipped, a malformed line reported with its line number, an empty list refused, host names
// resolved to the IPv4 form the servers announce, duplicates dropped with Pegasus's message.
// Method: parse small files and strings; a fake resolver stands in for DNS.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dropDuplicateNodes, type LookupIpv4, parseNodeListFile, parseNodeListStr, resolveNodeEntries } from './node_list.ts';

const SEED_FILE = '# comment line\n127.0.0.1:34801\n127.0.0.1:34802\n127.0.0.1:34803\n';

test('file: comments, blank lines and surrounding blanks are skipped; line numbers kept', () => {
  const r = parseNodeListFile('; header\n\n  127.0.0.1:34801  \r\n# x\n127.0.0.1:34802', 'f');
  assert.equal(r, { ok: true, entries: [{ text: '127.0.0.1:34801', line: 3 }, { text: '127.0.0.1:34802', line: 5 }] });
  const seed = parseNodeListFile(SEED_FILE, 'recover_node_list');
  assert.ok(seed.ok && seed.entries.map((e) => e.text).join(',') === '127.0.0.1:34801,127.0.0.1:34802,127.0.0.1:34803');
});

test('file: errors', () => {
  const rows: [text: string, message: string][] = [
    ['127.0.0.1:34801\n127.0.0.1\n',          'parse 127.0.0.1 at file nodes line 2 as host:port failed'],
    ['# only\n\n127.0.0.1:34801 x\n',         'parse 127.0.0.1:34801 x at file nodes line 3 as host:port failed'],
    ['127.0.0.1:99999\n',                     'parse 127.0.0.1:99999 at file nodes line 1 as host:port failed'],
    ['# nothing\n; here\n\n',                 'no node specified in file nodes'],
    ['',                                      'no node specified in file nodes'],
  ];
  for (const [text, message] of rows) assert.equal(parseNodeListFile(text, 'nodes'), { ok: false, message }, JSON.stringify(text));
});

test('-s string: items trimmed, empty items dropped', () => {
  assert.equal(parseNodeListStr(' 127.0.0.1:34801, ,127.0.0.1:34802,'), {
    ok: true,
    entries: [{ text: '127.0.0.1:34801', line: 0 }, { text: '127.0.0.1:34802', line: 0 }],
  });
  assert.equal(parseNodeListStr(' , '), { ok: false, message: "can't parse node from node_list_str" });
  assert.equal(parseNodeListStr('127.0.0.1:34801,bad'), { ok: false, message: 'parse bad as a host:port node failed' });
});

const fakeLookup: LookupIpv4 = async (host) => ({ localhost: '127.0.0.1', 'node-a': '10.0.0.5' })[host];

test('resolve: IPv4 kept, names resolved, unknown names and bad IPs refused with the line', async () => {
  const entries = [{ text: '127.0.0.1:34801', line: 1 }, { text: 'localhost:34802', line: 2 }, { text: 'node-a:34803', line: 4 }];
  assert.equal(await resolveNodeEntries(entries, 'f', fakeLookup), { ok: true, nodes: ['127.0.0.1:34801', '127.0.0.1:34802', '10.0.0.5:34803'] });
  assert.equal(await resolveNodeEntries([{ text: 'x.x.x.x:34801', line: 7 }], 'f', fakeLookup), {
    ok: false,
    message: 'parse x.x.x.x:34801 at file f line 7 as host:port failed: host x.x.x.x does not resolve to an IPv4 address',
  });
  assert.equal(await resolveNodeEntries([{ text: '300.0.0.1:34801', line: 0 }], undefined, fakeLookup), {
    ok: false,
    message: 'parse 300.0.0.1:34801 as a host:port node failed: 300.0.0.1 is not a valid IPv4 address',
  });
});

test('duplicates: first kept, one message per dropped node (Pegasus text, sic)', () => {
  assert.equal(dropDuplicateNodes(['127.0.0.1:34801', '127.0.0.1:34802', '127.0.0.1:34801', '127.0.0.1:34801']), {
    nodes: ['127.0.0.1:34801', '127.0.0.1:34802'],
    messages: ['duplicate replica node 127.0.0.1:34801, just ingore it', 'duplicate replica node 127.0.0.1:34801, just ingore it'],
  });
});

test.run();
