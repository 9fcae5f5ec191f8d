/**
 * The one place that turns the outcome of a command into output and an exit
 * code. A UserError prints as one line (plus its hint); anything else is a
 * bug and prints its stack.
 */
import { CommanderError } from 'commander';
import { ExitCode, UserError } from '../errors.js';

export async function runCommand(name: string, body: () => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await body();
  } catch (err) {
    code = reportError(name, err);
  }
  // Let stdout drain before exiting (pipes are asynchronous).
  process.exitCode = code;
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}

function reportError(name: string, err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed its message
    return err.exitCode === 0 ? ExitCode.Success : ExitCode.Usage;
  }
  if (err instanceof UserError) {
    process.stderr.write(`[ERROR] ${err.message}\n`);
    if (err.hint) process.stderr.write(`        ${err.hint}\n`);
    return err.exitCode;
  }
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`[ERROR] ${name} failed unexpectedly. This is a bug; please report it with the text below.\n${stack}\n`);
  return ExitCode.Failure;
}
