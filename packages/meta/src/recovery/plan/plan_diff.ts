// What changed in the cluster between a reviewed plan and now. The apply step fingerprints the
// cluster again (fingerprint.ts); when the plan id differs, these are the lines the operator reads
// before deciding to re-plan. Pure.

import type { ErrorCode } from '../../../../proto/src/error_code.ts';
import type { NodeAddress } from '../../../../proto/src/types.ts';
import { compareNodes } from '../compare_replica_candidates.ts';
import { REPLICA_COLUMN_ORDER } from '../replica_columns.ts';
import { canonicalJson } from './canonical_json.ts';
import { type AppFingerprint, type NodeFingerprint, type ReplicaFingerprint, compareGpids, replicaRow } from './fingerprint.ts';

/** One difference, JSON-able, one line each (formatPlanChange). */
export type PlanChange =
  | { kind: 'node_added'; node: NodeAddress; answered: boolean }
  | { kind: 'node_removed'; node: NodeAddress }
  /** A node that failed at plan time answers now; its apps and replicas are new to the plan. */
  | { kind: 'node_answered'; node: NodeAddress; was_err: ErrorCode | null; apps: number; replicas: number }
  /** A node that answered at plan time fails now; its apps and replicas drop out. */
  | { kind: 'node_stopped_answering'; node: NodeAddress; err: ErrorCode | null; apps: number; replicas: number }
  | { kind: 'node_error_changed'; node: NodeAddress; old_err: ErrorCode | null; new_err: ErrorCode | null }
  | { kind: 'app_appeared'; node: NodeAddress; app: AppFingerprint }
  | { kind: 'app_disappeared'; node: NodeAddress; app: AppFingerprint }
  | { kind: 'app_changed'; node: NodeAddress; app_id: number; fields: { field: string; old: unknown; new: unknown }[] }
  | { kind: 'replica_appeared'; node: NodeAddress; replica: ReplicaFingerprint }
  | { kind: 'replica_disappeared'; node: NodeAddress; replica: ReplicaFingerprint }
  | { kind: 'replica_changed'; node: NodeAddress; gpid: string; old: ReplicaFingerprint; new: ReplicaFingerprint }
  /** The plan was saved with replicas as rows (before 2026-12-02): the same state gives another id. */
  | { kind: 'older_plan_format' }
  /** The states differ in a way none of the above shows (malformed input only, e.g. a node listed twice). */
  | { kind: 'other' };

/**
 * Every difference between two fingerprint lists, node by node (address order), then node-level
 * changes, apps (id order), replicas (gpid order). Empty exactly when the two are identical. A node
 * that starts or stops answering is one change, not one per replica it carries. `planned` comes
 * from a plan file the operator may have edited, or saved with an older version (replicas as rows,
 * not columns): whatever its shape, the answer is a list of changes, never an exception.
 */
export function diffFingerprints(planned: readonly unknown[], current: readonly NodeFingerprint[]): PlanChange[] {
  const before = new Map(planned.map(_asNode).filter((f) => f !== undefined).map((f) => [f.node, f]));
  const after = new Map(current.map((f) => [f.node, _asNode(f)!]));
  const nodes = [...new Set([...before.keys(), ...after.keys()])].sort(compareNodes);
  const changes = nodes.flatMap((node) => _diffNode(node, before.get(node), after.get(node)));
  if (changes.length > 0) return changes;
  const rows = planned.some((f) => typeof f === 'object' && f !== null && Array.isArray((f as { replicas?: unknown }).replicas));
  if (rows) return [{ kind: 'older_plan_format' }];
  if (_canonicalOrNull(planned) !== canonicalJson(current)) return [{ kind: 'other' }];
  return changes;
}

/** A node's answer with its replicas as rows, as the diff compares them. */
type _NodeRows = { node: NodeAddress; answered: boolean; err?: ErrorCode; apps: AppFingerprint[]; replicas: ReplicaFingerprint[] };

