// One JSON text per value, whatever order its object keys were written in, so a hash of it can
// name a state (fingerprint.ts, planId). Pure.

/**
 * `JSON.stringify` with every object's keys sorted (UTF-16 code-unit order) at every depth.
 * Arrays keep their order: their order is part of the value, and callers sort them first when it
 * is not. We write the text ourselves instead of sorting keys into a new object because an object
 * enumerates integer-like keys ("9", "10") before the others, whatever order they were added in.
 * Like JSON.stringify, a key whose value is `undefined` is left out and a non-finite number becomes
 * `null`; anything else that JSON cannot carry (functions, Maps, bigint) is our own bug: we throw.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: cannot encode a value of type ${typeof value} (${Object.prototype.toString.call(value)})`);
}
