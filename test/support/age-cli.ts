/**
 * The age command-line tool (Debian package `age`), for interoperability
 * tests. Tests that need it skip with a hint when it is missing, except under
 * CI=true, where they run and fail: CI must prove the interoperability.
 */
import { execFileSync, spawnSync } from 'node:child_process';

const INSTALL_HINT =
  'the age command-line tool (age, age-keygen; and script from util-linux) is missing: apt-get install age';

let available: boolean | undefined;

/** Whether age, age-keygen and script (to type a passphrase at a terminal) can be run. */
export function ageCliAvailable(): boolean {
  available ??= ['age', 'age-keygen', 'script'].every(
    (tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0,
  );
  return available;
}

/** The `skip` option of a test that needs the tool: the reason to skip, or false to run it. */
export function skipWithoutAge(): string | false {
  return ageCliAvailable() || process.env.CI === 'true' ? false : INSTALL_HINT;
}

/** Call first in a test that needs the tool: fails it when the tool is missing (under CI). */
export function requireAge(): void {
  if (!ageCliAvailable()) throw new Error(`${INSTALL_HINT} (CI=true requires it)`);
}

/** Runs `age` with these arguments; throws with its error output when it fails. */
export function age(args: string[]): void {
  execFileSync('age', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes an identity file with age-keygen; returns its public key. */
export function ageKeygen(file: string): string {
  execFileSync('age-keygen', ['-o', file], { stdio: 'ignore' });
  return execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim();
}

/**
 * Runs `age` with a passphrase typed at a pseudo-terminal (age reads it only
 * from a terminal), `times` times: twice to encrypt (it asks to confirm).
 * Returns age's exit status and its output (which echoes the passphrase).
 */
export function ageWithPassphrase(
  args: string[],
  passphrase: string,
  times: 1 | 2,
): { status: number; output: string } {
  const command = ['age', ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  const result = spawnSync('script', ['-qec', command, '/dev/null'], {
    input: `${passphrase}\n`.repeat(times),
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}
