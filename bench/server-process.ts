/**
 * The project's Qdrant-compatible test server in its own process, on a port
 * the system picks (--port 0; the server prints the URL it got), so that the
 * tools under test never share an event loop with it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.js';

const MAIN = fileURLToPath(new URL('../test/qdrant-server/main.js', import.meta.url));

export interface ServerProcess {
  url: string;
  pid: number;
  /** Stops it (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

export async function startServerProcess(): Promise<ServerProcess> {
  // a generous heap: at 100k points of 768 dims the server holds ~0.5 GB
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT; // main.js does nothing inside the test runner
  const child: ChildProcess = spawn(process.execPath, ['--max-old-space-size=8192', MAIN, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let stopping = false;
  const kill = onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (stderr.length > 10000) stderr = stderr.slice(-10000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the test server did not start within 30 s: ${stderr}`)), 30000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the test server exited (${code ?? signal}) before listening: ${stderr}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  child.on('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`bench: the test server exited unexpectedly (${code ?? signal}): ${stderr}\n`);
  });
  return {
    url,
    pid: child.pid!,
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) {
        kill();
        return;
      }
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      kill();
    },
  };
}
