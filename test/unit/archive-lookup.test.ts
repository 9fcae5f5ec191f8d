/**
 * Finding the archive an argument names (archive/backups-folder.ts): a bare name in the backups folder, with or
 * without .zip, or a path; and the closest archive names when nothing is found.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { closestNames, findArchive, listArchiveFiles, locateArchive } from '../../src/archive/backups-folder.js';
import { UserError } from '../../src/errors.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

// ---- factories ----------------------------------------------------------------------------------

interface Folders {
  /** The working folder of the run. */
  cwd: string;
  /** The store's backups folder (inside cwd, as with the default --root). */
  backups: string;
}

/** A working folder and its backups folder, with these files in them (names relative to each). */
function folders(files: { backups?: string[]; cwd?: string[] } = {}): Folders {
  const cwd = makeTempDir('ba-lookup-unit');
  const backups = path.join(cwd, 'backups');
  fs.mkdirSync(backups);
  for (const name of files.backups ?? []) put(path.join(backups, name));
  for (const name of files.cwd ?? []) put(path.join(cwd, name));
  return { cwd, backups };
}

function put(file: string, content = 'zip'): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

function archiveName(stamp = '20260301_120000', kind: 'backup' | 'safety' = 'backup', n?: number): string {
  return `${kind}_${stamp}${n === undefined ? '' : `_${n}`}.zip`;
}

function find(arg: string, f: Folders): string {
  return findArchive(arg, f.backups, f.cwd);
}

/** The closest names a BACKUP_NOT_FOUND error carries for the CLI to suggest. */
function suggested(err: UserError): string[] | undefined {
  return (err as UserError & { remedy?: { near?: string[] } }).remedy?.near;
}

/** A BACKUP_NOT_FOUND refusal listing exactly these places and suggesting exactly these names. */
function notFound(tried: string[], near: string[]) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.equal(err.code, 'BACKUP_NOT_FOUND');
    assert.equal(err.exitCode, 1);
    assert.equal(err.message, `Backup not found: ${tried.join(', ')}`);
    assert.deepEqual(suggested(err), near);
    return true;
  };
}

after(cleanupTempDirs);

// ---- locateArchive and findArchive --------------------------------------------------------------

describe('findArchive: what an argument names', () => {
  it('finds a bare name in the backups folder', () => {
    const f = folders({ backups: [archiveName()] });
    assert.equal(find(archiveName(), f), path.join(f.backups, archiveName()));
  });

  it('finds a bare name without .zip', () => {
    const f = folders({ backups: [archiveName()] });
    assert.equal(find('backup_20260301_120000', f), path.join(f.backups, archiveName()));
  });

  it('falls back to the working folder for a bare name', () => {
    const f = folders({ cwd: ['mine.zip'] });
    assert.equal(find('mine.zip', f), path.join(f.cwd, 'mine.zip'));
  });

  it('takes a relative path against the working folder and an absolute one as it is', () => {
    const f = folders({ cwd: ['old/copy.zip'] });
    assert.equal(find('old/copy.zip', f), path.join(f.cwd, 'old', 'copy.zip'));
    assert.equal(find(path.join(f.cwd, 'old', 'copy.zip'), f), path.join(f.cwd, 'old', 'copy.zip'));
  });

  it('does not look a path up in the backups folder', () => {
    const f = folders({ backups: [archiveName()] });
    assert.throws(() => find(`./${archiveName()}`, f), notFound([path.join(f.cwd, archiveName())], [archiveName()]));
  });

  it('takes a name with a backslash as a path, not a bare name', () => {
    const f = folders({ backups: ['a\\b.zip'] });
    assert.deepEqual(locateArchive('a\\b.zip', f.backups, f.cwd), {
      found: null,
      tried: [path.resolve(f.cwd, 'a\\b.zip')],
    });
  });

  it('skips a folder named like an archive', () => {
    const f = folders({ cwd: [archiveName()] });
    fs.mkdirSync(path.join(f.backups, archiveName()));
    assert.equal(find(archiveName(), f), path.join(f.cwd, archiveName()));
  });
});

describe('findArchive: when several files could be meant', () => {
  it('takes the exact name over the name with .zip added', () => {
    const f = folders({ backups: ['backup_20260301_120000', archiveName()] });
    assert.equal(find('backup_20260301_120000', f), path.join(f.backups, 'backup_20260301_120000'));
  });

  it('takes the backups folder over the working folder', () => {
    const f = folders({ backups: ['same.zip'], cwd: ['same.zip'] });
    assert.equal(find('same.zip', f), path.join(f.backups, 'same.zip'));
  });

  it('takes the name with .zip in the backups folder over the bare name in the working folder', () => {
    const f = folders({ backups: ['same.zip'], cwd: ['same'] });
    assert.equal(find('same', f), path.join(f.backups, 'same.zip'));
  });

  it('tries each place once when the backups folder is the working folder', () => {
    const f = folders();
    assert.deepEqual(locateArchive('x.zip', f.cwd, f.cwd).tried, [path.join(f.cwd, 'x.zip')]);
    assert.deepEqual(locateArchive('x', f.cwd, f.cwd).tried, [path.join(f.cwd, 'x'), path.join(f.cwd, 'x.zip')]);
  });
});

