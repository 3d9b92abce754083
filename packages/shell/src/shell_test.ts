// Goal: the commands not covered by the transcripts behave like Pegasus's: `create` prints its
// waiting lines until every partition is full, `use`/`set`/`get`/`del` reach the primary, an
// unknown command prints the error and help, `recover -o` writes the report to a file, and a
// script's status is 1 as soon as one command failed. Method: the shell in-process (runLines with
// captured output) against a fake meta and a fake replica, both real gRPC servers.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startMemoryReplica } from '../../client/src/test_support.ts';
import type { ShellContext } from './context.ts';
import { type FakeMeta, type FakeMetaState, startFakeMeta } from './fake_meta.ts';
import { runLines } from './run_shell.ts';
import { closeShellContext, createShellContext } from './session.ts';

type Captured = { ctx: ShellContext; out: string[]; err: string[] };

function shellFor(meta: FakeMeta): Captured {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = createShellContext([meta.address], { out: (l) => out.push(l), err: (l) => err.push(l) }, false);
  ctx.appReadyPollMs = 20;
  ctx.appReadyMaxWaitSeconds = 5;
  return { ctx, out, err };
}

async function withMeta(state: Partial<FakeMetaState>, body: (meta: FakeMeta, shell: Captured) => Promise<void>): Promise<void> {
  const meta = await startFakeMeta(state);
  const shell = shellFor(meta);
  try {
    await body(meta, shell);
  } finally {
    closeShellContext(shell.ctx);
    await meta.stop();
  }
}

// Rule: `quarantine` lists, `--release NODE [--gpid G]` asks the meta to let the node remove those
// replicas; nothing matching is a refusal (exit 2), --gpid alone is a usage error.
test('quarantine: list, release a node or one gpid, refuse what is not quarantined', async () => {
  const q = (gpid: string) => ({ node: '127.0.0.1:34804', gpid, ballot: 3, last_committed_decree: 40, last_prepared_decree: 41, served_at_ballot: 5 });
  await withMeta({ quarantined: [q('1.0'), q('1.1')] }, async (meta, { ctx, out, err }) => {
    assert.is(await runLines(ctx, ['quarantine']), 0);
    assert.match(out.join('\n'), /^127\.0\.0\.1:34804\s+1\.0\s+3\s+40\s+41\s+5$/m);
    assert.match(out.join('\n'), '2 replica(s) in quarantine');
    out.length = 0;
    assert.is(await runLines(ctx, ['quarantine --release 127.0.0.1:34804 --gpid 1.1']), 0);
    assert.equal(meta.state.releaseRequests, [{ node: '127.0.0.1:34804', gpid: '1.1' }]);
    assert.match(out.join('\n'), /^127\.0\.0\.1:34804\s+1\.1\s+3/m);
    assert.match(out.join('\n'), '1 replica(s) released: node 127.0.0.1:34804 removes them at its next config sync');
    out.length = 0;
    assert.is(await runLines(ctx, ['quarantine --release 127.0.0.1:34804 --gpid 1.1']), 2);
    assert.match(out.join('\n'), 'release quarantine failed, error=ERR_OBJECT_NOT_FOUND');
    assert.is(await runLines(ctx, ['quarantine --gpid 1.0']), 1);
    assert.match(err.join('\n'), '--gpid needs --release NODE');
  });
});

test('create waits for every partition, printing Pegasus lines', async () => {
  const nodes = ['127.0.0.1:34801', '127.0.0.1:34802', '127.0.0.1:34803'].map((node) => ({ node, status: 'ALIVE' as const }));
  await withMeta({ nodes, notReadyQueries: 2 }, async (meta, { ctx, out }) => {
    const status = await runLines(ctx, ['create t1 -p 4 -r 3']);
    assert.is(status, 0);
    assert.equal(out, [
      'create app t1 succeed, waiting for app ready',
      't1 not ready yet, still waiting... (1/4)',
      't1 not ready yet, still waiting... (1/4)',
      't1 is ready now: (4/4)',
      't1 is ready now!',
      'create app "t1" succeed',
    ]);
    assert.is(meta.state.apps[0].partition_count, 4);
  });
});

test('create refuses bad arguments before asking the meta', async () => {
  await withMeta({}, async (meta, { ctx, out, err }) => {
    assert.is(await runLines(ctx, ['create bad/name']), 1);
    assert.equal(out, ['create app bad/name failed: invalid app_name', 'create app "bad/name" failed, error = ERR_INVALID_PARAMETERS']);
    assert.is(await runLines(ctx, ['create t -p x']), 1);
    assert.equal(err, ['parse x as partition_count failed', 'USAGE: create <app_name> [-p|--partition_count num] [-r|--replica_count num] [-f|--fail_if_exist]']);
    assert.is(meta.state.apps.length, 0);
  });
});

test('use / set / get / del against the primary', async () => {
  const replica = await startMemoryReplica();
  const nodes = [{ node: replica.address, status: 'ALIVE' as const }];
  try {
    await withMeta({ nodes }, async (_meta, { ctx, out }) => {
      assert.is(await runLines(ctx, ['create t1 -p 2 -r 1']), 0);
      out.length = 0;
      const status = await runLines(ctx, ['get h s', 'use t1', 'set h s "hello world"', 'get h s', 'set h2 s "\\x00\\xff"', 'get h2 s', 'del h s', 'get h s', 'use']);
      assert.is(status, 1, 'the first get had no table');
      assert.equal(out, ['OK', 'OK', '"hello world"', 'OK', '"\\x00\\xff"', 'OK', 'Not found', 'Current app: t1']);
    });
  } finally {
    await replica.stop();
  }
});

test('unknown command: error, help, status 1; exit stops the script', async () => {
  await withMeta({}, async (_meta, { ctx, out, err }) => {
    assert.is(await runLines(ctx, ['frobnicate', 'exit', 'frobnicate']), 1);
    assert.equal(err, ["ERROR: invalid subcommand 'frobnicate'"]);
    assert.is(out[0], 'Usage:');
    assert.ok(out.some((l) => l.startsWith('\trecover ')));
    assert.is(await runLines(ctx, ['help', 'quit']), 0);
  });
});

test('recover -o writes the report to the file and prints the outcome', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'shell-test-'));
  try {
    await withMeta({ mode: 'recovery', recoveryAnswers: [{ err: 'ERR_OK', hint_message: 'WARNING: partition(2.0) only collects 1/3 of replicas, may lost data\n' }] }, async (meta, { ctx, out }) => {
      const file = join(dir, 'report.txt');
      assert.is(await runLines(ctx, [`recover -s 127.0.0.1:34801 -o ${file}`]), 0);
      assert.equal(out, ['recover complete with err = ERR_OK']);
      assert.fixture(
        await readFile(file, 'utf8'),
        [
          'Wait seconds: 100',
          'Skip bad nodes: false',
          'Skip lost partitions: false',
          'Node list:',
          '=============================',
          '127.0.0.1:34801',
          '=============================',
          'Recover result: ERR_OK',
          '=============================',
          'WARNING: partition(2.0) only collects 1/3 of replicas, may lost data',
          '=============================',
          '',
        ].join('\n'),
      );
      assert.is(meta.state.mode, 'serving');
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
