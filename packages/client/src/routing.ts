// Pure routing helpers of the Pegasus client: which partition holds a row, who serves it, which
// errors mean "my view of the partition is stale" and how long to wait before asking again.
// No I/O here, so the rules can be tested as tables (docs/style.md, "Pure core, thin shell").

import { type ErrorCode, type NodeAddress, type PartitionConfiguration, parseNodeAddress, partitionOfHashKey } from '../../proto/src/index.ts';

/** A key or value as a caller gives it: raw bytes, or text (encoded as UTF-8). */
export type KeyInput = Uint8Array | string;

const UTF8 = new TextEncoder();

export function toBytes(key: KeyInput): Uint8Array {
  return typeof key === 'string' ? UTF8.encode(key) : key;
}

/**
 * The partition index of a row. Pegasus routes by the hash key only (an empty hash key falls back
 * to the sort key, see proto's `partitionOfHashKey`), so every sort key of one hash key lands together.
 */
export function partitionIndexOf(hashKey: Uint8Array, sortKey: Uint8Array, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new RangeError(`partition_count must be a positive integer, got ${partitionCount}`);
  }
  return partitionOfHashKey(hashKey, sortKey, partitionCount);
}

/**
 * Index a query_configuration_by_index answer by partition_index. The meta may list partitions in
 * any order (or leave some out); routing must look them up by index, never by position.
 */
export function indexPartitions(partitions: PartitionConfiguration[], partitionCount: number): (PartitionConfiguration | undefined)[] {
  const byIndex: (PartitionConfiguration | undefined)[] = new Array(partitionCount).fill(undefined);
  for (const pc of partitions) {
    const pidx = pc.pid.partition_index;
    if (pidx >= 0 && pidx < partitionCount) byIndex[pidx] = pc;
  }
  return byIndex;
}

/** The node that serves reads and writes of partition `pidx`, or undefined when it has no primary. */
export function primaryOf(byIndex: (PartitionConfiguration | undefined)[], pidx: number): NodeAddress | undefined {
  const primary = byIndex[pidx]?.primary;
  return primary ? primary : undefined;
}

/**
 * Errors after which a data operation refreshes the partition configuration and tries again: the
 * replica we asked is not (or no longer) the primary, its membership is changing, or the network
 * failed. Every other code is final and goes back to the caller.
 * ERR_INACTIVE_STATE and ERR_OBJECT_NOT_FOUND are here too: a replica server answers them when our
 * cached configuration points at a node that closed (or never opened) the replica.
 */
const RETRYABLE_OP_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_INVALID_STATE',
  'ERR_INVALID_VERSION',
  'ERR_NOT_ENOUGH_MEMBER',
  'ERR_NETWORK_FAILURE',
  'ERR_TIMEOUT',
  'ERR_INACTIVE_STATE',
  'ERR_OBJECT_NOT_FOUND',
  'ERR_BUSY',
]);

export function isRetryableOpError(err: ErrorCode): boolean {
  return RETRYABLE_OP_ERRORS.has(err);
}

/**
 * Answers of the meta to a configuration refresh that mean the table itself is gone: retrying the
 * operation cannot help, so it ends at once with this code.
 */
const TABLE_GONE_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['ERR_OBJECT_NOT_FOUND', 'ERR_APP_NOT_EXIST', 'ERR_APP_DROPPED']);

export function isTableGoneError(err: ErrorCode): boolean {
  return TABLE_GONE_ERRORS.has(err);
}

export type BackoffPolicy = { initialMs: number; maxMs: number };

/** Short backoff (50 ms doubling to 1 s): a primary switch usually settles within a config sync. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 50, maxMs: 1000 };

/** The wait before retry number `attempt` (0-based): initial * 2^attempt, capped. */
export function backoffMs(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const ms = policy.initialMs * 2 ** Math.min(attempt, 30);
  return Math.min(ms, policy.maxMs);
}

export type MetaListParse = { ok: true; servers: NodeAddress[] } | { ok: false; message: string };

/**
 * Parse a meta server list such as `127.0.0.1:34601,127.0.0.1:34602`: comma separated, blanks
 * ignored, duplicates dropped (the order is kept: the client tries the metas in this order).
 */
export function parseMetaList(text: string): MetaListParse {
  const servers: NodeAddress[] = [];
  for (const item of text.split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const address = parseNodeAddress(trimmed);
    if (address === undefined) return { ok: false, message: `parse ${trimmed} as a host:port meta server failed` };
    if (!servers.includes(address)) servers.push(address);
  }
  if (servers.length === 0) return { ok: false, message: `no meta server in list "${text}"` };
  return { ok: true, servers };
}
