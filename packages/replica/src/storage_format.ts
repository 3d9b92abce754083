// The key layout of a replica's LevelDB (`<replica dir>/data/rdb/`). One database holds three
// kinds of records, told apart by a one-byte prefix so that each kind is one contiguous key range:
//
//   'd' + pegasus key            -> value             data rows (committed mutations only)
//   'l' + decree (8 bytes, BE)   -> encoded LogEntry  the mutation log, ordered by decree
//   'm' + marker name            -> decimal text      decree markers (last_committed_decree, ...)
//
// Pegasus keeps the log in a separate `plog/` dir and the rows in RocksDB; one LevelDB lets one
// `batch` make "log entry + marker" or "rows + last_committed_decree" atomic, which is what makes
// a replica's state after a crash always one of the states it passed through.

import type { MutationOp } from '../../proto/src/index.ts';

export const DATA_PREFIX = 0x64; // 'd'
export const LOG_PREFIX = 0x6c; // 'l'
export const MARKER_PREFIX = 0x6d; // 'm'

/** One logged mutation. `ballot` is the ballot of the primary that prepared it. */
export type LogEntry = { decree: number; ballot: number; op: MutationOp; key: Uint8Array; value: Uint8Array };

export const MARKER_LAST_COMMITTED_DECREE = 'last_committed_decree';
export const MARKER_LAST_PREPARED_DECREE = 'last_prepared_decree';
/** Present while a full-copy learn is rewriting the rows: the rows are then not a checkpoint. */
export const MARKER_LEARNING = 'learning';

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

function _prefixed(prefix: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = prefix;
  out.set(body, 1);
  return out;
}

export function dataKey(pegasusKey: Uint8Array): Uint8Array {
  return _prefixed(DATA_PREFIX, pegasusKey);
}

/** The pegasus key of a data row key (a view, not a copy). */
export function pegasusKeyOfDataKey(key: Uint8Array): Uint8Array {
  return key.subarray(1);
}

/** Decrees are written big-endian so that LevelDB's byte order is decree order. */
export function logKey(decree: number): Uint8Array {
  if (!Number.isSafeInteger(decree) || decree < 0) throw new RangeError(`bad decree ${decree}`);
  const out = new Uint8Array(9);
  out[0] = LOG_PREFIX;
  const view = new DataView(out.buffer);
  view.setUint32(1, Math.floor(decree / 0x1_0000_0000));
  view.setUint32(5, decree >>> 0);
  return out;
}

export function decreeOfLogKey(key: Uint8Array): number {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return view.getUint32(1) * 0x1_0000_0000 + view.getUint32(5);
}

export function markerKey(name: string): Uint8Array {
  return _prefixed(MARKER_PREFIX, textEncoder.encode(name));
}

/** Markers are decimal text so that a LevelDB dump tool shows them readably. */
export function encodeDecree(decree: number): Uint8Array {
  return textEncoder.encode(String(decree));
}

export function decodeDecree(bytes: Uint8Array | undefined): number | undefined {
  if (bytes === undefined) return undefined;
  const text = textDecoder.decode(bytes);
  return /^-?\d+$/.test(text) ? Number(text) : undefined;
}

/** The key range of one record kind, for iterators and `clear`: [gte, lt). */
export function prefixRange(prefix: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: Uint8Array.of(prefix), lt: Uint8Array.of(prefix + 1) };
}

// A log entry's value: ballot (8 bytes), op (1 byte: 0 put, 1 remove), key length (4 bytes), key,
// value. The decree is in the LevelDB key. Hand-rolled because it is on the hot write path.
export function encodeLogEntry(entry: LogEntry): Uint8Array {
  const out = new Uint8Array(13 + entry.key.length + entry.value.length);
  const view = new DataView(out.buffer);
  view.setFloat64(0, entry.ballot);
  out[8] = entry.op === 'put' ? 0 : 1;
  view.setUint32(9, entry.key.length);
  out.set(entry.key, 13);
  out.set(entry.value, 13 + entry.key.length);
  return out;
}

export function decodeLogEntry(decree: number, bytes: Uint8Array): LogEntry {
  if (bytes.length < 13) throw new RangeError(`log entry ${decree} is ${bytes.length} bytes, shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const keyLength = view.getUint32(9);
  if (13 + keyLength > bytes.length || bytes[8] > 1) throw new RangeError(`log entry ${decree} is malformed`);
  return {
    decree,
    ballot: view.getFloat64(0),
    op: bytes[8] === 0 ? 'put' : 'remove',
    key: bytes.slice(13, 13 + keyLength),
    value: bytes.slice(13 + keyLength),
  };
}

export type BatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

/** The batch operations that log one entry. */
export function logEntryOp(entry: LogEntry): BatchOp {
  return { type: 'put', key: logKey(entry.decree), value: encodeLogEntry(entry) };
}

/** The batch operation that applies one committed entry to the data rows. */
export function applyEntryOp(entry: LogEntry): BatchOp {
  return entry.op === 'put'
    ? { type: 'put', key: dataKey(entry.key), value: entry.value }
    : { type: 'del', key: dataKey(entry.key) };
}

export function markerOp(name: string, decree: number): BatchOp {
  return { type: 'put', key: markerKey(name), value: encodeDecree(decree) };
}
