// Shared by the recovery tests (not a test file itself): row builders for app infos and replica
// infos as replica servers report them, and a seeded shuffle so a failing order can be replayed.

import type { AppInfo, ReplicaInfo } from '../../../proto/src/types.ts';
import type { Candidate } from './compare_replica_candidates.ts';
import { candidatesOf, type RecoveryCandidates } from './construct_partitions.ts';

/** An AVAILABLE pegasus app info; `more` overrides any field. */
export const app = (id: number, name: string, partitions: number, more: Partial<AppInfo> = {}): AppInfo => ({
  status: 'AS_AVAILABLE', app_type: 'pegasus', app_name: name, app_id: id, partition_count: partitions, envs: {},
  is_stateful: true, max_replica_count: 3, expire_second: 0, create_second: 0, drop_second: 0, ...more,
});

/** A PS_INACTIVE replica of `gpid` ("app.pidx") at (ballot, last_committed_decree, last_prepared_decree). */
export const rep = (gpid: string, ballot: number, lcd: number, lpd = lcd): ReplicaInfo => {
  const [app_id, partition_index] = gpid.split('.').map(Number);
  return { pid: { app_id, partition_index }, ballot, status: 'PS_INACTIVE', last_committed_decree: lcd, last_prepared_decree: lpd, last_durable_decree: lcd, app_type: 'pegasus', disk_tag: 'default' };
};

/** The onebox address of replica server `i` (1-9). */
export const N = (i: number) => `127.0.0.1:3480${i}`;

/** mulberry32: a tiny seeded generator, so a failing shuffle can be replayed from its seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates with `rand`; the input is not changed. */
export function shuffle<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The candidates kept for `gpid` ("app.pidx"), worst first, as constructRecovery keeps them. */
export const candidatesAt = (candidates: RecoveryCandidates, gpid: string): readonly Candidate[] => {
  const [app_id, partition_index] = gpid.split('.').map(Number);
  return candidatesOf(candidates, { app_id, partition_index });
};

/** Every partition that has a candidate list, as gpid text, app id then index order. */
export const candidateGpids = (candidates: RecoveryCandidates): string[] =>
  [...candidates].sort(([a], [b]) => a - b).flatMap(([appId, slots]) => slots.map((_, pidx) => `${appId}.${pidx}`));
