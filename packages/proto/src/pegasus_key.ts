// Pegasus's data model: a row is (hash_key, sort_key) -> value. The stored key is a 2-byte
// big-endian hash_key length, the hash_key, then the sort_key (Pegasus: pegasus_generate_key), so
// all sort keys of one hash key are adjacent. The partition of a row depends on the hash key only.

export function encodePegasusKey(hashKey: Uint8Array, sortKey: Uint8Array): Uint8Array {
  if (hashKey.length > 0xffff) throw new RangeError('hash_key longer than 65535 bytes');
  const out = new Uint8Array(2 + hashKey.length + sortKey.length);
  out[0] = hashKey.length >> 8;
  out[1] = hashKey.length & 0xff;
  out.set(hashKey, 2);
  out.set(sortKey, 2 + hashKey.length);
  return out;
}

export function decodePegasusKey(key: Uint8Array): { hashKey: Uint8Array; sortKey: Uint8Array } {
  const len = (key[0] << 8) | key[1];
  return { hashKey: key.subarray(2, 2 + len), sortKey: key.subarray(2 + len) };
}

const CRC32_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE). Pegasus hashes with CRC-64; any stable hash works as long as every client agrees. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC32_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The partition that holds every row of `hashKey`. Like Pegasus, an empty hash key hashes the sort
 * key instead, so rows without a hash key still spread.
 */
export function partitionOfHashKey(hashKey: Uint8Array, sortKey: Uint8Array, partitionCount: number): number {
  const bytes = hashKey.length > 0 ? hashKey : sortKey;
  return crc32(bytes) % partitionCount;
}
