// Running commands: one line at a time, in order, remembering whether any failed so a script's
// exit status says so (0 when every command succeeded, 1 otherwise).

import { tokenize } from './args.ts';
import { COMMANDS, EXIT_COMMAND, findCommand } from './commands.ts';
import { printHelp } from './commands/help.ts';
import type { CommandStatus, ShellContext } from './context.ts';

export type LineOutcome = { status: CommandStatus | 'empty'; exit: boolean };

export async function executeLine(ctx: ShellContext, line: string): Promise<LineOutcome> {
  const trimmed = line.trim();
  // Blank lines and `#` comments let a script carry notes.
  if (trimmed === '' || trimmed.startsWith('#')) return { status: 'empty', exit: false };
  const tokens = tokenize(trimmed);
  if (!tokens.ok) {
    ctx.io.err(`ERROR: ${tokens.message}`);
    return { status: 'failed', exit: false };
  }
  const [name, ...args] = tokens.words;
  const command = findCommand(name);
  if (!command) {
    ctx.io.err(`ERROR: invalid subcommand '${name}'`);
    printHelp(ctx.io, COMMANDS);
    return { status: 'failed', exit: false };
  }
  if (command.name === EXIT_COMMAND) return { status: 'ok', exit: true };
  const status = await command.handler(ctx, args, tokens.bytes.slice(1));
  if (status === 'usage') ctx.io.err(`USAGE: ${command.name} ${command.usage}`.trimEnd());
  return { status, exit: false };
}

/** Run a script (piped stdin); returns the exit status. */
export async function runLines(ctx: ShellContext, lines: AsyncIterable<string> | Iterable<string>): Promise<number> {
  let failed = false;
  for await (const line of lines) {
    const outcome = await executeLine(ctx, line);
    if (outcome.status === 'failed' || outcome.status === 'usage') failed = true;
    if (outcome.exit) break;
  }
  return failed ? 1 : 0;
}
