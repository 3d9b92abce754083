// A canonical description of what the replica servers answered, and the plan id derived from it.
// A recovery plan is reviewed first and applied later; the apply step fingerprints the cluster
// again and refuses (or shows plan_diff.ts's changes) when the id differs, so nothing is written
// that the operator did not see. Pure: no I/O, no clock; inputs are not mutated.

import { createHash } from 'node:crypto';
import type { ErrorCode } from '../../../../proto/src/error_code.ts';
import type { AppInfo } from '../../../../proto/src/types.ts';
import { gpidToString } from '../../../../proto/src/types.ts';
import { compareNodes } from '../compare_replica_candidates.ts';
import { compatibleAppInfos } from '../construct_apps.ts';
import type { NodeReport } from '../node_report.ts';
import { REPLICA_COLUMN_ORDER, type ReplyColumns, replyColumns } from '../replica_columns.ts';
import { canonicalJson } from './canonical_json.ts';
import type { AppFingerprint, NodeFingerprint, ReplicaColumns, ReplicaFingerprint } from '../../../../proto/src/recovery_plan.ts';

export type { AppFingerprint, NodeFingerprint, ReplicaColumns, ReplicaFingerprint };

/**
 * Fingerprint every report. The result depends on the *set* of reports and the *sets* inside them:
 * nodes sort by address (compareNodes), apps by id, replicas by gpid, and entries that tie on the
 * key (a malformed node reporting one id twice) by their full canonical text.
 */
export function fingerprintReports(reports: readonly NodeReport[]): NodeFingerprint[] {
  const shared: SharedAppFingerprints = new Map();
  return sortFingerprints(reports.map((r) => fingerprintNode(r, shared)));
}

/**
 * App fingerprints already made while fingerprinting one cluster, by app id. Every node usually
 * reports every table, all alike: a node whose info equals the one made before gets that same
 * object (fingerprints are never mutated), so 10 nodes x 100 tables make 100 objects, not 1000,
 * and nodeDigest writes each one's text once.
 */
export type SharedAppFingerprints = Map<number, AppFingerprint>;

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

/** The five replica columns in the digest's order (the order of ReplyColumns' numbers too). */
const _COLUMNS = REPLICA_COLUMN_ORDER;

/** A Float64Array's bytes are the platform's; the layout below is little-endian. */
const _LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** Per reply's columns (replyColumns), its numbers in the digest's column order, made in the same pass. */
const _replyNumbers = new WeakMap<ReplicaColumns, Float64Array>();

/** Scratch space for the numbers of one digest (grown as needed; nodeDigest is synchronous). */
let _numbers = new Float64Array(0);

/**
 * SHA-256 (hex) of one node's fingerprint, in this byte layout:
 *
 * | part    | bytes                                                                            |
 * |---------|----------------------------------------------------------------------------------|
 * | head    | JSON.stringify({node, answered, err, apps}), UTF-8, then "\n", where each app  |
 * |         | is the array of its values in AppFingerprint's key order (app_id, app_name,      |
 * |         | status, partition_count, drop_second, expire_second, app_type, is_stateful,      |
 * |         | max_replica_count, create_second, envs)                                          |
 * | numbers | the replica columns one after the other, app_id, partition_index, ballot,        |
 * |         | last_committed_decree, last_prepared_decree, each value a float64 little-endian  |
 *
 * Fingerprints are canonical by construction (fixed key order, sorted lists, sorted env keys), so
 * plain JSON.stringify is canonical text for the head (an app's values as an array: half the cost
 * of the objects' text on the benchmark cluster). The replicas go in as number bytes, not
 * text: on the benchmark cluster (9600 replicas) JSON text made the id the plan's largest cost
 * (bench/recovery_bench.ts). Every column has one entry per replica, so the byte length fixes
 * where each column starts.
 */
