/** Byte chunks with a separator between them, inside an optional prefix and suffix. */
const EMPTY = Buffer.alloc(0);

/** The pieces of the join, without copying them into one buffer: they are written (or deflated) piece by piece. */
export function joinedParts(
  items: readonly Buffer[],
  separator: Buffer,
  prefix: Buffer = EMPTY,
  suffix: Buffer = EMPTY,
): Buffer[] {
  const parts: Buffer[] = [prefix];
  items.forEach((item, i) => {
    if (i > 0) parts.push(separator);
    parts.push(item);
  });
  parts.push(suffix);
  return parts;
}
