// Goal: a secondary that misses the primary's idle `commit` (it was down at that moment) still
// reaches the commit point with no further write: the primary sends the commit again after a
// pause. Without that, a quiet cluster keeps the secondary one commit point behind until the next
// write, and `verify` (members at different decrees) or a drill plan (degraded) says so.
// Method: three in-process servers and a fake meta, the idle commit delayed by 1 s; after the last
// acked write one secondary is stopped before the idle commit goes out, and started again; it
// restarts from its own log, at the commit point the last prepare gave it.
// Node only (`_node_test`): several gRPC servers in one process (see replica_2pc_node_test).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestCluster, waitFor } from './_test_cluster.ts';

const P = { app_id: 1, partition_index: 0 };

test('a secondary that was down when the idle commit went out reaches the commit point once back', async () => {
  const c = await TestCluster.start({ servers: 3, idleCommitDelayMs: 1000 });
  try {
    const [A, B, C] = c.nodes;
    c.meta.createApp(1, 'idle', 1, () => [A, B, C]);
    await c.waitStatus(C, P, 'PS_SECONDARY');
    await c.waitWritable(A, P);
    let decree = -1;
    for (let i = 0; i < 5; i++) {
      const res = await c.write(A, P, `k${i}`, 'v');
      assert.is(res.err, 'ERR_OK');
      decree = res.decree;
    }
    const committedOn = (node: string) => c.servers.get(node)?.replicaInfos().find((r) => r.pid.app_id === 1)?.last_committed_decree;
    // The last prepare told C the commit point before the last write; the idle commit will tell it the rest.
    // Checked before the stop: once C is back, the primary's resend (every 500 ms) may reach it
    // before any check after startServer could run (a fresh-clone CI run, stop 16: "6 < 6").
    assert.ok((committedOn(C) ?? -1) < decree, `C behind before the idle commit (${committedOn(C)} < ${decree})`);
    await c.stopServer(C);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the idle commit goes out, and cannot reach C
    assert.is(committedOn(B), decree, 'B heard the idle commit');
    await c.startServer(C);
    await waitFor(`C at decree ${decree}`, () => committedOn(C) === decree || `C at ${committedOn(C)}`, 5000);
  } finally {
    await c.stop();
  }
});

test.run();
