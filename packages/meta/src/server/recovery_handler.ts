// start_recovery (Pegasus: meta_service::on_start_recovery, server_state::on_start_recovery), as
// the plain-data pipeline of docs/architecture.md: collect (I/O) -> construct (pure) -> write (lock
// marker first, unlock last) -> serve. Unlike Pegasus the call does not block the meta's other work,
// a failed attempt leaves ZooKeeper as it found it, and a store failure is an answer, not an abort.

import {
  type MetaServiceDefinition,
  parseNodeAddress,
  RpcClient,
  ReplicaService,
  type StartRecoveryRequest,
  type StartRecoveryResponse,
  type UnaryHandlers,
} from '../../../proto/src/index.ts';
import { collectReplicaInfos, type NodeQuery } from '../recovery/collect_replica_infos.ts';
import { checkRecoveryNodes, constructRecovery, formatHintMessage } from '../recovery/construct_recovery.ts';
import { fenceBallots } from '../recovery/fence_ballots.ts';
import { appsRoot } from '../state_store/app_storage.ts';
import { StateStoreError } from '../state_store/state_store.ts';
import type { MetaServiceCore } from './meta_service.ts';

export function recoveryHandlers(core: MetaServiceCore): UnaryHandlers<MetaServiceDefinition> {
  let running = false;
  return {
    start_recovery: async (req: StartRecoveryRequest): Promise<StartRecoveryResponse> => {
      if (core.mode === 'serving') {
        core.log('service is already started, ignore the recovery request');
        return { err: 'ERR_SERVICE_ALREADY_RUNNING', hint_message: '' };
      }
      if (core.mode !== 'recovery') {
        const refused = core.guard();
        return { err: refused?.err ?? 'ERR_SERVICE_NOT_ACTIVE', hint_message: refused?.hint ?? '' };
      }
      if (running) return { err: 'ERR_BUSY', hint_message: 'a recovery is already running; wait for its result' };
      running = true;
      try {
        return await recover(core, req);
      } finally {
        running = false;
      }
    },
  };
}

function replicaQuery(metaAddress: string): { query: NodeQuery; close: () => void } {
  const clients = new Map<string, RpcClient<typeof ReplicaService>>();
  const client = (node: string) => {
    let c = clients.get(node);
    if (!c) clients.set(node, (c = new RpcClient(ReplicaService, node)));
    return c;
  };
  return {
    query: {
      queryAppInfo: (node, deadlineMs) => client(node).call('query_app_info', { meta_server: metaAddress }, deadlineMs),
      queryReplicaInfo: (node, deadlineMs) => client(node).call('query_replica_info', { node1: node }, deadlineMs),
    },
    close: () => clients.forEach((c) => c.close()),
  };
}

async function recover(core: MetaServiceCore, req: StartRecoveryRequest): Promise<StartRecoveryResponse> {
  const nodes = Array.isArray(req.recovery_nodes) ? req.recovery_nodes.map(String) : [];
  core.log(`start recovery from ${nodes.length} node(s): ${nodes.join(',')}; skip_bad_nodes=${req.skip_bad_nodes} skip_lost_partitions=${req.skip_lost_partitions}`);
  // Refuse a bad list before asking anyone (the shell checks too; other clients may not).
  const malformed = nodes.filter((n) => parseNodeAddress(n) !== n);
  if (malformed.length > 0) {
    return { err: 'ERR_INVALID_PARAMETERS', hint_message: malformed.map((n) => `ERROR: node(${n}) is not a host:port address such as 127.0.0.1:34801`).join('\n') };
  }
  const listError = checkRecoveryNodes(nodes);
  if (listError) return { err: listError.err, hint_message: formatHintMessage(listError.hintLines) };
  const started = core.nowMs();
  const { query, close } = replicaQuery(core.config.address);
  let reports;
  try {
    reports = await collectReplicaInfos(nodes, query, core.config.rpcTimeoutMs, (r) => core.log(`recovery: node(${r.node}) answered ${r.err} in ${r.latencyMs} ms`));
  } finally {
    close();
  }
  const result = constructRecovery(reports, {
    skipBadNodes: !!req.skip_bad_nodes,
    skipLostPartitions: !!req.skip_lost_partitions,
    nowSeconds: Math.floor(core.nowMs() / 1000),
    maxReservedDroppedReplicas: core.config.maxReservedDroppedReplicas,
  });
  const hint = formatHintMessage(result.hintLines);
  if (result.err !== 'ERR_OK') {
    core.log(`recovery refused (${result.outcome}): ${result.err}; still in recovery mode, ZooKeeper untouched`);
    return { err: result.err, hint_message: hint };
  }
  const tables = { apps: result.apps, partitions: fenceBallots(result.partitions, result.candidates) };
  try {
    await core.state.writeInitialTables(tables, pauseForFaultInjection(core));
  } catch (e) {
    if (!(e instanceof StateStoreError)) throw e;
    // The tree still carries "lock"; remove it now if we can, else the next start does.
    await core.store.deleteTree(appsRoot(core.config.clusterRoot)).catch(() => {});
    core.log(`recovery failed while writing to ZooKeeper: ${e.message}; still in recovery mode`);
    return { err: 'ERR_TIMEOUT', hint_message: `${hint ? `${hint}\n` : ''}ERROR: writing the recovered metadata under ${core.config.clusterRoot} failed (${e.message}); nothing was kept, run recover again` };
  }
  core.enterServing();
  const partitions = [...result.partitions.values()].reduce((n, pcs) => n + pcs.length, 0);
  core.log(`recovery done in ${core.nowMs() - started} ms: ${result.apps.length} tables, ${partitions} partitions written under ${appsRoot(core.config.clusterRoot)}; serving`);
  return { err: 'ERR_OK', hint_message: hint };
}

/**
 * Fault injection for the crash-safety test: with PEGASUS_TS_PAUSE_AFTER_RECOVERY_LOCK_MS set, the
 * meta pauses between writing the "lock" marker and the tree, so a test can kill it there.
 */
function pauseForFaultInjection(core: MetaServiceCore): (() => Promise<void>) | undefined {
  const ms = Number(process.env.PEGASUS_TS_PAUSE_AFTER_RECOVERY_LOCK_MS ?? 0);
  if (!(ms > 0)) return undefined;
  return async () => {
    core.log(`fault injection: pausing ${ms} ms after the recovery lock marker`);
    await new Promise((r) => setTimeout(r, ms));
  };
}
