// A client of the meta servers: knows the meta list, finds the leader and follows redirections.
// Pegasus's replication_ddl_client sends every request to a group address of the metas; a
// non-leader answers ERR_FORWARD_TO_OTHERS with the leader in the hint (docs/PROTOCOL.md).
// Transport failures never throw: they come back as ERR_NETWORK_FAILURE / ERR_TIMEOUT.

import type * as grpc from '@grpc/grpc-js';
import { type ErrorCode, MetaService, type NodeAddress, parseNodeAddress, RpcClient } from '../../proto/src/index.ts';

type MetaServiceDef = typeof MetaService;
export type MetaMethod = keyof MetaServiceDef & string;
export type MetaRequest<K extends MetaMethod> = MetaServiceDef[K] extends grpc.MethodDefinition<infer Req, any> ? Req : never;
export type MetaResponse<K extends MetaMethod> = MetaServiceDef[K] extends grpc.MethodDefinition<any, infer Res> ? Res : never;

/**
 * The outcome of one meta request: either a meta answered (`res.err` may still be an error such
 * as ERR_UNDER_RECOVERY), or no meta could be asked (`err` is the transport error).
 */
export type MetaReply<Res> = { ok: true; res: Res; server: NodeAddress } | { ok: false; err: ErrorCode; detail: string };

/** The error code of a reply, whether it came from the meta or from the transport. */
export function replyError<Res extends { err: ErrorCode }>(reply: MetaReply<Res>): ErrorCode {
  return reply.ok ? reply.res.err : reply.err;
}

export type MetaClientOptions = {
  /** Deadline of one request when the caller gives none. Pegasus's shell uses 10 s. */
  rpcTimeoutMs?: number;
};

export const DEFAULT_META_RPC_TIMEOUT_MS = 10_000;

/** How many ERR_FORWARD_TO_OTHERS hops one request follows before giving up (guards a loop). */
const MAX_FORWARD_HOPS = 8;
/** Pause between rounds while the metas answer but none leads (see MetaClient.call). */
export const ELECTION_RETRY_MS = 300;
/**
 * A retry round starts only with at least this much of the deadline left. A round begun with a few
 * ms to spare ends in ERR_TIMEOUT, which says less than the redirection already in hand (and, as
 * any timeout, that the request may be running); on a loaded machine that happened to one call in
 * a few of meta_client_test's "retried until the deadline".
 */
export const MIN_RETRY_ROUND_MS = 100;

export class MetaClient {
  readonly metaServers: readonly NodeAddress[];
  private readonly rpcTimeoutMs: number;
  private readonly clients = new Map<NodeAddress, RpcClient<MetaServiceDef>>();
  /** The meta that last answered something other than a redirection: asked first next time. */
  private leader: NodeAddress | undefined;

  constructor(metaServers: readonly NodeAddress[], options: MetaClientOptions = {}) {
    this.metaServers = [...metaServers];
    this.rpcTimeoutMs = options.rpcTimeoutMs ?? DEFAULT_META_RPC_TIMEOUT_MS;
  }

