// One replica's LevelDB (layout in storage_format.ts). Every write goes through one BatchWriter, so
// writes land in call order and all updates for a decree are one atomic batch.
//
// Durability: with `mutation_log_sync = false` (the default) a batch is handed to the OS without
// fsync. That survives `kill -9` of the process (the data is in the OS page cache) but not a power
// loss or kernel crash. `mutation_log_sync = true` makes every batch `sync: true`.

import { Level } from 'level';
import { crc32 } from '../../proto/src/index.ts';
import { BatchWriter } from './batch_writer.ts';
import {
  type BatchOp,
  DATA_PREFIX,
  LOG_PREFIX,
  type LogEntry,
  MARKER_LAST_COMMITTED_DECREE,
  MARKER_LAST_PREPARED_DECREE,
  MARKER_LEARNING,
  decodeDecree,
  decodeLogEntry,
  decreeOfLogKey,
  logKey,
  markerKey,
  pegasusKeyOfDataKey,
  prefixRange,
} from './storage_format.ts';

type Db = Level<Uint8Array, Uint8Array>;

export type StoredMarkers = { lastCommittedDecree: number; lastPreparedDecree: number; learning: boolean };
export type Row = { key: Uint8Array; value: Uint8Array };
export type Digest = { lastCommittedDecree: number; rowCount: number; checksum: string };

/** A consistent copy of the committed rows: the rows and the decree they stand at. */
export type Checkpoint = { decree: number; next(maxRows: number): Promise<Row[]>; close(): Promise<void> };

export class ReplicaStorage {
  readonly location: string;
  private readonly db: Db;
  private readonly writer: BatchWriter;

  private constructor(location: string, db: Db, sync: boolean) {
    this.location = location;
    this.db = db;
    this.writer = new BatchWriter((ops) => db.batch(ops, { sync }));
  }

  /** Opens (or creates) the LevelDB at `location`. Throws LevelDB's error, e.g. LEVEL_LOCKED. */
  static async open(location: string, options: { sync: boolean; createIfMissing: boolean }): Promise<ReplicaStorage> {
    const db: Db = new Level<Uint8Array, Uint8Array>(location, {
      keyEncoding: 'view',
      valueEncoding: 'view',
      createIfMissing: options.createIfMissing,
    });
    await db.open();
    return new ReplicaStorage(location, db, options.sync);
  }

  write(ops: BatchOp[]): Promise<void> {
    return this.writer.write(ops);
  }

  idle(): Promise<void> {
    return this.writer.idle();
  }

  async close(): Promise<void> {
    await this.writer.idle();
    await this.db.close();
  }

  async readMarkers(): Promise<StoredMarkers> {
    const [lcd, lpd, learning] = await this.db.getMany([
      markerKey(MARKER_LAST_COMMITTED_DECREE),
      markerKey(MARKER_LAST_PREPARED_DECREE),
      markerKey(MARKER_LEARNING),
    ]);
    return {
      lastCommittedDecree: decodeDecree(lcd) ?? 0,
      lastPreparedDecree: decodeDecree(lpd) ?? 0,
      learning: learning !== undefined,
    };
  }

  /** Log entries with decrees in [from, to], stopping at the first missing decree. */
  async readLog(from: number, to: number): Promise<LogEntry[]> {
    const out: LogEntry[] = [];
    if (to < from) return out;
    const it = this.db.iterator({ gte: logKey(from), lte: logKey(to) });
    try {
      for (;;) {
        const batch = await it.nextv(1000);
        if (batch.length === 0) break;
        for (const [k, v] of batch) {
          const decree = decreeOfLogKey(k);
          if (decree !== from + out.length) return out;
          out.push(decodeLogEntry(decree, v));
        }
      }
    } finally {
      await it.close();
    }
    return out;
  }

  /** The lowest decree in the log, if any: a replica that learned by full copy has no log before it. */
  async firstLogDecree(): Promise<number | undefined> {
    const range = prefixRange(LOG_PREFIX);
    const keys = await this.db.keys({ ...range, limit: 1 }).all();
    return keys.length > 0 ? decreeOfLogKey(keys[0]) : undefined;
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.db.get(key);
  }

  /** Deletes a whole record kind (used by a full-copy learner). Waits for queued writes first. */
  async clearPrefix(prefix: number): Promise<void> {
    await this.writer.idle();
    await this.db.clear(prefixRange(prefix));
  }

  /** Deletes log entries with decree > `after` (a learner's stale tail). */
  async clearLogAfter(after: number): Promise<void> {
    await this.writer.idle();
    await this.db.clear({ gt: logKey(after), lt: prefixRange(LOG_PREFIX).lt });
  }

  /**
   * A checkpoint from an explicit LevelDB snapshot: rows and last_committed_decree are committed by
   * one batch, so the marker read from the snapshot is the decree the rows stand at.
   */
  async openCheckpoint(): Promise<Checkpoint> {
    const snapshot = this.db.snapshot();
    let decree: number;
    try {
      decree = decodeDecree(await this.db.get(markerKey(MARKER_LAST_COMMITTED_DECREE), { snapshot })) ?? 0;
    } catch (e) {
      await snapshot.close();
      throw e;
    }
    const it = this.db.iterator({ ...prefixRange(DATA_PREFIX), snapshot });
    return {
      decree,
      next: async (maxRows) => (await it.nextv(maxRows)).map(([k, v]) => ({ key: pegasusKeyOfDataKey(k), value: v })),
      close: async () => {
        await it.close();
        await snapshot.close();
      },
    };
  }

  /** Row count and a CRC-32 chain over the committed rows in key order, from one snapshot. */
  async digest(): Promise<Digest> {
    const cp = await this.openCheckpoint();
    let rowCount = 0;
    let chain = 0;
    try {
      for (;;) {
        const rows = await cp.next(1000);
        if (rows.length === 0) break;
        for (const row of rows) {
          chain = _chainRow(chain, row);
          rowCount++;
        }
      }
    } finally {
      await cp.close();
    }
    return { lastCommittedDecree: cp.decree, rowCount, checksum: chain.toString(16).padStart(8, '0') };
  }
}

/** crc32(previous crc ‖ key length ‖ key ‖ value): order-sensitive, so equal chains mean equal rows. */
function _chainRow(previous: number, row: Row): number {
  const buf = new Uint8Array(8 + row.key.length + row.value.length);
  const view = new DataView(buf.buffer);
  view.setUint32(0, previous);
  view.setUint32(4, row.key.length);
  buf.set(row.key, 8);
  buf.set(row.value, 8 + row.key.length);
  return crc32(buf);
}
