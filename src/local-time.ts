/**
 * Local wall-clock times as the original tool records them: archive names
 * (YYYYMMDD_HHMMSS) and the manifest's created_at (ISO without an offset).
 */

/** A local wall-clock time, as recorded (no time zone). */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
}

/** Parses "YYYY-MM-DDTHH:MM:SS[.ffffff]" (the manifest's created_at), or null. */
export function parseLocalTime(text: string): LocalTime | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const microsecond = m[7] ? Number(m[7].padEnd(6, '0')) : 0;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  return { year, month, day, hour, minute, second, microsecond };
}

/** Parses the YYYYMMDD_HHMMSS timestamp of a manifest or archive name, or null. */
export function parseTimestamp(text: string): LocalTime | null {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) return null;
  return parseLocalTime(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`);
}

/** n in decimal with leading zeros to `width` digits. */
export function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** YYYYMMDD_HHMMSS in local time, as the original names its archives. */
export function archiveTimestamp(date: Date): string {
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}_${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/** Local ISO time with microseconds and no offset, as Python's datetime.now().isoformat(). */
export function localIsoTime(date: Date): string {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}000`
  );
}
