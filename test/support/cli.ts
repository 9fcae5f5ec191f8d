/**
 * Runs the built bin entrypoints as a user would, in a child process, and
 * collects exit code and output. With `tty: true` the command runs under
 * script(1) so that its standard input is a real terminal (for the
 * confirmation prompt); stdout and stderr are then one stream.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REAL_QDRANT } from './real-qdrant.js';

export const BIN = {
  backup: fileURLToPath(new URL('../../../bin/ba-backup.js', import.meta.url)),
  restore: fileURLToPath(new URL('../../../bin/ba-restore.js', import.meta.url)),
};

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /** Text written to standard input, then closed. */
  input?: string;
  tty?: boolean;
  /** Run as this user and group (needs root): an ordinary user, for permission checks. */
  user?: { uid: number; gid: number };
}

/**
 * The environment a test command sees: no Qdrant or store settings leak in from the machine;
 * against a real Qdrant, the user name of this test process (as the fixtures use it).
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(QDRANT_|BA_|USE_EXTERNAL_QDRANT)/.test(key)) continue;
    env[key] = value;
  }
  if (REAL_QDRANT !== undefined) env.BA_USERNAME = REAL_QDRANT.username;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function runCli(bin: keyof typeof BIN, args: string[], options: CliOptions): Promise<CliResult> {
  const env = cleanEnv(options.env);
  const command = [process.execPath, BIN[bin], ...args];
  const child = options.tty
    ? spawn('script', ['-q', '-e', '-c', command.map(shellQuote).join(' '), '/dev/null'], { cwd: options.cwd, env })
    : spawn(command[0]!, command.slice(1), { cwd: options.cwd, env, ...options.user });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  if (options.input !== undefined) {
    if (options.tty) {
      // wait for the prompt before typing, as a person would
      const typeWhenAsked = (d: string): void => {
        if (d.includes('to confirm:')) {
          child.stdout.off('data', typeWhenAsked);
          child.stdin.write(options.input);
        }
      };
      child.stdout.on('data', typeWhenAsked);
    } else {
      child.stdin.end(options.input);
    }
  } else if (!options.tty) {
    child.stdin.end();
  }
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      child.stdin.destroy();
      resolve({ code, stdout, stderr });
    });
  });
}
