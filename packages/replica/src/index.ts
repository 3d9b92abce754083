// The replica server package: start one in-process, or read its config file.

export { startReplicaServer, ReplicaServerStartError } from './replica_server.ts';
export type { ReplicaServerHandle, ReplicaServerOptions } from './replica_server.ts';
export { readReplicaConfig, parseReplicaConfig } from './config.ts';
export type { ReplicaServerConfig } from './config.ts';
export { formatLogLine, stdoutLog, silentLog } from './logger.ts';
export type { Log } from './logger.ts';
