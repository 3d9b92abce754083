// The client library shared by the shell and the bench tool.
export * from './routing.ts';
export * from './meta_client.ts';
export * from './table_client.ts';
