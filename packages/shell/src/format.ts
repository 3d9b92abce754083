// Small text formats of Pegasus's shell: times, app status names, escaped byte strings.

import type { AppStatus } from '../../proto/src/index.ts';

/** `YYYY-MM-DD_HH:MM:SS` in local time, as `ls` prints create and drop times (utils/time_utils.h). */
export function formatDateTime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}_${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** `AS_AVAILABLE` -> `AVAILABLE`: `ls` strips the enum prefix. */
export function appStatusName(status: AppStatus): string {
  return status.startsWith('AS_') ? status.slice(3) : status;
}

/**
 * Printable form of a byte string, like pegasus::utils::c_escape_string: printable ASCII stays,
 * `"` and `\` get a backslash, everything else becomes \xHH. So a binary value cannot garble the
 * terminal, and the shell's own parser reads the text back to the same bytes.
 */
export function cEscape(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}
