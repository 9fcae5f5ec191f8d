import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { Utf8Check, completeUtf8Length } from '../src/json/utf8-check.js';

async function check(bytes: Buffer, chunkSize: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), new Utf8Check(), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) out.push(chunk);
  });
  return Buffer.concat(out);
}

describe('Utf8Check', () => {
  const text = Buffer.from('{"a":"é € 𝄞 ü","b":"plain","c":"中文"}', 'utf8');

  it('passes valid UTF-8 unchanged whatever the chunk boundaries', async () => {
    for (let size = 1; size <= text.length; size++) assert.deepEqual(await check(text, size), text);
  });

  const invalid: Array<[string, Buffer]> = [
    ['a stray continuation byte', Buffer.from([0x41, 0x80, 0x42])],
    ['an invalid byte', Buffer.from([0x41, 0xff, 0x42])],
    ['an overlong encoding', Buffer.from([0xc0, 0xaf])],
    ['a surrogate', Buffer.from([0xed, 0xa0, 0x80])],
    ['a lead byte followed by ASCII', Buffer.from([0xe2, 0x41, 0x42, 0x43])],
    ['a character cut off at the end', Buffer.concat([Buffer.from('ab'), Buffer.from('€').subarray(0, 2)])],
  ];
  for (const [name, bytes] of invalid) {
    it(`refuses ${name} whatever the chunk boundaries`, async () => {
      for (let size = 1; size <= bytes.length; size++) await assert.rejects(check(bytes, size), /UTF-8/);
    });
  }

  it('finds the end of the last whole character', () => {
    const euro = Buffer.from('€');
    assert.equal(completeUtf8Length(Buffer.concat([Buffer.from('a'), euro])), 4);
    assert.equal(completeUtf8Length(Buffer.concat([Buffer.from('a'), euro.subarray(0, 2)])), 1);
    assert.equal(completeUtf8Length(Buffer.from('abc')), 3);
    assert.equal(completeUtf8Length(Buffer.alloc(0)), 0);
  });
});
