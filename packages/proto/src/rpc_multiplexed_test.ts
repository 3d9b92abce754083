// Goal: a call multiplexed over the client's one stream (RpcClientOptions.multiplexed) answers
// exactly as the same unary call does: the response, ERR_INVALID_PARAMETERS for a malformed
// request (no handler runs), ERR_TIMEOUT past the deadline, ERR_NETWORK_FAILURE when the server
// is down or goes away (calls in flight included), and a new stream once it is back. Answers may
// come out of order. A graceful shutdown is not held open by a client's stream (shutdownRpcServer).
// Method: a real gRPC server on 127.0.0.1 in this process, with a handler that can be held.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MetaService, RpcClient, shutdownRpcServer, startRpcServer, type UnaryHandlers } from './index.ts';
import type * as grpc from '@grpc/grpc-js';
import { randomPort } from '../../../tests/support/ports.ts';

type Held = { release: () => void; done: Promise<void> };
const held = new Map<string, Held>();
const hold = (name: string): Held => {
  let release = () => {};
  const done = new Promise<void>((r) => (release = r));
  const h = { release, done };
  held.set(name, h);
  return h;
};
const calls: string[] = [];
const via: ('unary' | 'stream')[] = [];

const handlers: UnaryHandlers<typeof MetaService> = {
  // The app name picks the behaviour: "hold:X" waits until X is released, "throw" is a bug.
  create_app: async (req, call?: unknown) => {
    calls.push(req.app_name);
    // A unary call hands the handler grpc-js's call object (with metadata); a multiplexed one only
    // its request: so the test can tell which way a call came.
    via.push(typeof call === 'object' && call !== null && 'metadata' in call ? 'unary' : 'stream');
    if (req.app_name.startsWith('hold:')) await held.get(req.app_name.slice(5))?.done;
    if (req.app_name === 'throw') throw new Error('a bug');
    return { err: 'ERR_OK', hint: '', appid: req.app_name.length };
  },
};

const createApp = (app_name: string) => ({ app_name, options: { app_type: 'pegasus', partition_count: 1, replica_count: 1, success_if_exist: false, envs: {} } });

/**
 * A server on `port`, or on a random port above the ephemeral range (ports.ts): the restart test
 * binds the same port again, which an outgoing connection must not have taken meanwhile.
 */
async function start(port?: number): Promise<{ address: string; server: grpc.Server }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const address = `127.0.0.1:${port ?? randomPort()}`;
    const bound = await startRpcServer(MetaService, handlers, address, () => {});
    if (bound.ok) return { address, server: bound.server };
    if (port !== undefined) await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('cannot start a server');
}

test('answers as the unary call does: response, malformed request, handler bug, out of order', async () => {
  const { address, server } = await start();
  const unary = new RpcClient(MetaService, address);
  const mux = new RpcClient(MetaService, address, { multiplexed: true });
  try {
    assert.equal(await mux.call('create_app', createApp('abc'), 5000), await unary.call('create_app', createApp('abc'), 5000));
    assert.equal(await mux.call('create_app', createApp('abc'), 5000), { ok: true, res: { err: 'ERR_OK', hint: '', appid: 3 } });
    assert.equal(via, ['stream', 'unary', 'stream'], 'the multiplexed client used its stream, the other did not');
    calls.length = 0;
    const malformed = await mux.call('create_app', 7 as never, 5000);
    assert.equal(malformed, await unary.call('create_app', 7 as never, 5000));
    assert.equal(malformed, { ok: false, err: 'ERR_INVALID_PARAMETERS', detail: 'create_app: request must be an object, not 7' });
    assert.equal(calls, [], 'no handler ran for a malformed request');
    const bug = await mux.call('create_app', createApp('throw'), 5000);
    assert.is(bug.ok, false);
    assert.equal(bug, await unary.call('create_app', createApp('throw'), 5000));
    // A held call does not hold up the next one on the same stream.
    const h = hold('first');
    const first = mux.call('create_app', createApp('hold:first'), 5000);
    assert.equal(await mux.call('create_app', createApp('second'), 5000), { ok: true, res: { err: 'ERR_OK', hint: '', appid: 6 } });
    h.release();
    assert.equal(await first, { ok: true, res: { err: 'ERR_OK', hint: '', appid: 10 } });
  } finally {
    unary.close();
    mux.close();
    server.forceShutdown();
  }
});

