/**
 * Which vector store a run talks to: resolveQdrantMode (config.ts) from flag, environment and the store
 * folder, and vectorStoreFor (vector-store/select.ts) from the resolved mode.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveQdrantMode, type QdrantConfig, type QdrantModeChoice, type StoreConfig } from '../../src/config.js';
import { ExitCode, UsageError } from '../../src/errors.js';
import { EmbeddedVectorStore } from '../../src/vector-store/embedded-store.js';
import { NoVectorStore } from '../../src/vector-store/no-store.js';
import { vectorStoreFor } from '../../src/vector-store/select.js';
import { ServerVectorStore } from '../../src/vector-store/server-store.js';

// ---- factories ----------------------------------------------------------------------------------

/** An environment holding only the given variables (never process.env). */
function env(vars: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...vars };
}

function store(): StoreConfig {
  const repoDir = '/stores/root/memory_repos/alice_helper';
  return {
    root: '/stores/root',
    username: 'alice',
    agent: 'helper',
    repoDir,
    dbPath: `${repoDir}/memoryv012.db`,
    backupsDir: '/stores/root/backups',
    collectionName: 'alice_helper_memories',
  };
}

function qdrantConfig(url = 'http://qdrant.test:6333'): QdrantConfig {
  return { url, timeoutMs: 1_000 };
}

function choice(mode: QdrantModeChoice['mode'], reason = `--qdrant ${mode}`): QdrantModeChoice {
  return { mode, reason };
}

/** A UsageError naming where the invalid value came from. */
function invalid(source: string, value: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    assert.equal(err.exitCode, ExitCode.Usage);
    assert.equal(err.code, 'USAGE');
    assert.equal(err.message, `Invalid ${source} ${JSON.stringify(value)}: must be server, embedded or none`);
    return true;
  };
}

// ---- resolveQdrantMode --------------------------------------------------------------------------

describe('resolveQdrantMode: an explicit choice', () => {
  it('takes the --qdrant flag over BA_QDRANT_MODE, saying which one chose', () => {
    assert.deepEqual(resolveQdrantMode('embedded', env({ BA_QDRANT_MODE: 'server' }), false), {
      mode: 'embedded',
      reason: '--qdrant embedded',
    });
  });

  it('takes BA_QDRANT_MODE when there is no flag', () => {
    assert.deepEqual(resolveQdrantMode(undefined, env({ BA_QDRANT_MODE: 'none' }), true), {
      mode: 'none',
      reason: 'BA_QDRANT_MODE none',
    });
  });

  it('accepts each of server, embedded and none', () => {
    for (const mode of ['server', 'embedded', 'none'] as const) {
      assert.equal(resolveQdrantMode(mode, env(), false).mode, mode);
    }
  });

  it('beats USE_EXTERNAL_QDRANT, a Qdrant address and a qdrant_data/ folder', () => {
    const everything = env({ USE_EXTERNAL_QDRANT: 'true', QDRANT_URL: 'http://q:6333', QDRANT_HOST: 'q' });
    assert.equal(resolveQdrantMode('embedded', everything, true).mode, 'embedded');
    assert.equal(resolveQdrantMode(undefined, { ...everything, BA_QDRANT_MODE: 'none' }, true).mode, 'none');
  });

  it('ignores an empty BA_QDRANT_MODE', () => {
    assert.equal(resolveQdrantMode(undefined, env({ BA_QDRANT_MODE: '' }), true).mode, 'embedded');
  });

  it('refuses an unknown flag value, naming the flag, even when BA_QDRANT_MODE is valid', () => {
    assert.throws(
      () => resolveQdrantMode('local', env({ BA_QDRANT_MODE: 'server' }), false),
      invalid('--qdrant', 'local'),
    );
  });

  it('refuses an empty flag value (an empty flag is not "no flag")', () => {
    assert.throws(() => resolveQdrantMode('', env(), false), invalid('--qdrant', ''));
  });

  it('refuses an unknown BA_QDRANT_MODE, naming the variable', () => {
    assert.throws(
      () => resolveQdrantMode(undefined, env({ BA_QDRANT_MODE: 'qdrant' }), false),
      invalid('BA_QDRANT_MODE', 'qdrant'),
    );
  });
});

