/** The checks on an archived collection's settings before a restore changes anything (qdrant/collection-check.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectionProblem } from '../../src/qdrant/collection-check.js';

// ---- factories ----------------------------------------------------------------------------------

type Json = Record<string, unknown>;

interface ArchivedCollection {
  config: unknown;
  payload_schema?: unknown;
  aliases?: unknown;
}

/** A collection Qdrant takes: one unnamed vector, no indexes, no aliases. */
function collection(extra: Partial<ArchivedCollection> = {}): ArchivedCollection {
  return {
    config: { params: { vectors: { size: 4, distance: 'Cosine' } } },
    payload_schema: {},
    aliases: [],
    ...extra,
  };
}

/** The valid collection with `value` set at a dotted path under config (objects on the way are created). */
function withConfig(dotted: string, value: unknown): ArchivedCollection {
  const result = collection();
  let node = result.config as Json;
  const keys = dotted.split('.');
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Json;
  }
  node[keys.at(-1)!] = value;
  return result;
}

/** A payload_schema with one index on field "f". */
function withIndex(index: unknown): ArchivedCollection {
  return collection({ payload_schema: { f: index } });
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** Asserts that every value at the path is accepted. */
function accepts(dotted: string, values: unknown[]): void {
  for (const value of values)
    assert.equal(collectionProblem(withConfig(dotted, value)), null, `${dotted} = ${String(value)}`);
}

/** Asserts that the value at the path is refused with exactly this problem. */
function refuses(dotted: string, value: unknown, problem: string): void {
  assert.equal(collectionProblem(withConfig(dotted, value)), problem);
}

// ---- the collection as a whole ------------------------------------------------------------------

describe('collectionProblem: what passes', () => {
  it('accepts a plain collection', () => {
    assert.equal(collectionProblem(collection()), null);
  });

  it('accepts a collection without payload_schema and aliases', () => {
    assert.equal(collectionProblem({ config: collection().config }), null);
  });

  it('lets fields it does not know through (settings of newer Qdrant versions)', () => {
    assert.equal(collectionProblem(withConfig('params.new_setting', 'anything')), null);
    assert.equal(collectionProblem(withConfig('future_config', [1, 2])), null);
    assert.equal(collectionProblem(withConfig('params.vectors.new_vector_option', { x: 1 })), null);
  });

  it('takes null as absent for optional settings', () => {
    accepts('hnsw_config', [null]);
    accepts('params.shard_number', [null]);
    accepts('optimizer_config.deleted_threshold', [null]);
    assert.equal(collectionProblem(collection({ payload_schema: null })), null);
  });

  it('reports the first problem only, config before payload indexes before aliases', () => {
    const everythingWrong = {
      config: { params: { vectors: { size: 0, distance: 'Cosine' } } },
      payload_schema: { f: { data_type: 'vector' } },
      aliases: [''],
    };
    assert.match(collectionProblem(everythingWrong) ?? '', /^collection\.config\.params\.vectors\.size /);
    assert.match(
      collectionProblem({ ...everythingWrong, config: collection().config }) ?? '',
      /^collection\.payload_schema\./,
    );
    assert.match(
      collectionProblem({ ...everythingWrong, config: collection().config, payload_schema: {} }) ?? '',
      /^collection\.aliases: /,
    );
  });
});

describe('collectionProblem: config and params', () => {
  it('refuses a config or params that is not an object', () => {
    assert.equal(collectionProblem({ config: 'x' }), 'collection.config must be an object, not "x"');
    assert.equal(collectionProblem({ config: {} }), 'collection.config.params must be an object, not undefined');
    assert.equal(collectionProblem({ config: { params: [] } }), 'collection.config.params must be an object, not []');
  });

  it('checks shard_number, replication_factor and write_consistency_factor from 1 to 2^32-1', () => {
    for (const field of ['shard_number', 'replication_factor', 'write_consistency_factor']) {
      accepts(`params.${field}`, [1, 0xffffffff]);
      refuses(
        `params.${field}`,
        0,
        `collection.config.params.${field} must be a whole number from 1 to 4294967295, not 0`,
      );
      refuses(
        `params.${field}`,
        2 ** 32,
        `collection.config.params.${field} must be a whole number from 1 to 4294967295, not 4294967296`,
      );
    }
  });

  it('checks sharding_method and on_disk_payload', () => {
    accepts('params.sharding_method', ['auto', 'custom']);
    refuses(
      'params.sharding_method',
      'random',
      'collection.config.params.sharding_method must be one of auto, custom, not "random"',
    );
    accepts('params.on_disk_payload', [true, false]);
    refuses(
      'params.on_disk_payload',
      'true',
      'collection.config.params.on_disk_payload must be true or false, not "true"',
    );
  });
});

describe('collectionProblem: dense vectors', () => {
  it('checks the size from 1 to 65536, whole', () => {
    accepts('params.vectors.size', [1, 65536]);
    for (const size of [0, 65537, 1.5, -1, '4']) {
      refuses(
        'params.vectors.size',
        size,
        `collection.config.params.vectors.size must be a whole number from 1 to 65536, not ${JSON.stringify(size)}`,
      );
    }
  });

  it('checks the distance', () => {
    accepts('params.vectors.distance', ['Cosine', 'Euclid', 'Dot', 'Manhattan']);
    refuses(
      'params.vectors.distance',
      'cosine',
      'collection.config.params.vectors.distance must be one of Cosine, Euclid, Dot, Manhattan, not "cosine"',
    );
  });

  it('checks datatype, on_disk and the multivector comparator', () => {
    accepts('params.vectors.datatype', ['float32', 'uint8', 'float16']);
    refuses(
      'params.vectors.datatype',
      'int8',
      'collection.config.params.vectors.datatype must be one of float32, uint8, float16, not "int8"',
    );
    refuses('params.vectors.on_disk', 1, 'collection.config.params.vectors.on_disk must be true or false, not 1');
    accepts('params.vectors.multivector_config', [{ comparator: 'max_sim' }]);
    refuses(
      'params.vectors.multivector_config',
      {},
      'collection.config.params.vectors.multivector_config.comparator must be one of max_sim, not undefined',
    );
  });

  it('checks a vector’s own hnsw_config and requires its quantization_config to be an object', () => {
    refuses(
      'params.vectors.hnsw_config',
      { ef_construct: 3 },
      'collection.config.params.vectors.hnsw_config.ef_construct must be a whole number from 4 to 9007199254740991, not 3',
    );
    refuses(
      'params.vectors.quantization_config',
      'scalar',
      'collection.config.params.vectors.quantization_config must be an object, not "scalar"',
    );
  });

  it('checks each of several named vectors, naming the vector', () => {
    const named = { text: { size: 4, distance: 'Dot' }, image: { size: 0, distance: 'Dot' } };
    refuses(
      'params.vectors',
      named,
      'collection.config.params.vectors."image".size must be a whole number from 1 to 65536, not 0',
    );
    accepts('params.vectors', [{ text: { size: 4, distance: 'Dot' } }, {}]);
  });

  it('reads a map with a vector named "size" as named vectors, not as one vector', () => {
    accepts('params.vectors', [{ size: { size: 8, distance: 'Euclid' } }]);
  });

  it('reads an object with a numeric size or a text distance as one vector', () => {
    refuses(
      'params.vectors',
      { distance: 'Dot' },
      'collection.config.params.vectors.size must be a whole number from 1 to 65536, not undefined',
    );
  });

  it('refuses vectors that are not an object', () => {
    refuses('params.vectors', [4], 'collection.config.params.vectors must be an object, not [4]');
  });
});

describe('collectionProblem: sparse vectors', () => {
  it('accepts sparse vectors with known modifiers and index settings', () => {
    accepts('params.sparse_vectors', [
      { words: {} },
      { words: null },
      { words: { modifier: 'idf', index: { full_scan_threshold: 10, on_disk: true, datatype: 'float16' } } },
    ]);
  });

  it('refuses unknown modifiers and bad index settings, naming the sparse vector', () => {
    refuses(
      'params.sparse_vectors',
      { words: { modifier: 'bm25' } },
      'collection.config.params.sparse_vectors."words".modifier must be one of none, idf, not "bm25"',
    );
    refuses(
      'params.sparse_vectors',
      { words: { index: { on_disk: 'yes' } } },
      'collection.config.params.sparse_vectors."words".index.on_disk must be true or false, not "yes"',
    );
  });

  it('names a vector whose name holds control characters in its JSON-escaped form', () => {
    refuses(
      'params.sparse_vectors',
      { 'a\u001bb': 5 },
      'collection.config.params.sparse_vectors."a\\u001bb" must be an object, not 5',
    );
  });
});

describe('collectionProblem: hnsw, optimizer and WAL settings', () => {
  it('checks hnsw_config: ef_construct at least 4, the others whole numbers, on_disk and inline_storage true or false', () => {
    accepts('hnsw_config', [{ m: 0, ef_construct: 4, full_scan_threshold: 0, max_indexing_threads: 0, payload_m: 16 }]);
    refuses(
      'hnsw_config.ef_construct',
      3,
      'collection.config.hnsw_config.ef_construct must be a whole number from 4 to 9007199254740991, not 3',
    );
    refuses(
      'hnsw_config.m',
      -1,
      'collection.config.hnsw_config.m must be a whole number from 0 to 9007199254740991, not -1',
    );
    refuses(
      'hnsw_config.inline_storage',
      0,
      'collection.config.hnsw_config.inline_storage must be true or false, not 0',
    );
  });

  it('checks the optimizer’s deleted_threshold as a fraction', () => {
    accepts('optimizer_config.deleted_threshold', [0, 0.2, 1]);
    for (const value of [-0.1, 1.5, '0.2']) {
      refuses(
        'optimizer_config.deleted_threshold',
        value,
        `collection.config.optimizer_config.deleted_threshold must be a number from 0 to 1, not ${JSON.stringify(value)}`,
      );
    }
  });

  it('checks vacuum_min_vector_number from 100', () => {
    accepts('optimizer_config.vacuum_min_vector_number', [100, 1000]);
    refuses(
      'optimizer_config.vacuum_min_vector_number',
      99,
      'collection.config.optimizer_config.vacuum_min_vector_number must be a whole number from 100 to 9007199254740991, not 99',
    );
  });

  it('takes max_optimization_threads as "auto" or a whole number', () => {
    accepts('optimizer_config.max_optimization_threads', ['auto', 0, 8]);
    refuses(
      'optimizer_config.max_optimization_threads',
      'many',
      'collection.config.optimizer_config.max_optimization_threads must be a whole number from 0 to 9007199254740991, not "many"',
    );
  });

  it('checks the optimizer’s whole numbers and prevent_unoptimized', () => {
    for (const field of [
      'default_segment_number',
      'max_segment_size',
      'memmap_threshold',
      'indexing_threshold',
      'flush_interval_sec',
    ]) {
      refuses(
        `optimizer_config.${field}`,
        2.5,
        `collection.config.optimizer_config.${field} must be a whole number from 0 to 9007199254740991, not 2.5`,
      );
    }
    refuses(
      'optimizer_config.prevent_unoptimized',
      'no',
      'collection.config.optimizer_config.prevent_unoptimized must be true or false, not "no"',
    );
  });

  it('checks wal_capacity_mb from 1 and the other WAL numbers from 0', () => {
    accepts('wal_config', [{ wal_capacity_mb: 1, wal_segments_ahead: 0, wal_retain_closed: 0 }]);
    refuses(
      'wal_config.wal_capacity_mb',
      0,
      'collection.config.wal_config.wal_capacity_mb must be a whole number from 1 to 9007199254740991, not 0',
    );
    refuses(
      'wal_config.wal_retain_closed',
      -1,
      'collection.config.wal_config.wal_retain_closed must be a whole number from 0 to 9007199254740991, not -1',
    );
  });

  it('requires quantization_config, strict_mode_config and metadata to be objects', () => {
    for (const field of ['quantization_config', 'strict_mode_config', 'metadata']) {
      accepts(field, [{}, { anything: true }]);
      refuses(field, [], `collection.config.${field} must be an object, not []`);
    }
  });
});

describe('collectionProblem: payload indexes', () => {
  it('accepts every index type, as a type name or as params with a type', () => {
    for (const type of ['keyword', 'integer', 'float', 'geo', 'text', 'bool', 'datetime', 'uuid']) {
      assert.equal(collectionProblem(withIndex({ data_type: type })), null, type);
      assert.equal(collectionProblem(withIndex({ data_type: 'ignored', params: { type } })), null, type);
    }
  });

  it('refuses an unknown type name, naming the field', () => {
    assert.equal(
      collectionProblem(withIndex({ data_type: 'vector' })),
      'collection.payload_schema."f".data_type must be one of keyword, integer, float, geo, text, bool, datetime, uuid, not "vector"',
    );
  });

  it('checks params when present, whatever data_type says', () => {
    assert.equal(
      collectionProblem(withIndex({ data_type: 'keyword', params: { type: 'blob' } })),
      'collection.payload_schema."f".params.type must be one of keyword, integer, float, geo, text, bool, datetime, uuid, not "blob"',
    );
    assert.equal(
      collectionProblem(withIndex({ data_type: 'keyword', params: 'keyword' })),
      'collection.payload_schema."f".params must be an object, not "keyword"',
    );
  });

  it('falls back to data_type when params is null', () => {
    assert.equal(collectionProblem(withIndex({ data_type: 'keyword', params: null })), null);
  });

  it('refuses an index that is not an object, and a payload_schema that is not a map', () => {
    assert.equal(
      collectionProblem(withIndex('keyword')),
      'collection.payload_schema."f" must be an object, not "keyword"',
    );
    assert.equal(
      collectionProblem(collection({ payload_schema: ['f'] })),
      'collection.payload_schema must be an object, not ["f"]',
    );
  });
});

describe('collectionProblem: aliases', () => {
  it('accepts names Qdrant takes', () => {
    assert.equal(
      collectionProblem(collection({ aliases: ['current', 'a.b-c_d', 'x'.repeat(255), 'spaces ok'] })),
      null,
    );
  });

  it('refuses empty, too long and non-text names', () => {
    assert.equal(
      collectionProblem(collection({ aliases: [''] })),
      'collection.aliases: alias "" must be 1 to 255 characters',
    );
    assert.match(
      collectionProblem(collection({ aliases: ['x'.repeat(256)] })) ?? '',
      /^collection\.aliases: alias "x{39}… must be 1 to 255 characters$/,
    );
    assert.equal(
      collectionProblem(collection({ aliases: [7] })),
      'collection.aliases: alias 7 must be 1 to 255 characters',
    );
  });

  it('refuses each character Qdrant refuses', () => {
    for (const c of ['<', '>', ':', '"', '/', '\\', '|', '?', '*', '\u0000', '\u001f', '\u007f']) {
      assert.match(
        collectionProblem(collection({ aliases: ['ok', `a${c}b`] })) ?? '',
        /^collection\.aliases: alias .* contains a character Qdrant refuses$/,
        JSON.stringify(c),
      );
    }
  });

  it('ignores aliases that are not a list', () => {
    assert.equal(collectionProblem(collection({ aliases: 'current' })), null);
  });
});

describe('collectionProblem: nesting', () => {
  it('refuses settings nested more than 64 levels deep, before reading them', () => {
    // the collection object is level 1, config level 2: 62 more levels fill the limit exactly
    assert.equal(collectionProblem(withConfig('metadata', nested(62))), null);
    assert.equal(
      collectionProblem(withConfig('metadata', nested(63))),
      'collection settings are nested more than 64 levels deep',
    );
    assert.equal(
      collectionProblem({ config: nested(100_000) }),
      'collection settings are nested more than 64 levels deep',
    );
  });

  it('counts arrays as levels', () => {
    let value: unknown = 1;
    for (let i = 0; i < 70; i++) value = [value];
    assert.equal(
      collectionProblem(collection({ aliases: value })),
      'collection settings are nested more than 64 levels deep',
    );
  });
});

describe('collectionProblem: how values are shown', () => {
  it('cuts long values at 40 characters', () => {
    const long = 'd'.repeat(60);
    assert.equal(
      collectionProblem(withConfig('params.vectors.distance', long)),
      `collection.config.params.vectors.distance must be one of Cosine, Euclid, Dot, Manhattan, not "${'d'.repeat(39)}…`,
    );
  });

  it('shows a value of exactly 40 characters whole', () => {
    const fits = 'd'.repeat(38); // 40 characters with its quotes
    assert.equal(
      collectionProblem(withConfig('params.vectors.distance', fits)),
      `collection.config.params.vectors.distance must be one of Cosine, Euclid, Dot, Manhattan, not "${fits}"`,
    );
    assert.match(collectionProblem(withConfig('params.vectors.distance', `${fits}d`)) ?? '', /…$/);
  });

  it('escapes control characters that JSON leaves raw', () => {
    assert.equal(
      collectionProblem(withConfig('params.vectors.distance', 'a\u0085b')),
      'collection.config.params.vectors.distance must be one of Cosine, Euclid, Dot, Manhattan, not "a\\x85b"',
    );
  });

  it('shows values JSON cannot (a BigInt) as text', () => {
    refuses(
      'params.vectors.size',
      4n,
      'collection.config.params.vectors.size must be a whole number from 1 to 65536, not 4',
    );
  });
});
