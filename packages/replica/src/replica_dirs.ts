// Loading every replica dir at start, and creating a new one (pegasus-spec §3.2-3.4).
// A loaded replica is PS_INACTIVE with its stored ballot and decrees until the meta's config says
// otherwise. A dir that fails to load is renamed `<dir>.<now_us>.err` with a log line, never
// deleted; a LevelDB locked by another process stops the server instead (renaming a live replica
// of another server would be a disaster).

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { AppInfo, Gpid } from '../../proto/src/index.ts';
import { Replica, type ReplicaContext } from './replica.ts';
import {
  RDB_SUBDIR,
  isIgnoredDirName,
  moveToErrPath,
  parseReplicaDirName,
  readAppInfo,
  readInitInfo,
  replicaDirName,
  storedAppInfo,
  writeAppInfo,
  writeInitInfo,
} from './replica_files.ts';
import { ReplicaStorage } from './replica_storage.ts';

export type DirOptions = { dataDir: string; sync: boolean; nowUs: () => bigint };

/** Thrown when a replica's LevelDB is held by another process: the server must not start. */
export class DataDirLockedError extends Error {}

export function repsDir(dataDir: string): string {
  return path.join(dataDir, 'reps');
}

export async function loadReplicas(ctx: ReplicaContext, options: DirOptions): Promise<Replica[]> {
  const root = repsDir(options.dataDir);
  await fs.mkdir(root, { recursive: true });
  const names = (await fs.readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  const out: Replica[] = [];
  for (const name of names.sort()) {
    if (isIgnoredDirName(name)) continue;
    const dir = path.join(root, name);
    try {
      const r = await _loadReplica(dir, name, ctx, options);
      if (r) out.push(r);
    } catch (e) {
      if (e instanceof DataDirLockedError) throw e;
      const target = await moveToErrPath(dir, options.nowUs());
      ctx.log(`cannot load replica dir ${dir}: ${e instanceof Error ? e.message : String(e)}; moved it to ${target}`);
    }
  }
  return out;
}

async function _loadReplica(dir: string, name: string, ctx: ReplicaContext, options: DirOptions): Promise<Replica | undefined> {
  const parsed = parseReplicaDirName(name);
  if (!parsed) throw new Error(`the name is not <app_id>.<partition_index>.<app_type>`);
  const info = await readAppInfo(dir);
  if (info.app_type !== parsed.appType || info.app_id !== parsed.pid.app_id) {
    throw new Error(`.app-info says app ${info.app_id} of type ${info.app_type}, the dir name says otherwise`);
  }
  if (parsed.pid.partition_index >= info.partition_count) {
    // Pegasus treats this as partition-split garbage and ignores it (replica_stub.cpp:2283-2330).
    ctx.log(`ignoring replica dir ${dir}: partition ${parsed.pid.partition_index} >= partition_count ${info.partition_count}`);
    return undefined;
  }
  const init = await readInitInfo(dir);
  const storage = await _openStorage(path.join(dir, RDB_SUBDIR), options.sync);
  try {
    return await _restoreReplica(dir, parsed.pid, info, init, storage, ctx);
  } catch (e) {
    await storage.close();
    throw e;
  }
}

async function _openStorage(location: string, sync: boolean): Promise<ReplicaStorage> {
  try {
    return await ReplicaStorage.open(location, { sync, createIfMissing: false });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    if ((e as { code?: string }).code === 'LEVEL_LOCKED' || cause?.code === 'LEVEL_LOCKED') {
      throw new DataDirLockedError(`${location} is locked by another process (is another replica server using this data_dir?)`);
    }
    throw new Error(`cannot open LevelDB ${location}: ${cause instanceof Error ? cause.message : String(e)}`);
  }
}

async function _restoreReplica(
  dir: string,
  pid: Gpid,
  info: AppInfo,
  init: { init_ballot: number; init_durable_decree: number },
  storage: ReplicaStorage,
  ctx: ReplicaContext,
): Promise<Replica> {
  const markers = await storage.readMarkers();
  if (!markers.learning && markers.lastCommittedDecree < init.init_durable_decree) {
    // replication_app_base.cpp:172-197: the rows lost commits that .init-info says were durable.
    throw new Error(`last_committed_decree ${markers.lastCommittedDecree} < init_durable_decree ${init.init_durable_decree}`);
  }
  const lcd = markers.lastCommittedDecree;
  const tail = await storage.readLog(lcd + 1, Number.MAX_SAFE_INTEGER);
  // Pegasus replays the log and lets a logged mutation's higher ballot raise the replica's ballot:
  // recovery needs it to pick the right primary (replica_init.cpp:264-269).
  const ballot = tail.reduce((b, e) => Math.max(b, e.ballot), init.init_ballot);
  const firstLogged = await storage.firstLogDecree();
  const r = new Replica({
    pid,
    dir,
    info,
    storage,
    ctx,
    ballot,
    lastCommittedDecree: lcd,
    tail,
    logStartDecree: firstLogged ?? lcd + 1,
    learnIncomplete: markers.learning,
  });
  if (r.lastPreparedDecree !== markers.lastPreparedDecree) {
    r.log(`last_prepared_decree marker ${markers.lastPreparedDecree}, log says ${r.lastPreparedDecree}; using the log`);
  }
  r.log(`loaded: ballot ${r.ballot}, last_committed_decree ${lcd}, last_prepared_decree ${r.lastPreparedDecree}${markers.learning ? ', interrupted full-copy learn' : ''}`);
  return r;
}

/** Creates an empty replica dir (in `<dir>.tmp`, renamed when its files are written) and opens it. */
export async function createReplica(pid: Gpid, info: AppInfo, ballot: number, ctx: ReplicaContext, options: DirOptions): Promise<Replica> {
  const dir = path.join(repsDir(options.dataDir), replicaDirName(pid, info.app_type));
  const tmp = `${dir}.tmp`;
  await fs.rm(tmp, { recursive: true, force: true }); // a leftover of a crashed create, ours alone
  await fs.mkdir(tmp, { recursive: true });
  await writeAppInfo(tmp, info);
  await writeInitInfo(tmp, { init_ballot: ballot, init_durable_decree: 0 });
  await fs.rename(tmp, dir);
  const storage = await ReplicaStorage.open(path.join(dir, RDB_SUBDIR), { sync: options.sync, createIfMissing: true });
  const r = new Replica({
    pid,
    dir,
    info: storedAppInfo(info),
    storage,
    ctx,
    ballot,
    lastCommittedDecree: 0,
    tail: [],
    logStartDecree: 1,
    learnIncomplete: false,
  });
  r.log(`created at ballot ${ballot}`);
  return r;
}
