// `get HASH SORT` on the table chosen with `use`: the value in quotes (escaped), or `Not found`.

import { cEscape } from '../format.ts';
import type { CommandStatus, ShellContext } from '../context.ts';
import { printOpInfo, requireTable } from './use.ts';

export async function get(ctx: ShellContext, args: string[], argBytes: Uint8Array[]): Promise<CommandStatus> {
  if (args.length !== 2) return 'usage';
  const table = requireTable(ctx);
  if (!table) return 'failed';
  const result = await table.get(argBytes[0], argBytes[1]);
  if (result.err !== 'ERR_OK') ctx.io.out(`ERROR: ${result.err}${result.detail ? ` (${result.detail})` : ''}`);
  else ctx.io.out(result.found ? `"${cEscape(result.value)}"` : 'Not found');
  printOpInfo(ctx, result);
  return result.err === 'ERR_OK' ? 'ok' : 'failed';
}