  /**
   * Send `name` to the leader. Metas are tried in list order (the last known leader first); a
   * redirection moves to the hinted leader; an unreachable meta moves to the next one. A timeout
   * ends the request: the meta may still be working on it (start_recovery is one long call), so
   * sending it to another meta could run it twice.
   *
   * When a round ends with metas that answered but none that leads (the leader just died and the
   * others still name it until its ZooKeeper session expires, or an election is under way), the
   * round is repeated every ELECTION_RETRY_MS until the deadline (a round starts only with
   * MIN_RETRY_ROUND_MS left; else the last redirection is the answer): a redirection means the
   * request was not executed, so repeating it is safe. When no meta answers at all the call fails
   * at once.
   */
  async call<K extends MetaMethod>(name: K, req: MetaRequest<K>, timeoutMs = this.rpcTimeoutMs): Promise<MetaReply<MetaResponse<K>>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const round = await this._round(name, req, deadline, timeoutMs);
      if (round.kind === 'done') return round.reply;
      const waitMs = Math.min(ELECTION_RETRY_MS, deadline - Date.now());
      if (waitMs <= 0) return { ok: true, ...round.redirected };
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      if (deadline - Date.now() < MIN_RETRY_ROUND_MS) return { ok: true, ...round.redirected };
    }
  }

  /** One pass over the metas; 'no_leader' when some answered but every one redirected. */
  private async _round<K extends MetaMethod>(
    name: K,
    req: MetaRequest<K>,
    deadline: number,
    timeoutMs: number,
  ): Promise<{ kind: 'done'; reply: MetaReply<MetaResponse<K>> } | { kind: 'no_leader'; redirected: { res: MetaResponse<K>; server: NodeAddress } }> {
    const done = (reply: MetaReply<MetaResponse<K>>) => ({ kind: 'done' as const, reply });
    const queue = this._initialOrder();
    const tried = new Set<NodeAddress>();
    const failures: string[] = [];
    let redirected: { res: MetaResponse<K>; server: NodeAddress } | undefined;
    let hops = 0;
    while (queue.length > 0) {
      const address = queue.shift()!;
      if (tried.has(address)) continue;
      tried.add(address);
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) return done({ ok: false, err: 'ERR_TIMEOUT', detail: `no answer from the meta servers within ${timeoutMs} ms` });
      const result = await this._client(address).call(name, req as never, remainingMs);
      if (!result.ok) {
        if (result.err === 'ERR_TIMEOUT') return done({ ok: false, err: 'ERR_TIMEOUT', detail: `${address}: no answer within ${timeoutMs} ms` });
        // The meta refused the request's shape: every other meta would too.
        if (result.err === 'ERR_INVALID_PARAMETERS') return done({ ok: false, err: 'ERR_INVALID_PARAMETERS', detail: `${address}: ${result.detail}` });
        failures.push(`${address}: ${result.err}`);
        continue;
      }
      const res = result.res as MetaResponse<K>;
      if ((res as { err: ErrorCode }).err === 'ERR_FORWARD_TO_OTHERS') {
        redirected = { res, server: address };
        const hint = leaderHint(res);
        if (hint !== undefined && !tried.has(hint) && hops++ < MAX_FORWARD_HOPS) queue.unshift(hint);
        continue;
      }
      this.leader = address;
      return done({ ok: true, res, server: address });
    }
    if (redirected) {
      this.leader = undefined; // the remembered leader did not lead: start from the list next round
      return { kind: 'no_leader', redirected };
    }
    return done({ ok: false, err: 'ERR_NETWORK_FAILURE', detail: `cannot reach any meta server (${failures.join(', ')})` });
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private _initialOrder(): NodeAddress[] {
    const order = this.leader !== undefined ? [this.leader, ...this.metaServers] : [...this.metaServers];
    return order.filter((address, i) => order.indexOf(address) === i);
  }

  private _client(address: NodeAddress): RpcClient<MetaServiceDef> {
    let client = this.clients.get(address);
    if (!client) {
      client = new RpcClient(MetaService, address);
      this.clients.set(address, client);
    }
    return client;
  }
}

/**
 * The leader named by an ERR_FORWARD_TO_OTHERS answer. Most responses carry it in `hint`;
 * start_recovery's response has only `hint_message` (Pegasus's configuration_recovery_response),
 * so that is read too when it is a bare host:port.
 */
export function leaderHint(res: unknown): NodeAddress | undefined {
  const r = res as { hint?: unknown; hint_message?: unknown };
  for (const text of [r.hint, r.hint_message]) {
    if (typeof text !== 'string' || text.trim() === '') continue;
    const address = parseNodeAddress(text);
    if (address !== undefined) return address;
  }
  return undefined;
}
