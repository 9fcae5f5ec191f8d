/**
 * Round-trip fidelity: for each kind of collection, build it on the test server, back it up
 * with the ba-backup bin, delete or replace it, restore with the ba-restore bin, and compare
 * what the server holds afterwards with what it held before: point ids, vectors (exactly, as
 * stored f32 values), payloads, the full GET `config`, payload_schema and aliases. The
 * database of each store must come back row for row as well.
 *
 * Collections are built with the official client where it can express them, and with raw
 * JSON where it cannot (u64 ids above 2^53, big integers inside payloads).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QdrantClient, Schemas } from '@qdrant/js-client-rest';
import { createMemoryStore, insertMemories, type MemoryStore } from './fixtures/memory-store.js';
import { Rng } from './fixtures/prng.js';
import { runCli } from './support/cli.js';
import { dumpDatabase } from './support/db-dump.js';
import type { QdrantHandle, StoredPoint } from './support/qdrant.js';
import { seedCollection } from './support/qdrant-seed.js';
import { useQdrant } from './support/qdrant-suite.js';
import { makeTempDir } from './support/temp.js';
import { readZipEntries } from './support/zip-contents.js';

interface CaseContext {
  server: QdrantHandle;
  client: QdrantClient;
  /** the collection the store's agent uses */
  name: string;
  store: MemoryStore;
  rng: Rng;
  /** requestLog length when the restore started */
  restoreLogStart: number;
  /** notes a check left out against a real Qdrant */
  diagnostic: (message: string) => void;
}

interface FidelityCase {
  title: string;
  agent: string;
  /** memories in the fixture store (the database part of the archive) */
  memories?: number;
  setup: (ctx: CaseContext) => Promise<void>;
  /** what happens to the live collection between backup and restore */
  alter: 'delete' | 'replace';
  backupArgs?: string[];
  restoreArgs?: string[];
  /** further checks on the archived qdrant_vectors.json text */
  checkArchive?: (text: string, ctx: CaseContext) => void;
  /** further checks after the restore; `archive` is the backup restored */
  checkRestored?: (ctx: CaseContext, archive: string) => void | Promise<void>;
}

/** Everything the server holds for a collection that a restore must bring back. */
async function snapshot(ctx: CaseContext): Promise<{
  config: Schemas['CollectionConfig'];
  payload_schema: Schemas['CollectionInfo']['payload_schema'];
  aliases: string[];
  points: StoredPoint[];
}> {
  const info = await ctx.client.getCollection(ctx.name);
  const aliases = (await ctx.client.getAliases()).aliases
    .filter((alias) => alias.collection_name === ctx.name)
    .map((alias) => alias.alias_name)
    .sort();
  return {
    config: info.config,
    payload_schema: info.payload_schema,
    aliases,
    points: await ctx.server.getPoints(ctx.name),
  };
}

/** Upserts points given as JSON text, so ids and payload numbers beyond 2^53 stay exact. */
async function upsertRaw(ctx: CaseContext, pointsJson: string[]): Promise<void> {
  const response = await fetch(`${ctx.server.url}/collections/${ctx.name}/points?wait=true`, {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      ...(ctx.server.env.QDRANT_API_KEY ? { 'api-key': ctx.server.env.QDRANT_API_KEY } : {}),
    },
    body: `{"points":[${pointsJson.join(',')}]}`,
  });
  assert.equal(response.status, 200, await response.text());
}

function randomVector(rng: Rng, size: number, scale = 1): number[] {
  return Array.from({ length: size }, () => rng.float(-scale, scale));
}

function sparseVector(rng: Rng, count: number): { indices: number[]; values: number[] } {
  // unsorted, unique, up to u32::MAX: Qdrant sorts them by index on store
  const pool = [0, 1, 7, 42, 1000, 65535, 65536, 123456789, 4294967295, 99, 3, 17];
  const indices = rng.sample(pool, count);
  return { indices, values: indices.map(() => rng.float(-2, 2)) };
}

const BIG_IDS = [
  '0',
  '1',
  '42',
  '9007199254740991', // 2^53 - 1
  '9007199254740992', // 2^53
  '9007199254740993', // 2^53 + 1: JSON.parse reads it as 2^53
  '9223372036854775808', // 2^63
  '12345678901234567890',
  '18446744073709551614',
  '18446744073709551615', // 2^64 - 1: JSON.parse reads it as 18446744073709552000
];
const UUID_IDS = [
  '"6F9619FF-8B86-D011-B42D-00C04FC964FF"', // upper case: stored lower case
  '"00000000000000000000000000000001"', // simple form
  '"urn:uuid:ffffffff-ffff-4fff-bfff-ffffffffffff"',
  '"{0b7c8a1e-3c2d-4e5f-8a9b-1c2d3e4f5a6b}"',
];

