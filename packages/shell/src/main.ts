// The admin shell: `node --import tsx packages/shell/src/main.ts [--cluster 127.0.0.1:34601,...]`.
// At a terminal it prints Pegasus's banner and prompts with `>>> `; with piped stdin it runs the
// lines as a script, without prompt or banner, and exits 1 if any command failed.

import process from 'node:process';
import { createInterface } from 'node:readline';
import { parseMetaList } from '../../client/src/index.ts';
import type { ShellContext, ShellIo } from './context.ts';
import { executeLine, runLines } from './run_shell.ts';
import { closeShellContext, createShellContext, DEFAULT_CLUSTER, parseShellArgv } from './session.ts';

const SHELL_VERSION = '2.5.0 (pegasus-ts)';

async function _banner(ctx: ShellContext, cluster: string): Promise<void> {
  // Pegasus asks the meta for the cluster name and falls back to its argument (e.g. while the meta
  // is under recovery); we fall back to "onebox" for the default list, as run.sh names it.
  const reply = await ctx.meta.call('cluster_info', {}, 2000);
  let name = cluster === DEFAULT_CLUSTER ? 'onebox' : 'unknown';
  if (reply.ok && reply.res.err === 'ERR_OK') name = reply.res.values[reply.res.keys.indexOf('cluster_name')] ?? name;
  for (const line of [
    `Pegasus Shell ${SHELL_VERSION}`,
    'Type "help" for more information.',
    'Type "Ctrl-D" or "Ctrl-C" to exit the shell.',
    '',
    `The cluster name is: ${name}`,
    `The cluster meta list is: ${cluster}`,
    '',
  ]) {
    ctx.io.out(line);
  }
}

async function _interactive(ctx: ShellContext, cluster: string): Promise<number> {
  await _banner(ctx, cluster);
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: '>>> ' });
  // Without a listener readline only pauses on Ctrl-C; the banner promises that it exits.
  rl.on('SIGINT', () => rl.close());
  rl.prompt();
  for await (const line of rl) {
    const outcome = await executeLine(ctx, line);
    if (outcome.exit) break;
    rl.prompt();
  }
  rl.close();
  return 0;
}

async function main(): Promise<number> {
  const args = parseShellArgv(process.argv.slice(2));
  if (!args.ok) {
    (args.help ? process.stdout : process.stderr).write(`${args.message}\n`);
    return args.help ? 0 : 1;
  }
  const metaList = parseMetaList(args.cluster);
  if (!metaList.ok) {
    process.stderr.write(`ERROR: ${metaList.message}\n`);
    return 1;
  }
  const io: ShellIo = { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) };
  const interactive = process.stdin.isTTY === true;
  const ctx = createShellContext(metaList.servers, io, interactive);
  try {
    if (interactive) return await _interactive(ctx, args.cluster);
    return await runLines(ctx, createInterface({ input: process.stdin, crlfDelay: Infinity }));
  } finally {
    closeShellContext(ctx);
  }
}

// A reader that goes away (`... | head`) is not an error of the shell: stop quietly, as cat does.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  process.stderr.write(`ERROR: cannot write the output: ${e.message}\n`);
  process.exit(1);
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // A bug, not an operator error: still one line, no stack trace, non-zero.
    process.stderr.write(`ERROR: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
