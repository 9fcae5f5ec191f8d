/**
 * The one place that turns the outcome of a command into output and an exit
 * code. A UserError prints as one line (plus its hint); anything else is a
 * bug and prints its stack. With --json, errors are a JSON document on
 * stdout with a stable `code`.
 */
import { CommanderError } from 'commander';
import { ExitCode, type ErrorCode, permissionError, UserError } from '../errors.js';
import { printable, printJson } from '../output.js';
import { toolVersion } from '../version.js';
import { exitCleanlyOnInterrupt } from '../interrupt.js';
import { hintFor } from './hints.js';

export async function runCommand(name: string, argv: string[], body: () => Promise<number>): Promise<never> {
  const json = argv.includes('--json');
  exitCleanlyOnInterrupt(name);
  // `ba-backup --list | head` closes stdout early: the work goes on (a restore must not stop halfway), unprinted
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  let code: number;
  try {
    code = json && (argv.includes('--version') || argv.includes('-V')) ? printVersion(name) : await body();
  } catch (err) {
    code = reportError(name, err, json);
  }
  // Let stdout drain before exiting (pipes are asynchronous).
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}

function printVersion(name: string): number {
  printJson({ ok: true, name, version: toolVersion() });
  return ExitCode.Success;
}

function reportError(name: string, err: unknown, json: boolean): number {
  if (err instanceof CommanderError) {
    // commander printed its message (or the help / version) already
    if (err.exitCode === 0) return ExitCode.Success;
    if (json)
      printJson({
        ok: false,
        error: { code: 'USAGE', message: err.message.replace(/^error: /, ''), exit_code: ExitCode.Usage },
      });
    return ExitCode.Usage;
  }
  err = permissionError(err) ?? err;
  if (err instanceof UserError) {
    if (json) {
      printJson({
        ok: false,
        error: { code: err.code, message: err.message, hint: hintFor(err, name), exit_code: err.exitCode },
      });
    } else {
      // messages can quote archive text or a server's answer: print them inert
      process.stderr.write(`[ERROR] ${printable(err.message)}\n`);
      const hint = hintFor(err, name);
      if (hint) process.stderr.write(`        ${printable(hint)}\n`);
    }
    return err.exitCode;
  }
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  if (json) {
    const code: ErrorCode = 'INTERNAL';
    printJson({
      ok: false,
      error: {
        code,
        message: `${name} failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`,
        exit_code: ExitCode.Failure,
      },
    });
  }
  process.stderr.write(
    `[ERROR] ${name} failed unexpectedly. This is a bug; please report it with the text below.\n${stack}\n`,
  );
  return ExitCode.Failure;
}
