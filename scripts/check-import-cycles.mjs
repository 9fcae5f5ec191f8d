// Fails when the TypeScript files under a folder (default src/) import each
// other in a cycle: two or more files that reach each other through imports
// (a strongly connected component), or a file that imports itself.
//
// Why: cycles make module load order fragile (a value used before its module
// has run) and mean folders no longer depend one way. Every relative import
// counts, including `import type`, `export ... from` and dynamic `import()`,
// since the aim is the dependency direction, not only what runs. Specifiers
// are resolved like tsc does, with this project's tsconfig.json options.
// Plain JavaScript on purpose: it runs without a build (npm run check-cycles,
// and as part of npm test). Usage: node scripts/check-import-cycles.mjs [folder]
// Exit 0: no cycle; 1: cycles found (each printed); 2: an import did not resolve.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = process.argv[2] ? path.resolve(process.argv[2]) : path.join(root, 'src');
const relative = (file) => path.relative(root, file); // absolute for a folder outside the repo
const rel = (file) => (relative(file).startsWith('..') ? file : relative(file)).split(path.sep).join('/');
const tsconfig = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile).config;
const options = ts.parseJsonConfigFileContent(tsconfig, ts.sys, root).options;

const files = fs
  .readdirSync(dir, { recursive: true })
  .map((name) => path.join(dir, name))
  .filter((f) => /\.[cm]?tsx?$/.test(f) && !/\.d\.[cm]?ts$/.test(f) && fs.statSync(f).isFile())
  .sort();
const known = new Set(files);

// Import graph: file -> files under `dir` it imports (relative specifiers only).
const graph = new Map();
for (const file of files) {
  const deps = new Set();
  for (const { fileName: spec } of ts.preProcessFile(fs.readFileSync(file, 'utf8')).importedFiles) {
    if (!spec.startsWith('.')) continue;
    const mode = ts.ModuleKind.ESNext; // "type": "module": every file is an ES module
    const resolved = ts.resolveModuleName(spec, file, options, ts.sys, undefined, undefined, mode).resolvedModule;
    if (!resolved) {
      console.error(`Cannot resolve '${spec}' imported by ${rel(file)}`);
      process.exit(2);
    }
    if (known.has(path.resolve(resolved.resolvedFileName))) deps.add(path.resolve(resolved.resolvedFileName));
  }
  graph.set(file, [...deps].sort());
}

// Tarjan's strongly connected components.
const index = new Map(),
  low = new Map(),
  stack = [],
  onStack = new Set(),
  components = [];
function connect(v) {
  index.set(v, index.size);
  low.set(v, index.get(v));
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v)) {
    if (!index.has(w)) {
      connect(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) !== index.get(v)) return;
  const component = [];
  for (let w; w !== v;) {
    w = stack.pop();
    onStack.delete(w);
    component.push(w);
  }
  components.push(component.sort());
}
for (const file of files) if (!index.has(file)) connect(file);

// Files of the shortest cycle from `start` back to itself, inside its component.
function shortestCycle(start, inside) {
  const prev = new Map(),
    queue = [start];
  for (const v of queue) {
    for (const w of graph.get(v)) {
      if (w === start) {
        const cycle = [];
        for (let u = v; u !== start; u = prev.get(u)) cycle.unshift(u);
        return [start, ...cycle];
      }
      if (inside.has(w) && !prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
}
// Printed from its first file by name, so a cycle found from several files shows once.
function format(cycle) {
  const first = cycle.indexOf([...cycle].sort()[0]);
  return [...cycle.slice(first), ...cycle.slice(0, first), cycle[first]].map(rel).join(' -> ');
}

// Folders (the first level under `dir`; a file there is its own) must depend one way too.
const folderOf = (file) => path.relative(dir, file).split(path.sep)[0];
const folders = new Map();
for (const [file, deps] of graph) {
  for (const dep of deps) {
    const from = folderOf(file),
      to = folderOf(dep);
    if (from === to) continue;
    if (!folders.has(from)) folders.set(from, new Map());
    if (!folders.get(from).has(to)) folders.get(from).set(to, `${rel(file)} imports ${rel(dep)}`);
  }
}
const reaches = (from, to, seen = new Set()) =>
  [...(folders.get(from)?.keys() ?? [])].some(
    (next) => next === to || (!seen.has(next) && seen.add(next) && reaches(next, to, seen)),
  );
const folderLoops = [];
for (const [from, edges] of folders)
  for (const [to, example] of edges)
    if (from < to && reaches(to, from)) folderLoops.push(`${from} <-> ${to} (${example})`);

const cyclic = components.filter((c) => c.length > 1 || graph.get(c[0]).includes(c[0]));
if (cyclic.length === 0 && folderLoops.length === 0) {
  console.log(`No import cycles in ${rel(dir)}/ (${files.length} files, ${folders.size} folders that import others)`);
  process.exit(0);
}
for (const loop of folderLoops) console.log(`Folders that import each other: ${loop}`);
for (const component of cyclic.sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
  console.log(`Import cycle among ${component.length} file(s): ${component.map(rel).join(', ')}`);
  const inside = new Set(component);
  for (const line of new Set(component.map((f) => format(shortestCycle(f, inside))))) console.log(`  ${line}`);
}
process.exit(1);
