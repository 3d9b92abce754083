// `help`: every command with its usage, like Pegasus's print_help (src/shell/main.cpp).

import type { CommandEntry, ShellIo } from '../context.ts';

export function helpLines(commands: readonly CommandEntry[]): string[] {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  const lines = ['Usage:'];
  for (const c of commands) {
    const names = [c.name, ...(c.aliases ?? [])].join('|');
    lines.push(`\t${names.padEnd(width)}${c.usage}`.trimEnd());
  }
  return lines;
}

export function printHelp(io: ShellIo, commands: readonly CommandEntry[]): void {
  for (const line of helpLines(commands)) io.out(line);
}
