// `<cluster_root>/recovery_audit`: the record of the recovery that built this cluster_root (JSON
// RecoveryAudit). It is written while `<cluster_root>/apps` still carries the "lock" marker, so it
// exists exactly when a completed recovery's tables do: a cut-short write removes both
// (app_storage.ts loadTables). Not a Pegasus node; Pegasus keeps no record of a recovery.

import type { RecoveryAudit } from '../../../proto/src/index.ts';
import { joinPath, type MetaStateStore } from './state_store.ts';

export function recoveryAuditPath(clusterRoot: string): string {
  return joinPath(clusterRoot, 'recovery_audit');
}

export async function writeRecoveryAudit(store: MetaStateStore, clusterRoot: string, audit: RecoveryAudit): Promise<void> {
  const path = recoveryAuditPath(clusterRoot);
  const bytes = new TextEncoder().encode(JSON.stringify(audit));
  if ((await store.create(path, bytes)) === 'exists') await store.set(path, bytes);
}

/** The record, or undefined when there is none or it does not parse (it is informative only). */
export async function readRecoveryAudit(store: MetaStateStore, clusterRoot: string): Promise<RecoveryAudit | undefined> {
  const bytes = await store.get(recoveryAuditPath(clusterRoot));
  if (bytes === undefined) return undefined;
  try {
    const audit = JSON.parse(new TextDecoder().decode(bytes)) as RecoveryAudit;
    return typeof audit.plan_id === 'string' && Array.isArray(audit.node_list) ? audit : undefined;
  } catch {
    return undefined;
  }
}

export async function deleteRecoveryAudit(store: MetaStateStore, clusterRoot: string): Promise<void> {
  await store.deleteTree(recoveryAuditPath(clusterRoot));
}
