// The meta server's view of its remote storage (ZooKeeper in production, memory in unit tests and
// under Deno). Only `zookeeper_store.ts` imports the ZooKeeper addon; everything else sees this
// interface, handed to constructors (docs/style.md, "Layout").
//
// Semantic outcomes (no node, node exists) are return values. A failure of the store itself
// (connection loss, timeout) throws StateStoreError: the caller cannot fix it in place, so it ends
// the current operation and reports ERR_TIMEOUT-like codes, and nothing half-done is trusted later
// (see the lock/unlock marker in app_storage.ts).

export class StateStoreError extends Error {
  readonly path: string;
  constructor(operation: string, path: string, detail: string) {
    super(`${operation} ${path} failed: ${detail}`);
    this.name = 'StateStoreError';
    this.path = path;
  }
}

export interface LeaderLock {
  /** The address held by the current lock owner ('' if unknown). */
  leader(): string;
  isLeader(): boolean;
  release(): Promise<void>;
}

export interface MetaStateStore {
  /** The node's data, or undefined when the node does not exist. */
  get(path: string): Promise<Uint8Array | undefined>;
  /** The node's children names, or undefined when the node does not exist. */
  getChildren(path: string): Promise<string[] | undefined>;
  /** Create a persistent node; 'exists' leaves the existing data untouched. */
  create(path: string, data: Uint8Array): Promise<'created' | 'exists'>;
  /** Overwrite a node's data; 'no_node' if it does not exist. */
  set(path: string, data: Uint8Array): Promise<'set' | 'no_node'>;
  /** Delete a node and everything below it; no error if absent. */
  deleteTree(path: string): Promise<void>;
  /** Create every prefix of `path` as an empty node, ignoring existing ones. */
  ensurePath(path: string): Promise<void>;
  /**
   * Join the leader election under `lockRoot` (an EPHEMERAL_SEQUENTIAL node holding `myAddress`,
   * lowest sequence wins, as Pegasus's distributed_lock_service_zookeeper). Resolves once this
   * process holds the lock; `onChange` reports the leader seen while waiting.
   */
  acquireLeaderLock(lockRoot: string, myAddress: string, onChange: (leader: string) => void): Promise<LeaderLock>;
  close(): Promise<void>;
}

export function joinPath(...parts: string[]): string {
  const joined = parts.join('/').replace(/\/+/g, '/');
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined;
}

/** Pegasus normalizes cluster_root: leading '/', no trailing '/', '/' when empty. */
export function normalizeRoot(root: string): string {
  const trimmed = root.trim().replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}
