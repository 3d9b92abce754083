export * from './error_code.ts';
export * from './types.ts';
export * from './messages.ts';
export * from './codec.ts';
export * from './services.ts';
export * from './rpc.ts';
export * from './ini.ts';
export * from './pegasus_key.ts';
