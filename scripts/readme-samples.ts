/**
 * npm run readme-samples: refreshes the README's sample output with the real
 * output of the current code (the demo session, normalised).
 */
import fs from 'node:fs';
import { normaliseTranscript, README_END, README_START, runDemoSession } from './demo-session.js';

const readmePath = new URL('../../README.md', import.meta.url);
const readme = fs.readFileSync(readmePath, 'utf8');
const start = readme.indexOf(README_START);
const end = readme.indexOf(README_END);
if (start < 0 || end < start) {
  console.error(`README.md has no ${README_START} ... ${README_END} block`);
  process.exit(1);
}
const sample = normaliseTranscript(await runDemoSession());
fs.writeFileSync(
  readmePath,
  `${readme.slice(0, start + README_START.length)}\n\`\`\`text\n${sample}\`\`\`\n${readme.slice(end)}`,
);
console.log('README.md sample output refreshed');
