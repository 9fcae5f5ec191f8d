/** UTF-8 validation of a byte stream without decoding it. */
import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Checks that a sequence of chunks is UTF-8 (JSON must be), on the bytes: no
 * text is decoded. A character cut in two by a chunk boundary is carried over
 * to the next chunk.
 */
export class Utf8Validator {
  private carry: Buffer = Buffer.alloc(0);

  /** False at the first chunk that makes the bytes so far invalid. */
  push(chunk: Buffer): boolean {
    const bytes = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const complete = completeUtf8Length(bytes);
    if (!isUtf8(bytes.subarray(0, complete))) return false;
    this.carry = Buffer.from(bytes.subarray(complete));
    return true;
  }

  /** False when the bytes end in the middle of a character. */
  end(): boolean {
    return this.carry.length === 0;
  }
}

/** Fails the stream at the first byte sequence that is not UTF-8. */
export class Utf8Check extends Transform {
  private readonly validator = new Utf8Validator();

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.validator.push(chunk)) callback(null, chunk);
    else callback(new Error('it is not valid UTF-8 text'));
  }

  override _flush(callback: TransformCallback): void {
    callback(this.validator.end() ? null : new Error('it ends in the middle of a UTF-8 character'));
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
