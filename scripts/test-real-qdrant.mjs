// npm run test:real-qdrant: the suites that talk to Qdrant, against the server at
// BA_TEST_QDRANT_URL (API key in BA_TEST_QDRANT_API_KEY) instead of their own test server.
// Run after the build; refuses to start without the variable, so it never passes by testing nothing new.
import { spawnSync } from 'node:child_process';

const SUITES = [
  'backup',
  'restore',
  'fidelity',
  'original-format',
  'operations',
  'outcomes',
  'damaged-store',
  'faults',
  'snapshots',
];

if (!process.env.BA_TEST_QDRANT_URL) {
  process.stderr.write(
    'BA_TEST_QDRANT_URL is not set: give the Qdrant to test against, e.g. BA_TEST_QDRANT_URL=http://localhost:6333\n',
  );
  process.exit(2);
}
const files = SUITES.map((name) => `dist/test/${name}.e2e.test.js`);
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(run.status ?? 1);
