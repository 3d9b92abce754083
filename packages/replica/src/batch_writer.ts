// A serial, merging writer in front of one LevelDB. Two reasons:
// - Order. classic-level runs each `batch` on the libuv thread pool, so two batches issued back to
//   back may land in either order; a marker (say last_prepared_decree = 5) could then be
//   overwritten by an older value. Only one batch is in flight here, so writes land in call order.
// - Speed. An awaited LevelDB call costs about 45 µs whatever its size (docs/stack.md §4c), so
//   everything queued while one batch is in flight goes out as the next single batch (group
//   commit). Within a batch LevelDB applies operations in order, so the last put of a key wins.

import type { BatchOp } from './storage_format.ts';

export type BatchSink = (ops: BatchOp[]) => Promise<void>;

type _Queued = { ops: BatchOp[]; resolve: () => void; reject: (e: unknown) => void };

export class BatchWriter {
  private readonly sink: BatchSink;
  private queue: _Queued[] = [];
  private writing = false;
  private idleWaiters: (() => void)[] = [];

  constructor(sink: BatchSink) {
    this.sink = sink;
  }

  /** Resolves once `ops` (and everything queued before them) are written. */
  write(ops: BatchOp[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ops, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      const ops = group.length === 1 ? group[0].ops : group.flatMap((q) => q.ops);
      try {
        await this.sink(ops);
        for (const q of group) q.resolve();
      } catch (e) {
        for (const q of group) q.reject(e);
      }
    }
    this.writing = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
