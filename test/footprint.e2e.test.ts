/**
 * What the bins load and keep, through the real bins: a backup reads a
 * server collection without loading the official Qdrant client (and the npm
 * fetch it brings, 20 MB), a restore loads it to create the collection; and
 * the bins keep V8's young generation at (about) its starting size; --help and --version
 * load no more of Node than they need (start-up is judged by them). Each check has
 * its control, so that a probe that sees nothing cannot pass.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createMemoryStore, type MemoryStore } from './fixtures/memory-store.js';
import { startQdrantTestServer, type QdrantTestServer } from './qdrant-server/server.js';
import { runCli } from './support/cli.js';
import { seedCollection } from './support/qdrant-seed.js';
import { cleanupTempDirs, makeTempDir } from './support/temp.js';

/** Preloaded into a command: on exit, writes the CommonJS and Node modules it loaded and the young generation's size. */
const PROBE = `
import fs from 'node:fs';
import { createRequire } from 'node:module';
const out = process.env.BA_TEST_PROBE_OUT;
process.on('exit', () => {
  // read before the probe loads node:v8 itself
  const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
  const require = createRequire(import.meta.url);
  const modules = Object.keys(require.cache);
  const newSpace = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  fs.writeFileSync(out, JSON.stringify({ modules, builtins, newSpaceBytes: newSpace.space_size }));
});
`;

interface Probe {
  modules: string[];
  /** Node's own modules loaded (process.moduleLoadList). */
  builtins: string[];
  newSpaceBytes: number;
}

let server: QdrantTestServer;
let store: MemoryStore;
let probeFile: string;
before(async () => {
  server = await startQdrantTestServer();
  store = createMemoryStore({ root: makeTempDir('ba-footprint'), memories: 20, dims: 8 });
  await seedCollection(server.url, store.collectionName, store.points);
  probeFile = path.join(makeTempDir('ba-footprint-probe'), 'probe.mjs');
  fs.writeFileSync(probeFile, PROBE);
});
after(async () => {
  await server.close();
  cleanupTempDirs();
});

async function probed(bin: 'backup' | 'restore', args: string[]): Promise<Probe> {
  const out = path.join(path.dirname(probeFile), `${bin}-${Date.now()}.json`);
  const result = await runCli(bin, args, {
    cwd: store.root,
    env: { QDRANT_URL: server.url, NODE_OPTIONS: `--import ${probeFile}`, BA_TEST_PROBE_OUT: out },
  });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(fs.readFileSync(out, 'utf8')) as Probe;
}

const loadsClient = (probe: Probe): boolean => probe.modules.some((m) => /[\\/]undici[\\/]/.test(m));

describe('footprint', () => {
  let archive: string;

  it('a backup of a server collection does not load the Qdrant client; a restore does', async () => {
    const backup = await probed('backup', ['--require-qdrant']);
    assert.ok(
      backup.modules.some((m) => /better-sqlite3/.test(m)),
      'the probe sees the modules a backup loads',
    );
    assert.equal(loadsClient(backup), false, 'the backup loaded the Qdrant client');
    archive = fs.readdirSync(path.join(store.root, 'backups')).find((n) => n.endsWith('.zip'))!;
    const restore = await probed('restore', [path.join('backups', archive), '--yes', '--no-safety-backup']);
    assert.equal(loadsClient(restore), true, 'the restore creates the collection through the client');
  });

  it("the bins keep V8's young generation at its starting size", async () => {
    const probe = await probed('backup', ['--require-qdrant']);
    // the control: the same allocations outside the bins grow it
    const grown = spawnSync(process.execPath, [
      '-e',
      `const keep = []; for (let i = 0; i < 3e5; i++) keep.push({ i, s: 'x' + i });
       const s = require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
       process.stdout.write(String(s.space_size));`,
    ]);
    const grownBytes = Number(grown.stdout.toString());
    const startBytes = Number(
      spawnSync(process.execPath, [
        '-e',
        `process.stdout.write(String(require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size))`,
      ]).stdout.toString(),
    );
    // by default it doubles up to 16 times its start; the bins' modules load before the flag is set: one doubling
    assert.ok(grownBytes >= 8 * startBytes, `the control did not grow: ${grownBytes} vs ${startBytes}`);
    assert.ok(
      probe.newSpaceBytes <= 2 * startBytes,
      `the backup's grew to ${probe.newSpaceBytes} (start ${startBytes})`,
    );
  });

  it('--help and --version load neither node:v8 nor child_process; a backup loads both', async () => {
    const backup = await probed('backup', ['--require-qdrant']);
    // the control: the work loads them (the heap flag; the lock's liveness check)
    for (const builtin of ['v8', 'child_process'])
      assert.ok(backup.builtins.includes(builtin), `a backup loads ${builtin}`);
    for (const [bin, args] of [
      ['backup', ['--help']],
      ['backup', ['--version']],
      ['restore', ['--help']],
    ] as const) {
      const probe = await probed(bin, [...args]);
      for (const builtin of ['v8', 'child_process'])
        assert.ok(!probe.builtins.includes(builtin), `ba-${bin} ${args.join(' ')} loaded node:${builtin}`);
    }
  });
});
