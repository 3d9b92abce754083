// Thin gRPC helpers shared by every process: a typed unary call that never throws (transport
// failures become ERR_NETWORK_FAILURE / ERR_TIMEOUT / ERR_HANDLER_NOT_FOUND in the answer, a request
// the server refused as malformed ERR_INVALID_PARAMETERS), and a server binder that checks each
// request's shape before its handler and turns "port in use" into ERR_ADDRESS_ALREADY_USED.
//
// Every server also accepts unary calls multiplexed over one long-lived bidirectional stream per
// client (`<service>/call_stream`, MULTIPLEXED_METHOD): a client made with `{ multiplexed: true }`
// sends its calls there. Why: a grpc-js unary call opens an HTTP/2 stream with its own headers and
// trailers, which on this 2-core VM cost about 0.7-1.3 ms of the caller's CPU per call; one
// message on an open stream cost 0.12-0.15 ms (bench/RESULTS.md, "Multiplexed calls"). The replica
// servers' prepares and commits to each other go this way: two of the three calls of every write.

import * as grpc from '@grpc/grpc-js';
import type { ErrorCode } from './error_code.ts';
import { type Shape, shapeProblem } from './shapes.ts';

type AnyService = Record<string, grpc.MethodDefinition<any, any>>;
type ReqOf<D> = D extends grpc.MethodDefinition<infer Req, any> ? Req : never;
type ResOf<D> = D extends grpc.MethodDefinition<any, infer Res> ? Res : never;

/** The outcome of a call: the decoded answer, or the transport error that prevented one. */
export type CallResult<Res> = { ok: true; res: Res } | { ok: false; err: ErrorCode; detail: string };

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  // Reconnect quickly after a peer restarts (the onebox restarts processes all the time).
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
};

/** The bidirectional method every server adds to its service for multiplexed unary calls. */
export const MULTIPLEXED_METHOD = 'call_stream';

/** One call on the multiplexed stream. */
type _CallFrame = { id: number; method: string; request: unknown };
/** Its answer: the response, or the gRPC status a unary call would have failed with. */
type _AnswerFrame = { id: number; response?: unknown; code?: number; details?: string };

type _Pending = { resolve: (r: CallResult<unknown>) => void; timer: ReturnType<typeof setTimeout> };

export type RpcClientOptions = {
  /**
   * Send `call`s over one bidirectional stream to the server (MULTIPLEXED_METHOD) instead of one
   * HTTP/2 stream per call. Same answers and error codes; a broken stream fails the calls in
   * flight with ERR_NETWORK_FAILURE and the next call opens a new one. Default false.
   */
  multiplexed?: boolean;
};

function _servicePrefix(service: AnyService): string {
  const first = Object.values(service)[0];
  return first.path.slice(0, first.path.lastIndexOf('/'));
}

function _multiplexedDefinition(service: AnyService): grpc.MethodDefinition<_CallFrame, _AnswerFrame> {
  const any = Object.values(service)[0];
  return {
    path: `${_servicePrefix(service)}/${MULTIPLEXED_METHOD}`,
    requestStream: true,
    responseStream: true,
    // The service's own codec (cbor-x): the frames nest requests and responses as they are.
    requestSerialize: any.requestSerialize as (v: _CallFrame) => Buffer,
    requestDeserialize: any.requestDeserialize as (b: Buffer) => _CallFrame,
    responseSerialize: any.responseSerialize as (v: _AnswerFrame) => Buffer,
    responseDeserialize: any.responseDeserialize as (b: Buffer) => _AnswerFrame,
  };
}

/** A connection to one server, typed by its service definition. */
export class RpcClient<S extends AnyService> {
  readonly address: string;
  private readonly service: S;
  private readonly client: grpc.Client;
  private readonly multiplexed: boolean;
  private callStream: grpc.ClientDuplexStream<_CallFrame, _AnswerFrame> | undefined;
  private readonly pending = new Map<number, _Pending>();
  private nextId = 1;
  private closed = false;

  constructor(service: S, address: string, options: RpcClientOptions = {}) {
    this.address = address;
    this.service = service;
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    this.multiplexed = options.multiplexed === true;
  }

