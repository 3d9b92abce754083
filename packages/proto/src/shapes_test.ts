// Goal: a request of the wrong shape is refused where the server receives it, naming the field,
// and never reaches a handler (before, such requests made handlers throw: the caller saw INTERNAL,
// read as "cannot reach any meta server"). Method: shapeProblem on rows of values; then every
// method of both services over real gRPC, with handlers that fail the test if called.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RpcClient, startRpcServer, type UnaryHandlers } from './rpc.ts';
import { MetaService, ReplicaService } from './services.ts';
import { address, arrayOf, bool, bytes, int, mapOf, num, obj, oneOf, shapeProblem, str } from './shapes.ts';

type Request = { name: string; count: number; ratio: number; on: boolean; key: Uint8Array; kind: 'a' | 'b'; list: { id: number }[]; envs: Record<string, string>; node: string; note?: string };
const REQUEST = obj<Request>(
  { name: str, count: int, ratio: num, on: bool, key: bytes, kind: oneOf('a', 'b'), list: arrayOf(obj<{ id: number }>({ id: int })), envs: mapOf(str), node: address, note: str },
  ['note'],
);
const GOOD = { name: 'x', count: 3, ratio: 0.5, on: false, key: new Uint8Array([1]), kind: 'a', list: [{ id: 1 }], envs: { k: 'v' }, node: '127.0.0.1:34801', extra: 'allowed' };

test('shapeProblem: the first bad field, by its path', () => {
  const rows: [unknown, string | undefined][] = [
    [GOOD, undefined],
    [{ ...GOOD, note: 'optional, present' }, undefined],
    [{ ...GOOD, note: undefined }, undefined],
    [5, 'request must be an object, not 5'],
    [[], 'request must be an object, not []'],
    [null, 'request must be an object, not null'],
    [{ ...GOOD, name: undefined }, 'request.name is missing'],
    [{ ...GOOD, count: '3' }, 'request.count must be an integer, not "3"'],
    [{ ...GOOD, count: 1.5 }, 'request.count must be an integer, not 1.5'],
    [{ ...GOOD, count: 2 ** 60 }, 'request.count must be an integer, not 1152921504606847000'],
    [{ ...GOOD, ratio: Number.NaN }, 'request.ratio must be a number, not null'],
    [{ ...GOOD, on: 'no' }, 'request.on must be a boolean, not "no"'],
    [{ ...GOOD, key: 'k' }, 'request.key must be bytes, not "k"'],
    [{ ...GOOD, kind: 'c' }, 'request.kind must be one of a, b, not "c"'],
    [{ ...GOOD, list: [{ id: 1 }, { id: 'x' }] }, 'request.list[1].id must be an integer, not "x"'],
    [{ ...GOOD, list: {} }, 'request.list must be a list, not {}'],
    [{ ...GOOD, envs: { k: 1 } }, 'request.envs.k must be a string, not 1'],
    [{ ...GOOD, node: '' }, 'request.node must be a host:port address, not ""'],
    [{ ...GOOD, node: '127.0.0.1:34801 ' }, 'request.node must be a host:port address, not "127.0.0.1:34801 "'],
    [{ ...GOOD, node: 'h:0' }, 'request.node must be a host:port address, not "h:0"'],
    [{ ...GOOD, name: 'y'.repeat(100) }, undefined],
    [{ ...GOOD, count: 'z'.repeat(100) }, `request.count must be an integer, not "${'z'.repeat(56)}...`],
  ];
  for (const [value, expected] of rows) assert.is(shapeProblem(value, REQUEST), expected, JSON.stringify(value)?.slice(0, 80));
});

test('every method of both services refuses a malformed request with ERR_INVALID_PARAMETERS; no handler runs', async () => {
  for (const service of [MetaService, ReplicaService] as const) {
    const called: string[] = [];
    const handlers = Object.fromEntries(Object.keys(service).map((name) => [name, async () => {
      called.push(name);
      throw new Error(`${name} must not be called`);
    }])) as UnaryHandlers<typeof service>;
    let bound;
    let address = '';
    for (let attempt = 0; attempt < 20; attempt++) {
      address = `127.0.0.1:${40000 + Math.floor(Math.random() * 20000)}`;
      bound = await startRpcServer(service, handlers, address, () => {});
      if (bound.ok || bound.err !== 'ERR_ADDRESS_ALREADY_USED') break;
    }
    if (!bound?.ok) throw new Error(`cannot start a server: ${JSON.stringify(bound)}`);
    const client = new RpcClient(service as typeof MetaService, address);
    try {
      for (const [name, def] of Object.entries(service)) {
        if (def.responseStream) {
          const stream = (client as unknown as RpcClient<typeof ReplicaService>).stream(name as 'learn', 7 as never, 5000);
          const error = await new Promise<{ code?: number; details?: string }>((resolve) => {
            stream.on('data', () => {});
            stream.on('error', resolve);
            stream.on('end', () => resolve({}));
          });
          assert.is(error.details, `${name}: request must be an object, not 7`, name);
          continue;
        }
        const r = await client.call(name as 'list_apps', 7 as never, 5000);
        assert.equal(r, { ok: false, err: 'ERR_INVALID_PARAMETERS', detail: `${name}: request must be an object, not 7` }, name);
      }
      assert.equal(called, []);
    } finally {
      client.close();
      bound.server.forceShutdown();
    }
  }
});

test.run();
