// Thin gRPC helpers shared by every process: a typed unary call that never throws (transport
// failures become ERR_NETWORK_FAILURE / ERR_TIMEOUT / ERR_HANDLER_NOT_FOUND in the answer, a request
// the server refused as malformed ERR_INVALID_PARAMETERS), and a server binder that checks each
// request's shape before its handler and turns "port in use" into ERR_ADDRESS_ALREADY_USED.

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

/** A connection to one server, typed by its service definition. */
export class RpcClient<S extends AnyService> {
  readonly address: string;
  private readonly service: S;
  private readonly client: grpc.Client;

  constructor(service: S, address: string) {
    this.address = address;
    this.service = service;
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  call<K extends keyof S & string>(name: K, req: ReqOf<S[K]>, timeoutMs: number): Promise<CallResult<ResOf<S[K]>>> {
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
    this.client.close();
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
  server.addService(service, impl);
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
