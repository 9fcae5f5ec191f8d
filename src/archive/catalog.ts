/**
 * The list of archives in a backups folder with what each manifest says.
 * Only the manifest is read (fast); a full check is `verifyArchive`.
 */
import { describeError } from '../errors.js';
import { MANIFEST_ENTRY, type Manifest, parseManifest } from '../manifest.js';
import { type ArchiveFile, listArchiveFiles } from './backups-folder.js';
import { isPinned } from './pins.js';
import { ArchiveReader } from './reader.js';

export interface CatalogEntry extends ArchiveFile {
  pinned: boolean;
  manifest: Manifest | null;
  /** Why the manifest could not be read. */
  problem?: string;
}

export async function readManifestOnly(path: string): Promise<Manifest> {
  const reader = await ArchiveReader.open(path);
  try {
    const { data } = await reader.readSmallEntry(MANIFEST_ENTRY, 1024 * 1024);
    return parseManifest(data);
  } finally {
    reader.close();
  }
}

/** Archives newest first; null when the folder does not exist. */
export async function catalog(backupsDir: string): Promise<CatalogEntry[] | null> {
  const files = listArchiveFiles(backupsDir);
  if (files === null) return null;
  const entries: CatalogEntry[] = [];
  for (const file of files) {
    try {
      entries.push({ ...file, pinned: isPinned(file.path), manifest: await readManifestOnly(file.path) });
    } catch (err) {
      entries.push({ ...file, pinned: isPinned(file.path), manifest: null, problem: describeError(err) });
    }
  }
  return entries;
}
