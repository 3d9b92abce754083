// Pegasus-style INI config: `[section]` headers, `key = value` lines, `;` or `#` comments.
// Shared by the meta and replica servers (both read `onebox/<role>N/config.ini`).

export type IniFile = Map<string, Map<string, string>>;

export type IniParseResult = { ok: true; ini: IniFile } | { ok: false; error: string };

export function parseIni(text: string, fileName: string): IniParseResult {
  const ini: IniFile = new Map();
  let section: Map<string, string> | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const name = header[1].trim();
      section = ini.get(name) ?? new Map();
      ini.set(name, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0 || !section) {
      return { ok: false, error: `${fileName} line ${i + 1}: expected "[section]" or "key = value", got "${line}"` };
    }
    section.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return { ok: true, ini };
}

/** Typed reads with a default and a clear error naming the section and key. */
export class ConfigReader {
  readonly errors: string[] = [];
  private readonly ini: IniFile;
  private readonly fileName: string;

  constructor(ini: IniFile, fileName: string) {
    this.ini = ini;
    this.fileName = fileName;
  }

  has(section: string, key: string): boolean {
    return this.ini.get(section)?.has(key) ?? false;
  }

  sections(): string[] {
    return [...this.ini.keys()];
  }

  string(section: string, key: string, fallback: string): string {
    return this.ini.get(section)?.get(key) ?? fallback;
  }

  int(section: string, key: string, fallback: number, min = Number.MIN_SAFE_INTEGER): number {
    const raw = this.ini.get(section)?.get(key);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min) {
      this.errors.push(`${this.fileName}: [${section}] ${key} = "${raw}" is not an integer >= ${min}`);
      return fallback;
    }
    return n;
  }

  bool(section: string, key: string, fallback: boolean): boolean {
    const raw = this.ini.get(section)?.get(key);
    if (raw === undefined) return fallback;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    this.errors.push(`${this.fileName}: [${section}] ${key} = "${raw}" must be true or false`);
    return fallback;
  }
}
