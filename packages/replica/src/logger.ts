// Log lines of a server: an ISO time, then the text. Servers take a `Log` so that tests can
// capture or silence them; the default writes to stdout.

export type Log = (line: string) => void;

export function formatLogLine(text: string, now: Date = new Date()): string {
  return `${now.toISOString()} ${text}`;
}

export const stdoutLog: Log = (line) => {
  process.stdout.write(`${formatLogLine(line)}\n`);
};

export const silentLog: Log = () => {};