/** Read one fingerprint of either shape; undefined when it names no node. */
function _asNode(value: unknown): _NodeRows | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const f = value as Partial<Record<keyof NodeFingerprint, unknown>>;
  if (typeof f.node !== 'string') return undefined;
  const apps = Array.isArray(f.apps) ? f.apps.filter((a): a is AppFingerprint => typeof a === 'object' && a !== null) : [];
  return { node: f.node, answered: f.answered === true, ...(typeof f.err === 'string' ? { err: f.err as ErrorCode } : {}), apps, replicas: _replicaRows(f.replicas) };
}

/** Columns (this version) or rows (plans saved before 2026-12-02) to rows; anything else: none. */
function _replicaRows(replicas: unknown): ReplicaFingerprint[] {
  if (Array.isArray(replicas)) return replicas.filter((r): r is ReplicaFingerprint => typeof r === 'object' && r !== null && typeof r.gpid === 'string');
  if (typeof replicas !== 'object' || replicas === null) return [];
  const columns = replicas as NodeFingerprint['replicas'];
  // Every column a list of one length, or the file was edited into something else: no replicas read.
  const length = Array.isArray(columns.app_id) ? columns.app_id.length : -1;
  if (!REPLICA_COLUMN_ORDER.every((c) => Array.isArray(columns[c]) && columns[c].length === length)) return [];
  const rows: ReplicaFingerprint[] = [];
  for (let i = 0; i < columns.app_id.length; i++) rows.push(replicaRow(columns, i));
  return rows;
}

function _canonicalOrNull(value: unknown): string | null {
  try {
    return canonicalJson(value);
  } catch {
    return null;
  }
}

function _diffNode(node: NodeAddress, old: _NodeRows | undefined, now: _NodeRows | undefined): PlanChange[] {
  if (!old) return [{ kind: 'node_added', node, answered: now!.answered }];
  if (!now) return [{ kind: 'node_removed', node }];
  if (!old.answered && now.answered) return [{ kind: 'node_answered', node, was_err: old.err ?? null, apps: now.apps.length, replicas: now.replicas.length }];
  if (old.answered && !now.answered) return [{ kind: 'node_stopped_answering', node, err: now.err ?? null, apps: old.apps.length, replicas: old.replicas.length }];
  if (!old.answered) {
    return old.err === now.err ? [] : [{ kind: 'node_error_changed', node, old_err: old.err ?? null, new_err: now.err ?? null }];
  }
  const apps = _diffKeyed(old.apps, now.apps, (a) => String(a.app_id), (a, b) => a.app_id - b.app_id);
  const replicas = _diffKeyed(old.replicas, now.replicas, (r) => r.gpid, (a, b) => compareGpids(a.gpid, b.gpid));
  return [
    ...apps.flatMap((d): PlanChange[] => {
      if (d.kind === 'changed') return [{ kind: 'app_changed', node, app_id: d.old.app_id, fields: _changedFields(d.old, d.new) }];
      return [{ kind: d.kind === 'appeared' ? 'app_appeared' : 'app_disappeared', node, app: d.item }];
    }),
    ...replicas.flatMap((d): PlanChange[] => {
      if (d.kind === 'changed') return [{ kind: 'replica_changed', node, gpid: d.old.gpid, old: d.old, new: d.new }];
      return [{ kind: d.kind === 'appeared' ? 'replica_appeared' : 'replica_disappeared', node, replica: d.item }];
    }),
  ];
}

type _Delta<T> = { kind: 'changed'; old: T; new: T } | { kind: 'appeared' | 'disappeared'; item: T };

/**
 * Match items by key. One on each side: changed (or not). Otherwise (a key present on one side
 * only, or a malformed node listing one key twice) compare as multisets of canonical texts, so
 * every item without an identical partner shows up as appeared or disappeared.
 */
