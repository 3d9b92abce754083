// The files of a replica dir other than the LevelDB: its name, `.app-info` and `.init-info`
// (docs/PROTOCOL.md "Storage"; pegasus-spec §3.2-3.3). Both JSON files are written atomically:
// tmp file, fsync, rename, fsync of the dir (Pegasus load_dump_object.h), so a crash leaves the
// old or the new file, never a torn one.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { AppInfo, Gpid } from '../../proto/src/index.ts';

export const APP_INFO_FILE = '.app-info';
export const INIT_INFO_FILE = '.init-info';
export const RDB_SUBDIR = path.join('data', 'rdb');

/** Suffixes of dirs that are never loaded (replica_stub.cpp:692-703). */
export const IGNORED_DIR_SUFFIXES = ['.err', '.gar', '.tmp', '.ori', '.bak'];

export type InitInfo = { init_ballot: number; init_durable_decree: number };

/** `<app_id>.<partition_index>.<app_type>`, e.g. `2.0.pegasus` (fs_manager.cpp:137-140). */
export function replicaDirName(pid: Gpid, appType: string): string {
  return `${pid.app_id}.${pid.partition_index}.${appType}`;
}

export function parseReplicaDirName(name: string): { pid: Gpid; appType: string } | undefined {
  const m = /^(\d+)\.(\d+)\.(.+)$/.exec(name);
  if (!m) return undefined;
  return { pid: { app_id: Number(m[1]), partition_index: Number(m[2]) }, appType: m[3] };
}

export function isIgnoredDirName(name: string): boolean {
  return IGNORED_DIR_SUFFIXES.some((s) => name.endsWith(s));
}

/**
 * What a replica stores of its app: Pegasus never stores a dropped status or drop times in a
 * replica (pegasus-spec §3.3), so recovery finds the app available.
 */
export function storedAppInfo(info: AppInfo): AppInfo {
  return { ...info, envs: { ...info.envs }, status: 'AS_AVAILABLE', expire_second: 0, drop_second: 0 };
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(JSON.stringify(value));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
  await _syncDir(path.dirname(file));
}

async function _syncDir(dir: string): Promise<void> {
  // Makes the rename itself durable. Some platforms cannot fsync a dir; the rename is then only as
  // durable as the OS makes it, which is still atomic.
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort, see above
  }
}

async function _readJson(file: string): Promise<unknown> {
  const text = await fs.readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON`);
  }
}

export async function readAppInfo(dir: string): Promise<AppInfo> {
  const file = path.join(dir, APP_INFO_FILE);
  const v = (await _readJson(file)) as Partial<AppInfo> | null;
  const ok =
    v !== null &&
    typeof v === 'object' &&
    typeof v.app_id === 'number' &&
    typeof v.app_name === 'string' &&
    typeof v.app_type === 'string' &&
    typeof v.partition_count === 'number' &&
    typeof v.max_replica_count === 'number';
  if (!ok) throw new Error(`${file} lacks app_id, app_name, app_type, partition_count or max_replica_count`);
  return {
    status: v.status ?? 'AS_AVAILABLE',
    app_type: v.app_type!,
    app_name: v.app_name!,
    app_id: v.app_id!,
    partition_count: v.partition_count!,
    envs: v.envs ?? {},
    is_stateful: v.is_stateful ?? true,
    max_replica_count: v.max_replica_count!,
    expire_second: v.expire_second ?? 0,
    create_second: v.create_second ?? 0,
    drop_second: v.drop_second ?? 0,
  };
}

export async function readInitInfo(dir: string): Promise<InitInfo> {
  const file = path.join(dir, INIT_INFO_FILE);
  const v = (await _readJson(file)) as Partial<InitInfo> | null;
  if (v === null || typeof v !== 'object' || !Number.isSafeInteger(v.init_ballot) || !Number.isSafeInteger(v.init_durable_decree)) {
    throw new Error(`${file} lacks integer init_ballot and init_durable_decree`);
  }
  return { init_ballot: v.init_ballot!, init_durable_decree: v.init_durable_decree! };
}

export function writeAppInfo(dir: string, info: AppInfo): Promise<void> {
  return writeJsonAtomic(path.join(dir, APP_INFO_FILE), storedAppInfo(info));
}

export function writeInitInfo(dir: string, info: InitInfo): Promise<void> {
  return writeJsonAtomic(path.join(dir, INIT_INFO_FILE), info);
}

/** Pegasus `move_to_err_path`: keep a dir that failed to load, out of the way, never deleted. */
export async function moveToErrPath(dir: string, nowUs: bigint): Promise<string> {
  const target = `${dir}.${nowUs}.err`;
  await fs.rename(dir, target);
  return target;
}
