// Phase B of metadata recovery: turn the app infos the nodes reported into the table list.
// Pure: no I/O, no clock (the caller passes `nowSeconds`), no logging; inputs are not mutated.
//
// Pegasus: `server_state::construct_apps` (src/meta/server_state.cpp:2444-2534), pegasus-spec §2.4.
// Seed: "Recovery of soft-deleted tables" (the highest id keeps the name, others become
// `{name}-{id}`). Where we differ from Pegasus, see docs/decisions.md and the comments below.

import type { AppInfo, NodeAddress } from '../../../proto/src/types.ts';
import { compareNodes } from './compare_replica_candidates.ts';

/** The app part of one good node's report. */
export type AppsReport = { node: NodeAddress; apps: readonly AppInfo[] };

export type ConstructAppsResult =
  | {
      ok: true;
      /** Every id from 1 to the highest reported id, ascending, with final statuses and names. */
      apps: AppInfo[];
      /** Ids some node reported (the others are placeholders). */
      reportedAppIds: Set<number>;
      /** Rename warnings, highest id first (the order Pegasus decides them in). */
      hintLines: string[];
    }
  | { ok: false; outcome: 'invalid_app_info' | 'conflicting_app_info'; hintLines: string[] };

/**
 * Build the table list from the nodes' app infos. Fails (nothing built) when a node reports an
 * app info we cannot use, or when two nodes disagree on a compared field of one app id.
 */
export function constructApps(reports: readonly AppsReport[], nowSeconds: number): ConstructAppsResult {
  // Node order decides which of two compatible infos is kept; sort so reply order cannot.
  const sorted = [...reports].sort((a, b) => compareNodes(a.node, b.node));
  const invalid = sorted.flatMap((r) => r.apps.flatMap((info) => _invalidAppInfoLine(r.node, info)));
  if (invalid.length > 0) return { ok: false, outcome: 'invalid_app_info', hintLines: invalid };
  const merged = _mergeAppInfos(sorted);
  if (merged.conflicts.length > 0) return { ok: false, outcome: 'conflicting_app_info', hintLines: merged.conflicts };
  const apps = _fillIds(merged.byId, nowSeconds);
  const hintLines = _resolveNameConflicts(apps);
  return { ok: true, apps, reportedAppIds: new Set(merged.byId.keys()), hintLines };
}

/** The fields Pegasus compares (`app_info` "compatible-equal", server_state.cpp:2417-2440). */
export const COMPARED_APP_FIELDS = [
  'status',
  'app_type',
  'app_name',
  'app_id',
  'partition_count',
  'is_stateful',
  'max_replica_count',
  'expire_second',
  'create_second',
  'drop_second',
] as const satisfies readonly (keyof AppInfo)[];

/** Prefix of a placeholder's name; a port can grep Pegasus for `__drop_holder__`. */
export const DROP_HOLDER_PREFIX = '__drop_holder__';

/**
 * The most partitions one app may have. Recovery builds every partition of every app it finds, so
 * a corrupt `.app-info` with a huge partition_count would otherwise stall the meta or exhaust its
 * memory; real tables have at most a few thousand (Pegasus doubles a count per partition split).
 */
export const MAX_PARTITION_COUNT = 1 << 20;

/**
 * Pegasus CHECKs `app_id > 0` and, later, `max_replica_count > 0`, and aborts. Replies come from
 * the network, so we answer with an error that names the node instead. A partition_count below 1
 * would build a table with no partitions, which nothing downstream expects.
 */
function _invalidAppInfoLine(node: NodeAddress, info: AppInfo): string[] {
  const problems: string[] = [];
  if (!_isPositiveInteger(info.app_id)) problems.push('app_id must be a positive integer');
  if (!_isPositiveInteger(info.partition_count)) problems.push(`partition_count(${info.partition_count}) must be a positive integer`);
  else if (info.partition_count > MAX_PARTITION_COUNT) problems.push(`partition_count(${info.partition_count}) is above ${MAX_PARTITION_COUNT}`);
  if (!_isPositiveInteger(info.max_replica_count)) problems.push(`max_replica_count(${info.max_replica_count}) must be a positive integer`);
  if (!_isStringRecord(info.envs)) problems.push(`envs(${JSON.stringify(info.envs) ?? 'missing'}) must be a map of strings`);
  if (problems.length === 0) return [];
  return [
    `ERROR: node(${node}) reports an invalid info for app(${info.app_id}): ${problems.join(', ')}; ` +
      `check the .app-info files of that node's replicas, then retry`,
  ];
}

type _Reported = { info: AppInfo; node: NodeAddress };

/** An app info, or anything else carrying the compared fields (an app fingerprint). */
type _ComparedFields = Partial<AppInfo> & Pick<AppInfo, (typeof COMPARED_APP_FIELDS)[number]>;

/**
 * Every field of COMPARED_APP_FIELDS equal, written out: this runs once per app per node (~10^3
 * times on the benchmark cluster), and a lookup by a field name held in a variable is several
 * times slower than a named one. construct_apps_test checks it against the list.
 */
