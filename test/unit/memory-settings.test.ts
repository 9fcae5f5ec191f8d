/**
 * The bins' V8 memory settings, each in fresh Node processes beside a control
 * process without them (V8 flags are per process, and a test runner's own
 * heap would blur the figures):
 * - an archive entry read through frees its dead chunks as it goes;
 * - undici's HTTP parser (WebAssembly) is no longer recompiled by the
 *   optimizing tier, which cost about 25 MB more peak memory over 100 fetches.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildZip } from '../support/raw-zip.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

after(cleanupTempDirs);

const here = path.dirname(fileURLToPath(import.meta.url));
const settingsModule = pathToFileURL(path.resolve(here, '../../src/memory-settings.js')).href;
const readerModule = pathToFileURL(path.resolve(here, '../../src/archive/reader.js')).href;

/** Runs an ES module script in a new Node process; returns what it printed as JSON. */
function runScript(dir: string, name: string, source: string, args: string[]): Record<string, number> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, source);
  const result = spawnSync(process.execPath, [file, ...args], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, number>;
}

const READ_THROUGH = `
import { applyMemorySettings } from '${settingsModule}';
import { ArchiveReader } from '${readerModule}';
if (process.argv[3] === 'on') applyMemorySettings();
let peak = 0;
const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().arrayBuffers); }, 2);
const reader = await ArchiveReader.open(process.argv[2]);
const digest = await reader.readThrough('big.bin');
reader.close();
clearInterval(timer);
console.log(JSON.stringify({ size: digest.size, peakMB: peak / 1048576 }));
`;

const FETCHES = `
import fs from 'node:fs';
import http from 'node:http';
import { applyMemorySettings } from '${settingsModule}';
if (process.argv[2] === 'on') applyMemorySettings();
const peak = () => Number(/VmHWM:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const server = http.createServer((_, res) => res.end('{"result":true}')).listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const before = peak();
const fetches = async () => {
  for (let i = 0; i < 50; i++) await (await fetch('http://127.0.0.1:' + server.address().port + '/')).text();
};
// a pause between the two rounds lets V8's background compiler catch up, as a restore's upserts do
await fetches();
await new Promise((resolve) => setTimeout(resolve, 500));
await fetches();
console.log(JSON.stringify({ grewMB: peak() - before }));
server.close();
`;

describe('memory settings', () => {
  it('an entry read through frees its dead chunks as it goes', () => {
    const dir = makeTempDir('ba-memory');
    const archive = path.join(dir, 'big.zip');
    const data = Buffer.alloc(96 * 1024 * 1024, 'memory settings ');
    fs.writeFileSync(archive, buildZip([{ name: 'big.bin', data }]));
    const control = runScript(dir, 'read-through.mjs', READ_THROUGH, [archive, 'off']);
    const settled = runScript(dir, 'read-through.mjs', READ_THROUGH, [archive, 'on']);
    assert.equal(settled.size, data.length);
    // without the settings dead 1 MiB reads pile up until V8's external-memory trigger (about 32 MB)
    assert.ok(control.peakMB! > 24, `control: ${control.peakMB!.toFixed(1)} MB of Buffers alive at most`);
    assert.ok(settled.peakMB! < 16, `with the settings: ${settled.peakMB!.toFixed(1)} MB of Buffers alive at most`);
  });

  it("fetch's WebAssembly parser stays on the baseline compiler", { skip: process.platform !== 'linux' }, () => {
    const dir = makeTempDir('ba-memory');
    const control = runScript(dir, 'fetches.mjs', FETCHES, ['off']);
    const settled = runScript(dir, 'fetches.mjs', FETCHES, ['on']);
    assert.ok(
      settled.grewMB! + 12 < control.grewMB!,
      `peak memory grew ${settled.grewMB!.toFixed(1)} MB with the settings, ${control.grewMB!.toFixed(1)} MB without`,
    );
  });
});
