// Goal: config.ini is read as docs/PROTOCOL.md shows it, paths are relative to the file's
// directory, and each kind of mistake gives one clear message naming the section and key.
// Method: parse texts in memory (and one missing file), table-style.

import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseReplicaConfig, readReplicaConfig } from './config.ts';

const GOOD = `
[apps.replica]
ports = 34801
[network]
primary_interface = 127.0.0.1
[meta_server]
server_list = 127.0.0.1:34601,127.0.0.1:34602, 127.0.0.1:34603
[replication]
data_dir = ./data/replica
config_sync_interval_ms = 1000
fd_lease_seconds = 4
mutation_log_sync = false
[task..default]
rpc_timeout_milliseconds = 5000
`;

test('the onebox config', () => {
  const res = parseReplicaConfig(GOOD, '/x/onebox/replica1/config.ini');
  assert.ok(res.ok);
  if (!res.ok) return;
  assert.equal(res.config, {
    address: '127.0.0.1:34801',
    metaServers: ['127.0.0.1:34601', '127.0.0.1:34602', '127.0.0.1:34603'],
    dataDir: path.resolve('/x/onebox/replica1/data/replica'),
    configSyncIntervalMs: 1000,
    fdLeaseSeconds: 4,
    mutationLogSync: false,
    rpcTimeoutMs: 5000,
  });
});

test('defaults for optional keys', () => {
  const res = parseReplicaConfig('[apps.replica]\nports = 40001\n[meta_server]\nserver_list = 127.0.0.1:1\n', '/c/config.ini');
  assert.ok(res.ok);
  if (!res.ok) return;
  assert.is(res.config.address, '127.0.0.1:40001');
  assert.is(res.config.dataDir, path.resolve('/c/data/replica'));
  assert.is(res.config.configSyncIntervalMs, 1000);
  assert.is(res.config.mutationLogSync, false);
  assert.is(res.config.rpcTimeoutMs, 5000);
});

const BAD: [string, string, RegExp][] = [
  // name                      text                                                                          message
  ['no ports',                 '[meta_server]\nserver_list = 127.0.0.1:1\n',                                /missing \[apps\.replica\] ports/],
  ['no server_list',           '[apps.replica]\nports = 1\n',                                              /missing \[meta_server\] server_list/],
  ['port not a number',        '[apps.replica]\nports = abc\n[meta_server]\nserver_list = a:1\n',           /\[apps\.replica\] ports = "abc" is not an integer/],
  ['port too big',             '[apps.replica]\nports = 70000\n[meta_server]\nserver_list = a:1\n',         /ports = 70000 is not a port/],
  ['bad meta address',         '[apps.replica]\nports = 1\n[meta_server]\nserver_list = nope\n',            /server_list has "nope", expected host:port/],
  ['bad bool',                 `${GOOD}\n[replication]\nmutation_log_sync = yes\n`,                          /mutation_log_sync = "yes" must be true or false/],
  ['line without =',           '[apps.replica]\nports\n',                                                  /line 2: expected/],
];

for (const [name, text, message] of BAD) {
  test(`malformed: ${name}`, () => {
    const res = parseReplicaConfig(text, 'config.ini');
    assert.ok(!res.ok);
    if (!res.ok) {
      assert.match(res.error, message);
      assert.not.match(res.error, /\n/);
    }
  });
}

test('a missing file is one clear error', async () => {
  const res = await readReplicaConfig('/nonexistent/dir/config.ini');
  assert.ok(!res.ok);
  if (!res.ok) assert.is(res.error, 'cannot read config file /nonexistent/dir/config.ini: ENOENT');
});

test.run();
