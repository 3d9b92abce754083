// `set HASH SORT VALUE` on the table chosen with `use` (data_operations.cpp data_operations set).

import type { CommandStatus, ShellContext } from '../context.ts';
import { printOpInfo, requireTable } from './use.ts';

export async function set(ctx: ShellContext, args: string[], argBytes: Uint8Array[]): Promise<CommandStatus> {
  if (args.length !== 3) return 'usage';
  const table = requireTable(ctx);
  if (!table) return 'failed';
  const result = await table.set(argBytes[0], argBytes[1], argBytes[2]);
  ctx.io.out(result.err === 'ERR_OK' ? 'OK' : `ERROR: ${result.err}${result.detail ? ` (${result.detail})` : ''}`);
  printOpInfo(ctx, result);
  return result.err === 'ERR_OK' ? 'ok' : 'failed';
}
