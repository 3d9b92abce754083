// Calls to the meta server group. Try the last known leader first, then `server_list` in order; an
// `ERR_FORWARD_TO_OTHERS` answer names the leader in `hint`, which is tried next
// (docs/PROTOCOL.md "config_sync").

import {
  type CallResult,
  type ConfigSyncRequest,
  type ConfigSyncResponse,
  MetaService,
  type MetaServiceDefinition,
  type NodeAddress,
  RpcClient,
  type UpdatePartitionConfigurationRequest,
  type UpdatePartitionConfigurationResponse,
  parseNodeAddress,
} from '../../proto/src/index.ts';

/** The meta RPCs a replica server makes: request and response types. */
type _MetaCalls = {
  config_sync: [ConfigSyncRequest, ConfigSyncResponse];
  update_partition_configuration: [UpdatePartitionConfigurationRequest, UpdatePartitionConfigurationResponse];
};

export class MetaClient {
  private readonly servers: NodeAddress[];
  private readonly clients = new Map<NodeAddress, RpcClient<MetaServiceDefinition>>();
  private leader: NodeAddress;
  private closed = false;

  constructor(servers: NodeAddress[]) {
    this.servers = servers;
    this.leader = servers[0] ?? '';
  }

  private client(address: NodeAddress): RpcClient<MetaServiceDefinition> {
    let c = this.clients.get(address);
    if (!c) {
      c = new RpcClient(MetaService, address);
      this.clients.set(address, c);
    }
    return c;
  }

  /** The leader's answer, or the last failure when no meta server gave one. */
  async call<K extends keyof _MetaCalls>(name: K, req: _MetaCalls[K][0], timeoutMs: number): Promise<CallResult<_MetaCalls[K][1]>> {
    if (this.closed) return { ok: false, err: 'ERR_NETWORK_FAILURE', detail: 'the replica server is stopping' };
    const order = [this.leader, ...this.servers.filter((s) => s !== this.leader)];
    let last: CallResult<_MetaCalls[K][1]> = { ok: false, err: 'ERR_NETWORK_FAILURE', detail: 'no meta server configured' };
    const tried = new Set<NodeAddress>();
    while (order.length > 0 && tried.size < this.servers.length + 2) {
      const address = order.shift()!;
      if (tried.has(address)) continue;
      tried.add(address);
      const res = (await this.client(address).call(name, req as never, timeoutMs)) as CallResult<_MetaCalls[K][1]>;
      last = res;
      if (!res.ok) continue;
      if (res.res.err === 'ERR_FORWARD_TO_OTHERS') {
        const hinted = parseNodeAddress(res.res.hint ?? '');
        if (hinted) order.unshift(hinted);
        continue;
      }
      this.leader = address;
      return res;
    }
    return last;
  }

  close(): void {
    this.closed = true;
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
