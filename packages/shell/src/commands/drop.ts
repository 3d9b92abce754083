// `drop NAME [-r reserve_seconds]`: soft-delete a table (table_management.cpp drop_app). The shell
// always sends success_if_not_exist=true; reserve_seconds 0 means the meta's default retention.

import { getopt, type OptionSpec, parseInt32 } from '../args.ts';
import type { CommandStatus, ShellContext } from '../context.ts';
import { usageError } from './common.ts';
import { isValidAppName } from './create.ts';

const OPTIONS: OptionSpec[] = [{ short: 'r', long: 'reserve_seconds', takesValue: true }];

export async function drop(ctx: ShellContext, args: string[]): Promise<CommandStatus> {
  const parsed = getopt(args, OPTIONS);
  if (!parsed.ok) return usageError(ctx, parsed.message);
  if (parsed.positionals.length !== 1) return 'usage';
  const appName = parsed.positionals[0];
  let reserveSeconds = 0;
  const text = parsed.options.get('reserve_seconds');
  if (typeof text === 'string') {
    const n = parseInt32(text);
    if (n === undefined) return usageError(ctx, `parse ${text} as reserve_seconds failed`);
    reserveSeconds = n;
  }
  ctx.io.out(`reserve_seconds = ${reserveSeconds}`);
  if (!isValidAppName(appName)) {
    ctx.io.out(`drop app ${appName} failed, error=ERR_INVALID_PARAMETERS`);
    return 'failed';
  }
  const reply = await ctx.meta.call('drop_app', { app_name: appName, options: { success_if_not_exist: true, reserve_seconds: reserveSeconds } });
  if (!reply.ok || reply.res.err !== 'ERR_OK') {
    const detail = reply.ok ? '' : `: ${reply.detail}`;
    ctx.io.out(`drop app ${appName} failed, error=${reply.ok ? reply.res.err : reply.err}${detail}`);
    return 'failed';
  }
  ctx.io.out(`drop app ${appName} succeed`);
  return 'ok';
}
