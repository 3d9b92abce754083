// Goal: the meta client finds the leader the way Pegasus's ddl client does (try the list in order,
// follow ERR_FORWARD_TO_OTHERS to the hinted leader, skip unreachable metas) and never throws on
// transport failures. Method: real gRPC fake metas in this process, counting the calls each one
// gets, plus one address where nothing listens.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ListAppsResponse, MetaService, type StartRecoveryResponse } from '../../proto/src/index.ts';
import { MetaClient, replyError } from './meta_client.ts';
import { appInfo, startTestServer, type TestServer, unusedAddress } from './test_support.ts';

type FakeMeta = TestServer & { calls: number };

/** A fake meta whose list_apps and start_recovery are answered by `answer`. */
async function fakeMeta(answer: (self: FakeMeta) => Promise<{ err: ListAppsResponse['err']; hint: string }>): Promise<FakeMeta> {
  const self = { calls: 0 } as FakeMeta;
  const server = await startTestServer(MetaService, {
    list_apps: async () => {
      self.calls++;
      const a = await answer(self);
      return { ...a, infos: a.err === 'ERR_OK' ? [appInfo({ app_id: 2, app_name: 'temp' })] : [] };
    },
    start_recovery: async (): Promise<StartRecoveryResponse> => {
      self.calls++;
      const a = await answer(self);
      return { err: a.err, hint_message: a.hint };
    },
  });
  return Object.assign(self, server);
}

test('follows ERR_FORWARD_TO_OTHERS to the hinted leader and remembers it', async () => {
  const leader = await fakeMeta(async () => ({ err: 'ERR_OK', hint: '' }));
  const follower = await fakeMeta(async () => ({ err: 'ERR_FORWARD_TO_OTHERS', hint: leader.address }));
  const dead = await unusedAddress();
  const client = new MetaClient([dead, follower.address, leader.address]);
  try {
    const first = await client.call('list_apps', { status: 'all' });
    assert.ok(first.ok);
    if (first.ok) {
      assert.is(first.server, leader.address);
      assert.is(first.res.infos[0].app_name, 'temp');
    }
    assert.is(follower.calls, 1);
    assert.is(leader.calls, 1);
    // The second request goes straight to the remembered leader.
    const second = await client.call('list_apps', { status: 'all' });
    assert.is(replyError(second), 'ERR_OK');
    assert.is(follower.calls, 1);
    assert.is(leader.calls, 2);
  } finally {
    client.close();
    await Promise.all([leader.stop(), follower.stop()]);
  }
});

test('start_recovery: the leader hint may come in hint_message', async () => {
  const leader = await fakeMeta(async () => ({ err: 'ERR_OK', hint: '' }));
  const follower = await fakeMeta(async () => ({ err: 'ERR_FORWARD_TO_OTHERS', hint: leader.address }));
  const client = new MetaClient([follower.address]);
  try {
    const reply = await client.call('start_recovery', { recovery_nodes: ['127.0.0.1:34801'], skip_bad_nodes: false, skip_lost_partitions: false });
    assert.ok(reply.ok && reply.server === leader.address);
  } finally {
    client.close();
    await Promise.all([leader.stop(), follower.stop()]);
  }
});

test('no meta reachable: ERR_NETWORK_FAILURE naming every address, no throw', async () => {
  const a = await unusedAddress();
  const b = await unusedAddress();
  const client = new MetaClient([a, b]);
  const reply = await client.call('list_apps', { status: 'all' }, 3000);
  client.close();
  assert.is(reply.ok, false);
  if (!reply.ok) {
    assert.is(reply.err, 'ERR_NETWORK_FAILURE');
    assert.ok(reply.detail.includes(a) && reply.detail.includes(b), reply.detail);
  }
});

test('a request the meta refuses as malformed is ERR_INVALID_PARAMETERS naming the field; the next meta is not asked', async () => {
  const first = await fakeMeta(async () => ({ err: 'ERR_OK', hint: '' }));
  const second = await fakeMeta(async () => ({ err: 'ERR_OK', hint: '' }));
  const client = new MetaClient([first.address, second.address]);
  try {
    const reply = await client.call('list_apps', { status: 'everything' as 'all' }, 3000);
    assert.equal(reply, { ok: false, err: 'ERR_INVALID_PARAMETERS', detail: `${first.address}: list_apps: request.status must be one of all, AS_INVALID, AS_AVAILABLE, AS_CREATING, AS_DROPPING, AS_DROPPED, AS_RECALLING, not "everything"` });
    assert.is(first.calls + second.calls, 0, 'no handler ran');
  } finally {
    client.close();
    await first.stop();
    await second.stop();
  }
});

test('a timeout ends the request: the next meta is not asked (the call may still run)', async () => {
  const slow = await fakeMeta(() => new Promise((resolve) => setTimeout(() => resolve({ err: 'ERR_OK', hint: '' }), 1500)));
  const other = await fakeMeta(async () => ({ err: 'ERR_OK', hint: '' }));
  const client = new MetaClient([slow.address, other.address]);
  try {
    const reply = await client.call('start_recovery', { recovery_nodes: [], skip_bad_nodes: false, skip_lost_partitions: false }, 300);
    assert.is(replyError(reply), 'ERR_TIMEOUT');
    assert.is(other.calls, 0);
  } finally {
    client.close();
    await Promise.all([slow.stop(), other.stop()]);
  }
});

test('every meta redirects without a usable hint: retried until the deadline, then that answer', async () => {
  const a = await fakeMeta(async () => ({ err: 'ERR_FORWARD_TO_OTHERS', hint: '' }));
  const client = new MetaClient([a.address]);
  try {
    const started = Date.now();
    const reply = await client.call('list_apps', { status: 'all' }, 1000);
    assert.is(replyError(reply), 'ERR_FORWARD_TO_OTHERS');
    assert.ok(Date.now() - started >= 900, 'waited for a leader until the deadline');
    assert.ok(a.calls >= 3, `asked again while waiting (${a.calls} calls)`);
  } finally {
    client.close();
    await a.stop();
  }
});

test('the leader died and the followers still name it: the call waits for the new leader', async () => {
  // Followers name the dead leader until its ZooKeeper session expires, then the new one.
  const dead = await unusedAddress();
  const newLeader = await fakeMeta(async () => ({ err: 'ERR_OK', hint: '' }));
  const startedAt = Date.now();
  const follower = await fakeMeta(async () => ({ err: 'ERR_FORWARD_TO_OTHERS', hint: Date.now() - startedAt < 700 ? dead : newLeader.address }));
  const client = new MetaClient([dead, follower.address]);
  try {
    const reply = await client.call('list_apps', { status: 'all' }, 5000);
    assert.is(replyError(reply), 'ERR_OK');
    assert.ok(reply.ok && reply.server === newLeader.address);
    assert.ok(follower.calls >= 2, `the follower was asked again (${follower.calls} calls)`);
  } finally {
    client.close();
    await Promise.all([newLeader.stop(), follower.stop()]);
  }
});

test.run();
