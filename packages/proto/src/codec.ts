// gRPC codecs: cbor-x with records (docs/stack.md §4d: 3.6x smaller and faster to decode than JSON).
// A message from `new Encoder()` carries its own record definitions, so no state is shared between
// processes.

import { Encoder } from 'cbor-x';

const encoder = new Encoder();

export function encodeMessage(value: unknown): Buffer {
  return encoder.encode(value) as Buffer;
}

export function decodeMessage<T>(bytes: Uint8Array): T {
  return encoder.decode(bytes) as T;
}
