/**
 * Puts staged raw files back into the store folder byte for byte: each is
 * copied beside its target under a temporary name, flushed, and renamed, so
 * a file is either wholly the old or wholly the saved one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tempPath } from '../archive/backups-folder.js';
import { filesUnder } from '../archive/raw-files.js';

export function putFilesBack(stagedDir: string, targetDir: string): void {
  for (const file of filesUnder(stagedDir)) {
    const target = path.join(targetDir, path.relative(stagedDir, file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const temp = tempPath(path.dirname(target), '');
    fs.copyFileSync(file, temp);
    const fd = fs.openSync(temp, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, target);
  }
}
