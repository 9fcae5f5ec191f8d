/** The read-back check of a newly written archive against the hashes taken while writing it. */
import type { Manifest } from '../manifest.js';
import { ArchiveReader } from './reader.js';
import { MANIFEST_ENTRY } from '../manifest.js';

/**
 * The check a new archive gets before it is published: every entry is read
 * back from the file on disk, inflated, and must match the CRC-32 the zip
 * records and the size and SHA-256 the manifest records (hashed while
 * writing). The points themselves were already checked as they arrived from
 * Qdrant, so they are not parsed again: this proves the bytes on disk are the
 * bytes that were checked.
 */
export async function checkWrittenArchive(archivePath: string, manifest: Manifest): Promise<void> {
  const reader = await ArchiveReader.open(archivePath);
  try {
    const declared = manifest.entries ?? {};
    const names = [...reader.entries.keys()].filter((name) => name !== MANIFEST_ENTRY);
    if (names.length !== Object.keys(declared).length)
      throw new Error(`the zip holds ${names.length} entries, the manifest lists ${Object.keys(declared).length}`);
    for (const name of names) if (!declared[name]) throw new Error(`entry ${name} is not in the manifest`);
    // entries are read side by side: each inflates on its own thread
    await Promise.all(
      names.map(async (name) => {
        const expected = declared[name]!;
        // reading is the check: CRC-32 and size are verified at the end of the stream
        const actual = await reader.readThrough(name);
        if (actual.sha256 !== expected.sha256 || actual.size !== expected.size)
          throw new Error(`entry ${name} does not read back as it was written`);
      }),
    );
    const { data } = await reader.readSmallEntry(MANIFEST_ENTRY, 1024 * 1024);
    if (data.toString('utf8') !== `${JSON.stringify(manifest, null, 2)}\n`)
      throw new Error('manifest.json does not read back as it was written');
  } finally {
    reader.close();
  }
}
