// The shell's commands in one table: name, help, usage and handler (like Pegasus's
// src/shell/main.cpp `commands[]`). Each handler lives in its own file under commands/.

import { app } from './commands/app.ts';
import { clusterInfo } from './commands/cluster_info.ts';
import { create } from './commands/create.ts';
import { del } from './commands/del.ts';
import { drop } from './commands/drop.ts';
import { get } from './commands/get.ts';
import { printHelp } from './commands/help.ts';
import { ls } from './commands/ls.ts';
import { nodes } from './commands/nodes.ts';
import { quarantine, QUARANTINE_USAGE } from './commands/quarantine.ts';
import { recall } from './commands/recall.ts';
import { recover, RECOVER_USAGE } from './commands/recover.ts';
import { recoverStatus } from './commands/recover_status.ts';
import { set } from './commands/set.ts';
import { use } from './commands/use.ts';
import { verify } from './commands/verify.ts';
import type { CommandEntry } from './context.ts';

/** `exit` is recognised by the runner (it ends the session); its handler is never called. */
export const EXIT_COMMAND = 'exit';

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'help', help: 'show help', usage: '', handler: async (ctx) => (printHelp(ctx.io, COMMANDS), 'ok') },
  { name: 'cluster_info', help: 'get the information of the cluster', usage: '', handler: clusterInfo },
  { name: 'app', help: 'get the partition information for some specific app', usage: '<app_name> [-d|--detailed]', handler: app },
  { name: 'ls', help: 'list all apps', usage: '[-a|--all] [-d|--detailed]', handler: ls },
  { name: 'nodes', help: 'get the node status for this cluster', usage: '[-d|--detailed]', handler: nodes },
  {
    name: 'create',
    help: 'create an app',
    usage: '<app_name> [-p|--partition_count num] [-r|--replica_count num] [-f|--fail_if_exist]',
    handler: create,
  },
  { name: 'drop', help: 'drop an app', usage: '<app_name> [-r|--reserve_seconds num]', handler: drop },
  { name: 'recall', help: 'recall an app', usage: '<app_id> [new_app_name]', handler: recall },
  { name: 'use', help: 'set the current app used for the data access commands', usage: '[app_name]', handler: use },
  { name: 'set', help: 'set value', usage: '<hash_key> <sort_key> <value>', handler: set },
  { name: 'get', help: 'get value', usage: '<hash_key> <sort_key>', handler: get },
  { name: 'del', help: 'delete a key', usage: '<hash_key> <sort_key>', handler: del },
  { name: 'verify', help: 'check that every partition has all its replicas, that they hold the same rows, and that it serves reads', usage: '[-a|--app_name name] [-j|--json]', handler: verify },
  { name: 'recover', help: 'control the meta to recover the system from given nodes', usage: RECOVER_USAGE, handler: recover },
  { name: 'quarantine', help: 'list the replicas kept in quarantine after a partial recovery, or release some for removal', usage: QUARANTINE_USAGE, handler: quarantine },
  { name: 'recover_status', help: 'whether a recovery is running, its stage, and how the last one ended', usage: '[-j|--json]', handler: recoverStatus },
  { name: EXIT_COMMAND, aliases: ['quit'], help: 'exit shell', usage: '', handler: async () => 'ok' },
];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name || (c.aliases ?? []).includes(name));
}
