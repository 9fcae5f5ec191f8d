/** Joins byte chunks with a separator between them, inside an optional prefix and suffix, in one copy. */
const EMPTY = Buffer.alloc(0);

export function joinBytes(
  items: readonly Buffer[],
  separator: Buffer,
  prefix: Buffer = EMPTY,
  suffix: Buffer = EMPTY,
): Buffer {
  const parts: Buffer[] = [prefix];
  items.forEach((item, i) => {
    if (i > 0) parts.push(separator);
    parts.push(item);
  });
  parts.push(suffix);
  return Buffer.concat(parts);
}
