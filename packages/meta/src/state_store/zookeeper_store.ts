// The ZooKeeper backend of MetaStateStore: the only file that imports the `zookeeper` addon (it is a
// NAN addon that cannot load under Deno; docs/stack.md §3). Uses the addon's callback API so that
// return codes map one-to-one onto the interface's outcomes.

import { createRequire } from 'node:module';
import { joinPath, type LeaderLock, type MetaStateStore, StateStoreError } from './state_store.ts';

// deno-lint-ignore no-explicit-any
type ZkClient = any;

const require = createRequire(import.meta.url);

const ZOK = 0;
const ZNONODE = -101;
const ZNODEEXISTS = -110;
const ZNOTEMPTY = -111;
const ZOO_EPHEMERAL = 1;
const ZOO_SEQUENCE = 2;

export type ZookeeperStoreOptions = {
  /** `[zookeeper] hosts_list`, e.g. 127.0.0.1:22181 */
  hostsList: string;
  /** `[zookeeper] timeout_ms`: session timeout. */
  timeoutMs: number;
  /** How long to wait for the first connection before giving up. */
  connectTimeoutMs: number;
  /** Called once if the session is lost after connecting: the meta must stop (its lock is gone). */
  onSessionLost: (detail: string) => void;
  /** Called when the connection drops and when it comes back (for the log); the session may survive. */
  onConnectionChange?: (connected: boolean, detail: string) => void;
};

/** Wake-ups with nothing to read the addon tolerates before closing the session: never, in practice. */
const ADDON_NO_RESPONSE_LIMIT = 2 ** 31 - 1;

export async function connectZookeeperStore(options: ZookeeperStoreOptions): Promise<ZookeeperStore> {
  const ZooKeeper = require('zookeeper');
  // response_counter_limit: the addon closes the session itself, as if expired, after 10 wake-ups in
  // a row with nothing to read (node-zk.cpp, zk_io_cb), which a ZooKeeper that is still starting can
  // cause (the likely reason a fresh-clone CI run lost its session 1.7 s into a 5 s timeout). Whether the
  // session is gone is decided below (the server says so, or no connection for timeout_ms).
  const client: ZkClient = new ZooKeeper({
    connect: options.hostsList,
    timeout: options.timeoutMs,
    debug_level: 0,
    host_order_deterministic: true,
    response_counter_limit: ADDON_NO_RESPONSE_LIMIT,
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        client.close();
      } catch { /* closing a never-connected client can throw; nothing to keep */ }
      reject(new StateStoreError('connect', options.hostsList, `no ZooKeeper session within ${options.connectTimeoutMs} ms (is ZooKeeper running at [zookeeper] hosts_list = ${options.hostsList}?)`));
    }, options.connectTimeoutMs);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    client.init({});
  });
  let closing = false;
  client.on('close', () => {
    if (!closing) options.onSessionLost('ZooKeeper session closed');
  });
  // The C client hears that its session expired only from a server that still knows the session.
  // A ZooKeeper that lost its data refuses the old session ("client must try another server") and
  // the client retries forever: without a deadline of our own, a leader meta would go on serving
  // its memory, unable to write, long after its lock was gone (Pegasus only logs "the zk session is
  // reconnecting"). Disconnected for longer than the session timeout, the session is expired for
  // any ZooKeeper that others can reach, so another meta may hold the lock by now: stop. The price:
  // an outage of the whole ZooKeeper longer than [zookeeper] timeout_ms stops the meta servers too
  // (a restored ZooKeeper could have kept the session); the replica servers keep serving meanwhile.
  let disconnected: { since: number; timer: ReturnType<typeof setTimeout> } | undefined;
  client.on('connecting', () => {
    if (closing || disconnected) return;
    options.onConnectionChange?.(false, `lost the connection to ZooKeeper (${options.hostsList}); reconnecting, stopping if not back within [zookeeper] timeout_ms = ${options.timeoutMs}`);
    disconnected = {
      since: Date.now(),
      timer: setTimeout(() => {
        if (!closing) {
          options.onSessionLost(
            `no connection to ZooKeeper (${options.hostsList}) for ${options.timeoutMs} ms ([zookeeper] timeout_ms), so the session has expired ` +
              '(if ZooKeeper lost its data, recover the metadata with recover_from_replica_server = true and a new cluster_root)',
          );
        }
      }, options.timeoutMs),
    };
  });
  client.on('connect', () => {
    if (!disconnected) return;
    clearTimeout(disconnected.timer);
    options.onConnectionChange?.(true, `reconnected to ZooKeeper after ${Date.now() - disconnected.since} ms; the session is kept`);
    disconnected = undefined;
  });
  const store = new ZookeeperStore(client, () => {
    closing = true;
    if (disconnected) clearTimeout(disconnected.timer);
  });
  return store;
}

