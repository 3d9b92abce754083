// Goal: the meta's config.ini is read with Pegasus's keys (the seed's sed commands edit exactly
// these lines) and a malformed file is one clear error naming the file and key.
// Method: the onebox's generated config, then broken variants.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMetaConfig } from './config.ts';

const ONEBOX = `[apps.meta]
ports = 34601
[network]
primary_interface = 127.0.0.1
[meta_server]
server_list = 127.0.0.1:34601
cluster_root = /pegasus/onebox/127.0.0.1
distributed_lock_service_parameters = /pegasus/onebox/127.0.0.1
recover_from_replica_server = false
[meta_server.apps.temp]
app_name = temp
partition_count = 8
max_replica_count = 3
[zookeeper]
hosts_list = 127.0.0.1:22181
`;

test('the onebox config, before and after the seed sed commands', () => {
  const before = parseMetaConfig(ONEBOX, 'c.ini');
  assert.ok(before.ok);
  if (!before.ok) return;
  assert.is(before.config.clusterRoot, '/pegasus/onebox/127.0.0.1');
  assert.is(before.config.recoverFromReplicaServer, false);
  assert.equal(before.config.defaultApps, [{ app_name: 'temp', app_type: 'pegasus', partition_count: 8, max_replica_count: 3 }]);
  const edited = ONEBOX.replaceAll('/pegasus/onebox', '/pegasus/onebox_recovery').replace('recover_from_replica_server = false', 'recover_from_replica_server = true');
  const after = parseMetaConfig(edited, 'c.ini');
  assert.ok(after.ok && after.config.clusterRoot === '/pegasus/onebox_recovery/127.0.0.1' && after.config.lockRoot === after.config.clusterRoot && after.config.recoverFromReplicaServer);
});

const broken: [string, string, string][] = [
  ['flag not a bool',      ONEBOX.replace('= false', '= yes'),            'c.ini: [meta_server] recover_from_replica_server = "yes" must be true or false'],
  ['port not a number',    ONEBOX.replace('ports = 34601', 'ports = x'),  'c.ini: [apps.meta] ports = "x" is not an integer >= 1'],
  ['no cluster_root',      ONEBOX.replace(/cluster_root = .*\n/, ''),     'c.ini: [meta_server] cluster_root must name a ZooKeeper path such as /pegasus/onebox/127.0.0.1'],
  ['garbage line',         `${ONEBOX}oops\n`,                             'c.ini line 16: expected "[section]" or "key = value", got "oops"'],
];
for (const [name, text, error] of broken) {
  test(name, () => assert.equal(parseMetaConfig(text, 'c.ini'), { ok: false, error }));
}

test.run();