describe('findArchive: nothing found', () => {
  it('lists every place tried, in order, and suggests the closest archive name', () => {
    const f = folders({ backups: [archiveName(), archiveName('20250101_000000', 'safety')] });
    assert.throws(
      () => find('backup_20260301_12000', f),
      notFound(
        [
          path.join(f.backups, 'backup_20260301_12000'),
          path.join(f.backups, 'backup_20260301_12000.zip'),
          path.join(f.cwd, 'backup_20260301_12000'),
        ],
        [archiveName()],
      ),
    );
  });

  it('suggests by the file name of a path', () => {
    const f = folders({ backups: [archiveName()] });
    assert.throws(
      () => find('elsewhere/backup_20260301_120001.zip', f),
      notFound([path.join(f.cwd, 'elsewhere', 'backup_20260301_120001.zip')], [archiveName()]),
    );
  });

  it('suggests nothing when no archive name is close, or the backups folder is missing', () => {
    const f = folders({ backups: [archiveName()] });
    assert.throws(
      () => find('completely-different', f),
      notFound(
        [
          path.join(f.backups, 'completely-different'),
          path.join(f.backups, 'completely-different.zip'),
          path.join(f.cwd, 'completely-different'),
        ],
        [],
      ),
    );
    const missing = path.join(f.cwd, 'no-backups-here');
    assert.throws(
      () => findArchive('x.zip', missing, f.cwd),
      notFound([path.join(missing, 'x.zip'), path.join(f.cwd, 'x.zip')], []),
    );
  });

  it('suggests only files named like archives', () => {
    const f = folders({ backups: ['backup_20260301_120000.zip.part', 'backup_2026.zip'] });
    assert.throws(
      () => find('backup_20260301_120001.zip', f),
      (err: unknown) => {
        assert.ok(err instanceof UserError);
        assert.deepEqual(suggested(err), []);
        return true;
      },
    );
  });
});

// ---- closestNames -------------------------------------------------------------------------------

describe('closestNames', () => {
  const names = [
    archiveName('20260301_120000'),
    archiveName('20260301_120001'),
    archiveName('20260301_120002'),
    archiveName('20260301_120010'),
    archiveName('20260301_120000', 'safety'),
  ];

  it('gives up to three names, closest first, ties by name', () => {
    assert.deepEqual(closestNames('backup_20260301_120003.zip', names), [
      'backup_20260301_120000.zip',
      'backup_20260301_120001.zip',
      'backup_20260301_120002.zip',
    ]);
    // 120001 and 120010 are one edit away, 120000 and 120002 two
    assert.deepEqual(closestNames('backup_20260301_120011.zip', names), [
      'backup_20260301_120001.zip',
      'backup_20260301_120010.zip',
      'backup_20260301_120000.zip',
    ]);
  });

  it('compares with .zip added to a name without it', () => {
    assert.deepEqual(closestNames('backup_20260301_120010', names).at(0), 'backup_20260301_120010.zip');
    assert.deepEqual(closestNames('safety_20260301_120000', names).at(0), 'safety_20260301_120000.zip');
  });

  it('allows a quarter of the name’s length in edits', () => {
    // 'abcdefgh.zip' is 12 characters: 3 edits allowed
    assert.deepEqual(closestNames('abcdefgh', ['abcdeXYZ.zip', 'abcdWXYZ.zip']), ['abcdeXYZ.zip']);
  });

  it('allows at least two edits for a short name', () => {
    // 'ab.zip' is 6 characters: a quarter would be 1
    assert.deepEqual(closestNames('ab', ['xy.zip', 'xyz.zip', 'ab.zip']), ['ab.zip', 'xy.zip']);
  });

  it('counts insertions and deletions as one edit each', () => {
    assert.deepEqual(closestNames('abcdefgh', ['abcdefghij.zip', 'abcdefghijk.zip', 'abcdef.zip']), [
      'abcdef.zip',
      'abcdefghij.zip',
      'abcdefghijk.zip',
    ]);
  });

  it('gives nothing for no names', () => {
    assert.deepEqual(closestNames('anything', []), []);
  });
});

// ---- listArchiveFiles ---------------------------------------------------------------------------

describe('listArchiveFiles', () => {
  it('is null for a missing folder', () => {
    assert.equal(listArchiveFiles(path.join(folders().cwd, 'missing')), null);
  });

  it('lists archives newest name first, a later _N of the same second first', () => {
    const f = folders({
      backups: [
        archiveName('20260301_120000'),
        archiveName('20260301_120000', 'backup', 2),
        archiveName('20260301_120000', 'backup', 10),
        archiveName('20260302_080000', 'safety'),
        archiveName('20260228_235959'),
      ],
    });
    assert.deepEqual(
      listArchiveFiles(f.backups)?.map((a) => [a.name, a.kind]),
      [
        ['safety_20260302_080000.zip', 'safety'],
        ['backup_20260301_120000_10.zip', 'backup'],
        ['backup_20260301_120000_2.zip', 'backup'],
        ['backup_20260301_120000.zip', 'backup'],
        ['backup_20260228_235959.zip', 'backup'],
      ],
    );
  });

  it('orders archives of the same second by name, descending, so the order is stable', () => {
    const f = folders({
      backups: [archiveName('20260301_120000', 'backup'), archiveName('20260301_120000', 'safety')],
    });
    assert.deepEqual(
      listArchiveFiles(f.backups)?.map((a) => a.name),
      ['safety_20260301_120000.zip', 'backup_20260301_120000.zip'],
    );
  });

  it('leaves out other names, temporary files and folders, and gives each archive’s size and path', () => {
    const f = folders({
      backups: ['notes.txt', 'backup_20260301_1200.zip', '.ba-tmp-123-abcdef.zip', 'BACKUP_20260301_120000.zip'],
    });
    fs.mkdirSync(path.join(f.backups, archiveName('20260303_000000')));
    put(path.join(f.backups, archiveName()), '12345');
    const listed = listArchiveFiles(f.backups);
    assert.ok(listed);
    assert.equal(listed.length, 1);
    assert.equal(listed[0]?.path, path.join(f.backups, archiveName()));
    assert.equal(listed[0]?.size, 5);
  });
});
