/**
 * npm run demo: the main job on a built-in sample, needing nothing but the
 * clone. Builds a memory store in a scratch folder (real schema, a few
 * hundred memories with versions and intentions), serves its 768-dim vectors
 * from the project's Qdrant-compatible test server on a loopback port, then
 * runs the real commands and prints their output:
 *   ba-backup -d "demo", ba-backup --list, ba-restore <archive> --dry-run
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, cleanEnv } from '../test/support/cli.js';
import { createMemoryStore } from '../test/fixtures/memory-store.js';
import { seedCollection } from '../test/support/qdrant-seed.js';
import { startQdrantTestServer } from '../test/qdrant-server/server.js';

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ba-demo-'));
  const server = await startQdrantTestServer();
  try {
    const store = createMemoryStore({ root, memories: 300 });
    await seedCollection(server.url, store.collectionName, store.points);
    console.log(`Demo memory store: ${root}`);
    console.log(`  ${store.counts.memories} memories, ${store.counts.versions} versions, ${store.counts.intentions} intentions`);
    console.log(`  ${store.points.length} vectors in collection ${store.collectionName} on the test Qdrant at ${server.url}`);
    const env = cleanEnv({ QDRANT_URL: server.url });
    const run = async (bin: 'backup' | 'restore', args: string[]): Promise<string> => {
      console.log(`\n$ ba-${bin} ${args.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ')}`);
      // asynchronous, so that the in-process server keeps answering
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [BIN[bin], ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          process.stdout.write(d);
        });
        child.stderr.setEncoding('utf8').on('data', (d: string) => process.stderr.write(d));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`ba-${bin} exited with ${code}`))));
      });
    };
    const backupOut = await run('backup', ['-d', 'demo']);
    const archive = /Location: (.*\.zip)/.exec(backupOut)?.[1];
    if (!archive) throw new Error('ba-backup did not print the archive location');
    await run('backup', ['--list']);
    await run('restore', [path.basename(archive), '--dry-run']);
  } finally {
    await server.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
