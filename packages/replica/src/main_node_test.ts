// Goal: the replica server as an operator runs it. A bad command line, a missing or malformed
// config file and a taken port each print one line to stderr (no stack trace) and exit 1. A
// running server killed with SIGKILL keeps every acked write (mutation_log_sync = false still
// hands each batch to the OS), and SIGTERM stops it cleanly with exit 0.
// Method: spawn `node --import tsx main.ts <config>` as a child process; a fake meta in this
// process assigns it one single-replica partition.

// Node only (`_node_test`): it spawns `node --import tsx main.ts`.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReplicaService, RpcClient } from '../../proto/src/index.ts';
import { FakeMeta } from './_fake_meta.ts';
import { randomPort } from '../../../tests/support/ports.ts';
import { bytes, text, waitFor } from './_test_cluster.ts';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.ts');
let root: string;

type Child = { exit: Promise<number | null>; stdout: () => string; stderr: () => string; kill: (s: NodeJS.Signals) => void };

const running = new Set<ReturnType<typeof spawn>>();
const killChildren = () => running.forEach((c) => c.kill('SIGKILL'));
// If this process dies early, take the children along (they would poll a dead meta forever).
process.once('exit', killChildren);

function run(args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { exit, stdout: () => out, stderr: () => err, kill: (s) => child.kill(s) };
}

async function writeConfig(name: string, port: number, metaAddress: string, extra = ''): Promise<string> {
  const dir = path.join(root, name);
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, 'config.ini');
  await fs.writeFile(
    file,
    `[apps.replica]\nports = ${port}\n[network]\nprimary_interface = 127.0.0.1\n[meta_server]\nserver_list = ${metaAddress}\n` +
      `[replication]\ndata_dir = ./data/replica\nconfig_sync_interval_ms = 100\n${extra}`,
  );
  return file;
}

function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.is(lines.length, 1, `one line, got: ${stderr}`);
  assert.match(lines[0], pattern);
  assert.not.match(stderr, /\n\s+at /);
}

test.before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pegasus-replica-main-test-'));
});

test.after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

test('no argument, a missing file and a malformed file: one line, exit 1', async () => {
  const none = run([]);
  assert.is(await none.exit, 1);
  assertOneLine(none.stderr(), /^usage: main\.ts <path\/to\/config\.ini>$/);
  const missing = run([path.join(root, 'nope.ini')]);
  assert.is(await missing.exit, 1);
  assertOneLine(missing.stderr(), /cannot read config file .*nope\.ini: ENOENT/);
  const bad = await writeConfig('bad', 1, '127.0.0.1:1', 'mutation_log_sync = maybe\n');
  const malformed = run([bad]);
  assert.is(await malformed.exit, 1);
  assertOneLine(malformed.stderr(), /mutation_log_sync = "maybe" must be true or false/);
});

test('a taken port: ERR_ADDRESS_ALREADY_USED, exit 1', async () => {
  const blocker = net.createServer();
  const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)));
  try {
    const child = run([await writeConfig('taken', port, '127.0.0.1:1')]);
    assert.is(await child.exit, 1);
    assertOneLine(child.stderr(), /^ERR_ADDRESS_ALREADY_USED: cannot listen on 127\.0\.0\.1:\d+/);
  } finally {
    blocker.close();
  }
});

test('SIGKILL keeps acked writes; SIGTERM exits 0', async () => {
  let meta: FakeMeta | undefined;
  while (!meta) meta = await FakeMeta.start(`127.0.0.1:${randomPort()}`);
  const port = randomPort();
  const node = `127.0.0.1:${port}`;
  const pid = { app_id: 1, partition_index: 0 };
  meta.createApp(1, 'durable', 1, () => [node]);
  const config = await writeConfig('durable', port, meta.address);
  const client = new RpcClient(ReplicaService, node);
  const write = (k: string) => client.call('client_write', { pid, op: 'put', hash_key: bytes(k), sort_key: bytes(''), value: bytes(`v-${k}`) }, 2000);
  try {
    const first = run([config]);
    await waitFor('the child to accept writes', async () => {
      const res = await write('probe');
      return (res.ok && res.res.err === 'ERR_OK') || (res.ok ? res.res.err : res.err);
    }, 15000);
    for (let i = 0; i < 100; i++) {
      const res = await write(`k${i}`);
      assert.ok(res.ok && res.res.err === 'ERR_OK');
    }
    // The decree the killed server had committed: 101 (the probe and 100 writes) unless a probe
    // that timed out here was applied anyway, so it is read, not assumed.
    const before = await client.call('query_replica_info', { node1: node }, 2000);
    assert.ok(before.ok && before.res.replicas.length === 1, 'the first child lists its replica');
    const committed = before.res.replicas[0].last_committed_decree;
    assert.ok(committed >= 101, `committed ${committed}, want at least 101`);
    first.kill('SIGKILL');
    assert.is(await first.exit, null);
    meta.refuse.set(node, 'ERR_UNDER_RECOVERY');
    const second = run([config]);
    await waitFor('the child to answer query_replica_info', async () => {
      const res = await client.call('query_replica_info', { node1: node }, 2000);
      if (!res.ok) return res.err;
      const r = res.res.replicas[0];
      // What an ack promises is the decree in the log, not the commit marker: the primary answers
      // the client first and writes the marker (with the rows) as its next batch, so a SIGKILL in
      // between restarts it at committed - 1 with the acked decree as its prepared tail (Pegasus
      // too learns the last commit point only from the next mutation). A fresh-clone CI run
      // (stop 16) killed it in that gap: "last_committed_decree 100, last_prepared_decree 101".
      // The reads below show the tail committed once it is primary again.
      const markerOk = r?.last_committed_decree === committed || r?.last_committed_decree === committed - 1;
      // Described, not asserted: waitFor reports the last value when it times out.
      if (r?.status !== 'PS_INACTIVE' || !markerOk || r.last_prepared_decree < committed) {
        return `replicas ${res.res.replicas.length}, status ${r?.status}, last_committed_decree ${r?.last_committed_decree}, last_prepared_decree ${r?.last_prepared_decree}`;
      }
      return true;
    }, 30000);
    meta.refuse.delete(node);
    await waitFor('the child to serve reads', async () => {
      const res = await client.call('client_read', { pid, hash_key: bytes('k99'), sort_key: bytes('') }, 2000);
      return (res.ok && res.res.err === 'ERR_OK') || (res.ok ? res.res.err : res.err);
    });
    for (let i = 0; i < 100; i++) {
      const res = await client.call('client_read', { pid, hash_key: bytes(`k${i}`), sort_key: bytes('') }, 2000);
      assert.ok(res.ok && res.res.found && text(res.res.value) === `v-k${i}`, `k${i}`);
    }
    second.kill('SIGTERM');
    assert.is(await second.exit, 0);
    assert.match(second.stdout(), /^\d{4}-\d\d-\d\dT[\d:.]+Z got SIGTERM, stopping$/m);
    assert.match(second.stdout(), /replica server 127\.0\.0\.1:\d+ stopped/);
    assert.is(second.stderr(), '');
  } finally {
    client.close();
    meta.stop();
    // A failed check leaves the child running, and its pipes would keep this process alive until
    // the runner's timeout (120 s in stop 16's CI) instead of reporting the failure at once.
    killChildren();
  }
});

test.run();
