/**
 * The records of a zip file (APPNOTE 6.3), built as bytes: a local header
 * before each entry's data (sizes left for the data descriptor that follows
 * the data, since entries are streamed), the central directory and the end
 * records. Zip64 fields appear only where a value does not fit.
 */

export const METHOD_STORE = 0;
export const METHOD_DEFLATE = 8;

/** Bit 3: sizes and CRC follow the data; bit 11: the name is UTF-8. */
const FLAGS = 0x0008 | 0x0800;
const VERSION_DEFAULT = 20;
const VERSION_ZIP64 = 45;
/** Host 3 (Unix) in the high byte, so readers honour the mode in the external attributes. */
const MADE_BY_UNIX = 3 << 8;
const S_IFREG = 0o100000;

/** The largest values the classic fields hold; lowered by tests to exercise zip64 without 4 GiB files. */
export interface ZipLimits {
  max32: number;
  max16: number;
}

export const ZIP_LIMITS: ZipLimits = { max32: 0xffffffff, max16: 0xffff };

export interface CentralEntry {
  name: Buffer;
  method: number;
  dosTime: number;
  dosDate: number;
  crc32: number;
  compressedSize: number;
  size: number;
  offset: number;
  mode: number;
}

/** The local time of `date` as MS-DOS time and date fields (2-second steps, years 1980-2107). */
export function dosDateTime(date: Date): { dosTime: number; dosDate: number } {
  const year = Math.min(Math.max(date.getFullYear(), 1980), 2107);
  return {
    dosTime: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    dosDate: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

export function localHeader(entry: Pick<CentralEntry, 'name' | 'method' | 'dosTime' | 'dosDate'>): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(VERSION_DEFAULT, 4);
  header.writeUInt16LE(FLAGS, 6);
  header.writeUInt16LE(entry.method, 8);
  header.writeUInt16LE(entry.dosTime, 10);
  header.writeUInt16LE(entry.dosDate, 12);
  // CRC and sizes (14-25) stay zero: the data descriptor carries them.
  header.writeUInt16LE(entry.name.length, 26);
  return Buffer.concat([header, entry.name]);
}

/** The data descriptor, with 8-byte sizes when either size does not fit in 4. */
export function dataDescriptor(entry: CentralEntry, limits: ZipLimits): Buffer {
  const wide = entry.size > limits.max32 || entry.compressedSize > limits.max32;
  const record = Buffer.alloc(wide ? 24 : 16);
  record.writeUInt32LE(0x08074b50, 0);
  record.writeUInt32LE(entry.crc32, 4);
  if (wide) {
    record.writeBigUInt64LE(BigInt(entry.compressedSize), 8);
    record.writeBigUInt64LE(BigInt(entry.size), 16);
  } else {
    record.writeUInt32LE(entry.compressedSize, 8);
    record.writeUInt32LE(entry.size, 12);
  }
  return record;
}

export function centralHeader(entry: CentralEntry, limits: ZipLimits): Buffer {
  // Zip64 extra: only the values that overflow, in this order.
  const wide = [entry.size, entry.compressedSize, entry.offset].map((value) => value > limits.max32);
  const wideValues = [entry.size, entry.compressedSize, entry.offset].filter((_, i) => wide[i]);
  const extra = Buffer.alloc(wideValues.length > 0 ? 4 + 8 * wideValues.length : 0);
  if (extra.length > 0) {
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(8 * wideValues.length, 2);
    wideValues.forEach((value, i) => extra.writeBigUInt64LE(BigInt(value), 4 + 8 * i));
  }
  const header = Buffer.alloc(46);
  header.writeUInt32LE(0x02014b50, 0);
  header.writeUInt16LE(MADE_BY_UNIX | VERSION_ZIP64, 4);
  header.writeUInt16LE(extra.length > 0 ? VERSION_ZIP64 : VERSION_DEFAULT, 6);
  header.writeUInt16LE(FLAGS, 8);
  header.writeUInt16LE(entry.method, 10);
  header.writeUInt16LE(entry.dosTime, 12);
  header.writeUInt16LE(entry.dosDate, 14);
  header.writeUInt32LE(entry.crc32, 16);
  header.writeUInt32LE(wide[1] ? 0xffffffff : entry.compressedSize, 20);
  header.writeUInt32LE(wide[0] ? 0xffffffff : entry.size, 24);
  header.writeUInt16LE(entry.name.length, 28);
  header.writeUInt16LE(extra.length, 30);
  // Comment length, disk number and internal attributes (32-37) stay zero.
  header.writeUInt32LE(((S_IFREG | entry.mode) << 16) >>> 0, 38);
  header.writeUInt32LE(wide[2] ? 0xffffffff : entry.offset, 42);
  return Buffer.concat([header, entry.name, extra]);
}

/**
 * The end of the archive: the zip64 end record and its locator when the
 * entry count, the directory's size or its offset overflows, then the
 * classic end record (with the overflowing fields saturated).
 */
export function endRecords(count: number, directorySize: number, directoryOffset: number, limits: ZipLimits): Buffer {
  const wideCount = count > limits.max16;
  const wideSize = directorySize > limits.max32;
  const wideOffset = directoryOffset > limits.max32;
  const parts: Buffer[] = [];
  if (wideCount || wideSize || wideOffset) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4); // the record's size after this field
    record.writeUInt16LE(MADE_BY_UNIX | VERSION_ZIP64, 12);
    record.writeUInt16LE(VERSION_ZIP64, 14);
    // This disk and the directory's disk (16-23) are both 0.
    record.writeBigUInt64LE(BigInt(count), 24);
    record.writeBigUInt64LE(BigInt(count), 32);
    record.writeBigUInt64LE(BigInt(directorySize), 40);
    record.writeBigUInt64LE(BigInt(directoryOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(directoryOffset + directorySize), 8);
    locator.writeUInt32LE(1, 16);
    parts.push(record, locator);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(wideCount ? 0xffff : count, 8);
  end.writeUInt16LE(wideCount ? 0xffff : count, 10);
  end.writeUInt32LE(wideSize ? 0xffffffff : directorySize, 12);
  end.writeUInt32LE(wideOffset ? 0xffffffff : directoryOffset, 16);
  parts.push(end);
  return Buffer.concat(parts);
}
