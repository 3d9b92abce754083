// start_recovery (Pegasus: meta_service::on_start_recovery, server_state::on_start_recovery), as
// the plain-data pipeline of docs/architecture.md: collect (I/O) -> construct (pure) -> plan (pure)
// -> write (lock marker first, audit record, unlock last) -> serve. Unlike Pegasus the call does not
// block the meta's other work, a failed attempt leaves ZooKeeper as it found it, and a store failure
// is an answer, not an abort.
//
// Three modes (StartRecoveryRequest.mode): `recover` (the seed's one step), `plan` (write nothing,
// answer the plan; allowed while serving too, as a drill) and `apply` (write only if the cluster
// still gives the reviewed plan's id; else answer what changed). query_recovery_status tells at any
// time what the last attempt is doing or how it ended.

import {
  type CollectedNode,
  type MetaServiceDefinition,
  parseNodeAddress,
  type QueryRecoveryStatusResponse,
  type RecoveryAudit,
  type RecoveryMode,
  type RecoveryPlan,
  type RecoveryStage,
  RpcClient,
  ReplicaService,
  type StartRecoveryRequest,
  type StartRecoveryResponse,
  type UnaryHandlers,
} from '../../../proto/src/index.ts';
import { collectReplicaInfos, type NodeQuery } from '../recovery/collect_replica_infos.ts';
import { CandidateCollector } from '../recovery/construct_partitions.ts';
import { checkRecoveryNodes, constructRecovery, formatHintMessage } from '../recovery/construct_recovery.ts';
import { fenceBallots } from '../recovery/fence_ballots.ts';
import { fingerprintNode, type NodeFingerprint, nodeDigest, type SharedAppFingerprints, sortFingerprints } from '../recovery/plan/fingerprint.ts';
import { diffFingerprints, formatPlanChange } from '../recovery/plan/plan_diff.ts';
import { buildRecoveryPlan } from '../recovery/plan/recovery_plan.ts';
import { replyColumns } from '../recovery/replica_columns.ts';
import { appsRoot } from '../state_store/app_storage.ts';
import { deleteRecoveryAudit, writeRecoveryAudit } from '../state_store/recovery_audit_storage.ts';
import { StateStoreError } from '../state_store/state_store.ts';
import type { MetaServiceCore } from './meta_service.ts';

/** The last attempt since this meta started (query_recovery_status). */
type RecoveryStatus = {
  running: boolean;
  stage: RecoveryStage;
  mode: RecoveryMode | '';
  startedAtMs: number;
  finishedAtMs: number;
  attemptToken: string;
  collected: CollectedNode[];
  lastErr: StartRecoveryResponse['err'] | '';
  lastHintMessage: string;
};