export function nodeDigest(f: NodeFingerprint): string {
  const known = _digests.get(f);
  if (known !== undefined) return known;
  const hash = createHash('sha256');
  hash.update(digestHead(f), 'utf8').update('\n', 'utf8');
  // The reply's own numbers when these columns are the reply's (replyColumns made both in one
  // pass), else a copy of the columns.
  const numbers = _replyNumbers.get(f.replicas) ?? _numbersOf(f.replicas);
  const bytes = _littleEndianBytes(numbers);
  hash.update(bytes);
  const digest = hash.digest('hex');
  _digests.set(f, digest);
  return digest;
}

/** The columns one after the other as float64s, in scratch space (valid until the next call). */
function _numbersOf(columns: ReplicaColumns): Float64Array {
  const count = columns.app_id.length;
  if (_numbers.length < count * _COLUMNS.length) _numbers = new Float64Array(count * _COLUMNS.length);
  // Assigning to a Float64Array converts as Number() does (a malformed value hashes as NaN). A
  // loop, not TypedArray#set: the columns are made at their size, and set() is slow on such arrays.
  let at = 0;
  for (const column of _COLUMNS) {
    const values = columns[column];
    for (let i = 0; i < count; i++) _numbers[at++] = values[i];
  }
  return _numbers.subarray(0, count * _COLUMNS.length);
}

/** The numbers' bytes, little-endian (a copy on a big-endian machine; the input is never changed). */
function _littleEndianBytes(numbers: Float64Array): Uint8Array {
  const bytes = new Uint8Array(numbers.buffer, numbers.byteOffset, numbers.length * 8);
  if (_LITTLE_ENDIAN) return bytes;
  const out = new Uint8Array(bytes.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < numbers.length; i++) view.setFloat64(i * 8, numbers[i], true);
  return out;
}

/** Each app's text in the digest head, per (shared, immutable) app fingerprint. */
const _appTexts = new WeakMap<AppFingerprint, string>();

/**
 * The head of a node's digest: exactly JSON.stringify({node, answered, err, apps}) with each app as
 * the array of its values (nodeDigest's table), written from each app's text made once.
 */
export function digestHead(f: NodeFingerprint): string {
  // "apps" is the last key, so the text ends in `[]}`; the apps' texts go between the brackets.
  const empty = JSON.stringify({ node: f.node, answered: f.answered, err: f.err, apps: [] });
  return `${empty.slice(0, -2)}${_appsText(f.apps)}]}`;
}

/**
 * The apps' texts joined by commas. Nodes usually report the same tables, so their lists hold the
 * same shared app objects in the same order: the joined text of the last such list is kept (under
 * its first app) and reused when every element is the same object, one lookup per node instead of
 * one per app (10^3 on the benchmark cluster).
 */
function _appsText(apps: readonly AppFingerprint[]): string {
  if (apps.length === 0) return '';
  const last = _joinedTexts.get(apps[0]);
  if (last && _sameObjects(last.apps, apps)) return last.text;
  const texts = apps.map((a) => {
    let text = _appTexts.get(a);
    if (text === undefined) {
      text = JSON.stringify([a.app_id, a.app_name, a.status, a.partition_count, a.drop_second, a.expire_second, a.app_type, a.is_stateful, a.max_replica_count, a.create_second, a.envs]);
      _appTexts.set(a, text);
    }
    return text;
  });
  const text = texts.join(',');
  _joinedTexts.set(apps[0], { apps, text });
  return text;
}

