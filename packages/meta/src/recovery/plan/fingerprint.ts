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
  return sortFingerprints(reports.map(fingerprintNode));
}

/**
 * Node fingerprints in plan order: by address, ties (a node listed twice) by their full text.
 * With fingerprintNode this is fingerprintReports in two steps, so a caller can fingerprint each
 * node as its answer arrives (recovery_handler.ts does, while the other nodes are still answering).
 */
export function sortFingerprints(fingerprints: readonly NodeFingerprint[]): NodeFingerprint[] {
  return [...fingerprints].sort((a, b) => compareNodes(a.node, b.node) || _compareText(canonicalJson(a), canonicalJson(b)));
}

/**
 * The plan id: the first 16 hex digits of SHA-256( canonicalJson(options) "\n", then for each
 * fingerprint in order nodeDigest(fingerprint) "\n" ). A node's digest depends on that node's
 * answer alone, so it can be computed as the answer arrives, and a port can compute the same id
 * from a saved plan file. Pass only the options that change the result (skip flags), not the
 * clock: the same cluster state planned twice must give the same id. 64 bits are plenty to tell
 * states apart; this is not a defence against someone forging a state.
 */
export function planId(options: object, fingerprints: readonly NodeFingerprint[]): string {
  const hash = createHash('sha256');
  hash.update(canonicalJson(options), 'utf8');
  hash.update('\n', 'utf8');
  for (const f of fingerprints) hash.update(nodeDigest(f), 'utf8').update('\n', 'utf8');
  return hash.digest('hex').slice(0, 16);
}

/** Digests already computed, per fingerprint object (fingerprints are never mutated once made). */
const _digests = new WeakMap<NodeFingerprint, string>();

/**
 * SHA-256 (hex) of one node's fingerprint, in this byte layout:
 *
 * | part    | bytes                                                                            |
 * |---------|----------------------------------------------------------------------------------|
 * | head    | JSON.stringify({node, answered, err, apps}), UTF-8, then "\n"                    |
 * | gpids   | the replicas' gpid texts joined with ",", UTF-8, then "\n"                       |
 * | numbers | 3 float64 little-endian per replica, in the same order: ballot,                  |
 * |         | last_committed_decree, last_prepared_decree                                      |
 *
 * Fingerprints are canonical by construction (fixed key order, sorted lists, sorted env keys), so
 * plain JSON.stringify is canonical text for the head. The replicas' numbers go in as bytes, not
 * text: on the benchmark cluster (9600 replicas) JSON text made the id the plan's largest cost
 * (bench/recovery_bench.ts).
 */
export function nodeDigest(f: NodeFingerprint): string {
  const known = _digests.get(f);
  if (known !== undefined) return known;
  const hash = createHash('sha256');
  const head: Omit<NodeFingerprint, 'replicas'> = { node: f.node, answered: f.answered, err: f.err, apps: f.apps };
  hash.update(JSON.stringify(head), 'utf8').update('\n', 'utf8');
  const replicas = f.replicas;
  const gpids = new Array<string>(replicas.length);
  const numbers = new DataView(new ArrayBuffer(replicas.length * 24));
  for (let i = 0; i < replicas.length; i++) {
    const r = replicas[i];
    gpids[i] = String(r.gpid);
    numbers.setFloat64(i * 24, Number(r.ballot), true);
    numbers.setFloat64(i * 24 + 8, Number(r.last_committed_decree), true);
    numbers.setFloat64(i * 24 + 16, Number(r.last_prepared_decree), true);
  }
  hash.update(gpids.join(','), 'utf8').update('\n', 'utf8');
  hash.update(new Uint8Array(numbers.buffer));
  const digest = hash.digest('hex');
  _digests.set(f, digest);
  return digest;
}

/** The same entries with keys inserted in sorted order, so JSON.stringify lists them the same way every time. */
function _sortedRecord(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key];
  return out;
}

/** One node's fingerprint (see fingerprintReports). */
export function fingerprintNode(report: NodeReport): NodeFingerprint {
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
  return {
    node: report.node,
    answered: true,
    apps: _sortBy(apps, (a, b) => _compareNumbers(a.app_id, b.app_id)),
    replicas: _sortedReplicaFingerprints(report.replicas ?? []),
  };
}

/**
 * The replicas' fingerprints by numeric pid (app id, then partition index), ties by their text.
 * Replica servers usually list their replicas in that order already, so check first and sort only
 * when needed: a large cluster has ~10^4 replicas per plan (bench/recovery_bench.ts), and every
 * object made here lives as long as the plan.
 */
function _sortedReplicaFingerprints(replicas: readonly ReplicaInfo[]): ReplicaFingerprint[] {
  let inOrder = true;
  for (let i = 1; i < replicas.length && inOrder; i++) inOrder = _comparePids(replicas[i - 1], replicas[i]) < 0;
  if (inOrder) return replicas.map(_fingerprintReplica);
  const keyed = replicas.map((r) => ({ r, fp: _fingerprintReplica(r) }));
  keyed.sort((a, b) => _comparePids(a.r, b.r) || _compareText(canonicalJson(a.fp), canonicalJson(b.fp)));
  return keyed.map((k) => k.fp);
}

/** Numeric pid order, from the reply's numbers (not by re-parsing gpid text). */
function _comparePids(a: ReplicaInfo, b: ReplicaInfo): number {
  return _compareNumbers(a.pid.app_id, b.pid.app_id) || _compareNumbers(a.pid.partition_index, b.pid.partition_index);
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