function _diffKeyed<T>(old: readonly T[], now: readonly T[], key: (t: T) => string, order: (a: T, b: T) => number): _Delta<T>[] {
  const deltas: { at: T; delta: _Delta<T> }[] = [];
  for (const k of new Set([...old.map(key), ...now.map(key)])) {
    const olds = old.filter((t) => key(t) === k);
    const nows = now.filter((t) => key(t) === k);
    if (olds.length === 1 && nows.length === 1) {
      if (canonicalJson(olds[0]) !== canonicalJson(nows[0])) deltas.push({ at: olds[0], delta: { kind: 'changed', old: olds[0], new: nows[0] } });
      continue;
    }
    const unmatched = nows.map((t) => canonicalJson(t));
    for (const t of olds) {
      const i = unmatched.indexOf(canonicalJson(t));
      if (i >= 0) unmatched[i] = ''; // matched; canonical text is never empty
      else deltas.push({ at: t, delta: { kind: 'disappeared', item: t } });
    }
    for (let i = 0; i < nows.length; i++) {
      if (unmatched[i] !== '') deltas.push({ at: nows[i], delta: { kind: 'appeared', item: nows[i] } });
    }
  }
  return deltas.sort((a, b) => order(a.at, b.at)).map((d) => d.delta);
}

function _changedFields(old: AppFingerprint, now: AppFingerprint): { field: string; old: unknown; new: unknown }[] {
  const o = old as Record<string, unknown>;
  const n = now as Record<string, unknown>;
  return [...new Set([...Object.keys(o), ...Object.keys(n)])]
    .sort()
    .filter((f) => canonicalJson(o[f] ?? null) !== canonicalJson(n[f] ?? null))
    .map((f) => ({ field: f, old: o[f] ?? null, new: n[f] ?? null }));
}

/** One line per change, `node gpid: what` or `node app id: what`, for the shell and logs. */
export function formatPlanChange(change: PlanChange): string {
  switch (change.kind) {
    case 'node_added':
      return `${change.node}: new in the node list (${change.answered ? 'answers' : 'does not answer'})`;
    case 'node_removed':
      return `${change.node}: no longer in the node list`;
    case 'node_answered':
      return `${change.node}: answers now (was ${change.was_err ?? 'no report'}): ${_count(change.apps, 'app')}, ${_count(change.replicas, 'replica')}`;
    case 'node_stopped_answering':
      return `${change.node}: no longer answers (${change.err ?? 'no report'}); its ${_count(change.apps, 'app')} and ${_count(change.replicas, 'replica')} drop out`;
    case 'node_error_changed':
      return `${change.node}: still does not answer, error ${change.old_err ?? 'no report'} -> ${change.new_err ?? 'no report'}`;
    case 'app_appeared':
      return `${change.node} app ${change.app.app_id}: appeared (${change.app.app_name}, ${change.app.status}, ${change.app.partition_count} partitions)`;
    case 'app_disappeared':
      return `${change.node} app ${change.app.app_id}: disappeared (${change.app.app_name}, ${change.app.status}, ${change.app.partition_count} partitions)`;
    case 'app_changed':
      return `${change.node} app ${change.app_id}: ${change.fields.map((f) => `${f.field} ${_value(f.old)} -> ${_value(f.new)}`).join(', ')}`;
    case 'replica_appeared':
      return `${change.node} ${change.replica.gpid}: replica appeared with ballot/last_committed/last_prepared ${_triple(change.replica)}`;
    case 'replica_disappeared':
      return `${change.node} ${change.replica.gpid}: replica disappeared (was ballot/last_committed/last_prepared ${_triple(change.replica)})`;
    case 'replica_changed':
      return `${change.node} ${change.gpid}: ${_replicaChange(change.old, change.new)}`;
    case 'older_plan_format':
      return 'the plan file was saved by an older version (replicas as rows), whose plan id is computed another way; nothing else changed: make a new plan';
    case 'other':
      return 'the cluster state differs from the plan in a way no other line shows (a node listed twice?); re-plan';
  }
}

function _replicaChange(old: ReplicaFingerprint, now: ReplicaFingerprint): string {
  const parts: string[] = [];
  if (_triple(old) !== _triple(now)) parts.push(`ballot/last_committed/last_prepared ${_triple(old)} -> ${_triple(now)}`);
  return parts.join(', ');
}

function _triple(r: ReplicaFingerprint): string {
  return `${r.ballot}/${r.last_committed_decree}/${r.last_prepared_decree}`;
}

function _value(v: unknown): string {
  return typeof v === 'string' ? v : canonicalJson(v);
}

/** "1 app", "3 replicas". */
function _count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