const cases: FidelityCase[] = [
  {
    title: 'u64 ids up to 2^64-1 mixed with UUIDs, paged across the integer/UUID boundary',
    agent: 'ids',
    alter: 'replace',
    backupArgs: ['--batch-size', '3'],
    restoreArgs: ['--batch-size', '4'],
    setup: async (ctx) => {
      await ctx.client.createCollection(ctx.name, { vectors: { size: 3, distance: 'Dot' } });
      // inserted out of order, so the server's id order is what the backup must follow
      const ids = [...BIG_IDS, ...UUID_IDS].reverse();
      await upsertRaw(
        ctx,
        ids.map(
          (id, k) =>
            `{"id":${id},"vector":${JSON.stringify(randomVector(ctx.rng, 3))},"payload":{"k":${k},"id_text":${JSON.stringify(id)}}}`,
        ),
      );
    },
    checkArchive: (text) => {
      for (const id of BIG_IDS) assert.ok(text.includes(`{"id":${id},`), `archive keeps id ${id} digit for digit`);
      assert.ok(!text.includes('18446744073709552000'), 'no rounded id');
    },
    checkRestored: async (ctx, archive) => {
      // the live ids are read digit for digit too: nothing added or removed, and none rounded
      const compared = await runCli('backup', ['--agent', 'ids', '--compare', archive, '--json'], {
        cwd: ctx.store.root,
        env: ctx.server.env,
      });
      assert.equal(compared.code, 0, compared.stderr);
      assert.deepEqual((JSON.parse(compared.stdout) as { points: unknown }).points, { added: [], removed: [] });
    },
  },
  ...(['Cosine', 'Euclid', 'Dot', 'Manhattan'] as const).map((distance): FidelityCase => ({
    title: `an unnamed 768-d vector with ${distance} distance (the memory server's own points)`,
    agent: `dist_${distance.toLowerCase()}`,
    memories: 40,
    alter: distance === 'Cosine' || distance === 'Dot' ? 'delete' : 'replace',
    setup: async (ctx) => seedCollection(ctx.server.url, ctx.name, ctx.store.points, { distance }),
    checkArchive: (text) => {
      const header = JSON.parse(text) as { vector_size: unknown; distance: unknown };
      assert.equal(header.vector_size, 768);
      assert.equal(header.distance, `Distance.${distance.toUpperCase()}`);
    },
  })),
  {
    title: 'named dense vectors, several per point, some points missing some or all',
    agent: 'named',
    alter: 'replace',
    backupArgs: ['--batch-size', '7'],
    setup: async (ctx) => {
      await ctx.client.createCollection(ctx.name, {
        vectors: {
          image: { size: 4, distance: 'Dot' },
          text: { size: 8, distance: 'Cosine', on_disk: true },
          code: { size: 3, distance: 'Manhattan', quantization_config: { binary: { always_ram: true } } },
        },
      });
      const names = ['image', 'text', 'code'] as const;
      const sizes = { image: 4, text: 8, code: 3 };
      const points = Array.from({ length: 25 }, (_, id) => {
        // id 0 has every vector, id 1 none at all, the rest a random subset
        const chosen = id === 0 ? [...names] : id === 1 ? [] : ctx.rng.sample(names, ctx.rng.int(1, 2));
        const vector: Record<string, number[]> = {};
        for (const name of chosen) vector[name] = randomVector(ctx.rng, sizes[name], 3);
        return { id, vector, payload: { chosen } };
      });
      await ctx.client.upsert(ctx.name, { wait: true, points });
    },
    checkArchive: (text) => {
      const header = JSON.parse(text) as { vector_size: unknown; distance: unknown };
      assert.equal(header.vector_size, null, 'no unnamed vector to describe');
      assert.equal(header.distance, null);
    },
  },
  {
    title: 'sparse vectors beside named dense ones, with index settings and the idf modifier',
    agent: 'sparse',
    alter: 'delete',
    setup: async (ctx) => {
      await ctx.client.createCollection(ctx.name, {
        vectors: { dense: { size: 4, distance: 'Euclid' } },
        sparse_vectors: {
          text: { index: { on_disk: true, full_scan_threshold: 5000, datatype: 'float16' }, modifier: 'idf' },
          keywords: {},
        },
      });
      const points = Array.from({ length: 20 }, (_, id) => {
        const vector: Record<string, number[] | { indices: number[]; values: number[] }> = {};
        if (id % 3 !== 0) vector.dense = randomVector(ctx.rng, 4);
        if (id % 2 === 0) vector.text = sparseVector(ctx.rng, ctx.rng.int(1, 6));
        if (id % 5 !== 1) vector.keywords = sparseVector(ctx.rng, ctx.rng.int(1, 12));
        return { id, vector };
      });
      await ctx.client.upsert(ctx.name, { wait: true, points });
    },
  },
  {
    title: 'sparse-only collection, and an unnamed dense vector beside a sparse one',
    agent: 'sparse_mixed',
    alter: 'replace',
    setup: async (ctx) => {
      await ctx.client.createCollection(ctx.name, {
        vectors: { size: 3, distance: 'Cosine' },
        sparse_vectors: { text: {} },
      });
      await ctx.client.upsert(ctx.name, {
        wait: true,
        points: [
          { id: 1, vector: { '': randomVector(ctx.rng, 3), text: sparseVector(ctx.rng, 4) } },
          { id: 2, vector: randomVector(ctx.rng, 3) }, // comes back as a bare list
          { id: 3, vector: { text: sparseVector(ctx.rng, 2) } }, // only the sparse one
        ],
      });
      // a second collection of this store's user, sparse only, rides along untouched
      await ctx.client.createCollection(`${ctx.name}_sparse_only`, { sparse_vectors: { only: { modifier: 'none' } } });
    },
    checkRestored: async (ctx) => {
      assert.ok(
        (await ctx.client.collectionExists(`${ctx.name}_sparse_only`)).exists,
        'other collections are left alone',
      );
    },
  },
  {
    title: 'an unnamed multivector (varying numbers of sub-vectors)',
    agent: 'multi',
    alter: 'delete',
    setup: async (ctx) => {
      await ctx.client.createCollection(ctx.name, {
        vectors: { size: 3, distance: 'Cosine', multivector_config: { comparator: 'max_sim' } },
      });
      const points = Array.from({ length: 12 }, (_, id) => ({
        id: ctx.rng.uuid4(),
        vector: Array.from({ length: 1 + (id % 4) }, () => randomVector(ctx.rng, 3, 5)),
        payload: { n: 1 + (id % 4) },
      }));
      await ctx.client.upsert(ctx.name, { wait: true, points });
    },
  },
  {
    title: 'named multivectors beside dense vectors, float16 and uint8 storage, on_disk flags',
    agent: 'datatypes',
    alter: 'replace',
    setup: async (ctx) => {
      await ctx.client.createCollection(ctx.name, {
        vectors: {
          colbert: {
            size: 4,
            distance: 'Euclid',
            multivector_config: { comparator: 'max_sim' },
            datatype: 'float16',
            on_disk: true,
          },
          half: { size: 64, distance: 'Cosine', datatype: 'float16', on_disk: false },
          bytes: { size: 6, distance: 'Cosine', datatype: 'uint8', on_disk: true },
          full: { size: 5, distance: 'Dot', datatype: 'float32' },
        },
      });
      const points = Array.from({ length: 30 }, (_, id) => ({
        id,
        vector: {
          colbert: Array.from({ length: 1 + (id % 3) }, () => randomVector(ctx.rng, 4, 10)),
          half: randomVector(ctx.rng, 64),
          bytes: randomVector(ctx.rng, 6, 300).map(Math.abs), // truncated and saturated into 0..255
          ...(id % 4 === 0 ? {} : { full: randomVector(ctx.rng, 5, 1e6) }),
        },
      }));
      await ctx.client.upsert(ctx.name, { wait: true, points });
    },
  },
  {
    title: 'an unnamed float16 Cosine vector on disk',
    agent: 'half_unnamed',
    alter: 'delete',
    setup: async (ctx) => {
      await ctx.client.createCollection(ctx.name, {
        vectors: { size: 48, distance: 'Cosine', datatype: 'float16', on_disk: true },
      });
      const points = Array.from({ length: 40 }, (_, id) => ({ id, vector: randomVector(ctx.rng, 48) }));
      await ctx.client.upsert(ctx.name, { wait: true, points });
    },
    checkArchive: (text) => {
      const header = JSON.parse(text) as { vector_size: unknown; distance: unknown };
      assert.equal(header.vector_size, 48);
      assert.equal(header.distance, 'Distance.COSINE');
    },
  },
  {
    title: 'custom HNSW, scalar quantization, optimizer, WAL, shard, replication and read fan-out settings',
    agent: 'settings',
    alter: 'replace',
    setup: async (ctx) => {
      await ctx.client.createCollection(ctx.name, {
        vectors: {
          size: 4,
          distance: 'Euclid',
          hnsw_config: { m: 8, ef_construct: 64, on_disk: true },
          quantization_config: { scalar: { type: 'int8', quantile: 0.95, always_ram: false } },
        },
        hnsw_config: {
          m: 32,
          ef_construct: 200,
          full_scan_threshold: 5000,
          max_indexing_threads: 2,
          on_disk: true,
          payload_m: 24,
        },
        quantization_config: { scalar: { type: 'int8', quantile: 0.99, always_ram: true } },
        optimizers_config: {
          deleted_threshold: 0.1,
          vacuum_min_vector_number: 500,
          default_segment_number: 2,
          max_segment_size: 100000,
          memmap_threshold: 20000,
          indexing_threshold: 5000,
          flush_interval_sec: 10,
          max_optimization_threads: 3,
        },
        wal_config: { wal_capacity_mb: 64, wal_segments_ahead: 2, wal_retain_closed: 3 },
        shard_number: 3,
        sharding_method: 'auto',
        replication_factor: 2,
        write_consistency_factor: 2,
        on_disk_payload: false,
      });
      // read fan-out cannot be given at creation; Qdrant reports it once set by an update
      await ctx.client.updateCollection(ctx.name, { params: { read_fan_out_factor: 2, read_fan_out_delay_ms: 150 } });
      const points = Array.from({ length: 10 }, (_, id) => ({ id: id * 1000, vector: randomVector(ctx.rng, 4, 100) }));
      await ctx.client.upsert(ctx.name, { wait: true, points });
    },
    checkRestored: async (ctx) => {
      const params = (await ctx.client.getCollection(ctx.name)).config.params;
      assert.equal(params.read_fan_out_factor, 2);
      assert.equal(params.shard_number, 3);
    },
  },
  {
    title: 'payload indexes in both forms, recreated with wait=true',
    agent: 'indexes',
    memories: 25,
    alter: 'replace',
    setup: async (ctx) => {
      await seedCollection(ctx.server.url, ctx.name, ctx.store.points);
      const indexes: Array<[string, Schemas['PayloadFieldSchema']]> = [
        ['category', 'keyword'],
        ['importance', 'float'],
        ['created_at', 'datetime'],
        ['id', 'uuid'],
        ['metadata.source', 'keyword'],
        ['tags', { type: 'keyword', is_tenant: true, on_disk: true }],
        ['content', { type: 'text', tokenizer: 'word', lowercase: true, min_token_len: 2, max_token_len: 20 }],
        ['access_count', { type: 'integer', lookup: true, range: false }],
      ];
      for (const [field_name, field_schema] of indexes) {
        await ctx.client.createPayloadIndex(ctx.name, { field_name, field_schema, wait: true });
      }
    },
    checkRestored: (ctx) => {
      if (ctx.server.testServer === undefined) return ctx.diagnostic('the wait=true check needs the test server');
      const indexRequests = ctx.server.testServer.requestLog
        .slice(ctx.restoreLogStart)
        .filter((e) => e.method === 'PUT' && e.path === `/collections/${ctx.name}/index`);
      assert.equal(indexRequests.length, 8, 'one request per archived index');
      for (const request of indexRequests)
        assert.match(request.query, /(^|&)wait=true(&|$)/, 'each index is created with wait=true');
    },
  },
  {
    title: 'aliases pointing at the collection come back; aliases of other collections stay as they are',
    agent: 'aliases',
    alter: 'delete',
    setup: async (ctx) => {
      await ctx.client.createCollection(ctx.name, { vectors: { size: 2, distance: 'Dot' } });
      await ctx.client.createCollection(`${ctx.name}_other`, { vectors: { size: 2, distance: 'Dot' } });
      await ctx.client.upsert(ctx.name, { wait: true, points: [{ id: 1, vector: [1, 2] }] });
      await ctx.client.updateCollectionAliases({
        actions: [
          { create_alias: { collection_name: ctx.name, alias_name: `${ctx.name}_current` } },
          { create_alias: { collection_name: ctx.name, alias_name: `${ctx.name}_ärchive ✓` } },
          { create_alias: { collection_name: `${ctx.name}_other`, alias_name: `${ctx.name}_other_alias` } },
        ],
      });
    },
    checkRestored: async (ctx) => {
      const all = (await ctx.client.getAliases()).aliases;
      assert.deepEqual(
        all.find((a) => a.alias_name === `${ctx.name}_other_alias`),
        { alias_name: `${ctx.name}_other_alias`, collection_name: `${ctx.name}_other` },
      );
    },
  },
  {
    title: 'collection metadata and strict-mode settings',
    agent: 'metadata',
    alter: 'replace',
    setup: async (ctx) => {
      // the client's createCollection drops metadata; its generated API keeps it
      await ctx.client.api().createCollection({
        collection_name: ctx.name,
        vectors: { size: 3, distance: 'Cosine' },
        metadata: {
          owner: 'fidelity test',
          model: { name: 'embed-768', revision: 3 },
          ünïcödé: '日本語 🚀',
          nothing: null,
          list: [1, 'two', { three: 3 }],
        },
        strict_mode_config: {
          enabled: true,
          max_query_limit: 100,
          unindexed_filtering_retrieve: false,
          upsert_max_batchsize: 500,
        },
      });
      await ctx.client.upsert(ctx.name, { wait: true, points: [{ id: 7, vector: [3, 4, 12] }] });
    },
    checkRestored: async (ctx) => {
      const config = (await ctx.client.getCollection(ctx.name)).config;
      assert.equal((config.metadata as { owner?: unknown } | undefined)?.owner, 'fidelity test');
      assert.equal((config.strict_mode_config as { enabled?: unknown } | undefined)?.enabled, true);
    },
  },
  {
    title: 'payloads of any JSON shape: unicode, nesting, large strings, nulls, big integers, no payload',
    agent: 'payloads',
    alter: 'delete',
    setup: async (ctx) => {
      await ctx.client.createCollection(ctx.name, { vectors: { size: 2, distance: 'Manhattan' } });
      const large = Array.from({ length: 20000 }, (_, k) => `line ${k}: 👩‍💻 naïve café 日本語 "quoted" \\ tab\t`).join(
        '\n',
      ); // ~1 MB
      let deep: unknown = { bottom: true };
      for (let k = 0; k < 60; k++) deep = { level: k, child: deep, siblings: [k, [k, [k]]] };
      const payloads = [
        JSON.stringify({
          text: 'Zoë 😀 \u0000 \u001f \u007f \u2028 \ud83d\ude80 e\u0301',
          emoji_zwj: '👩‍👩‍👧‍👦',
          rtl: 'مرحبا',
          keys: { 'a.b': 1, 'with "quote"': 2, ключ: 3 },
        }),
        JSON.stringify({ deep }),
        JSON.stringify({ large }),
        JSON.stringify({
          nothing: null,
          list: [null, null],
          nested: { inner: null },
          empty_object: {},
          empty_list: [],
        }),
        // number forms JSON allows; the big integers only survive as text
        '{"big":18446744073709551615,"negative_big":-9223372036854775808,"float":1.5e300,"small":-2.5e-300,"zero":0,"neg_zero":-0.0,"int_as_float":1.0,"bool":true}',
        JSON.stringify({ mixed: [1, 'two', { three: [3] }, [true, false], null, 4.5] }),
      ];
      await upsertRaw(ctx, [
        ...payloads.map((payload, k) => `{"id":${k + 1},"vector":[${k},${-k}],"payload":${payload}}`),
        '{"id":100,"vector":[0.5,0.25]}', // no payload at all: {} in Qdrant
      ]);
    },
    checkArchive: (text) => {
      assert.ok(text.includes('"big":18446744073709551615'), 'payload integers keep their digits');
      assert.ok(text.includes('"negative_big":-9223372036854775808'));
    },
  },
  {
    title: 'an empty collection: settings and payload index restored, zero points',
    agent: 'empty',
    alter: 'replace',
    setup: async (ctx) => {
      await ctx.client.createCollection(ctx.name, {
        vectors: { size: 5, distance: 'Manhattan', on_disk: true },
        on_disk_payload: false,
      });
      await ctx.client.createPayloadIndex(ctx.name, { field_name: 'category', field_schema: 'keyword', wait: true });
    },
    checkArchive: (text) => {
      assert.deepEqual((JSON.parse(text) as { points: unknown[] }).points, []);
    },
  },
];