function _sameObjects(a: readonly AppFingerprint[], b: readonly AppFingerprint[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The last joined apps text per first app object (weak: it goes with the fingerprints). */
const _joinedTexts = new WeakMap<AppFingerprint, { apps: readonly AppFingerprint[]; text: string }>();

/** The same entries with keys inserted in sorted order, so JSON.stringify lists them the same way every time. */
function _sortedRecord(record: Record<string, string>): Record<string, string> {
  // A malformed answer's envs (null, a number) are kept as they are: construct refuses that app
  // info, and fingerprinting, which runs first, must not throw on it.
  if (!_isRecord(record)) return record;
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key];
  return out;
}

function _isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * One node's fingerprint (see fingerprintReports). Pass the same `shared` map for every node of one
 * cluster (the handler makes one per attempt) so equal app infos share one fingerprint object.
 * `reply`: the node's replyColumns(report.replicas), when the caller has them already (the handler
 * shares them with the node's candidates); made here otherwise.
 */
export function fingerprintNode(report: NodeReport, shared: SharedAppFingerprints = new Map(), reply?: ReplyColumns): NodeFingerprint {
  if (report.err !== 'ERR_OK') return { node: report.node, answered: false, err: report.err, apps: [], replicas: emptyReplicaColumns() };
  const apps: AppFingerprint[] = (report.apps ?? []).map((a) => {
    const known = shared.get(a.app_id);
    if (known && _sameApp(known, a)) return known;
    const made: AppFingerprint = {
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
    };
    if (!known) shared.set(a.app_id, made);
    return made;
  });
  return {
    node: report.node,
    answered: true,
    apps: _sortBy(apps, (a, b) => _compareNumbers(a.app_id, b.app_id)),
    replicas: _replicaColumns(reply ?? replyColumns(report.replicas ?? [])),
  };
}

/**
 * Would fingerprinting `a` give exactly `known`? An app fingerprint holds the fields recovery
 * compares (compatibleAppInfos) and the envs, so: compatible, and the same envs.
 */
function _sameApp(known: AppFingerprint, a: AppInfo): boolean {
  if (!compatibleAppInfos(known, a)) return false;
  if (!_isRecord(known.envs) || !_isRecord(a.envs)) return false;
  // Counted with for-in, not Object.keys: this runs for every app of every node (10^3 on the
  // benchmark cluster), and most tables have no envs at all.
  let count = 0;
  for (const k in a.envs) {
    if (!Object.hasOwn(a.envs, k)) continue;
    if (!Object.hasOwn(known.envs, k) || a.envs[k] !== known.envs[k]) return false;
    count++;
  }
  let knownCount = 0;
  for (const k in known.envs) if (Object.hasOwn(known.envs, k)) knownCount++;
  return count === knownCount;
}

export function emptyReplicaColumns(): ReplicaColumns {
  return { app_id: [], partition_index: [], ballot: [], last_committed_decree: [], last_prepared_decree: [] };
}

/** Row `i` of a node's replica columns, as plan changes name a replica. */
export function replicaRow(columns: ReplicaColumns, i: number): ReplicaFingerprint {
  return {
    gpid: gpidToString({ app_id: columns.app_id[i], partition_index: columns.partition_index[i] }),
    ballot: columns.ballot[i],
    last_committed_decree: columns.last_committed_decree[i],
    last_prepared_decree: columns.last_prepared_decree[i],
  };
}

/**
 * The replicas' columns in numeric pid order (app id, then partition index), ties by the text of
 * their row. Replica servers list their replicas in that order already (`ascending`): then the
 * node's reply columns are the fingerprint's, shared; otherwise the rows are sorted into new ones.
 */
function _replicaColumns(reply: ReplyColumns): ReplicaColumns {
  if (reply.ascending) {
    _replyNumbers.set(reply.columns, reply.numbers);
    return reply.columns;
  }
  const { columns } = reply;
  const rows = columns.app_id.map((_, i) => ({ i, text: canonicalJson(replicaRow(columns, i)) }));
  rows.sort((a, b) => _compareNumbers(columns.app_id[a.i], columns.app_id[b.i]) || _compareNumbers(columns.partition_index[a.i], columns.partition_index[b.i]) || _compareText(a.text, b.text));
  const sorted = emptyReplicaColumns();
  for (const key of _COLUMNS) sorted[key] = rows.map((row) => columns[key][row.i]);
  return sorted;
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