export class ZookeeperStore implements MetaStateStore {
  private readonly client: ZkClient;
  /**
   * The addon's own binding behind the npm wrapper, for the write calls. The wrapper formats every
   * call's arguments with util.inspect before it checks whether logging is on (zookeeper 7.x,
   * lib/zookeeper.js `a_create`, `a_set`): a recovery writes thousands of znodes, and that text
   * was a fifth of the write's CPU (bench/recovery_bench.ts profile). Same signatures, no wrapper
   * logic is skipped but the log line.
   */
  private readonly writer: ZkClient;
  private readonly markClosing: () => void;

  constructor(client: ZkClient, markClosing: () => void) {
    this.client = client;
    this.writer = typeof client.native?.a_create === 'function' && typeof client.native?.a_set === 'function' ? client.native : client;
    this.markClosing = markClosing;
  }

  get(path: string): Promise<Uint8Array | undefined> {
    return new Promise((resolve, reject) => {
      this.client.a_get(path, false, (rc: number, error: string, _stat: unknown, data: Buffer | null) => {
        if (rc === ZOK) resolve(data ? new Uint8Array(data) : new Uint8Array());
        else if (rc === ZNONODE) resolve(undefined);
        else reject(new StateStoreError('get', path, `${error} (${rc})`));
      });
    });
  }

  getChildren(path: string): Promise<string[] | undefined> {
    return new Promise((resolve, reject) => {
      this.client.a_get_children(path, false, (rc: number, error: string, children: string[]) => {
        if (rc === ZOK) resolve(children ?? []);
        else if (rc === ZNONODE) resolve(undefined);
        else reject(new StateStoreError('get_children', path, `${error} (${rc})`));
      });
    });
  }

  private createNode(path: string, data: Uint8Array, flags: number): Promise<{ rc: number; created: string }> {
    return new Promise((resolve, reject) => {
      this.writer.a_create(path, Buffer.from(data), flags, (rc: number, error: string, created: string) => {
        if (rc === ZOK || rc === ZNODEEXISTS) resolve({ rc, created });
        else reject(new StateStoreError('create', path, `${error} (${rc})`));
      });
    });
  }

  async create(path: string, data: Uint8Array): Promise<'created' | 'exists'> {
    const { rc } = await this.createNode(path, data, 0);
    return rc === ZOK ? 'created' : 'exists';
  }

  set(path: string, data: Uint8Array): Promise<'set' | 'no_node'> {
    return new Promise((resolve, reject) => {
      this.writer.a_set(path, Buffer.from(data), -1, (rc: number, error: string) => {
        if (rc === ZOK) resolve('set');
        else if (rc === ZNONODE) resolve('no_node');
        else reject(new StateStoreError('set', path, `${error} (${rc})`));
      });
    });
  }

  private deleteNode(path: string): Promise<'deleted' | 'not_empty'> {
    return new Promise((resolve, reject) => {
      this.client.a_delete_(path, -1, (rc: number, error: string) => {
        if (rc === ZOK || rc === ZNONODE) resolve('deleted');
        else if (rc === ZNOTEMPTY) resolve('not_empty');
        else reject(new StateStoreError('delete', path, `${error} (${rc})`));
      });
    });
  }

  async deleteTree(path: string): Promise<void> {
    // Children first, concurrently per level; a child created meanwhile makes us go round again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const children = await this.getChildren(path);
      if (children === undefined) return;
      await Promise.all(children.map((child) => this.deleteTree(joinPath(path, child))));
      if ((await this.deleteNode(path)) === 'deleted') return;
    }
    throw new StateStoreError('delete', path, 'children keep appearing');
  }

  async ensurePath(path: string): Promise<void> {
    let current = '';
    for (const part of path.split('/').filter(Boolean)) {
      current = `${current}/${part}`;
      await this.create(current, new Uint8Array());
    }
  }

  async acquireLeaderLock(lockRoot: string, myAddress: string, onChange: (leader: string) => void): Promise<LeaderLock> {
    const dir = joinPath(lockRoot, 'dsn.meta.server.leader');
    await this.ensurePath(dir);
    const { created } = await this.createNode(joinPath(dir, 'LOCKNODE'), new TextEncoder().encode(myAddress), ZOO_EPHEMERAL | ZOO_SEQUENCE);
    const mine = created.slice(created.lastIndexOf('/') + 1);
    let leader = '';
    // Poll rather than watch: a meta waits for the lock at most a session timeout, and polling once
    // a second keeps this file free of watch bookkeeping.
    for (;;) {
      const children = ((await this.getChildren(dir)) ?? []).filter((c) => c.startsWith('LOCKNODE')).sort();
      const owner = children[0];
      const data = owner === undefined ? undefined : await this.get(joinPath(dir, owner));
      const ownerAddress = data ? new TextDecoder().decode(data) : '';
      if (ownerAddress !== leader) {
        leader = ownerAddress;
        onChange(leader);
      }
      if (owner === mine) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const self = this;
    return {
      leader: () => myAddress,
      isLeader: () => true,
      release: async () => {
        await self.deleteNode(joinPath(dir, mine));
      },
    };
  }

  async close(): Promise<void> {
    this.markClosing();
    try {
      this.client.close();
    } catch { /* already closed */ }
  }
}