/** Puts something else where the collection was, so the restore has to replace it. */
async function replaceCollection(ctx: CaseContext): Promise<void> {
  await ctx.client.deleteCollection(ctx.name);
  await ctx.client.createCollection(ctx.name, { vectors: { other: { size: 2, distance: 'Dot' } }, shard_number: 1 });
  await ctx.client.upsert(ctx.name, {
    wait: true,
    points: [{ id: 1, vector: { other: [1, 1] }, payload: { replaced: true } }],
  });
  await ctx.client.createPayloadIndex(ctx.name, { field_name: 'replaced', field_schema: 'bool', wait: true });
  await ctx.client.updateCollectionAliases({
    actions: [{ create_alias: { collection_name: ctx.name, alias_name: `${ctx.name}_stray` } }],
  });
}

describe('Qdrant fidelity through ba-backup and ba-restore', () => {
  const suite = useQdrant();

  cases.forEach((fidelityCase, index) => {
    it(fidelityCase.title, async (t) => {
      const store = createMemoryStore({
        root: makeTempDir(`ba-fidelity-${fidelityCase.agent}`),
        agent: fidelityCase.agent,
        memories: fidelityCase.memories ?? 5,
        seed: index + 1,
      });
      const ctx: CaseContext = {
        server: suite.server,
        client: suite.client,
        name: store.collectionName,
        store,
        rng: new Rng(1000 + index),
        restoreLogStart: 0,
        diagnostic: (message) => t.diagnostic(message),
      };
      const env = suite.server.env;
      await fidelityCase.setup(ctx);
      const expected = await snapshot(ctx);
      const expectedDump = dumpDatabase(store.dbPath);

      const backup = await runCli('backup', ['--agent', fidelityCase.agent, ...(fidelityCase.backupArgs ?? [])], {
        cwd: store.root,
        env,
      });
      assert.equal(backup.code, 0, backup.stderr + backup.stdout);
      const archive = /Location: (.*\.zip)/.exec(backup.stdout)?.[1];
      assert.ok(archive, backup.stdout);
      const vectorsText = (await readZipEntries(archive)).get('qdrant_vectors.json')!.toString('utf8');
      const archived = JSON.parse(vectorsText) as {
        points: unknown[];
        collection: { config: unknown; payload_schema: unknown; aliases: string[] };
      };
      assert.equal(archived.points.length, expected.points.length, 'every point archived');
      assert.deepEqual(archived.collection.aliases, expected.aliases);
      fidelityCase.checkArchive?.(vectorsText, ctx);

      if (fidelityCase.alter === 'delete') {
        await suite.client.deleteCollection(ctx.name);
      } else {
        await replaceCollection(ctx);
        assert.notDeepEqual(await snapshot(ctx), expected);
      }
      insertMemories(store.dbPath, 2, { seed: 77 }); // the database changes too
      assert.notDeepEqual(dumpDatabase(store.dbPath), expectedDump);

      ctx.restoreLogStart = suite.server.testServer?.requestLog.length ?? 0;
      const restore = await runCli(
        'restore',
        [archive, '--yes', '--agent', fidelityCase.agent, ...(fidelityCase.restoreArgs ?? [])],
        { cwd: store.root, env },
      );
      assert.equal(restore.code, 0, restore.stderr + restore.stdout);
      assert.match(restore.stdout, new RegExp(`Vectors: ${expected.points.length}\\n`));
      assert.doesNotMatch(restore.stderr, /WARNING/, 'no warnings');

      const actual = await snapshot(ctx);
      assert.deepEqual(actual.config, expected.config, 'collection config');
      assert.deepEqual(actual.payload_schema, expected.payload_schema, 'payload indexes');
      assert.deepEqual(actual.aliases, expected.aliases, 'aliases');
      assert.equal(actual.points.length, expected.points.length, 'point count');
      actual.points.forEach((point, k) => {
        const want = expected.points[k]!;
        assert.equal(point.id, want.id, `id at position ${k}`);
        assert.deepEqual(point.vector, want.vector, `vector of point ${String(want.id)}`);
        assert.deepEqual(point.payload, want.payload, `payload of point ${String(want.id)}`);
      });
      assert.deepEqual(dumpDatabase(store.dbPath), expectedDump, 'database rows');
      await fidelityCase.checkRestored?.(ctx, archive);
    });
  });
});