export function compatibleAppInfos(a: _ComparedFields, b: _ComparedFields): boolean {
  return (
    a.status === b.status &&
    a.app_type === b.app_type &&
    a.app_name === b.app_name &&
    a.app_id === b.app_id &&
    a.partition_count === b.partition_count &&
    a.is_stateful === b.is_stateful &&
    a.max_replica_count === b.max_replica_count &&
    a.expire_second === b.expire_second &&
    a.create_second === b.create_second &&
    a.drop_second === b.drop_second
  );
}

/**
 * First-seen wins among compatible infos, as in Pegasus; with `sorted` in node order that is the
 * info of the smallest node address, whatever the reply order. Infos that differ only in fields
 * Pegasus does not compare (here: `envs`) are compatible. Incompatible infos make Pegasus abort
 * ("conflict app info from ..."); we report every node that disagrees with the first one.
 */
function _mergeAppInfos(sorted: readonly AppsReport[]): { byId: Map<number, _Reported>; conflicts: string[] } {
  const byId = new Map<number, _Reported>();
  const conflicts: string[] = [];
  for (const report of sorted) {
    for (const info of report.apps) {
      const first = byId.get(info.app_id);
      if (!first) {
        byId.set(info.app_id, { info, node: report.node });
        continue;
      }
      // Every node usually reports every app, all alike: check before building any list.
      if (compatibleAppInfos(first.info, info)) continue;
      const differing = COMPARED_APP_FIELDS.filter((f) => first.info[f] !== info[f]);
      const diffs = differing.map((f) => `${f}(${JSON.stringify(first.info[f])} vs ${JSON.stringify(info[f])})`);
      conflicts.push(
        `ERROR: node(${first.node}) and node(${report.node}) report different infos for app(${info.app_id}): ` +
          `${diffs.join(', ')}; check the .app-info files of app(${info.app_id}) on both nodes, then retry`,
      );
    }
  }
  return { byId, conflicts };
}

/**
 * Every id from 1 to the highest reported id gets an app, so ids are never reused: a new table
 * gets `max id + 1` (Pegasus `next_app_id`, server_state.h:341-347). An id nobody reported (its
 * data is gone, e.g. a dropped table already collected as garbage) becomes a placeholder, exactly
 * Pegasus's: `__drop_holder__<id>`, type pegasus, 1 partition, 3 replicas, dropped and already
 * expired (`expire_second = now`), so it is never recallable and never shadows a name in use.
 *
 * Statuses: Pegasus sets AVAILABLE -> CREATING and anything else -> DROPPING while it works, and
 * writes CREATING as AVAILABLE and DROPPING as DROPPED (pegasus-spec §2.11, Phase D). We return the
 * written statuses directly. Replicas never learn about drops (pegasus-spec §7), so in practice a
 * soft-deleted table whose data is still on disk comes back AVAILABLE.
 */
function _fillIds(byId: ReadonlyMap<number, _Reported>, nowSeconds: number): AppInfo[] {
  const maxAppId = Math.max(0, ...byId.keys());
  const apps: AppInfo[] = [];
  for (let id = 1; id <= maxAppId; id++) {
    const reported = byId.get(id);
    if (!reported) {
      apps.push(_placeholder(id, nowSeconds));
      continue;
    }
    const status = reported.info.status === 'AS_AVAILABLE' ? 'AS_AVAILABLE' : 'AS_DROPPED';
    apps.push({ ...reported.info, envs: { ...reported.info.envs }, status });
  }
  return apps;
}

function _placeholder(id: number, nowSeconds: number): AppInfo {
  return {
    status: 'AS_DROPPED',
    app_type: 'pegasus',
    app_name: `${DROP_HOLDER_PREFIX}${id}`,
    app_id: id,
    partition_count: 1,
    envs: {},
    is_stateful: true,
    max_replica_count: 3,
    expire_second: nowSeconds,
    create_second: 0,
    drop_second: 0,
  };
}

/**
 * Names must be unique. Go from the highest id down, so the newest table (highest id) keeps the
 * name: after a soft delete and a re-create, that is the table clients were using. While a name is
 * taken, append `-{id}`, possibly several times: ids 2 "test-4", 4 "test", 6 "test" give 6 "test",
 * 4 "test-4", and 2 "test-4" then "test-4-2" because 4 took "test-4" first.
 * Pegasus appends `__{id}` (server_state.cpp:2516); the seed and docs/decisions.md say `-{id}`.
 * Dropped apps and placeholders take part too, as in Pegasus. Mutates `apps` (our own copies).
 */
function _resolveNameConflicts(apps: AppInfo[]): string[] {
  const taken = new Set<string>();
  const lines: string[] = [];
  for (let i = apps.length - 1; i >= 0; i--) {
    const app = apps[i];
    const old = app.app_name;
    while (taken.has(app.app_name)) app.app_name += `-${app.app_id}`;
    if (app.app_name !== old) {
      lines.push(`WARNING: app(${app.app_id})'s old name(${old}) is conflict with others, rename it to (${app.app_name})`);
    }
    taken.add(app.app_name);
  }
  return lines;
}

function _isStringRecord(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const v of Object.values(value)) if (typeof v !== 'string') return false;
  return true;
}

function _isPositiveInteger(n: number): boolean {
  return Number.isInteger(n) && n > 0;
}
