// Reads: `client_read` (primary only, once it serves) and `partition_digest` (any status; for
// verification and tests: compares the committed rows of replicas).

import type { ClientReadRequest, ClientReadResponse, PartitionDigestResponse } from '../../proto/src/index.ts';
import { INVALID_BALLOT, encodePegasusKey } from '../../proto/src/index.ts';
import type { Replica } from './replica.ts';
import { isServing } from './replica_2pc.ts';
import { dataKey } from './storage_format.ts';

const EMPTY = new Uint8Array(0);

export async function clientRead(r: Replica | undefined, req: ClientReadRequest, me: string): Promise<ClientReadResponse> {
  if (!r || !isServing(r)) return { err: 'ERR_INVALID_STATE', found: false, value: EMPTY, server: me };
  // Writes are acked when committed, before their rows land: wait for those rows.
  if (r.durableCommitted < r.lastCommittedDecree) await r.applied;
  const value = await r.storage.get(dataKey(encodePegasusKey(req.hash_key, req.sort_key)));
  return { err: 'ERR_OK', found: value !== undefined, value: value ?? EMPTY, server: me };
}

export async function partitionDigest(r: Replica | undefined): Promise<PartitionDigestResponse> {
  if (!r || r.closed) {
    return { err: 'ERR_OBJECT_NOT_FOUND', status: 'PS_INVALID', ballot: INVALID_BALLOT, last_committed_decree: -1, row_count: 0, checksum: '' };
  }
  const d = await r.storage.digest();
  return {
    err: 'ERR_OK',
    status: r.status,
    ballot: r.ballot,
    last_committed_decree: d.lastCommittedDecree,
    row_count: d.rowCount,
    checksum: d.checksum,
  };
}
