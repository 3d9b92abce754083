// The Pegasus data client: open a table, then set / get / del rows. A row goes to the primary of
// the partition its hash key routes to; when that replica refuses (not primary, stale ballot,
// membership change) or cannot be reached, the client refreshes the partition configuration from
// the meta and retries with a short backoff until the operation's deadline. Pegasus's client does
// the same in src/client_lib/pegasus_client_impl.cpp + partition_resolver_simple.cpp.

import {
  type ClientReadResponse,
  type ClientWriteResponse,
  type ErrorCode,
  type Gpid,
  type MutationOp,
  type NodeAddress,
  type PartitionConfiguration,
  ReplicaService,
  RpcClient,
} from '../../proto/src/index.ts';
import { MetaClient } from './meta_client.ts';
import {
  backoffMs,
  DEFAULT_BACKOFF,
  indexPartitions,
  isRetryableOpError,
  isTableGoneError,
  type KeyInput,
  partitionIndexOf,
  primaryOf,
  toBytes,
  type BackoffPolicy,
} from './routing.ts';

export type PegasusClientOptions = {
  /** Overall deadline of one set/get/del, retries included. Default 10 s. */
  opTimeoutMs?: number;
  /** Deadline of one RPC to a replica (never more than what is left of the operation). Default 5 s. */
  rpcTimeoutMs?: number;
  /** Deadline of one request to the meta (open, refresh). Default 10 s. */
  metaTimeoutMs?: number;
  backoff?: BackoffPolicy;
};

const DEFAULTS = { opTimeoutMs: 10_000, rpcTimeoutMs: 5_000, metaTimeoutMs: 10_000 };

/** Where an operation ended up: Pegasus's shell prints these after every data command. */
export type OpInfo = { app_id: number; partition_index: number; server: NodeAddress };

export type WriteResult = OpInfo & { err: ErrorCode; decree: number; detail: string };
export type ReadResult = OpInfo & { err: ErrorCode; found: boolean; value: Uint8Array; detail: string };
export type OpenResult = { err: 'ERR_OK'; table: TableClient } | { err: Exclude<ErrorCode, 'ERR_OK'>; detail: string };

type ReplicaServiceDef = typeof ReplicaService;

/** The entry point: one per process. Holds the meta client and one RpcClient per replica address. */
export class PegasusClient {
  readonly meta: MetaClient;
  readonly options: Required<PegasusClientOptions>;
  private readonly ownsMeta: boolean;
  private readonly replicas = new Map<NodeAddress, RpcClient<ReplicaServiceDef>>();

  constructor(meta: MetaClient | readonly NodeAddress[], options: PegasusClientOptions = {}) {
    this.ownsMeta = !(meta instanceof MetaClient);
    this.meta = meta instanceof MetaClient ? meta : new MetaClient(meta);
    this.options = { ...DEFAULTS, backoff: DEFAULT_BACKOFF, ...options };
  }

  /** Fetch the table's partition configurations; fails with the meta's error (e.g. ERR_OBJECT_NOT_FOUND). */
  async openTable(appName: string): Promise<OpenResult> {
    const table = new TableClient(this, appName);
    const refreshed = await table.refreshConfig();
    if (refreshed.err !== 'ERR_OK') return { err: refreshed.err, detail: refreshed.detail };
    return { err: 'ERR_OK', table };
  }

  /** The cached connection to one replica server (created on first use). */
  replica(address: NodeAddress): RpcClient<ReplicaServiceDef> {
    let client = this.replicas.get(address);
    if (!client) {
      // Multiplexed: every read and write is one call to a primary, and on an open stream a call
      // costs a fraction of a unary call's CPU (packages/proto/src/rpc.ts).
      client = new RpcClient(ReplicaService, address, { multiplexed: true });
      this.replicas.set(address, client);
    }
    return client;
  }

  close(): void {
    for (const client of this.replicas.values()) client.close();
    this.replicas.clear();
    if (this.ownsMeta) this.meta.close();
  }
}

/** One attempt against a primary: the replica's answer, or a transport error. */
type Attempt<Res> = { ok: true; res: Res } | { ok: false; err: ErrorCode; detail: string };

/** A table opened through a PegasusClient. */
export class TableClient {
  readonly appName: string;
  appId = 0;
  partitionCount = 0;
  private readonly client: PegasusClient;
  private partitions: (PartitionConfiguration | undefined)[] = [];
  /** A refresh in flight: concurrent failing operations share it instead of flooding the meta. */
  private refreshing: Promise<{ err: ErrorCode; detail: string }> | undefined;

  constructor(client: PegasusClient, appName: string) {
    this.client = client;
    this.appName = appName;
  }

  /** The partition configurations as last fetched (indexed by partition_index). */
  get configs(): readonly (PartitionConfiguration | undefined)[] {
    return this.partitions;
  }

  set(hashKey: KeyInput, sortKey: KeyInput, value: KeyInput): Promise<WriteResult> {
    return this._write('put', toBytes(hashKey), toBytes(sortKey), toBytes(value));
  }

  del(hashKey: KeyInput, sortKey: KeyInput): Promise<WriteResult> {
    return this._write('remove', toBytes(hashKey), toBytes(sortKey), new Uint8Array(0));
  }

