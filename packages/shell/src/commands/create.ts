// `create NAME [-p N] [-r N] [-f]`: create a table and wait until it is ready
// (table_management.cpp create_app; replication_ddl_client::create_app).

import { getopt, type OptionSpec, parseInt32 } from '../args.ts';
import type { CommandStatus, ShellContext } from '../context.ts';
import { usageError } from './common.ts';
import { waitAppReady } from './wait_app_ready.ts';

const OPTIONS: OptionSpec[] = [
  { short: 'p', long: 'partition_count', takesValue: true },
  { short: 'r', long: 'replica_count', takesValue: true },
  { short: 'f', long: 'fail_if_exist', takesValue: false },
];

export { isValidAppName } from '../../../proto/src/index.ts';
import { isValidAppName } from '../../../proto/src/index.ts';

export async function create(ctx: ShellContext, args: string[]): Promise<CommandStatus> {
  const parsed = getopt(args, OPTIONS);
  if (!parsed.ok) return usageError(ctx, parsed.message);
  if (parsed.positionals.length !== 1) return 'usage';
  const appName = parsed.positionals[0];
  const counts = _readCounts(ctx, parsed.options);
  if (counts === undefined) return 'usage';
  const failure = _validate(appName, counts.partitionCount, counts.replicaCount);
  if (failure) {
    ctx.io.out(`create app ${appName} failed: ${failure}`);
    ctx.io.out(`create app "${appName}" failed, error = ERR_INVALID_PARAMETERS`);
    return 'failed';
  }
  const reply = await ctx.meta.call('create_app', {
    app_name: appName,
    options: { partition_count: counts.partitionCount, replica_count: counts.replicaCount, success_if_exist: !parsed.options.has('fail_if_exist'), app_type: 'pegasus', envs: {} },
  });
  if (!reply.ok || reply.res.err !== 'ERR_OK') {
    const err = reply.ok ? reply.res.err : reply.err;
    if (reply.ok) {
      ctx.io.err(`${err}: create app ${appName} failed: [create] received server error`);
      // Pegasus's lines say only the code; the meta's hint says what to change.
      if (reply.res.hint) ctx.io.err(`hint: ${reply.res.hint}`);
    } else ctx.io.out(`create app ${appName} failed: [create] call server error: ${err}: ${reply.detail}`);
    ctx.io.out(`create app "${appName}" failed, error = ${err}`);
    return 'failed';
  }
  ctx.io.out(`create app ${appName} succeed, waiting for app ready`);
  const ready = await waitAppReady(ctx, appName, counts.partitionCount, counts.replicaCount);
  if (ready !== 'ERR_OK') {
    ctx.io.out(`create app "${appName}" failed, error = ${ready}`);
    return 'failed';
  }
  ctx.io.out(`${appName} is ready now!`);
  ctx.io.out(`create app "${appName}" succeed`);
  return 'ok';
}

function _readCounts(ctx: ShellContext, options: Map<string, string | true>): { partitionCount: number; replicaCount: number } | undefined {
  const read = (long: string, fallback: number): number | undefined => {
    const text = options.get(long);
    if (typeof text !== 'string') return fallback;
    const n = parseInt32(text);
    if (n === undefined) ctx.io.err(`parse ${text} as ${long} failed`);
    return n;
  };
  const partitionCount = read('partition_count', 4);
  const replicaCount = read('replica_count', 3);
  if (partitionCount === undefined || replicaCount === undefined) return undefined;
  return { partitionCount, replicaCount };
}

function _validate(appName: string, partitionCount: number, replicaCount: number): string | undefined {
  if (partitionCount < 1) return 'partition_count should >= 1';
  if (replicaCount < 1) return 'replica_count should >= 1';
  if (!isValidAppName(appName)) return 'invalid app_name';
  return undefined;
}
