/** The parallel deflate (parallel-deflate.ts): one valid raw deflate stream, whatever the cut. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { deflateEntry, type DeflateOptions } from '../../src/archive/parallel-deflate.js';

const BLOCK = 64 * 1024;
const OPTIONS: DeflateOptions = { level: 6, blockSize: BLOCK, inFlight: 3 };

/** Text-like bytes that compress, with repeats reaching across block boundaries. */
function compressible(size: number): Buffer {
  const words = ['point', 'vector', '0.125', '-3.5e-2', '{"id":', '],', 'payload', ' ', '\n'];
  const picks = randomBytes(size);
  const out = Buffer.alloc(size);
  for (let at = 0, i = 0; at < size; i++) at += out.write(words[picks[i]! % words.length]!, at);
  return out;
}

/** Hands `data` over in uneven pieces, as a file or socket would. */
function* pieces(data: Buffer): Generator<Buffer> {
  let at = 0;
  while (at < data.length) {
    const size = 1 + (randomBytes(2).readUInt16LE(0) % 40000);
    yield data.subarray(at, at + size);
    at += size;
  }
}

async function deflate(data: Buffer, options: DeflateOptions | null = OPTIONS) {
  const out: Buffer[] = [];
  const result = await deflateEntry(
    pieces(data),
    (bytes) => {
      out.push(Buffer.from(bytes));
      return Promise.resolve();
    },
    options,
  );
  return { ...result, output: Buffer.concat(out) };
}

describe('parallel deflate', () => {
  const sizes = [0, 1, 1000, 32 * 1024, 3 * 32 * 1024, BLOCK - 1, BLOCK, BLOCK + 1, 5 * BLOCK, 7 * BLOCK + 12345];
  for (const size of sizes) {
    it(`inflates back to the same ${size} bytes, with their CRC-32 and SHA-256`, async () => {
      for (const data of [randomBytes(size), compressible(size)]) {
        const result = await deflate(data);
        assert.ok(zlib.inflateRawSync(result.output).equals(data));
        assert.equal(result.size, data.length);
        assert.equal(result.compressedSize, result.output.length);
        assert.equal(result.crc32, zlib.crc32(data));
        assert.equal(result.sha256, createHash('sha256').update(data).digest('hex'));
      }
    });
  }

  it('takes chunks in pieces (a scroll page) and text, deflated or stored, as the same bytes joined', async () => {
    const data = compressible(4 * BLOCK + 999);
    // pieces of uneven sizes, some empty, grouped into chunks of 1 to 30 pieces, with a text chunk between
    const all = [...pieces(data)];
    const chunks: Array<Buffer | string | Buffer[]> = [];
    for (let at = 0; at < all.length;) {
      const take = 1 + (at % 30);
      chunks.push([Buffer.alloc(0), ...all.slice(at, at + take)]);
      at += take;
    }
    chunks.splice(1, 0, 'text é');
    const joined = Buffer.concat(chunks.flatMap((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk)));
    for (const options of [OPTIONS, null]) {
      const out: Buffer[] = [];
      const result = await deflateEntry(chunks, (bytes) => Promise.resolve(void out.push(Buffer.from(bytes))), options);
      const output = Buffer.concat(out);
      assert.ok((options ? zlib.inflateRawSync(output) : output).equals(joined));
      assert.equal(result.size, joined.length);
      assert.equal(result.crc32, zlib.crc32(joined));
      assert.equal(result.sha256, createHash('sha256').update(joined).digest('hex'));
    }
  });

  it('copies what it is handed: a source may overwrite its buffer once it is handed over', async () => {
    const data = compressible(9 * BLOCK + 777);
    const reused = Buffer.alloc(5000);
    function* overwriting(): Generator<Buffer> {
      for (let at = 0; at < data.length; at += reused.length) {
        const n = data.copy(reused, 0, at);
        yield reused.subarray(0, n);
        reused.fill(0x21);
      }
    }
    const out: Buffer[] = [];
    await deflateEntry(overwriting(), (bytes) => Promise.resolve(void out.push(bytes)), OPTIONS);
    assert.ok(zlib.inflateRawSync(Buffer.concat(out)).equals(data));
  });

  it('compresses as well as one stream: each block reaches back into the one before', async () => {
    const data = compressible(20 * BLOCK);
    const single = zlib.deflateRawSync(data, { level: 6 }).length;
    const parallel = (await deflate(data)).output.length;
    // Without the dictionary each 64 KiB block starts cold and loses several percent.
    assert.ok(parallel < single * 1.01, `parallel ${parallel} bytes vs one stream ${single}`);
  });

  it('stores the bytes unchanged when told to', async () => {
    const data = randomBytes(3 * BLOCK + 7);
    const result = await deflate(data, null);
    assert.ok(result.output.equals(data));
    assert.equal(result.crc32, zlib.crc32(data));
  });

  it('fails with the source, leaving nothing pending', async () => {
    function* failing(): Generator<Buffer> {
      yield compressible(4 * BLOCK);
      throw new Error('disk read failed');
    }
    await assert.rejects(
      deflateEntry(failing(), () => Promise.resolve(), OPTIONS),
      /disk read failed/,
    );
  });
});
