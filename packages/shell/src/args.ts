// Command-line parsing of the shell: split a line into words the way Pegasus's shell does
// (sdssplitargs: blanks separate, "double quotes" with \n \t \\ \" \xHH escapes, 'single quotes'
// literal), then read options the way GNU getopt_long does (-f x, -fx, --file x, --file=x, -bl,
// options may follow positional words, `--` ends the options).

/**
 * Words of a line, as text and as bytes. The bytes matter for data commands: `\xHH` in double
 * quotes is one raw byte (so a binary value printed by `get` can be typed back), while other
 * characters are UTF-8.
 */
export type TokenizeResult = { ok: true; words: string[]; bytes: Uint8Array[] } | { ok: false; message: string };

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07', '\\': '\\', '"': '"' };
const UTF8 = new TextEncoder();

/** A word being built: its text and its bytes side by side. */
type WordBuffer = { text: string; bytes: number[] };

function _append(word: WordBuffer, text: string): void {
  word.text += text;
  word.bytes.push(...UTF8.encode(text));
}

/** Read one quoted part starting at `line[start]` (a quote) into `word`; returns the index after it. */
function _readQuoted(line: string, start: number, word: WordBuffer): number | undefined {
  const quote = line[start];
  let i = start + 1;
  while (i < line.length) {
    const c = line[i];
    if (c === quote) return i + 1;
    if (quote === '"' && c === '\\' && i + 1 < line.length) {
      const hex = /^x([0-9a-fA-F]{2})/.exec(line.slice(i + 1, i + 4));
      if (hex) {
        const byte = parseInt(hex[1], 16);
        word.text += String.fromCharCode(byte);
        word.bytes.push(byte);
        i += 4;
      } else {
        _append(word, ESCAPES[line[i + 1]] ?? line[i + 1]);
        i += 2;
      }
      continue;
    }
    if (quote === "'" && c === '\\' && line[i + 1] === "'") {
      _append(word, "'");
      i += 2;
      continue;
    }
    const cp = _codePointAt(line, i);
    _append(word, cp);
    i += cp.length;
  }
  return undefined;
}

/** The whole character at `i` (two UTF-16 units for a surrogate pair), so UTF-8 stays valid. */
function _codePointAt(line: string, i: number): string {
  return String.fromCodePoint(line.codePointAt(i)!);
}

export function tokenize(line: string): TokenizeResult {
  const words: string[] = [];
  const bytes: Uint8Array[] = [];
  let i = 0;
  while (i < line.length) {
    if (/\s/.test(line[i])) {
      i++;
      continue;
    }
    const word: WordBuffer = { text: '', bytes: [] };
    while (i < line.length && !/\s/.test(line[i])) {
      if (line[i] === '"' || line[i] === "'") {
        const next = _readQuoted(line, i, word);
        if (next === undefined) return { ok: false, message: `unbalanced quotes in: ${line}` };
        i = next;
      } else {
        const cp = _codePointAt(line, i);
        _append(word, cp);
        i += cp.length;
      }
    }
    words.push(word.text);
    bytes.push(Uint8Array.from(word.bytes));
  }
  return { ok: true, words, bytes };
}

export type OptionSpec = { short: string; long: string; takesValue: boolean };

/** Options by their long name: the value, or `true` for a flag. A repeated option keeps the last. */
export type ParsedOptions = { ok: true; options: Map<string, string | true>; positionals: string[] } | { ok: false; message: string };

export function getopt(args: readonly string[], specs: readonly OptionSpec[]): ParsedOptions {
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    const read = arg.startsWith('--') ? _readLong(args, i, specs, options) : arg.startsWith('-') && arg.length > 1 ? _readShort(args, i, specs, options) : undefined;
    if (read === undefined) positionals.push(arg);
    else if (typeof read === 'string') return { ok: false, message: read };
    else i = read.last;
  }
  return { ok: true, options, positionals };
}

/** `--name`, `--name=value` or `--name value`. Returns the index of the last word used, or an error. */
function _readLong(args: readonly string[], i: number, specs: readonly OptionSpec[], options: Map<string, string | true>): { last: number } | string {
  const body = args[i].slice(2);
  const eq = body.indexOf('=');
  const name = eq >= 0 ? body.slice(0, eq) : body;
  const spec = specs.find((s) => s.long === name);
  if (!spec) return `unrecognized option '--${name}'`;
  if (!spec.takesValue) {
    if (eq >= 0) return `option '--${name}' doesn't allow an argument`;
    options.set(spec.long, true);
    return { last: i };
  }
  if (eq >= 0) {
    options.set(spec.long, body.slice(eq + 1));
    return { last: i };
  }
  if (i + 1 >= args.length) return `option '--${name}' requires an argument`;
  options.set(spec.long, args[i + 1]);
  return { last: i + 1 };
}

/** `-b`, `-bl` (grouped flags), `-fvalue` or `-f value`. */
function _readShort(args: readonly string[], i: number, specs: readonly OptionSpec[], options: Map<string, string | true>): { last: number } | string {
  const body = args[i].slice(1);
  for (let j = 0; j < body.length; j++) {
    const spec = specs.find((s) => s.short === body[j]);
    if (!spec) return `invalid option -- '${body[j]}'`;
    if (!spec.takesValue) {
      options.set(spec.long, true);
      continue;
    }
    if (j + 1 < body.length) {
      options.set(spec.long, body.slice(j + 1));
      return { last: i };
    }
    if (i + 1 >= args.length) return `option requires an argument -- '${body[j]}'`;
    options.set(spec.long, args[i + 1]);
    return { last: i + 1 };
  }
  return { last: i };
}

/** Parse a whole decimal int32 like dsn::buf2int32 (no trailing junk, no overflow). */
export function parseInt32(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text.trim())) return undefined;
  const n = Number(text);
  return n >= -2147483648 && n <= 2147483647 ? n : undefined;
}
