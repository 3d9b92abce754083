// The layout of tables in remote storage, Pegasus's (pegasus-spec §4):
//   <cluster_root>/apps                  data "lock" while a multi-node write is under way, then "unlock"
//   <cluster_root>/apps/<app_id>         JSON app_info
//   <cluster_root>/apps/<app_id>/<pidx>  JSON partition_configuration
// ZooKeeper (through the zookeeper addon) has no multi-op transaction, so "lock"/"unlock" is the
// commit marker: a tree found at "lock" was cut short and is removed, never half-trusted. Pegasus
// aborts on it ("invalid transaction state"); we clean up and carry on (docs/decisions.md).

import { type AppInfo, type AppStatus, emptyPartitionConfiguration, type PartitionConfiguration } from '../../../proto/src/index.ts';
import { joinPath, type MetaStateStore } from './state_store.ts';

const LOCK = 'lock';
const UNLOCK = 'unlock';
const text = new TextEncoder();
const untext = new TextDecoder();

export function appsRoot(clusterRoot: string): string {
  return joinPath(clusterRoot, 'apps');
}

// ---- JSON encoding, in Pegasus's field order and enum spelling (json_helper.h) ---------------------

export function encodeAppInfo(info: AppInfo): Uint8Array {
  return text.encode(JSON.stringify({
    status: `app_status::${info.status}`,
    app_type: info.app_type,
    app_name: info.app_name,
    app_id: info.app_id,
    partition_count: info.partition_count,
    envs: info.envs,
    is_stateful: info.is_stateful ? 1 : 0,
    max_replica_count: info.max_replica_count,
    expire_second: info.expire_second,
    create_second: info.create_second,
    drop_second: info.drop_second,
  }));
}

export function decodeAppInfo(bytes: Uint8Array): AppInfo | undefined {
  try {
    const j = JSON.parse(untext.decode(bytes));
    const status = String(j.status ?? '').replace(/^app_status::/, '') as AppStatus;
    if (typeof j.app_id !== 'number' || typeof j.app_name !== 'string' || typeof j.partition_count !== 'number') return undefined;
    return {
      status,
      app_type: String(j.app_type ?? 'pegasus'),
      app_name: j.app_name,
      app_id: j.app_id,
      partition_count: j.partition_count,
      envs: j.envs ?? {},
      is_stateful: j.is_stateful === 1 || j.is_stateful === true,
      max_replica_count: Number(j.max_replica_count ?? 3),
      expire_second: Number(j.expire_second ?? 0),
      create_second: Number(j.create_second ?? 0),
      drop_second: Number(j.drop_second ?? 0),
    };
  } catch {
    return undefined;
  }
}

const NO_ADDRESS = 'invalid address';

export function encodePartition(pc: PartitionConfiguration): Uint8Array {
  return text.encode(JSON.stringify({
    pid: `${pc.pid.app_id}.${pc.pid.partition_index}`,
    ballot: pc.ballot,
    max_replica_count: pc.max_replica_count,
    primary: pc.primary || NO_ADDRESS,
    secondaries: pc.secondaries,
    last_drops: pc.last_drops,
    last_committed_decree: pc.last_committed_decree,
    partition_flags: pc.partition_flags,
  }));
}

export function decodePartition(bytes: Uint8Array): PartitionConfiguration | undefined {
  try {
    const j = JSON.parse(untext.decode(bytes));
    const m = /^(\d+)\.(\d+)$/.exec(String(j.pid));
    if (!m || typeof j.ballot !== 'number') return undefined;
    return {
      pid: { app_id: Number(m[1]), partition_index: Number(m[2]) },
      ballot: j.ballot,
      max_replica_count: Number(j.max_replica_count ?? 3),
      primary: j.primary === NO_ADDRESS ? '' : String(j.primary ?? ''),
      secondaries: Array.isArray(j.secondaries) ? j.secondaries.map(String) : [],
      last_drops: Array.isArray(j.last_drops) ? j.last_drops.map(String) : [],
      last_committed_decree: Number(j.last_committed_decree ?? 0),
      partition_flags: Number(j.partition_flags ?? 0),
    };
  } catch {
    return undefined;
  }
}

// ---- loading --------------------------------------------------------------------------------------

export type StoredTables = { apps: AppInfo[]; partitions: Map<number, PartitionConfiguration[]> };

export type LoadResult =
  | { kind: 'empty' }
  | { kind: 'loaded'; tables: StoredTables }
  /** "lock" found: a multi-node write was cut short; the partial tree has been removed. */
  | { kind: 'removed_partial_write'; removedApps: number }
  | { kind: 'corrupt'; path: string; detail: string };

