// Setting up a shell session: argv, the clients and the context the commands share.

import { MetaClient, PegasusClient } from '../../client/src/index.ts';
import type { ShellContext, ShellIo } from './context.ts';
import { systemLookupIpv4 } from './node_list.ts';

export const DEFAULT_CLUSTER = '127.0.0.1:34601,127.0.0.1:34602,127.0.0.1:34603';
const USAGE = 'usage: main.ts [--cluster host:port,host:port,...]   (default ' + DEFAULT_CLUSTER + ')';

/** The meta list from argv, or a message for the operator. */
export function parseShellArgv(argv: readonly string[]): { ok: true; cluster: string } | { ok: false; message: string; help?: boolean } {
  let cluster = DEFAULT_CLUSTER;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') return { ok: false, message: USAGE, help: true };
    if (arg.startsWith('--cluster=')) cluster = arg.slice('--cluster='.length);
    else if (arg === '--cluster' && i + 1 < argv.length) cluster = argv[++i];
    else if (arg === '--cluster') return { ok: false, message: `ERROR: option "--cluster" needs a value\n${USAGE}` };
    else return { ok: false, message: `ERROR: unknown option "${arg}"\n${USAGE}` };
  }
  return { ok: true, cluster };
}

export function createShellContext(metaServers: readonly string[], io: ShellIo, interactive: boolean): ShellContext {
  const meta = new MetaClient(metaServers);
  return {
    io,
    metaServers,
    meta,
    pegasus: new PegasusClient(meta),
    currentApp: undefined,
    lookupIpv4: systemLookupIpv4,
    appReadyPollMs: 2000,
    appReadyMaxWaitSeconds: 600,
    recoverPollMs: 200,
    interactive,
  };
}

export function closeShellContext(ctx: ShellContext): void {
  ctx.pegasus.close();
  ctx.meta.close();
}
