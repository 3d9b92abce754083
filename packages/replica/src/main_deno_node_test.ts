// Goal: the replica server runs under Deno as well as Node, including the case that crashed Deno
// 2.9's HTTP/2 (denoland/deno#36788): a peer stopping while the primary talks to it. Three servers
// run as `deno run -A main.ts` processes; writes go through the primary; one secondary gets
// SIGTERM; the primary must survive, keep serving once the meta drops that secondary, and every
// server must exit 0 on SIGTERM. Method: child processes plus a fake meta in this (Node) process.
// Skipped, with a note, when the deno binary is not installed.
// Runs on Node only (`_node_test`): this test process hosts the fake meta and a client, and Deno
// itself would crash in nghttp2 when the child servers go away (denoland/deno#36788).

import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReplicaService, RpcClient } from '../../proto/src/index.ts';
import { FakeMeta } from './_fake_meta.ts';
import { randomPort } from '../../../tests/support/ports.ts';
import { bytes, waitFor } from './_test_cluster.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.join(HERE, 'main.ts');
const DENO = path.resolve(HERE, '../../../node_modules/.bin/deno');

test('three Deno replica servers survive a peer stopping and exit 0 on SIGTERM', async () => {
  if (!fs.existsSync(DENO)) {
    console.log(`  skipped: ${DENO} not found`);
    return;
  }
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'pegasus-replica-deno-test-'));
  let meta: FakeMeta | undefined;
  while (!meta) meta = await FakeMeta.start(`127.0.0.1:${randomPort()}`);
  const ports = [randomPort(), randomPort(), randomPort()];
  const nodes = ports.map((p) => `127.0.0.1:${p}`);
  const children: ChildProcess[] = [];
  const exits: Promise<number | null>[] = [];
  // If this process dies early, take the children along (they would poll a dead meta forever).
  const killChildren = () => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL'));
  process.once('exit', killChildren);
  const client = new RpcClient(ReplicaService, nodes[0]);
  const pid = { app_id: 1, partition_index: 0 };
  const write = async (k: string) => {
    const res = await client.call('client_write', { pid, op: 'put', hash_key: bytes(k), sort_key: bytes(''), value: bytes('v') }, 3000);
    return res.ok ? res.res.err : res.err;
  };
  try {
    for (const [i, port] of ports.entries()) {
      const dir = path.join(root, `replica${i}`);
      await fsp.mkdir(dir);
      const ini = `[apps.replica]\nports = ${port}\n[meta_server]\nserver_list = ${meta.address}\n[replication]\ndata_dir = ./data\nconfig_sync_interval_ms = 100\n`;
      await fsp.writeFile(path.join(dir, 'config.ini'), ini);
      const child = spawn(DENO, ['run', '-A', MAIN, path.join(dir, 'config.ini')], { stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
      exits.push(new Promise((resolve) => child.on('exit', (code) => resolve(code))));
    }
    meta.createApp(1, 'deno', 1, () => nodes);
    await waitFor('the Deno primary to accept writes', async () => (await write('probe')) === 'ERR_OK', 20000);
    // Enough traffic for many HTTP/2 streams on every session: the Deno crash needs that.
    await Promise.all(Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 150; i++) assert.is(await write(`k${w}_${i}`), 'ERR_OK');
    }));
    // Stop a secondary while prepares to it are in flight.
    let writing = true;
    const writer = (async () => {
      while (writing) await write('during');
    })();
    await new Promise((resolve) => setTimeout(resolve, 200));
    children[2].kill('SIGTERM');
    assert.is(await exits[2], 0, 'the stopped secondary exits 0');
    await new Promise((resolve) => setTimeout(resolve, 300));
    writing = false;
    await writer;
    meta.setConfig(pid, { ballot: 2, secondaries: [nodes[1]], last_drops: [nodes[2]] });
    await waitFor('the primary to write without the stopped secondary', async () => (await write('after')) === 'ERR_OK');
    const info = await client.call('query_replica_info', { node1: nodes[0] }, 3000);
    assert.ok(info.ok && info.res.replicas[0].status === 'PS_PRIMARY');
    children[0].kill('SIGTERM');
    children[1].kill('SIGTERM');
    assert.equal(await Promise.all([exits[0], exits[1]]), [0, 0]);
  } finally {
    client.close();
    killChildren();
    process.off('exit', killChildren);
    await Promise.all(exits);
    meta.stop();
    await fsp.rm(root, { recursive: true, force: true });
  }
});

test.run();