  async get(hashKey: KeyInput, sortKey: KeyInput): Promise<ReadResult> {
    const hash_key = toBytes(hashKey);
    const sort_key = toBytes(sortKey);
    const outcome = await this._withRetry<ClientReadResponse>(hash_key, sort_key, (replica, pid, timeoutMs) =>
      replica.call('client_read', { pid, hash_key, sort_key }, timeoutMs),
    );
    const res = outcome.res;
    return {
      err: outcome.err,
      found: res !== undefined && res.err === 'ERR_OK' && res.found,
      value: res !== undefined && res.found ? new Uint8Array(res.value) : new Uint8Array(0),
      detail: outcome.detail,
      ...outcome.info,
    };
  }

  /**
   * Ask the meta for the current configurations. Concurrent callers share one request; its
   * deadline is the meta timeout, or less when the first caller's operation has less time left.
   */
  refreshConfig(timeoutMs = this.client.options.metaTimeoutMs): Promise<{ err: ErrorCode; detail: string }> {
    if (!this.refreshing) {
      this.refreshing = this._refresh(Math.max(1, Math.min(timeoutMs, this.client.options.metaTimeoutMs))).finally(() => {
        this.refreshing = undefined;
      });
    }
    return this.refreshing;
  }

  private async _refresh(timeoutMs: number): Promise<{ err: ErrorCode; detail: string }> {
    const reply = await this.client.meta.call('query_configuration_by_index', { app_name: this.appName, partition_indices: [] }, timeoutMs);
    if (!reply.ok) return { err: reply.err, detail: reply.detail };
    const res = reply.res;
    if (res.err !== 'ERR_OK') return { err: res.err, detail: `query config of app ${this.appName}: ${res.hint || res.err}` };
    this.appId = res.app_id;
    this.partitionCount = res.partition_count;
    this.partitions = indexPartitions(res.partitions, res.partition_count);
    return { err: 'ERR_OK', detail: '' };
  }

  private async _write(op: MutationOp, hash_key: Uint8Array, sort_key: Uint8Array, value: Uint8Array): Promise<WriteResult> {
    const outcome = await this._withRetry<ClientWriteResponse>(hash_key, sort_key, (replica, pid, timeoutMs) =>
      replica.call('client_write', { pid, op, hash_key, sort_key, value }, timeoutMs),
    );
    return { err: outcome.err, decree: outcome.res?.decree ?? 0, detail: outcome.detail, ...outcome.info };
  }

  /**
   * Run `attempt` against the primary of the row's partition until it gives a final answer or the
   * operation's deadline passes; then the last error seen is returned.
   */
  private async _withRetry<Res extends { err: ErrorCode; server: NodeAddress }>(
    hashKey: Uint8Array,
    sortKey: Uint8Array,
    attempt: (replica: RpcClient<ReplicaServiceDef>, pid: Gpid, timeoutMs: number) => Promise<Attempt<Res>>,
  ): Promise<{ err: ErrorCode; detail: string; res?: Res; info: OpInfo }> {
    const { opTimeoutMs, rpcTimeoutMs, backoff } = this.client.options;
    const deadline = Date.now() + opTimeoutMs;
    let lastErr: ErrorCode = 'ERR_TIMEOUT';
    let detail = `no answer within ${opTimeoutMs} ms`;
    let info: OpInfo = { app_id: this.appId, partition_index: -1, server: '' };
    if (this.partitionCount === 0) {
      // Never opened (constructed directly): fetch the configuration before routing.
      const refreshed = await this.refreshConfig();
      if (refreshed.err !== 'ERR_OK') return { err: refreshed.err, detail: refreshed.detail, info };
    }
    for (let tries = 0; ; tries++) {
      const pidx = partitionIndexOf(hashKey, sortKey, this.partitionCount);
      const primary = primaryOf(this.partitions, pidx);
      info = { app_id: this.appId, partition_index: pidx, server: primary ?? '' };
      const remainingMs = deadline - Date.now();
      if (primary !== undefined && remainingMs > 0) {
        const pid = { app_id: this.appId, partition_index: pidx };
        const result = await attempt(this.client.replica(primary), pid, Math.min(rpcTimeoutMs, remainingMs));
        if (result.ok && !isRetryableOpError(result.res.err)) {
          return { err: result.res.err, detail: '', res: result.res, info: { ...info, server: result.res.server || primary } };
        }
        lastErr = result.ok ? result.res.err : result.err;
        detail = result.ok ? `${primary} answered ${lastErr}` : `${primary}: ${result.detail}`;
      } else if (primary === undefined) {
        detail = `partition ${this.appId}.${pidx} has no primary`;
      }
      const waitMs = Math.min(backoffMs(tries, backoff), deadline - Date.now());
      if (waitMs <= 0) break;
      await _sleep(waitMs);
      const refreshed = await this.refreshConfig(deadline - Date.now());
      if (isTableGoneError(refreshed.err)) return { err: refreshed.err, detail: refreshed.detail, info };
      if (refreshed.err !== 'ERR_OK') detail += `; refreshing the configuration failed: ${refreshed.err}`;
    }
    return { err: lastErr, detail, info };
  }
}

function _sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
