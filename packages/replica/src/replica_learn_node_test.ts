// Goal: a learner catches up with its primary while client writes continue, by full copy (a node
// that holds nothing) and by incremental copy (a node that was removed and missed some writes),
// then is upgraded to secondary through the meta, after which all four replicas hold the same
// committed rows. Also: a node whose ballot is higher refuses to learn.
// Method: four in-process servers and a fake meta; the test assigns the learner in the fake meta
// (as the guardian would), runs a writer during the learn, and compares partition digests. The
// preloaded rows exceed one learn chunk, so the full copy streams several chunks.

// Node only (`_node_test`): Deno 2.9.6 crashes inside nghttp2 when an in-process gRPC server
// stops while clients in the same process hold sessions to it (denoland/deno#36788);
// main_deno_node_test.ts covers the server on Deno with separate processes.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestCluster, waitFor } from './_test_cluster.ts';

const P = { app_id: 1, partition_index: 0 };
let c: TestCluster;
let A: string, B: string, C: string, D: string;

test.before(async () => {
  c = await TestCluster.start({ servers: 4 });
  [A, B, C, D] = c.nodes;
  c.meta.createApp(1, 'learn_me', 1, () => [A, B, C]);
  await c.waitStatus(A, P, 'PS_PRIMARY');
  await c.waitStatus(C, P, 'PS_SECONDARY');
  await c.waitWritable(A, P);
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 160; i++) {
        const res = await c.write(A, P, `pre${w}_${i}`, `v${i}`);
        if (res.err !== 'ERR_OK') assert.unreachable(`preload: ${res.err}`);
      }
    }),
  );
});

test.after(async () => {
  await c.stop();
});

/** Writes to A until stopped; every write must succeed (learners never fail client writes). */
function startWriter(prefix: string): { stop(): Promise<{ count: number; lastDecree: number }> } {
  let running = true;
  let count = 0;
  let lastDecree = 0;
  const done = (async () => {
    while (running) {
      const res = await c.write(A, P, `${prefix}${count}`, 'during-learn');
      if (res.err !== 'ERR_OK') throw new Error(`write ${prefix}${count} during learn: ${res.err}`);
      lastDecree = res.decree;
      count++;
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return { count, lastDecree };
    },
  };
}

async function waitUpgraded(node: string, pid = P): Promise<void> {
  await waitFor(`${node} to become a secondary in the meta`, () => c.meta.config(pid).secondaries.includes(node) || c.meta.config(pid).secondaries.join(','));
  await c.waitStatus(node, pid, 'PS_SECONDARY');
}

test('a node with nothing learns by full copy while writes continue', async () => {
  const writer = startWriter('full');
  await new Promise((r) => setTimeout(r, 100));
  c.meta.learners.push({ pid: P, learner: D });
  await waitUpgraded(D);
  const { count: during, lastDecree } = await writer.stop();
  assert.ok(during > 0, 'writes went on during the learn');
  assert.ok(c.logs.some((l) => l.includes(`teaching ${D}: full copy`)));
  const learned = c.logs.map((l) => /learned from .*: full copy of (\d+) rows/.exec(l)).find((m) => m);
  assert.ok(learned && Number(learned[1]) > 1000, 'several chunks of rows were copied');
  const d = await c.waitDigestsAgree(P, [A, B, C, D], lastDecree);
  assert.is(d.row_count, 1 + 8 * 160 + during); // + the waitWritable probe row
  assert.is(c.meta.upgrades.length, 1);
  assert.is(c.meta.upgrades[0].type, 'CT_UPGRADE_TO_SECONDARY');
});

test('a node that missed writes learns incrementally while writes continue', async () => {
  await c.stopServer(D);
  const ballot = c.meta.config(P).ballot + 1;
  c.meta.setConfig(P, { ballot, secondaries: [B, C], last_drops: [D] });
  await waitFor('A to write without D', async () => (await c.write(A, P, 'without-D', 'v')).err === 'ERR_OK');
  for (let i = 0; i < 300; i++) {
    const res = await c.write(A, P, `missed${i}`, 'v');
    if (res.err !== 'ERR_OK') {
      c.dumpLogs();
      assert.unreachable(`write missed${i}: ${res.err}`);
    }
  }
  await c.startServer(D);
  const dInfo = c.servers.get(D)!.replicaInfos()[0];
  assert.ok(dInfo.last_committed_decree > 0);
  const writer = startWriter('incr');
  c.meta.learners.push({ pid: P, learner: D });
  await waitUpgraded(D);
  const { lastDecree } = await writer.stop();
  assert.ok(c.logs.some((l) => l.includes(`incremental, have decree ${dInfo.last_committed_decree}`)));
  assert.ok(c.logs.some((l) => l.includes(`teaching ${D}: log after decree ${dInfo.last_committed_decree}`)));
  await c.waitDigestsAgree(P, [A, B, C, D], lastDecree);
  assert.is(await c.read(A, P, 'missed299'), 'v');
});

test('a node whose ballot is higher refuses to learn and keeps its rows', async () => {
  const before = await c.digest(D, P);
  const res = await c.client(D).call('add_learner', { pid: P, ballot: 1, primary: A, info: c.meta.partitions.get('1.0')!.info }, 5000);
  assert.ok(res.ok);
  assert.is(res.res.err, 'ERR_INVALID_VERSION');
  const after = await c.digest(D, P);
  assert.is(after.checksum, before.checksum);
  assert.is(after.status, 'PS_SECONDARY');
});

test('a learner ahead of its primary gets a full copy that drops rows the primary lacks', async () => {
  const P2 = { app_id: 2, partition_index: 0 };
  c.meta.createApp(2, 'ahead', 1, () => [D]);
  await c.waitStatus(D, P2, 'PS_PRIMARY');
  await c.waitWritable(D, P2);
  for (let i = 0; i < 50; i++) assert.is((await c.write(D, P2, `stray${i}`, 'v')).err, 'ERR_OK');
  // The meta moves the partition to A alone at a higher ballot (as a forced recovery might).
  c.meta.setConfig(P2, { ballot: 2, primary: A, secondaries: [], last_drops: [D] });
  await c.waitStatus(A, P2, 'PS_PRIMARY');
  await c.waitStatus(D, P2, 'PS_INACTIVE');
  const probe = await c.waitWritable(A, P2, 'on-A');
  assert.is(probe, 1);
  c.meta.learners.push({ pid: P2, learner: D });
  await waitUpgraded(D, P2);
  assert.ok(c.logs.some((l) => l.includes(`replica 2.0@${A}: teaching ${D}: full copy`)));
  const d = await c.waitDigestsAgree(P2, [A, D], probe);
  assert.is(d.row_count, 1);
  assert.is(await c.read(A, P2, 'stray0'), undefined);
});

test.run();