  call<K extends keyof S & string>(name: K, req: ReqOf<S[K]>, timeoutMs: number): Promise<CallResult<ResOf<S[K]>>> {
    if (this.multiplexed && !this.closed) return this.callMultiplexed(name, req, timeoutMs) as Promise<CallResult<ResOf<S[K]>>>;
    const def = this.service[name];
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        req,
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (error: grpc.ServiceError | null, res?: ResOf<S[K]>) => {
          if (error || res === undefined) resolve({ ok: false, ...transportError(error) });
          else resolve({ ok: true, res });
        },
      );
    });
  }

  /** A server-streaming call; the caller reads chunks with `for await`. */
  stream<K extends keyof S & string>(name: K, req: ReqOf<S[K]>, timeoutMs: number): grpc.ClientReadableStream<ResOf<S[K]>> {
    const def = this.service[name];
    return this.client.makeServerStreamRequest(
      def.path,
      def.requestSerialize,
      def.responseDeserialize,
      req,
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
    );
  }

  close(): void {
    this.closed = true;
    this.failPending({ code: grpc.status.CANCELLED, details: 'the client was closed' } as grpc.ServiceError);
    this.callStream?.cancel();
    this.callStream = undefined;
    this.client.close();
  }

  private callMultiplexed(method: string, request: unknown, timeoutMs: number): Promise<CallResult<unknown>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // A late answer finds no entry and is dropped, as a unary call's would be.
        if (this.pending.delete(id)) resolve({ ok: false, err: 'ERR_TIMEOUT', detail: `no answer to ${method} within ${timeoutMs} ms` });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.openCallStream().write({ id, method, request });
    });
  }

  private openCallStream(): grpc.ClientDuplexStream<_CallFrame, _AnswerFrame> {
    if (this.callStream) return this.callStream;
    const def = _multiplexedDefinition(this.service);
    const stream = this.client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, new grpc.Metadata(), {});
    this.callStream = stream;
    stream.on('data', (frame: _AnswerFrame) => {
      const p = this.pending.get(frame.id);
      if (!p) return;
      this.pending.delete(frame.id);
      clearTimeout(p.timer);
      if (frame.code === undefined) p.resolve({ ok: true, res: frame.response });
      else p.resolve({ ok: false, ...transportError({ code: frame.code, details: frame.details ?? '' } as grpc.ServiceError) });
    });
    // The stream ends when the server goes away (or restarts): every call in flight on it fails as
    // a unary call to a vanished server would, and the next call opens a new stream.
    const broken = (error: grpc.ServiceError | undefined) => {
      if (this.callStream !== stream) return;
      this.callStream = undefined;
      this.failPending(error ?? ({ code: grpc.status.UNAVAILABLE, details: 'the call stream ended' } as grpc.ServiceError));
    };
    stream.on('error', (e: grpc.ServiceError) => broken(e));
    stream.on('end', () => broken(undefined));
    stream.on('close', () => broken(undefined));
    return stream;
  }

  private failPending(error: grpc.ServiceError): void {
    const answer = transportError(error);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.resolve({ ok: false, ...answer });
    }
  }
}

export function transportError(error: grpc.ServiceError | null | undefined): { err: ErrorCode; detail: string } {
  if (!error) return { err: 'ERR_UNKNOWN', detail: 'empty answer' };
  switch (error.code) {
    case grpc.status.DEADLINE_EXCEEDED:
      return { err: 'ERR_TIMEOUT', detail: error.details };
    case grpc.status.UNIMPLEMENTED:
      return { err: 'ERR_HANDLER_NOT_FOUND', detail: error.details };
    case grpc.status.UNAVAILABLE:
      return { err: 'ERR_NETWORK_FAILURE', detail: unavailableDetail(error.details) };
    case grpc.status.INVALID_ARGUMENT:
      // The server refused the request's shape (startRpcServer): the request is wrong, not the network.
      return { err: 'ERR_INVALID_PARAMETERS', detail: error.details };
    default:
      return { err: 'ERR_NETWORK_FAILURE', detail: `${grpc.status[error.code] ?? error.code}: ${error.details}` };
  }
}

/**
 * grpc-js says "No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:34803.
 * Resolution note: " for a peer that is down; an operator needs the middle part only.
 */
export function unavailableDetail(details: string): string {
  const m = /Last error: (?:Error: )?(.*?)\.? Resolution note:/.exec(details);
  return m ? m[1] : details;
}

/** Per server, its multiplexed call streams still open (shutdownRpcServer ends them). */
const _openCallStreams = new WeakMap<grpc.Server, Set<grpc.ServerDuplexStream<_CallFrame, _AnswerFrame>>>();

/**
 * Stop `server` gracefully: end its multiplexed call streams first (clients keep theirs open for
 * good, so `tryShutdown` alone would wait for them; their calls in flight fail with
 * ERR_NETWORK_FAILURE, as unary calls to a server going away do), then let the other calls finish.
 * With `forceAfterMs`, whatever is still open then (a learn stream) is cut.
 */
export function shutdownRpcServer(server: grpc.Server, forceAfterMs?: number): Promise<void> {
  const open = _openCallStreams.get(server);
  for (const call of open ?? []) call.end();
  open?.clear();
  return new Promise((resolve) => {
    const force =
      forceAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, forceAfterMs);
    server.tryShutdown(() => {
      if (force) clearTimeout(force);
      resolve();
    });
  });
}