export function recoveryHandlers(core: MetaServiceCore): UnaryHandlers<MetaServiceDefinition> {
  const status: RecoveryStatus = { running: false, stage: 'idle', mode: '', startedAtMs: 0, finishedAtMs: 0, attemptToken: '', collected: [], lastErr: '', lastHintMessage: '' };
  return {
    start_recovery: async (req: StartRecoveryRequest): Promise<StartRecoveryResponse> => {
      // The shape (a known mode, boolean skip flags, ...) was checked on receipt (services.ts).
      const mode: RecoveryMode = req.mode ?? 'recover';
      // A plan writes nothing, so a serving meta may make one (a drill against the live cluster).
      const planWhileServing = mode === 'plan' && core.mode === 'serving';
      if (core.mode === 'serving' && !planWhileServing) {
        core.log('service is already started, ignore the recovery request');
        // Pegasus answers the code alone; an operator who forgot the flag needs to know what to change.
        return {
          err: 'ERR_SERVICE_ALREADY_RUNNING',
          hint_message: formatHintMessage([
            `ERROR: this meta server already serves the tables under ${core.config.clusterRoot}; nothing was done. To rebuild lost metadata instead, set [meta_server] recover_from_replica_server = true and a new, empty cluster_root in its config.ini, restart it, then run recover`,
          ]),
        };
      }
      if (core.mode !== 'recovery' && !planWhileServing) {
        const refused = core.guard();
        return { err: refused?.err ?? 'ERR_SERVICE_NOT_ACTIVE', hint_message: refused?.hint ?? '' };
      }
      if (status.running) return { err: 'ERR_BUSY', hint_message: `a recovery (${status.mode}) is already running, at stage ${status.stage}; see recover_status` };
      const attemptToken = typeof req.attempt_token === 'string' ? req.attempt_token.slice(0, 200) : '';
      Object.assign(status, { running: true, stage: 'collecting', mode, startedAtMs: core.nowMs(), finishedAtMs: 0, attemptToken, collected: [], lastErr: '', lastHintMessage: '' });
      let res: StartRecoveryResponse | undefined;
      try {
        res = await recover(core, req, mode, status);
        return res;
      } finally {
        Object.assign(status, {
          running: false,
          stage: res?.err === 'ERR_OK' ? 'done' : 'failed',
          finishedAtMs: core.nowMs(),
          lastErr: res?.err ?? 'ERR_UNKNOWN',
          lastHintMessage: res?.hint_message ?? 'the attempt ended with an internal error; see the meta server log',
        });
      }
    },
    query_recovery_status: async (): Promise<QueryRecoveryStatusResponse> => {
      if (core.mode === 'starting' && core.leader && core.leader !== core.config.address) {
        return { ...emptyStatus(core), err: 'ERR_FORWARD_TO_OTHERS', hint: core.leader };
      }
      const audit = core.recoveryAudit;
      return {
        err: 'ERR_OK',
        hint: '',
        meta_mode: core.mode,
        running: status.running,
        stage: status.stage,
        mode: status.mode,
        started_at_ms: status.startedAtMs,
        finished_at_ms: status.finishedAtMs,
        attempt_token: status.attemptToken,
        collected: status.collected,
        last_err: status.lastErr,
        last_hint_message: status.lastHintMessage,
        ...(audit ? { audit } : {}),
      };
    },
  };
}

/**
 * Per replica server whose config sync (the beacon) arrived within the failure-detection grace
 * period, the gpids that sync listed.
 */
function heartbeatReplicas(core: MetaServiceCore): Map<string, string[]> {
  const since = core.nowMs() - core.config.fdGraceSeconds * 1000;
  return new Map([...core.state.nodes].filter(([, s]) => s.lastSeenMs >= since).map(([node, s]) => [node, [...s.replicas.keys()]]));
}

/**
 * Completeness for a plain recover (a plan lists it per partition): per node whose heartbeats say it
 * holds replicas of partitions recovered with fewer than max_replica_count replicas, though its
 * answer was not used, one line naming them. After the recovery those replicas stay quarantined.
 */
function unusedHolderLines(plan: Pick<RecoveryPlan, 'completeness'>): string[] {
  const byNode = new Map<string, string[]>();
  for (const u of plan.completeness.under_replicated) {
    for (const node of u.held_by_unused_nodes) byNode.set(node, [...(byNode.get(node) ?? []), u.gpid]);
  }
  return [...byNode].map(
    ([node, gpids]) =>
      `WARNING: node(${node}) holds replicas of ${gpids.length} partition(s) recovered with fewer than max_replica_count replicas (${gpids.join(' ')}), but its answer was not used; they stay quarantined (shell: quarantine)`,
  );
}

function emptyStatus(core: MetaServiceCore): QueryRecoveryStatusResponse {
  return { err: 'ERR_OK', hint: '', meta_mode: core.mode, running: false, stage: 'idle', mode: '', started_at_ms: 0, finished_at_ms: 0, attempt_token: '', collected: [], last_err: '', last_hint_message: '' };
}

