/**
 * Packaging end to end, as a user gets the tool: `npm pack` builds and ships
 * only what runs; the tarball installs globally into a temporary prefix
 * (better-sqlite3 compiled from source by its install script, approved with
 * --allow-scripts); the installed commands work from a folder outside the
 * repository: --help, --version, a real backup of a fixture store against the
 * test Qdrant server started in this process, and a dry-run restore of it;
 * and the same tarball works through `npx -p <tarball>`.
 *
 * Every npm command uses a temporary cache, so the run leaves nothing behind
 * (npx keeps its installs in the cache). It needs the npm registry for the
 * dependencies and a C++ toolchain for better-sqlite3, and takes two to three
 * minutes (two native builds). Skip it with BA_SKIP_PACKAGING_TEST=1.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMemoryStore, type MemoryStore } from './fixtures/memory-store.js';
import { startQdrantTestServer, type QdrantTestServer } from './qdrant-server/server.js';
import { cleanEnv } from './support/cli.js';
import { seedCollection } from './support/qdrant-seed.js';
import { cleanupTempDirs, makeTempDir } from './support/temp.js';

const SKIP = /^(1|true|yes)$/i.test(process.env.BA_SKIP_PACKAGING_TEST ?? '');
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PKG = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  scripts: Record<string, string>;
};
const COMMANDS = ['ba-backup', 'ba-restore'] as const;
const MEMORIES = 40;
const MINUTE = 60_000;
const WIN = process.platform === 'win32';
/** npm's advisory when a dependency's install script is not approved. */
const UNREVIEWED = /not yet covered by allowScripts|ESTRICTALLOWSCRIPTS/;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; kills its whole process group after timeoutMs. */
function run(
  file: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Result> {
  // Windows runs npm, npx and installed commands as .cmd files, through the shell (untested there)
  const argv = WIN ? args.map((a) => (/[\s"]/.test(a) ? `"${a.replace(/"/g, '""')}"` : a)) : args;
  const child = spawn(file, argv, {
    cwd: opts.cwd,
    env: opts.env,
    detached: !WIN,
    shell: WIN,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => {
    stderr += `\n[killed after ${opts.timeoutMs} ms]`;
    try {
      if (WIN) child.kill('SIGKILL');
      else process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, opts.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The last lines of a command's output, for assertion messages. */
function tail(result: Result, lines = 40): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout.split('\n').slice(-lines).join('\n')}\n--- stderr\n${result.stderr
    .split('\n')
    .slice(-lines)
    .join('\n')}`;
}

/**
 * The environment of the npm commands: the machine's npm settings (registry,
 * certificates, nodedir), none of the per-run variables the outer `npm test`
 * exports (its prefix, cache, lifecycle, package), and a private cache.
 */
function npmEnv(cache: string): NodeJS.ProcessEnv {
  const env = cleanEnv();
  for (const key of Object.keys(env)) {
    if (
      /^npm_(lifecycle|package)_/i.test(key) ||
      /^npm_config_(prefix|global_prefix|local_prefix|cache|call|global|location|yes|allow_scripts|strict_allow_scripts|dangerously_allow_all_scripts)$/i.test(
        key,
      ) ||
      /^(npm_command|INIT_CWD|NODE_PATH)$/i.test(key)
    ) {
      delete env[key];
    }
  }
  env.npm_config_cache = cache;
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  return env;
}

/** The environment of the installed commands: nothing from npm or the test process that could lead back to the repo. */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = cleanEnv(extra);
  for (const key of Object.keys(env)) if (/^(npm_|INIT_CWD$|NODE_PATH$)/i.test(key)) delete env[key];
  return env;
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(fs.realpathSync(parent), fs.realpathSync(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Runs `--list` of both bins from the repository, one after the other, until `done` settles
 * (`--list` loads the command chunk too); the exit and stderr of each failed run.
 */
async function runBinsUntil(done: Promise<unknown>, cwd: string): Promise<{ runs: number; failures: string[] }> {
  let finished = false;
  void done.finally(() => (finished = true));
  const failures: string[] = [];
  let runs = 0;
  while (!finished) {
    for (const bin of Object.values(PKG.bin)) {
      const result = await run(process.execPath, [path.join(REPO, bin), '--list'], {
        cwd,
        env: cliEnv(),
        timeoutMs: MINUTE,
      });
      runs++;
      if (result.code !== 0) failures.push(`${bin}: exit ${result.code}: ${result.stderr.trim().split('\n')[0]}`);
    }
  }
  return { runs, failures };
}

/** The files of dist/bundle, as the build left them: the linked CLI the bins run. */
function bundleFiles(): string[] {
  const dir = path.join(REPO, 'dist', 'bundle');
  return fs.readdirSync(dir).map((name) => `dist/bundle/${name}`);
}

describe(
  'packaging: npm pack, global install from the tarball, npx',
  { skip: SKIP && 'BA_SKIP_PACKAGING_TEST is set' },
  () => {
    let work: string;
    let outside: string;
    let prefix: string;
    let npm: NodeJS.ProcessEnv;
    let tarball: string | undefined;
    let installed = false;
    let server: QdrantTestServer;
    let store: MemoryStore;
    let archive: string | undefined;
    /** npx's first run (its install and native build), started beside the global install: the two builds share the cores. */
    let npxFirstRun: Promise<Result> | undefined;

    const npmBin = WIN ? 'npm.cmd' : 'npm';
    const npxBin = WIN ? 'npx.cmd' : 'npx';
    const binPath = (name: string): string => (WIN ? path.join(prefix, `${name}.cmd`) : path.join(prefix, 'bin', name));
    const packageDir = (): string => path.join(prefix, ...(WIN ? [] : ['lib']), 'node_modules', PKG.name);

    before(async () => {
      work = makeTempDir('ba-packaging');
      assert.ok(!isInside(work, REPO), `the temporary folder ${work} must be outside the repository`);
      outside = path.join(work, 'elsewhere');
      prefix = path.join(work, 'prefix');
      fs.mkdirSync(outside);
      npm = npmEnv(path.join(work, 'npm-cache'));
      server = await startQdrantTestServer();
      store = createMemoryStore({ root: makeTempDir('ba-packaging-store'), memories: MEMORIES });
      await seedCollection(server.url, store.collectionName, store.points);
    });
    after(async () => {
      await server?.close();
      cleanupTempDirs();
    });

    it('npm pack builds (prepack) and ships only what runs', { timeout: 10 * MINUTE }, async () => {
      // a compiled module whose source is gone must not be packed (tsc never deletes outputs)
      const stale = path.join(REPO, 'dist', 'src', 'zz-stale-packaging-probe.js');
      fs.mkdirSync(path.dirname(stale), { recursive: true });
      fs.writeFileSync(stale, 'throw new Error("stale build output");\n');
      // nor a chunk of an earlier bundle (chunk names change with their content)
      const staleChunk = path.join(REPO, 'dist', 'bundle', 'chunk-ZZSTALE.js');
      fs.mkdirSync(path.dirname(staleChunk), { recursive: true });
      fs.writeFileSync(staleChunk, 'throw new Error("stale bundle chunk");\n');

      const packDir = path.join(work, 'pack');
      fs.mkdirSync(packDir);
      const packing = run(npmBin, ['pack', '--pack-destination', packDir, '--json'], {
        cwd: REPO,
        env: npm,
        timeoutMs: 8 * MINUTE,
      });
      // the other test files run the bins from this tree meanwhile: the rebuild never leaves them without a CLI
      const duringPack = await runBinsUntil(packing, outside);
      const result = await packing;
      assert.equal(result.code, 0, tail(result));
      assert.ok(duringPack.runs > 0, 'the bins ran while npm pack rebuilt');
      assert.deepEqual(duringPack.failures, [], `bins that failed while npm pack rebuilt (of ${duringPack.runs})`);
      const [info] = JSON.parse(result.stdout.slice(result.stdout.indexOf('['))) as Array<{
        filename: string;
        files: Array<{ path: string }>;
      }>;
      assert.ok(info);
      assert.equal(info.filename, `${PKG.name}-${PKG.version}.tgz`);
      tarball = path.join(packDir, info.filename);
      assert.ok(fs.statSync(tarball).size > 0);
      assert.ok(!fs.existsSync(stale), 'prepack removed the stale output');
      assert.ok(!fs.existsSync(staleChunk), 'the build replaced the whole bundle');

      // exactly: package.json, README, LICENSE, the format document, both bins and the linked CLI
      const files = info.files.map((f) => f.path).sort();
      const expected = [
        'LICENSE',
        'README.md',
        'docs/archive-format.md',
        'package.json',
        ...Object.values(PKG.bin).map((p) => p.replace(/^\.\//, '')),
        ...bundleFiles(),
      ].sort();
      assert.deepEqual(files, expected);
      for (const name of files) {
        assert.doesNotMatch(
          name,
          /^(src|test|dist\/src|dist\/test|dist\/bench|dist\/scripts|bench|scripts)\/|\.map$|\.ts$/,
          name,
        );
      }

      // each bin loads a packed module
      for (const bin of Object.values(PKG.bin)) {
        const text = fs.readFileSync(path.join(REPO, bin), 'utf8');
        assert.match(text, /^#!\/usr\/bin\/env node\n/, `${bin} has a node shebang`);
        for (const [, target] of text.matchAll(/from '([^']+)'/g)) {
          const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(bin.replace(/^\.\//, '')), target!));
          assert.ok(files.includes(resolved), `${bin} imports ${resolved}, which is packed`);
        }
      }

      // no script runs at install time: a tarball or registry install runs only better-sqlite3's
      // (a `prepare` would be flagged by npm 11 for tarball installs, fail under
      // --strict-allow-scripts, and could not run anyway without the dev dependencies)
      for (const event of ['preinstall', 'install', 'postinstall', 'prepare']) {
        assert.equal(PKG.scripts[event], undefined, `package.json has no "${event}" script`);
      }
      assert.ok(PKG.scripts.prepack, 'the build runs before packing');
    });

    it(
      'npm install -g --allow-scripts=better-sqlite3 <tarball> into a temporary prefix',
      { timeout: 15 * MINUTE },
      async () => {
        assert.ok(tarball, 'the pack step produced a tarball');
        npxFirstRun = run(
          npxBin,
          ['--yes', '--allow-scripts=better-sqlite3', '-p', tarball, 'ba-restore', '--version'],
          { cwd: outside, env: npm, timeoutMs: 14 * MINUTE },
        );
        const result = await run(
          npmBin,
          ['install', '--global', '--prefix', prefix, '--allow-scripts=better-sqlite3', tarball],
          { cwd: outside, env: npm, timeoutMs: 14 * MINUTE },
        );
        assert.equal(result.code, 0, tail(result));
        assert.doesNotMatch(result.stderr, UNREVIEWED, `every install script is approved:\n${tail(result)}`);

        const dir = packageDir();
        assert.equal(fs.realpathSync(dir), fs.realpathSync(path.resolve(dir)), 'installed as files, not a link');
        assert.ok(isInside(dir, prefix) && !isInside(dir, REPO), 'installed inside the prefix');
        assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version, PKG.version);
        for (const absent of ['src', 'test', 'dist/test', 'dist/bench', 'dist/scripts']) {
          assert.ok(!fs.existsSync(path.join(dir, absent)), `${absent} is not installed`);
        }
        // better-sqlite3 resolves inside the prefix, with its native addon built
        const sqlite = path.dirname(
          createRequire(path.join(dir, 'package.json')).resolve('better-sqlite3/package.json'),
        );
        assert.ok(isInside(sqlite, prefix), `better-sqlite3 at ${sqlite}`);
        assert.ok(fs.existsSync(path.join(sqlite, 'build', 'Release', 'better_sqlite3.node')), 'native addon built');
        for (const name of COMMANDS) assert.ok(fs.existsSync(binPath(name)), `${binPath(name)} is linked`);
        installed = true;
      },
    );

    it('both installed commands answer --help and --version from a folder outside the repository', async () => {
      assert.ok(installed, 'the install step succeeded');
      for (const name of COMMANDS) {
        const version = await run(binPath(name), ['--version'], { cwd: outside, env: cliEnv(), timeoutMs: MINUTE });
        assert.equal(version.code, 0, tail(version));
        assert.equal(version.stdout, `${PKG.version}\n`);
        const help = await run(binPath(name), ['--help'], { cwd: outside, env: cliEnv(), timeoutMs: MINUTE });
        assert.equal(help.code, 0, tail(help));
        assert.match(help.stdout, new RegExp(`^Usage: ${name} \\[options\\]`));
      }
    });

    it('the installed ba-backup backs up a fixture store, ba-restore --dry-run plans its restore', async () => {
      assert.ok(installed, 'the install step succeeded');
      const env = cliEnv({ QDRANT_URL: server.url });
      const backup = await run(binPath('ba-backup'), ['-d', 'installed from the tarball'], {
        cwd: store.root,
        env,
        timeoutMs: 2 * MINUTE,
      });
      assert.equal(backup.code, 0, tail(backup));
      assert.match(backup.stdout, /\[SUCCESS\] Backup created successfully!/);
      assert.match(backup.stdout, new RegExp(`Memories: ${MEMORIES}\\n`));
      assert.match(backup.stdout, new RegExp(`Vectors: ${MEMORIES}\\n`));
      const location = /Location: (.*\.zip)/.exec(backup.stdout)?.[1];
      assert.ok(location && fs.existsSync(location), `archive written:\n${backup.stdout}`);
      archive = location;

      const restore = await run(binPath('ba-restore'), [archive, '--dry-run'], {
        cwd: store.root,
        env,
        timeoutMs: 2 * MINUTE,
      });
      assert.equal(restore.code, 0, tail(restore));
      assert.match(restore.stdout, new RegExp(`restored: ${MEMORIES} memories`));
      assert.match(restore.stdout, new RegExp(`restored: ${MEMORIES} points \\(768 dims, Cosine\\)`));
      assert.match(restore.stdout, /\[DRY RUN\] No changes made\n$/);
    });

    it('npx --allow-scripts=better-sqlite3 -p <tarball> runs both commands', { timeout: 15 * MINUTE }, async () => {
      assert.ok(tarball && archive, 'the pack and backup steps succeeded');
      const npx = (args: string[], cwd: string): Promise<Result> =>
        run(npxBin, ['--yes', '--allow-scripts=better-sqlite3', '-p', tarball!, ...args], {
          cwd,
          env: npm,
          timeoutMs: 14 * MINUTE,
        });

      // the first run installed into npx's cache and built better-sqlite3
      const version = await npxFirstRun!;
      assert.equal(version.code, 0, tail(version));
      assert.doesNotMatch(version.stderr, UNREVIEWED, `every install script is approved:\n${tail(version)}`);
      assert.equal(version.stdout, `${PKG.version}\n`);

      // --verify opens the database with the cached build
      const verify = await npx(['ba-backup', '--verify', path.basename(archive)], store.root);
      assert.equal(verify.code, 0, tail(verify));
      assert.match(
        verify.stdout,
        new RegExp(
          `^\\[OK\\] ${path.basename(archive).replace(/\./g, '\\.')} {2}${MEMORIES} memories, \\d+ versions, ${MEMORIES} vectors$`,
          'm',
        ),
      );
    });
  },
);
