// An in-memory MetaStateStore for unit tests and Deno runs. Same semantics as the ZooKeeper store,
// including EPHEMERAL_SEQUENTIAL lock nodes (released on close).

import { joinPath, type LeaderLock, type MetaStateStore, StateStoreError } from './state_store.ts';

export class MemoryStateStore implements MetaStateStore {
  private readonly nodes = new Map<string, Uint8Array>([['/', new Uint8Array()]]);
  private sequence = 0;
  /** Set to make every following operation fail, to test store outages. */
  failing = false;

  private check(op: string, path: string): void {
    if (this.failing) throw new StateStoreError(op, path, 'store unavailable (test)');
  }

  private parentOf(path: string): string {
    const i = path.lastIndexOf('/');
    return i <= 0 ? '/' : path.slice(0, i);
  }

  async get(path: string): Promise<Uint8Array | undefined> {
    this.check('get', path);
    return this.nodes.get(path);
  }

  async getChildren(path: string): Promise<string[] | undefined> {
    this.check('get_children', path);
    if (!this.nodes.has(path)) return undefined;
    const prefix = path === '/' ? '/' : `${path}/`;
    const out: string[] = [];
    for (const key of this.nodes.keys()) {
      if (key !== path && key.startsWith(prefix) && !key.slice(prefix.length).includes('/')) out.push(key.slice(prefix.length));
    }
    return out;
  }

  async create(path: string, data: Uint8Array): Promise<'created' | 'exists'> {
    this.check('create', path);
    if (this.nodes.has(path)) return 'exists';
    if (!this.nodes.has(this.parentOf(path))) throw new StateStoreError('create', path, 'parent does not exist');
    this.nodes.set(path, data);
    return 'created';
  }

  async set(path: string, data: Uint8Array): Promise<'set' | 'no_node'> {
    this.check('set', path);
    if (!this.nodes.has(path)) return 'no_node';
    this.nodes.set(path, data);
    return 'set';
  }

  async deleteTree(path: string): Promise<void> {
    this.check('delete', path);
    for (const key of [...this.nodes.keys()]) {
      if (key === path || key.startsWith(`${path}/`)) this.nodes.delete(key);
    }
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
    const name = `LOCKNODE${String(this.sequence++).padStart(10, '0')}`;
    this.nodes.set(joinPath(dir, name), new TextEncoder().encode(myAddress));
    onChange(myAddress);
    const nodes = this.nodes;
    return {
      leader: () => myAddress,
      isLeader: () => true,
      release: async () => {
        nodes.delete(joinPath(dir, name));
      },
    };
  }

  async close(): Promise<void> {}

  /** Every path and its data as text, sorted: for test assertions. */
  dump(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key of [...this.nodes.keys()].sort()) out[key] = new TextDecoder().decode(this.nodes.get(key));
    return out;
  }
}