/** Handlers of a service: each takes the decoded request and resolves the response. */
export type UnaryHandlers<S extends AnyService> = {
  [K in keyof S]?: S[K] extends grpc.MethodDefinition<infer Req, infer Res>
    ? S[K]['responseStream'] extends true
      ? (req: Req, call: grpc.ServerWritableStream<Req, Res>) => Promise<void>
      : (req: Req) => Promise<Res>
    : never;
};

/**
 * Start a gRPC server on `address` serving `handlers`. Resolves the server, or an error code when
 * the port cannot be bound. A handler that throws is a bug: it is logged and answered INTERNAL.
 */
export async function startRpcServer<S extends AnyService>(
  service: S,
  handlers: UnaryHandlers<S>,
  address: string,
  log: (line: string) => void,
): Promise<{ ok: true; server: grpc.Server } | { ok: false; err: ErrorCode; detail: string }> {
  const server = new grpc.Server(CHANNEL_OPTIONS);
  const impl: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(service)) {
    const handler = (handlers as Record<string, ((req: unknown, call: any) => Promise<unknown>) | undefined>)[name];
    if (!handler) continue;
    const shape = (service[name] as { requestShape?: Shape }).requestShape;
    // A request of the wrong shape never reaches the handler (shapes.ts): INVALID_ARGUMENT, which
    // the caller's RpcClient reads as ERR_INVALID_PARAMETERS with the reason.
    const malformed = (request: unknown): grpc.ServiceError | undefined => {
      const problem = shape && shapeProblem(request, shape);
      return problem ? ({ code: grpc.status.INVALID_ARGUMENT, details: `${name}: ${problem}` } as grpc.ServiceError) : undefined;
    };
    if (service[name].responseStream) {
      impl[name] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const refused = malformed(call.request);
        if (refused) {
          call.emit('error', refused);
          return;
        }
        handler(call.request, call).then(
          () => call.end(),
          (e: unknown) => {
            log(`BUG: stream handler ${name} threw: ${e instanceof Error ? e.stack : String(e)}`);
            call.destroy(e instanceof Error ? e : new Error(String(e)));
          },
        );
      };
    } else {
      impl[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const refused = malformed(call.request);
        if (refused) {
          callback(refused, null);
          return;
        }
        handler(call.request, call).then(
          (res) => callback(null, res),
          (e: unknown) => {
            log(`BUG: handler ${name} threw: ${e instanceof Error ? e.stack : String(e)}`);
            callback({ code: grpc.status.INTERNAL, details: String(e) } as grpc.ServiceError, null);
          },
        );
      };
    }
  }
  // Multiplexed unary calls (RpcClientOptions.multiplexed): each frame goes through the same
  // shape check and handler as the unary call, and its answer carries the status the unary call
  // would have failed with. Frames are answered as their handlers finish, not in arrival order.
  const unary = new Map(Object.entries(impl).filter(([name]) => !service[name].responseStream));
  const open = new Set<grpc.ServerDuplexStream<_CallFrame, _AnswerFrame>>();
  _openCallStreams.set(server, open);
  impl[MULTIPLEXED_METHOD] = (call: grpc.ServerDuplexStream<_CallFrame, _AnswerFrame>) => {
    open.add(call);
    const gone = () => open.delete(call);
    call.on('close', gone);
    call.on('finish', gone);
    call.on('data', (frame: _CallFrame) => {
      const id = typeof frame?.id === 'number' ? frame.id : -1;
      const answer = (a: Omit<_AnswerFrame, 'id'>) => {
        if (!call.writable) return; // the client went away meanwhile
        call.write({ id, ...a });
      };
      const run = typeof frame?.method === 'string' ? unary.get(frame.method) : undefined;
      if (!run) {
        answer({ code: grpc.status.UNIMPLEMENTED, details: `${String(frame?.method)}: no such method` });
        return;
      }
      const fake = { request: frame.request } as grpc.ServerUnaryCall<unknown, unknown>;
      (run as grpc.handleUnaryCall<unknown, unknown>)(fake, (error, res) => {
        if (error) answer({ code: (error as grpc.ServiceError).code ?? grpc.status.INTERNAL, details: (error as grpc.ServiceError).details ?? String(error) });
        else answer({ response: res });
      });
    });
    call.on('end', () => call.end());
    call.on('error', () => {}); // a client that vanished: its calls are simply not answered
  };
  server.addService({ ...service, [MULTIPLEXED_METHOD]: _multiplexedDefinition(service) }, impl);
  return await new Promise((resolve) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error) => {
      if (error) {
        const inUse = /EADDRINUSE|address already in use|No address added/i.test(error.message);
        resolve({ ok: false, err: inUse ? 'ERR_ADDRESS_ALREADY_USED' : 'ERR_NETWORK_FAILURE', detail: error.message });
      } else {
        resolve({ ok: true, server });
      }
    });
  });
}
