// A canonical description of what the replica servers answered, and the plan id derived from it.
// A recovery plan is reviewed first and applied later; the apply step fingerprints the cluster
// again and refuses (or shows plan_diff.ts's changes) when the id differs, so nothing is written
// that the operator did not see. Pure: no I/O, no clock; inputs are not mutated.

import { createHash } from 'node:crypto';
import type { ErrorCode } from '../../../../proto/src/error_code.ts';
import type { AppStatus, NodeAddress, PartitionStatus, ReplicaInfo } from '../../../../proto/src/types.ts';
import { gpidToString } from '../../../../proto/src/types.ts';
import { compareNodes } from '../compare_replica_candidates.ts';
import type { NodeReport } from '../node_report.ts';
import { canonicalJson } from './canonical_json.ts';
import type { AppFingerprint, NodeFingerprint, ReplicaFingerprint } from '../../../../proto/src/recovery_plan.ts';

export type { AppFingerprint, NodeFingerprint, ReplicaFingerprint };

/**
 * Fingerprint every report. The result depends on the *set* of reports and the *sets* inside them:
 * nodes sort by address (compareNodes), apps by id, replicas by gpid, and entries that tie on the
 * key (a malformed node reporting one id twice) by their full canonical text.
 */
export function fingerprintReports(reports: readonly NodeReport[]): NodeFingerprint[] {
  return reports.map(_fingerprintNode).sort((a, b) => compareNodes(a.node, b.node) || _compareText(canonicalJson(a), canonicalJson(b)));
}

/**
 * The plan id: the first 16 hex digits of the SHA-256 of the canonical JSON of the options and the
 * fingerprints. Pass only the options that change the result (skip flags), not the clock: the same
 * cluster state planned twice must give the same id. 64 bits are plenty to tell states apart; this
 * is not a defence against someone forging a state.
 */
export function planId(options: object, fingerprints: readonly NodeFingerprint[]): string {
  // Fingerprints are canonical by construction (fixed key order, sorted lists, sorted env keys), so
  // plain JSON.stringify is canonical text for them, and 5-10x faster than canonicalJson on a large
  // cluster (bench/recovery_bench.ts); the caller's options object gets the general treatment.
  const hash = createHash('sha256');
  hash.update(canonicalJson(options), 'utf8');
  hash.update('\n', 'utf8');
  for (const f of fingerprints) hash.update(JSON.stringify(f), 'utf8').update('\n', 'utf8');
  return hash.digest('hex').slice(0, 16);
}

/** The same entries with keys inserted in sorted order, so JSON.stringify lists them the same way every time. */
function _sortedRecord(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key];
  return out;
}

function _fingerprintNode(report: NodeReport): NodeFingerprint {
  if (report.err !== 'ERR_OK') return { node: report.node, answered: false, err: report.err, apps: [], replicas: [] };
  const apps: AppFingerprint[] = (report.apps ?? []).map((a) => ({
    app_id: a.app_id,
    app_name: a.app_name,
    status: a.status,
    partition_count: a.partition_count,
    drop_second: a.drop_second,
    expire_second: a.expire_second,
    app_type: a.app_type,
    is_stateful: a.is_stateful,
    max_replica_count: a.max_replica_count,
    create_second: a.create_second,
    envs: _sortedRecord(a.envs),
  }));
  // Sort by the numeric pid taken from the reply (not by re-parsing gpid text in the comparator: a
  // large cluster has ~10^4 replicas per plan, and this sort was the plan's biggest cost).
  const keyed = (report.replicas ?? []).map((r) => ({ app: r.pid.app_id, pidx: r.pid.partition_index, fp: _fingerprintReplica(r) }));
  keyed.sort((a, b) => _compareNumbers(a.app, b.app) || _compareNumbers(a.pidx, b.pidx) || _compareText(canonicalJson(a.fp), canonicalJson(b.fp)));
  return {
    node: report.node,
    answered: true,
    apps: _sortBy(apps, (a, b) => _compareNumbers(a.app_id, b.app_id)),
    replicas: keyed.map((k) => k.fp),
  };
}

function _fingerprintReplica(r: ReplicaInfo): ReplicaFingerprint {
  const fp: ReplicaFingerprint = {
    gpid: gpidToString(r.pid),
    ballot: r.ballot,
    last_committed_decree: r.last_committed_decree,
    last_prepared_decree: r.last_prepared_decree,
  };
  return fp;
}

/** Gpid text order: app id, then partition index, both numeric; malformed text last, as text. */
export function compareGpids(a: string, b: string): number {
  const [aApp, aIdx] = a.split('.').map(Number);
  const [bApp, bIdx] = b.split('.').map(Number);
  return _compareNumbers(aApp, bApp) || _compareNumbers(aIdx, bIdx) || _compareText(a, b);
}

/** Sort by `cmp`, then by canonical text, so equal keys cannot leave the input order visible. */
function _sortBy<T>(items: T[], cmp: (a: T, b: T) => number): T[] {
  return items.sort((a, b) => cmp(a, b) || _compareText(canonicalJson(a), canonicalJson(b)));
}

/** Numeric order that stays total for NaN (a malformed reply must not upset a sort). */
function _compareNumbers(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number(Number.isNaN(a)) - Number(Number.isNaN(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

function _compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
