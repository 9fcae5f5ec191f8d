// Runs the Qdrant test server on its own, for manual runs and demos:
//   node dist/test/qdrant-server/main.js --port N [--host H] [--api-key K] [--peers P] [--qdrant-version V]
//     [--log-requests]
// --peers simulates a cluster of P nodes (distributed mode; shard keys, replicas); --qdrant-version
// is the version the server reports (snapshots are recovered only into the same or next minor one).
// Prints one line, `Qdrant test server listening on <url>`, and serves until SIGINT/SIGTERM;
// with --log-requests it then prints the requests it handled, `METHOD path status` a line.
//
// `node --test dist/test/` (npm test) executes every .js file under a `test` directory, this
// one included: inside the test runner (NODE_TEST_CONTEXT set) it does nothing, instead of
// serving forever and hanging the run.

import { parseArgs } from 'node:util';
import { startQdrantTestServer, type QdrantTestServer } from './server.js';

const usage = 'usage: main.js --port N [--host H] [--api-key K] [--peers P] [--qdrant-version V] [--log-requests]';

async function main(): Promise<void> {
  if (process.env.NODE_TEST_CONTEXT !== undefined) return;
  let values: {
    port?: string;
    host?: string;
    'api-key'?: string;
    peers?: string;
    'qdrant-version'?: string;
    'log-requests'?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'api-key': { type: 'string' },
        peers: { type: 'string' },
        'qdrant-version': { type: 'string' },
        'log-requests': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  if (values.help === true) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const port = values.port === undefined ? 6333 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`invalid --port ${values.port}\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  const peers = values.peers === undefined ? 1 : Number(values.peers);
  if (!Number.isInteger(peers) || peers < 1 || peers > 64) {
    process.stderr.write(`invalid --peers ${values.peers}: a whole number from 1 to 64\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  const version = values['qdrant-version'];
  if (version !== undefined && !/^\d+\.\d+\.\d+$/.test(version)) {
    process.stderr.write(`invalid --qdrant-version ${version}: a version such as 1.18.0\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  let server: QdrantTestServer;
  try {
    server = await startQdrantTestServer({ port, host: values.host, apiKey: values['api-key'], peers, version });
  } catch (e) {
    process.stderr.write(`cannot start the Qdrant test server: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`Qdrant test server listening on ${server.url}\n`);
  const logRequests = values['log-requests'] === true;
  const stop = (): void => {
    const log = logRequests ? server.requestLog.map((r) => `${r.method} ${r.path} ${r.status}\n`).join('') : '';
    server.close().then(
      // exit only once the log is written out: a pipe takes it asynchronously
      () => process.stdout.write(log, () => process.exit(0)),
      (e: unknown) => {
        process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