/** The collect step's transport: both questions as gRPC calls to each node; `close` drops the channels. */
export function replicaQuery(metaAddress: string): { query: NodeQuery; close: () => void } {
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

async function recover(core: MetaServiceCore, req: StartRecoveryRequest, mode: RecoveryMode, status: RecoveryStatus): Promise<StartRecoveryResponse> {
  const nodes = Array.isArray(req.recovery_nodes) ? req.recovery_nodes.map(String) : [];
  core.log(`start recovery (${mode}) from ${nodes.length} node(s): ${nodes.join(',')}; skip_bad_nodes=${req.skip_bad_nodes} skip_lost_partitions=${req.skip_lost_partitions}`);
  // Refuse a bad list before asking anyone (the shell checks too; other clients may not).
  const malformed = nodes.filter((n) => parseNodeAddress(n) !== n);
  if (malformed.length > 0) {
    return { err: 'ERR_INVALID_PARAMETERS', hint_message: malformed.map((n) => `ERROR: node(${n}) is not a host:port address such as 127.0.0.1:34801`).join('\n') };
  }
  const listError = checkRecoveryNodes(nodes);
  if (listError) return { err: listError.err, hint_message: formatHintMessage(listError.hintLines) };
  if (mode === 'apply' && typeof req.expected_plan_id !== 'string') {
    return { err: 'ERR_INVALID_PARAMETERS', hint_message: 'ERROR: apply needs the plan id of a reviewed plan (recover --plan -o FILE, then recover --apply FILE)' };
  }
  const started = core.nowMs();
  const { query, close } = replicaQuery(core.config.address);
  let reports;
  // Each node is fingerprinted (and its digest hashed) and its replicas handed to the candidates as
  // its answer arrives: where the meta's thread waits for slower nodes, that work falls in the wait
  // (on the 2-core benchmark machine with one process per replica server it does not: the thread
  // is busy for the whole collection). Then the decoded list of replicas is dropped: its columns
  // hold all that recovery reads of it, and ~10^4 decoded objects kept alive to the end would be
  // copied by every young-generation collection meanwhile (bench/recovery_bench.ts measures it;
  // a plan should cost at most 1.2x the collection).
  const fingerprints: NodeFingerprint[] = [];
  const sharedApps: SharedAppFingerprints = new Map();
  const candidates = new CandidateCollector();
  try {
    reports = await collectReplicaInfos(nodes, query, core.config.rpcTimeoutMs, (r) => {
      status.collected.push({ node: r.node, err: r.err, latency_ms: Math.round(r.latencyMs) });
      core.log(`recovery: node(${r.node}) answered ${r.err} in ${r.latencyMs} ms`);
      // A good node's decoded list is read once, into columns that its fingerprint and its
      // candidates share. A bad node contributes nothing (fingerprintNode, constructRecovery).
      const reply = r.err === 'ERR_OK' ? replyColumns(r.replicas ?? []) : undefined;
      const fingerprint = fingerprintNode(r, sharedApps, reply);
      nodeDigest(fingerprint);
      fingerprints.push(fingerprint);
      if (reply) candidates.add(r.node, reply);
      r.replicas = undefined;
    });
  } finally {
    close();
  }
  status.stage = 'constructing';
  const collected = reports.map((r) => ({ node: r.node, err: r.err, latency_ms: Math.round(r.latencyMs) }));
  const options = { skipBadNodes: !!req.skip_bad_nodes, skipLostPartitions: !!req.skip_lost_partitions };
  const result = constructRecovery(reports, {
    ...options,
    nowSeconds: Math.floor(core.nowMs() / 1000),
    maxReservedDroppedReplicas: core.config.maxReservedDroppedReplicas,
    // A plan writes nothing: it decides as a recovery does but makes no configuration objects.
    configurations: mode !== 'plan',
    collected: candidates,
  });
  const beacons = heartbeatReplicas(core);
  const plan = buildRecoveryPlan({
    result,
    reports,
    options,
    nodeList: nodes,
    heartbeatingNodes: [...beacons.keys()].sort(),
    heartbeatReplicas: beacons,
    createdAtSeconds: Math.floor(core.nowMs() / 1000),
    fingerprints: sortFingerprints(fingerprints),
  });
  // Completeness (plain recover and apply; a plan lists it in its own report): replica servers that
  // beacon to this meta but were not listed hold replicas nobody looked at.
  const unlisted = plan.completeness.unlisted_heartbeating_nodes.map(
    (n) => `WARNING: node(${n}) sends heartbeats to this meta server but is not in the recovery node list; its replicas were not considered`,
  );
  const hint = formatHintMessage(mode === 'plan' ? result.hintLines : [...unlisted, ...result.hintLines, ...unusedHolderLines(plan)]);
  if (mode === 'plan') {
    core.log(`recovery plan ${plan.plan_id} made (${result.outcome}); nothing written`);
    return { err: result.err, hint_message: hint, plan, collected };
  }
  if (mode === 'apply' && plan.plan_id !== req.expected_plan_id) {
    const changes = diffFingerprints(Array.isArray(req.expected_fingerprints) ? req.expected_fingerprints : [], plan.fingerprints).map(formatPlanChange);
    core.log(`recovery apply refused: the cluster gives plan ${plan.plan_id}, not the reviewed ${req.expected_plan_id}; ${changes.length} change(s)`);
    return {
      err: 'ERR_INCONSISTENT_STATE',
      hint_message: `ERROR: the cluster changed since plan ${req.expected_plan_id} was made (it now gives plan ${plan.plan_id}); nothing was written. Make a new plan and review it.`,
      changes,
      plan,
      collected,
    };
  }
  if (result.err !== 'ERR_OK') {
    core.log(`recovery refused (${result.outcome}): ${result.err}; still in recovery mode, ZooKeeper untouched`);
    return { err: result.err, hint_message: hint, plan, collected };
  }
  status.stage = 'writing';
  const tables = { apps: result.apps, partitions: fenceBallots(result.partitions, result.candidates) };
  const partitions = [...result.partitions.values()].reduce((n, pcs) => n + pcs.length, 0);
  const audit: RecoveryAudit = {
    plan_id: plan.plan_id,
    mode,
    options: plan.options,
    node_list: nodes,
    meta_server: core.config.address,
    started_at_ms: started,
    finished_at_ms: 0,
    err: 'ERR_OK',
    tables: plan.tables.length,
    partitions,
    hint_lines: result.hintLines,
    answered_nodes: reports.filter((r) => r.err === 'ERR_OK').map((r) => r.node),
    table_list: plan.tables.map((t) => ({ app_id: t.app_id, app_name: t.app_name, partition_count: t.partition_count })),
  };
  try {
    await core.state.writeInitialTables(tables, {
      afterLock: pauseForFaultInjection(core),
      beforeUnlock: async () => {
        audit.finished_at_ms = core.nowMs();
        await writeRecoveryAudit(core.store, core.config.clusterRoot, audit);
      },
    });
  } catch (e) {
    if (!(e instanceof StateStoreError)) throw e;
    // The tree still carries "lock"; remove it now if we can, else the next start does.
    await core.store.deleteTree(appsRoot(core.config.clusterRoot)).catch(() => {});
    await deleteRecoveryAudit(core.store, core.config.clusterRoot).catch(() => {});
    core.log(`recovery failed while writing to ZooKeeper: ${e.message}; still in recovery mode`);
    return {
      err: 'ERR_TIMEOUT',
      hint_message: `${hint ? `${hint}\n` : ''}ERROR: writing the recovered metadata under ${core.config.clusterRoot} failed (${e.message}); nothing was kept, run recover again`,
      plan,
      collected,
    };
  }
  core.recoveryAudit = audit;
  core.enterServing();
  core.log(`recovery done in ${core.nowMs() - started} ms: plan ${plan.plan_id}, ${result.apps.length} tables, ${partitions} partitions written under ${appsRoot(core.config.clusterRoot)}; serving`);
  return { err: 'ERR_OK', hint_message: hint, plan, collected };
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