export async function loadTables(store: MetaStateStore, clusterRoot: string): Promise<LoadResult> {
  const root = appsRoot(clusterRoot);
  const marker = await store.get(root);
  if (marker === undefined) return { kind: 'empty' };
  const children = (await store.getChildren(root)) ?? [];
  if (untext.decode(marker) === LOCK) {
    await store.deleteTree(root);
    // A recovery's record is written under the lock too (recovery_audit_storage.ts): it goes with the tree.
    await store.deleteTree(joinPath(clusterRoot, 'recovery_audit'));
    return { kind: 'removed_partial_write', removedApps: children.length };
  }
  const apps: AppInfo[] = [];
  const partitions = new Map<number, PartitionConfiguration[]>();
  for (const child of children) {
    const appPath = joinPath(root, child);
    const info = decodeAppInfo((await store.get(appPath)) ?? new Uint8Array());
    if (!info) return { kind: 'corrupt', path: appPath, detail: 'not a JSON app_info' };
    const pcs = await Promise.all(
      Array.from({ length: info.partition_count }, (_, i) => store.get(joinPath(appPath, String(i)))),
    );
    const decoded: PartitionConfiguration[] = [];
    for (let i = 0; i < pcs.length; i++) {
      // A table cut short while being created (create_app writes the app node as AS_CREATING first)
      // gets its missing partitions as new, empty ones: nothing was ever written to them.
      if (pcs[i] === undefined && info.status === 'AS_CREATING') {
        decoded.push(emptyPartitionConfiguration({ app_id: info.app_id, partition_index: i }, info.max_replica_count));
        continue;
      }
      const pc = pcs[i] && decodePartition(pcs[i]!);
      if (!pc) return { kind: 'corrupt', path: joinPath(appPath, String(i)), detail: 'missing or not a JSON partition_configuration' };
      decoded.push(pc);
    }
    apps.push(info);
    partitions.set(info.app_id, decoded);
  }
  if (apps.length === 0) return { kind: 'empty' };
  apps.sort((a, b) => a.app_id - b.app_id);
  return { kind: 'loaded', tables: { apps, partitions } };
}

// ---- writing ------------------------------------------------------------------------------------

export type WriteHooks = {
  /** Called after the "lock" marker is written and before the tree; fault-injection tests pause here. */
  afterLock?: () => Promise<void>;
  /** Called after the tree and before the "unlock" marker: what must exist exactly when the tables do. */
  beforeUnlock?: () => Promise<void>;
};

/**
 * Write a whole set of tables under `<root>/apps`, which must be absent or empty: "lock" first,
 * every app and partition node concurrently (ZooKeeper pipelines them, docs/stack.md §4b), then
 * "unlock". A crash in between leaves "lock", which loadTables removes on the next start.
 */
export async function writeTables(store: MetaStateStore, clusterRoot: string, tables: StoredTables, hooks: WriteHooks = {}): Promise<void> {
  const root = appsRoot(clusterRoot);
  await store.ensurePath(clusterRoot);
  if ((await store.create(root, text.encode(LOCK))) === 'exists') await store.set(root, text.encode(LOCK));
  await hooks.afterLock?.();
  await Promise.all(tables.apps.map((info) => store.create(joinPath(root, String(info.app_id)), encodeAppInfo(info))));
  const creates: Promise<unknown>[] = [];
  for (const info of tables.apps) {
    for (const pc of tables.partitions.get(info.app_id) ?? []) {
      creates.push(store.create(joinPath(root, String(info.app_id), String(pc.pid.partition_index)), encodePartition(pc)));
    }
  }
  await Promise.all(creates);
  await hooks.beforeUnlock?.();
  await store.set(root, text.encode(UNLOCK));
}

export async function writeApp(store: MetaStateStore, clusterRoot: string, info: AppInfo): Promise<void> {
  const path = joinPath(appsRoot(clusterRoot), String(info.app_id));
  if ((await store.create(path, encodeAppInfo(info))) === 'exists') await store.set(path, encodeAppInfo(info));
}

export async function writePartition(store: MetaStateStore, clusterRoot: string, pc: PartitionConfiguration): Promise<void> {
  const path = joinPath(appsRoot(clusterRoot), String(pc.pid.app_id), String(pc.pid.partition_index));
  if ((await store.set(path, encodePartition(pc))) === 'no_node') await store.create(path, encodePartition(pc));
}
