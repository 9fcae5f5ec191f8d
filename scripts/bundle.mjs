// Links the compiled CLI (dist/src, written by tsc) into dist/bundle, which the bins run.
//
// Why: Node 20 loads ES modules one file at a time, and a backup's module graph is about 80 of
// ours and 95 of zod's. Measured at 2,000 points: a backup's first output 448 -> 302 ms, and
// --version 160 -> 149 ms. tsc still checks and compiles every file; esbuild only joins them.
// Each CLI's command module stays a chunk of its own, loaded after the flags are parsed, so
// --help and --version load no more than they need. commander is linked in too (its require of
// Node's modules goes through the banner's require): loaded from node_modules, its ESM wrapper
// or createRequire cost a resolution and a module compile of every start. The Qdrant client is
// linked in as a chunk of its own, loaded when a restore first calls it (see undiciAgentOnly).
// Packages that load lazily (the AWS SDK, age), the native SQLite binding and the other
// CommonJS packages stay outside. Plain JavaScript: it runs right after tsc.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// two folders deep, like dist/src/*.js: version.ts finds package.json at ../../
const outdir = path.join(root, 'dist', 'bundle');
const entryPoints = {
  backup: path.join(root, 'dist/src/cli/backup.js'),
  restore: path.join(root, 'dist/src/cli/restore.js'),
};

/**
 * commander requires child_process when it loads, for git-style subcommands, which these CLIs
 * do not have; with net and dgram behind it that is about 5 ms of every start. Linked in, it
 * gets a stand-in that loads the module on first use instead.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes(`${path.sep}commander${path.sep}`)
        ? { path: 'lazy-child-process', namespace: 'stand-in' }
        : undefined,
    );
    b.onLoad({ filter: /^lazy-child-process$/, namespace: 'stand-in' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};

/**
 * The Qdrant client imports only Agent from undici, but undici's index loads all of undici
 * (its fetch, WebSocket, cache, mocks): the client's own chunk then costs 5 MB more peak memory
 * and 65 ms more of a restore. The stand-in hands it undici's Agent module alone, still loaded
 * from node_modules (so undici's version stays the one package-lock.json installs).
 */
const undiciAgentOnly = {
  name: 'undici-agent-only',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) =>
      args.importer.includes(`${path.sep}@qdrant${path.sep}`)
        ? { path: 'undici-agent', namespace: 'stand-in' }
        : undefined,
    );
    b.onLoad({ filter: /^undici-agent$/, namespace: 'stand-in' }, () => ({
      // resolved from the client's folder: the undici npm installed for it, nested or not
      contents: [
        "const clientRequire = require('node:module').createRequire(require.resolve('@qdrant/js-client-rest'));",
        "module.exports = { Agent: clientRequire('undici/lib/dispatcher/agent.js') };",
      ].join('\n'),
      loader: 'js',
      resolveDir: root,
    }));
  },
};

// Built beside, then moved in file by file: bins that run meanwhile (tests while npm pack
// rebuilds) always find a whole bundle; files the new build no longer has go last.
const next = fs.mkdtempSync(path.join(root, 'dist', '.bundle-'));
try {
  await build({
    entryPoints,
    outdir: next,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['better-sqlite3', 'yauzl', 'cli-progress', '@aws-sdk/*', 'age-encryption'],
    logLevel: 'warning',
    plugins: [lazyChildProcess, undiciAgentOnly],
    banner: {
      js: "import { createRequire as __bundleRequire } from 'node:module';\nconst require = __bundleRequire(import.meta.url);",
    },
  });
  fs.mkdirSync(outdir, { recursive: true });
  const built = new Set(fs.readdirSync(next));
  // chunks before the entries that import them
  const order = [...built].sort((a, b) => Number(isEntry(a)) - Number(isEntry(b)));
  for (const name of order) fs.renameSync(path.join(next, name), path.join(outdir, name));
  for (const name of fs.readdirSync(outdir)) if (!built.has(name)) fs.rmSync(path.join(outdir, name));
} finally {
  fs.rmSync(next, { recursive: true, force: true });
}

function isEntry(name) {
  return Object.keys(entryPoints).some((entry) => name === `${entry}.js`);
}
