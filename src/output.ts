/**
 * How the commands talk to the user: progress and warnings go through a
 * Reporter so the core never writes to the terminal itself, and every string
 * that came from an archive or a server is printed with control characters
 * escaped (a description must not be able to move the cursor or clear the
 * screen).
 */

export interface Reporter {
  /** A step of the work, e.g. "[INFO] Exporting vectors...". */
  info(line: string): void;
  /** Something the user should know but that does not stop the work. */
  warn(line: string): void;
}

export const silentReporter: Reporter = { info: () => undefined, warn: () => undefined };

export function consoleReporter(quiet = false): Reporter {
  return {
    info: (line) => {
      if (!quiet) process.stdout.write(`${line}\n`);
    },
    warn: (line) => process.stderr.write(`[WARNING] ${line}\n`),
  };
}

/** Escapes C0/C1 control characters and DEL so the text prints as one inert line. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)} ${units[unit]}`;
}
