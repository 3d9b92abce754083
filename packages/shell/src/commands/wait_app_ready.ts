// Wait until every partition of a new (or recalled) table has a primary and full membership,
// printing Pegasus's progress lines (replication_ddl_client::wait_app_ready). Unlike Pegasus, which
// returns success when its wait runs out, running out here is an error: the table is not usable yet.

import type { ErrorCode, PartitionConfiguration } from '../../../proto/src/index.ts';
import type { ShellContext } from '../context.ts';

/** Pegasus's readiness rule: a primary plus at least max_replica_count - 1 secondaries. */
export function readyPartitionCount(partitions: readonly PartitionConfiguration[], maxReplicaCount: number): number {
  return partitions.filter((pc) => pc.primary !== '' && pc.secondaries.length + 1 >= maxReplicaCount).length;
}

export async function waitAppReady(ctx: ShellContext, appName: string, partitionCount: number, maxReplicaCount: number): Promise<ErrorCode> {
  const deadline = Date.now() + ctx.appReadyMaxWaitSeconds * 1000;
  for (;;) {
    await _sleep(Math.max(0, Math.min(ctx.appReadyPollMs, deadline - Date.now())));
    const reply = await ctx.meta.call('query_configuration_by_index', { app_name: appName, partition_indices: [] });
    if (!reply.ok) {
      ctx.io.out(`create app ${appName} failed: [query] call server error: ${reply.err}`);
      return reply.err;
    }
    const err = reply.res.err;
    // The meta answers these while it is still creating the partitions: keep waiting.
    if (err === 'ERR_INVALID_STATE' || err === 'ERR_BUSY_CREATING') {
      ctx.io.out(`${appName} not ready yet, still waiting...`);
    } else if (err !== 'ERR_OK') {
      ctx.io.out(`create app ${appName} failed: [query] received server error: ${err}`);
      return err;
    } else {
      const ready = readyPartitionCount(reply.res.partitions, maxReplicaCount);
      if (ready === partitionCount) {
        ctx.io.out(`${appName} is ready now: (${ready}/${partitionCount})`);
        return 'ERR_OK';
      }
      ctx.io.out(`${appName} not ready yet, still waiting... (${ready}/${partitionCount})`);
    }
    if (Date.now() >= deadline) {
      ctx.io.out(`${appName} is not ready after ${ctx.appReadyMaxWaitSeconds} seconds; check it with "app ${appName} -d"`);
      return 'ERR_TIMEOUT';
    }
  }
}

function _sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