describe('resolveQdrantMode: detection as the memory server does it', () => {
  it('takes USE_EXTERNAL_QDRANT=true, 1 or yes (any case, spaces around) as a server', () => {
    for (const value of ['true', '1', 'yes', 'TRUE', ' Yes ']) {
      assert.deepEqual(
        resolveQdrantMode(undefined, env({ USE_EXTERNAL_QDRANT: value }), true),
        { mode: 'server', reason: `USE_EXTERNAL_QDRANT=${value}` },
        value,
      );
    }
  });

  it('does not take other USE_EXTERNAL_QDRANT values as a server', () => {
    for (const value of ['false', '0', 'no', '', 'on']) {
      assert.equal(resolveQdrantMode(undefined, env({ USE_EXTERNAL_QDRANT: value }), true).mode, 'embedded', value);
    }
  });

  it('takes a set QDRANT_URL, QDRANT_HOST or QDRANT_PORT as a server, over a qdrant_data/ folder', () => {
    for (const name of ['QDRANT_URL', 'QDRANT_HOST', 'QDRANT_PORT']) {
      assert.deepEqual(resolveQdrantMode(undefined, env({ [name]: 'x' }), true), {
        mode: 'server',
        reason: `${name} is set`,
      });
    }
  });

  it('names QDRANT_URL first when several addresses are set', () => {
    const reason = resolveQdrantMode(undefined, env({ QDRANT_PORT: '1', QDRANT_HOST: 'h', QDRANT_URL: 'u' }), false);
    assert.equal(reason.reason, 'QDRANT_URL is set');
  });

  it('does not count empty address variables as set', () => {
    const empty = env({ QDRANT_URL: '', QDRANT_HOST: '', QDRANT_PORT: '' });
    assert.equal(resolveQdrantMode(undefined, empty, true).mode, 'embedded');
  });

  it('takes an existing qdrant_data/ folder as the embedded store', () => {
    assert.deepEqual(resolveQdrantMode(undefined, env(), true), {
      mode: 'embedded',
      reason: 'the store has a qdrant_data/ folder (local mode)',
    });
  });

  it('falls back to a server at the default address, and only then says it defaulted', () => {
    assert.deepEqual(resolveQdrantMode(undefined, env(), false), {
      mode: 'server',
      reason: 'default: no qdrant_data/ folder, Qdrant server at the default address',
      defaulted: true,
    });
    for (const chosen of [
      resolveQdrantMode('server', env(), false),
      resolveQdrantMode(undefined, env({ USE_EXTERNAL_QDRANT: '1' }), false),
      resolveQdrantMode(undefined, env({ QDRANT_HOST: 'h' }), false),
    ]) {
      assert.equal(chosen.defaulted, undefined, chosen.reason);
    }
  });

  it('reads only the environment it is given', () => {
    const saved = process.env.BA_QDRANT_MODE;
    process.env.BA_QDRANT_MODE = 'none';
    try {
      assert.equal(resolveQdrantMode(undefined, env(), true).mode, 'embedded');
    } finally {
      if (saved === undefined) delete process.env.BA_QDRANT_MODE;
      else process.env.BA_QDRANT_MODE = saved;
    }
  });
});

// ---- vectorStoreFor -----------------------------------------------------------------------------

describe('vectorStoreFor', () => {
  it('gives the embedded store in the store’s qdrant_data/ folder for embedded', () => {
    const vectors = vectorStoreFor(choice('embedded'), store(), null);
    assert.ok(vectors instanceof EmbeddedVectorStore);
    assert.equal(vectors.mode, 'embedded');
    assert.equal(vectors.location, '/stores/root/memory_repos/alice_helper/qdrant_data');
  });

  it('gives the store’s collection on the configured server for server', () => {
    const vectors = vectorStoreFor(choice('server'), store(), qdrantConfig());
    assert.ok(vectors instanceof ServerVectorStore);
    assert.equal(vectors.mode, 'server');
    assert.equal(vectors.location, 'alice_helper_memories at http://qdrant.test:6333');
  });

  it('ignores a server configuration for embedded', () => {
    assert.ok(vectorStoreFor(choice('embedded'), store(), qdrantConfig()) instanceof EmbeddedVectorStore);
  });

  it('gives no store for none, keeping the reason it was chosen', () => {
    const vectors = vectorStoreFor(choice('none', '--skip-qdrant'), store(), qdrantConfig());
    assert.ok(vectors instanceof NoVectorStore);
    assert.equal(vectors.mode, 'none');
    assert.deepEqual(vectors.choice, { mode: 'none', reason: '--skip-qdrant' });
  });

  it('gives no store for server without a server configuration, saying Qdrant was skipped', () => {
    const vectors = vectorStoreFor(choice('server'), store(), null);
    assert.ok(vectors instanceof NoVectorStore);
    assert.deepEqual(vectors.choice, { mode: 'none', reason: 'Qdrant was skipped' });
  });
});
