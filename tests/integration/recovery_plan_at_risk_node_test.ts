// Goal: the plan of a cluster with a stale replica marks its partition `at-risk` with the right
// count (issue "Recovery an operator can trust"), built from what real replica servers answer.
// Method: three real replica servers (real LevelDB, real gRPC) and a fake meta in this process.
// Primary A of partition 1.0 loses both secondaries and takes 3 writes it can only log (prepared,
// never acked); A stops; B is promoted at a higher ballot, as the meta's guardian would; A comes back.
// Then the meta's own recovery path (collectReplicaInfos over gRPC, constructRecovery,
// buildRecoveryPlan) runs against the three servers: B or C is chosen (higher ballot), and A's 3
// prepared decrees, which they do not hold, are the ones that "may be lost". Partition 1.1, which
// nobody touched, stays intact. Node only (multi-server in one process, see replica_2pc_node_test).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collectReplicaInfos } from '../../packages/meta/src/recovery/collect_replica_infos.ts';
import { constructRecovery } from '../../packages/meta/src/recovery/construct_recovery.ts';
import { buildRecoveryPlan } from '../../packages/meta/src/recovery/plan/recovery_plan.ts';
import { replicaQuery } from '../../packages/meta/src/server/recovery_handler.ts';
import { TestCluster } from '../../packages/replica/src/_test_cluster.ts';

const P0 = { app_id: 1, partition_index: 0 };
const P1 = { app_id: 1, partition_index: 1 };
let c: TestCluster;

test.before(async () => {
  c = await TestCluster.start({ servers: 3 });
});

test.after(async () => {
  await c.stop();
});

test('a primary that logged 3 writes nobody else has: its partition is at-risk, may lose 3 decrees', async () => {
  const [A, B, C] = c.nodes;
  c.meta.createApp(1, 'temp', 2, () => [A, B, C]);
  await c.waitStatus(C, P0, 'PS_SECONDARY');
  await c.waitWritable(A, P0);
  await c.waitWritable(A, P1);
  for (let i = 0; i < 10; i++) assert.is((await c.write(A, P0, `k${i}`, 'v')).err, 'ERR_OK');
  for (let i = 0; i < 4; i++) assert.is((await c.write(A, P1, `k${i}`, 'v')).err, 'ERR_OK');
  // Both partitions settled: every member stands at the same commit point (secondaries hear the
  // last one from the primary's idle `commit`, which a loaded machine may deliver late).
  await c.waitDigestsAgree(P0, [A, B, C], 10);
  await c.waitDigestsAgree(P1, [A, B, C], 4);

  // Both secondaries go away; A logs three more writes that can never be acked.
  await c.stopServer(B);
  await c.stopServer(C);
  for (let i = 0; i < 3; i++) assert.is.not((await c.write(A, P0, `lost${i}`, 'v')).err, 'ERR_OK');
  await c.stopServer(A);

  // The meta promotes B for 1.0 at a higher ballot (B holds decrees up to 10 only).
  c.meta.setConfig(P0, { ballot: 2, primary: B, secondaries: [C], last_drops: [A] });
  await c.startServer(B);
  await c.startServer(C);
  await c.waitStatus(B, P0, 'PS_PRIMARY');
  await c.startServer(A);

  const { query: q, close } = replicaQuery(c.meta.address);
  const reports = await collectReplicaInfos([A, B, C], q, 5000);
  close();
  assert.equal(reports.map((r) => r.err), ['ERR_OK', 'ERR_OK', 'ERR_OK']);
  const options = { skipBadNodes: false, skipLostPartitions: false };
  const result = constructRecovery(reports, { ...options, nowSeconds: 1, maxReservedDroppedReplicas: 0 });
  assert.is(result.err, 'ERR_OK', result.hintLines.join('\n'));
  const plan = buildRecoveryPlan({ result, reports, options, nodeList: [A, B, C], heartbeatingNodes: [], createdAtSeconds: 1 });
  const [p0, p1] = plan.tables[0].partitions;
  const stale = p0.candidates.find((x) => x.node === A)!;
  // B and C both stand at ballot 2 with the same decrees; the tie goes to the lower address.
  assert.ok(p0.primary === B || p0.primary === C, `primary ${p0.primary}`);
  assert.is(p0.candidates[0].ballot, 2);
  assert.is(stale.ballot, 1);
  assert.is(stale.last_prepared_decree - p0.candidates[0].last_prepared_decree, 3, JSON.stringify(p0.candidates));
  assert.is(p0.tier, 'at-risk');
  assert.is(p0.may_lose_decrees, 3);
  assert.is(p1.tier, 'intact');
  assert.equal(plan.totals.tiers, { intact: 1, degraded: 0, 'at-risk': 1, lost: 0 });
  assert.is(plan.totals.may_lose_decrees, 3);
});

test.run();
