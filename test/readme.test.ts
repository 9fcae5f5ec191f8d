/** The README's sample output is what the current code prints (sizes and durations aside, which vary from run to run). */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { it } from 'node:test';
import { normaliseTranscript, readmeSample, runDemoSession } from '../scripts/demo-session.js';

const maskSizes = (text: string): string =>
  text.replace(/\d+(\.\d+)? (B|KB|MB|GB|KiB|MiB|GiB)\b/g, '<size>').replace(/ in \d+(\.\d+)? s\b/g, ' in <time>');

it('README sample output matches the real commands (refresh with npm run readme-samples)', async () => {
  const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  assert.match(
    readme,
    /^# ba-backup \/ ba-restore\n\n {4}npm install && npm run demo .*\n {4}npm install && npm test /,
    'the first lines give the two commands',
  );
  const sample = readmeSample(readme);
  assert.ok(sample !== null, 'README has a demo transcript block');
  const real = normaliseTranscript(await runDemoSession());
  assert.equal(maskSizes(sample), maskSizes(real));
});