/** A fresh server and a multiplexed client of it for `body`; both are gone afterwards. */
async function withMultiplexedClient(body: (mux: RpcClient<typeof MetaService>) => Promise<void>): Promise<void> {
  const { address, server } = await start();
  const mux = new RpcClient(MetaService, address, { multiplexed: true });
  try {
    await body(mux);
  } finally {
    mux.close();
    server.forceShutdown();
  }
}

test('a method the server does not have: ERR_HANDLER_NOT_FOUND', () =>
  withMultiplexedClient(async (mux) => {
    const r = await mux.call('drop_app', { app_name: 'x', options: { success_if_not_exist: false, reserve_seconds: 0 } }, 5000);
    assert.equal(r.ok ? r.res : r.err, 'ERR_HANDLER_NOT_FOUND');
  }));

test('deadline: ERR_TIMEOUT, and the late answer is dropped', () =>
  withMultiplexedClient(async (mux) => {
    const h = hold('slow');
    const r = await mux.call('create_app', createApp('hold:slow'), 200);
    assert.is(r.ok ? r.res.err : r.err, 'ERR_TIMEOUT');
    h.release();
    assert.equal(await mux.call('create_app', createApp('after'), 5000), { ok: true, res: { err: 'ERR_OK', hint: '', appid: 5 } });
  }));

test('server down, killed with calls in flight, back again: ERR_NETWORK_FAILURE, then a new stream', async () => {
  const first = await start();
  const port = Number(first.address.split(':')[1]);
  const mux = new RpcClient(MetaService, first.address, { multiplexed: true });
  try {
    assert.is((await mux.call('create_app', createApp('up'), 5000)).ok, true);
    hold('never');
    const inFlight = mux.call('create_app', createApp('hold:never'), 5000);
    first.server.forceShutdown();
    const lost = await inFlight;
    assert.is(lost.ok ? lost.res.err : lost.err, 'ERR_NETWORK_FAILURE');
    const down = await mux.call('create_app', createApp('down'), 5000);
    assert.is(down.ok ? down.res.err : down.err, 'ERR_NETWORK_FAILURE');
    const again = await start(port);
    try {
      let r = await mux.call('create_app', createApp('back'), 5000);
      // The channel may still be backing off its reconnect (at most 1 s here): ask again.
      for (let i = 0; i < 30 && !r.ok; i++) {
        await new Promise((res) => setTimeout(res, 100));
        r = await mux.call('create_app', createApp('back'), 5000);
      }
      assert.equal(r, { ok: true, res: { err: 'ERR_OK', hint: '', appid: 4 } });
    } finally {
      again.server.forceShutdown();
    }
  } finally {
    mux.close();
  }
});

test('a graceful shutdown ends the open streams instead of waiting for them; close() answers calls in flight', async () => {
  const { address, server } = await start();
  const mux = new RpcClient(MetaService, address, { multiplexed: true });
  assert.is((await mux.call('create_app', createApp('x'), 5000)).ok, true);
  const began = Date.now();
  await shutdownRpcServer(server);
  assert.ok(Date.now() - began < 2000, `shutdown took ${Date.now() - began} ms`);
  const other = await start();
  const closing = new RpcClient(MetaService, other.address, { multiplexed: true });
  try {
    hold('closing');
    const inFlight = closing.call('create_app', createApp('hold:closing'), 5000);
    await new Promise((r) => setTimeout(r, 100));
    closing.close();
    const r = await inFlight;
    assert.is(r.ok, false);
    held.get('closing')!.release();
  } finally {
    mux.close();
    other.server.forceShutdown();
  }
});

test.run();
