/** Small numeric and text helpers for the benchmark's tables. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const MB = 1024 * 1024;

/** Seconds with 2 decimals below 100 s, 1 above. */
export function secs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  const s = ms / 1000;
  return s < 100 ? s.toFixed(2) : s.toFixed(1);
}

export function mb(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return 'n/a';
  return (bytes / MB).toFixed(1);
}

export function int(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return Math.round(n).toLocaleString('en-US');
}

export function pct(part: number, whole: number): string {
  if (!Number.isFinite(part) || !Number.isFinite(whole) || whole <= 0) return 'n/a';
  return `${((100 * part) / whole).toFixed(0)}%`;
}

export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return 'n/a';
  return (a / b).toFixed(2);
}

/** A plain text table: first row is the header, columns right-aligned except the first. */
export function table(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

/** A GitHub markdown table. */
export function markdownTable(rows: readonly (readonly string[])[]): string {
  const [head, ...body] = rows;
  if (!head) return '';
  const line = (row: readonly string[]): string => `| ${row.join(' | ')} |`;
  return [line(head), `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...body.map(line)].join('\n');
}
