// The replica-server list of `recover` (pegasus-spec §5.1; Pegasus src/shell/commands/recovery.cpp
// and replication_ddl_client::do_recovery). Parsing is pure and keeps line numbers for messages;
// resolving host names is a separate async step with an injected lookup, so tests need no DNS.
// A node's identity is its exact `host:port` text and our servers announce IPs, so a host name is
// resolved to its IPv4 address before it is sent (Pegasus's rpc_address does the same).

import { type NodeAddress, parseNodeAddress } from '../../proto/src/index.ts';

/** One node as written by the operator; `line` is 0 for `-s` lists (no line numbers there). */
export type NodeEntry = { text: string; line: number };

export type NodeListResult = { ok: true; entries: NodeEntry[] } | { ok: false; message: string };

/** `-f FILE`: one node per line; blank lines and lines starting with `#` or `;` are skipped. */
export function parseNodeListFile(text: string, fileName: string): NodeListResult {
  const entries: NodeEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (parseNodeAddress(line) === undefined) return { ok: false, message: `parse ${line} at file ${fileName} line ${i + 1} as host:port failed` };
    entries.push({ text: line, line: i + 1 });
  }
  if (entries.length === 0) return { ok: false, message: `no node specified in file ${fileName}` };
  return { ok: true, entries };
}

/** `-s a,b,c`: items are trimmed and empty items dropped (Pegasus's split_args). */
export function parseNodeListStr(text: string): NodeListResult {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) return { ok: false, message: "can't parse node from node_list_str" };
  const bad = items.find((s) => parseNodeAddress(s) === undefined);
  if (bad !== undefined) return { ok: false, message: `parse ${bad} as a host:port node failed` };
  return { ok: true, entries: items.map((text) => ({ text, line: 0 })) };
}

/** Resolves a host name to IPv4 addresses (node:dns/promises `lookup` with family 4 fits). */
export type LookupIpv4 = (host: string) => Promise<string | undefined>;

export type ResolveResult = { ok: true; nodes: NodeAddress[] } | { ok: false; message: string };

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function _isIpv4(host: string): boolean {
  const m = IPV4.exec(host);
  return m !== null && m.slice(1).every((octet) => Number(octet) <= 255);
}

/**
 * Turn entries into the addresses sent to the meta: IPv4 literals as they are, host names
 * resolved. `fileName` is only used in messages (undefined for `-s`).
 */
export async function resolveNodeEntries(entries: NodeEntry[], fileName: string | undefined, lookup: LookupIpv4): Promise<ResolveResult> {
  const nodes: NodeAddress[] = [];
  for (const entry of entries) {
    const address = parseNodeAddress(entry.text)!;
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon);
    const where = fileName === undefined ? `parse ${entry.text} as a host:port node failed` : `parse ${entry.text} at file ${fileName} line ${entry.line} as host:port failed`;
    if (IPV4.test(host)) {
      if (!_isIpv4(host)) return { ok: false, message: `${where}: ${host} is not a valid IPv4 address` };
      nodes.push(address);
      continue;
    }
    const ip = await lookup(host).catch(() => undefined);
    if (ip === undefined) return { ok: false, message: `${where}: host ${host} does not resolve to an IPv4 address` };
    nodes.push(`${ip}${address.slice(colon)}`);
  }
  return { ok: true, nodes };
}

/** Drop repeated nodes, keeping the first; one message per dropped node (Pegasus's text, sic). */
export function dropDuplicateNodes(nodes: NodeAddress[]): { nodes: NodeAddress[]; messages: string[] } {
  const kept: NodeAddress[] = [];
  const messages: string[] = [];
  for (const node of nodes) {
    if (kept.includes(node)) messages.push(`duplicate replica node ${node}, just ingore it`);
    else kept.push(node);
  }
  return { nodes: kept, messages };
}

/** The default lookup: the system resolver, IPv4 only. */
export const systemLookupIpv4: LookupIpv4 = async (host) => {
  const { lookup } = await import('node:dns/promises');
  const answer = await lookup(host, { family: 4 });
  return answer.address;
};
