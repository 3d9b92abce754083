// The shape of every request, checked where a server receives it. cbor-x decodes whatever the
// sender encoded, so without this a request with a field of the wrong type (a string for the
// partition indices, no `options` at all) reached a handler and threw there: the caller got an
// INTERNAL error that the shell reports as "cannot reach any meta server", and the server logged a
// BUG. Pegasus's thrift decoding refuses such a message before any handler runs; so do we, with
// ERR_INVALID_PARAMETERS naming the field (rpc.ts). Extra fields are allowed (an older or newer
// peer may send more); a field marked `optional` may be absent or undefined.

import { parseNodeAddress } from './types.ts';

export type Shape =
  | { kind: 'string' | 'int' | 'number' | 'boolean' | 'bytes' | 'any' | 'address' }
  | { kind: 'literal'; values: readonly string[] }
  | { kind: 'array'; of: Shape }
  | { kind: 'map'; of: Shape }
  | { kind: 'object'; fields: Readonly<Record<string, Shape>>; optional: ReadonlySet<string> };

export const str: Shape = { kind: 'string' };
export const int: Shape = { kind: 'int' };
export const num: Shape = { kind: 'number' };
export const bool: Shape = { kind: 'boolean' };
export const bytes: Shape = { kind: 'bytes' };
export const anything: Shape = { kind: 'any' };
/** A node's identity, `host:port` exactly as parseNodeAddress writes it (a node named "" or "x" must never be registered). */
export const address: Shape = { kind: 'address' };
export const oneOf = (...values: readonly string[]): Shape => ({ kind: 'literal', values });
export const arrayOf = (of: Shape): Shape => ({ kind: 'array', of });
/** An object used as a string-keyed map (table envs). */
export const mapOf = (of: Shape): Shape => ({ kind: 'map', of });
/** The keys of T that may be absent or undefined. */
type OptionalKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];

/**
 * An object with these fields; the names in `optional` may be missing. With the message type as
 * `T`, the compiler holds the shape to it: every field of T has a shape, no shape names a field T
 * lacks, and exactly T's optional fields are listed as optional.
 */
export function obj<T extends object = Record<string, unknown>>(
  fields: NoInfer<{ [K in keyof T]-?: Shape }>,
  ...optional: [OptionalKeys<T>] extends [never] ? [] : string extends OptionalKeys<T> ? [optional?: readonly string[]] : [optional: readonly OptionalKeys<T>[]]
): Shape {
  return { kind: 'object', fields, optional: new Set((optional[0] ?? []) as readonly string[]) };
}

/** What is wrong with `value` as `shape`, naming the first bad field by its path; undefined when it fits. */
export function shapeProblem(value: unknown, shape: Shape, path = 'request'): string | undefined {
  switch (shape.kind) {
    case 'any':
      return undefined;
    case 'string':
    case 'boolean':
      return typeof value === shape.kind ? undefined : _expected(path, `a ${shape.kind}`, value);
    case 'number':
      return typeof value === 'number' && !Number.isNaN(value) ? undefined : _expected(path, 'a number', value);
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value) ? undefined : _expected(path, 'an integer', value);
    case 'address':
      return typeof value === 'string' && parseNodeAddress(value) === value ? undefined : _expected(path, 'a host:port address', value);
    case 'bytes':
      return value instanceof Uint8Array ? undefined : _expected(path, 'bytes', value);
    case 'literal':
      return typeof value === 'string' && shape.values.includes(value) ? undefined : _expected(path, `one of ${shape.values.join(', ')}`, value);
    case 'array': {
      if (!Array.isArray(value)) return _expected(path, 'a list', value);
      for (let i = 0; i < value.length; i++) {
        const problem = shapeProblem(value[i], shape.of, `${path}[${i}]`);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'map': {
      if (!_isPlainObject(value)) return _expected(path, 'an object', value);
      for (const [k, v] of Object.entries(value)) {
        const problem = shapeProblem(v, shape.of, `${path}.${k}`);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'object': {
      if (!_isPlainObject(value)) return _expected(path, 'an object', value);
      for (const [k, field] of Object.entries(shape.fields)) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) {
          if (shape.optional.has(k)) continue;
          return `${path}.${k} is missing`;
        }
        const problem = shapeProblem(v, field, `${path}.${k}`);
        if (problem) return problem;
      }
      return undefined;
    }
  }
}

function _isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function _expected(path: string, what: string, value: unknown): string {
  return `${path} must be ${what}, not ${_describe(value)}`;
}

function _describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
