// Deletes compiled files in dist/ whose TypeScript source no longer exists.
//
// tsc writes outputs but never deletes them, so a module that was renamed or
// removed in src/ would otherwise keep its old dist/src/*.js and be packed and
// published with the package. Runs before every pack (package.json "prepack").
// Only stale outputs are removed: current ones stay in place (a test run in the
// same tree keeps working), and tsc rewrites them right after.
// Plain JavaScript on purpose: it must run before anything is compiled.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const OUTPUT = /^(.*)\.(?:js|js\.map|d\.ts|d\.ts\.map)$/;

/** Returns true when the folder is empty after pruning (and was removed). */
function prune(dir) {
  let left = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    // the linked CLI has no sources of its own: the build replaces it whole (scripts/bundle.mjs)
    if (dir === dist && (entry.name === 'bundle' || entry.name.startsWith('.bundle-'))) {
      left++;
      continue;
    }
    if (entry.isDirectory()) {
      if (!prune(full)) left++;
      continue;
    }
    const m = OUTPUT.exec(path.relative(dist, full));
    if (m && !fs.existsSync(path.join(root, `${m[1]}.ts`))) {
      fs.rmSync(full, { force: true });
      process.stderr.write(`prune-dist: removed stale ${path.relative(root, full)}\n`);
    } else {
      left++;
    }
  }
  if (left === 0 && dir !== dist) {
    fs.rmdirSync(dir);
    return true;
  }
  return false;
}

if (fs.existsSync(dist)) prune(dist);
