/**
 * npm run demo: the main job on a built-in sample, needing nothing but the
 * clone. Builds a memory store in a scratch folder (real schema, a few
 * hundred memories with versions and intentions), serves its 768-dim vectors
 * from the project's Qdrant-compatible test server on a loopback port, then
 * runs the real commands and prints their output:
 *   ba-backup -d "demo" --to <a folder> --recipient <age key>, ba-backup --list,
 *   ba-restore --from <the folder> --list, ba-restore --from <the folder> <archive> --identity <key> --dry-run
 */
import { runDemoSession } from './demo-session.js';

runDemoSession((text) => process.stdout.write(text)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
