/**
 * Pins: archives that prune never deletes. A pin is a small file beside the
 * archive (`<archive>.pin`), so pinning never rewrites a verified archive and
 * the original tool, which lists `backup_*.zip`, is not confused by it.
 */
import fs from 'node:fs';

export function pinPath(archivePath: string): string {
  return `${archivePath}.pin`;
}

export function isPinned(archivePath: string): boolean {
  return fs.existsSync(pinPath(archivePath));
}

export function pin(archivePath: string, note = ''): void {
  fs.writeFileSync(pinPath(archivePath), `${JSON.stringify({ pinned_at: new Date().toISOString(), note })}\n`, {
    mode: 0o600,
  });
}

export function unpin(archivePath: string): boolean {
  try {
    fs.unlinkSync(pinPath(archivePath));
    return true;
  } catch {
    return false;
  }
}
