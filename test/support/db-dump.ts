// Row-by-row dumps of an SQLite database, to compare a restored database with its source.
//
// Covers every ordinary table plus the content of each virtual table (`SELECT rowid, *`), and
// skips SQLite's internal tables (sqlite_%) and the shadow tables behind virtual tables
// (memories_fts_data, _idx, _content, ...), whose bytes legitimately differ after a rebuild.
// Rows are ordered by primary key, by rowid for virtual tables, and otherwise by all columns,
// so the order never depends on where rows sit in the file. BLOBs become hex strings.

import Database from 'better-sqlite3';

interface MasterRow {
  name: string;
  sql: string | null;
}

interface ColumnInfo {
  name: string;
  pk: number;
}

export type DatabaseDump = Record<string, unknown[]>;

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function isVirtual(table: MasterRow): boolean {
  return /^\s*CREATE\s+VIRTUAL\s+TABLE/i.test(table.sql ?? '');
}

/** User tables (ordinary and virtual, not shadow or internal), sorted by name. */
function dumpedTables(db: Database.Database): Array<MasterRow & { virtual: boolean }> {
  const tables = db
    .prepare(
      "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .all() as MasterRow[];
  const virtualNames = tables.filter(isVirtual).map((table) => table.name);
  return tables
    .filter((table) => !virtualNames.some((name) => table.name.startsWith(`${name}_`)))
    .map((table) => ({ ...table, virtual: isVirtual(table) }));
}

function orderBy(db: Database.Database, table: string, virtual: boolean): string {
  if (virtual) return 'rowid';
  const columns = db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as ColumnInfo[];
  const keys = columns.filter((column) => column.pk > 0).sort((a, b) => a.pk - b.pk);
  return (keys.length > 0 ? keys : columns).map((column) => quoteIdent(column.name)).join(', ');
}

function plainValue(value: unknown): unknown {
  return Buffer.isBuffer(value) ? value.toString('hex') : value;
}

function openReadOnly(dbPath: string): Database.Database {
  return new Database(dbPath, { readonly: true, fileMustExist: true });
}

/** Every row of every user table, keyed by table name (see the module header for the rules). */
export function dumpDatabase(dbPath: string): DatabaseDump {
  const db = openReadOnly(dbPath);
  try {
    const dump: DatabaseDump = {};
    // One read transaction, so the dump is a single consistent snapshot.
    db.transaction(() => {
      for (const table of dumpedTables(db)) {
        const select = table.virtual ? 'rowid, *' : '*';
        const rows = db
          .prepare(`SELECT ${select} FROM ${quoteIdent(table.name)} ORDER BY ${orderBy(db, table.name, table.virtual)}`)
          .all() as Array<Record<string, unknown>>;
        dump[table.name] = rows.map((row) =>
          Object.fromEntries(Object.entries(row).map(([column, value]) => [column, plainValue(value)])),
        );
      }
    })();
    return dump;
  } finally {
    db.close();
  }
}

/** Row count of each table that dumpDatabase covers. */
export function tableCounts(dbPath: string): Record<string, number> {
  const db = openReadOnly(dbPath);
  try {
    const counts: Record<string, number> = {};
    db.transaction(() => {
      for (const table of dumpedTables(db)) {
        const row = db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(table.name)}`).get() as { n: number };
        counts[table.name] = row.n;
      }
    })();
    return counts;
  } finally {
    db.close();
  }
}
