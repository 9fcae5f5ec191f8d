/** UTF-8 validation of a byte stream without decoding it. */
import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Fails the stream at the first byte sequence that is not UTF-8 (JSON must
 * be UTF-8). Checked on the bytes (no text is decoded); a character cut in
 * two by a chunk boundary is carried over to the next chunk.
 */
export class Utf8Check extends Transform {
  private carry: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const complete = completeUtf8Length(bytes);
    if (!isUtf8(bytes.subarray(0, complete))) {
      callback(new Error('it is not valid UTF-8 text'));
      return;
    }
    this.carry = Buffer.from(bytes.subarray(complete));
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    callback(this.carry.length > 0 ? new Error('it ends in the middle of a UTF-8 character') : null);
  }
}

/** Length of the bytes up to the last whole UTF-8 character (an unfinished one at the end is left out). */
export function completeUtf8Length(bytes: Buffer): number {
  for (let i = bytes.length - 1; i >= 0 && i >= bytes.length - 4; i--) {
    const byte = bytes[i]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead
    if (byte < 0xc0) return bytes.length; // ASCII
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return bytes.length - i >= length ? bytes.length : i;
  }
  return bytes.length;
}
