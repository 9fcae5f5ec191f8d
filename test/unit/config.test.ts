/**
 * The store and the Qdrant server a run works on (config.ts): flags over environment over defaults,
 * and the errors that name the flag or variable an invalid value came from.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  DEFAULT_AGENT,
  DEFAULT_USERNAME,
  parseBatchSize,
  resolveQdrantConfig,
  resolveStoreConfig,
  type StoreInput,
} from '../../src/config.js';
import { ExitCode, UsageError } from '../../src/errors.js';

// ---- factories ----------------------------------------------------------------------------------

const CWD = path.resolve('/work/here');

/** An environment holding only the given variables (never process.env). */
function env(vars: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...vars };
}

function storeInput(extra: StoreInput = {}): StoreInput {
  return { ...extra };
}

/** A UsageError whose message starts with `Invalid <source> "<value>": <reason>`. */
function invalid(source: string, value: string, reason?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    assert.equal(err.exitCode, ExitCode.Usage);
    assert.equal(err.code, 'USAGE');
    assert.ok(
      err.message.startsWith(`Invalid ${source} ${JSON.stringify(value)}: `),
      `message names ${source}: ${err.message}`,
    );
    if (reason) assert.match(err.message, reason);
    return true;
  };
}

// ---- resolveStoreConfig -------------------------------------------------------------------------

describe('resolveStoreConfig', () => {
  it('uses the working folder and the memory server’s default names when nothing is given', () => {
    const store = resolveStoreConfig(storeInput(), env(), CWD);
    const repoDir = path.join(CWD, 'memory_repos', `${DEFAULT_USERNAME}_${DEFAULT_AGENT}`);
    assert.deepEqual(store, {
      root: CWD,
      username: DEFAULT_USERNAME,
      agent: DEFAULT_AGENT,
      repoDir,
      dbPath: path.join(repoDir, 'memoryv012.db'),
      backupsDir: path.join(CWD, 'backups'),
      collectionName: `${DEFAULT_USERNAME}_${DEFAULT_AGENT}_memories`,
    });
  });

  it('takes the environment over the defaults', () => {
    const store = resolveStoreConfig(
      storeInput(),
      env({ BA_MEMORY_ROOT: '/env/root', BA_USERNAME: 'envuser', BA_AGENT_NAME: 'envagent' }),
      CWD,
    );
    assert.equal(store.root, path.resolve('/env/root'));
    assert.equal(store.username, 'envuser');
    assert.equal(store.agent, 'envagent');
    assert.equal(store.collectionName, 'envuser_envagent_memories');
  });

  it('takes flags over the environment', () => {
    const store = resolveStoreConfig(
      storeInput({ root: '/flag/root', username: 'flaguser', agent: 'flagagent' }),
      env({ BA_MEMORY_ROOT: '/env/root', BA_USERNAME: 'envuser', BA_AGENT_NAME: 'envagent' }),
      CWD,
    );
    assert.equal(store.root, path.resolve('/flag/root'));
    assert.equal(store.repoDir, path.join(path.resolve('/flag/root'), 'memory_repos', 'flaguser_flagagent'));
  });

  it('ignores empty environment variables', () => {
    const store = resolveStoreConfig(
      storeInput(),
      env({ BA_MEMORY_ROOT: '', BA_USERNAME: '', BA_AGENT_NAME: '' }),
      CWD,
    );
    assert.equal(store.root, CWD);
    assert.equal(store.username, DEFAULT_USERNAME);
    assert.equal(store.agent, DEFAULT_AGENT);
  });

  it('resolves a relative root against the working folder', () => {
    assert.equal(
      resolveStoreConfig(storeInput({ root: 'sub/store' }), env(), CWD).root,
      path.join(CWD, 'sub', 'store'),
    );
  });

  it('replaces only the collection name with --collection', () => {
    const store = resolveStoreConfig(storeInput({ collection: 'rehearsal-1' }), env(), CWD);
    assert.equal(store.collectionName, 'rehearsal-1');
    assert.equal(store.repoDir, path.join(CWD, 'memory_repos', `${DEFAULT_USERNAME}_${DEFAULT_AGENT}`));
  });

  it('refuses an empty --root flag (an empty flag is not "no flag")', () => {
    assert.throws(
      () => resolveStoreConfig(storeInput({ root: '' }), env(), CWD),
      invalid('--root', '', /not be empty/),
    );
  });

  it('refuses store names that would not mean the same folder everywhere, naming their source', () => {
    const cases: Array<[StoreInput, NodeJS.ProcessEnv, string, string]> = [
      [{ username: '../up' }, env(), '--username', '../up'],
      [{}, env({ BA_USERNAME: 'a b' }), 'BA_USERNAME', 'a b'],
      [{ agent: '.hidden' }, env(), '--agent', '.hidden'],
      [{}, env({ BA_AGENT_NAME: 'x/y' }), 'BA_AGENT_NAME', 'x/y'],
      [{ collection: 'a:b' }, env(), '--collection', 'a:b'],
      [{ username: 'x'.repeat(101) }, env(), '--username', 'x'.repeat(101)],
    ];
    for (const [input, environment, source, value] of cases) {
      assert.throws(() => resolveStoreConfig(storeInput(input), environment, CWD), invalid(source, value));
    }
  });

  it('quotes a very long bad name in one short line', () => {
    const name = `${'a'.repeat(100_000)}/`;
    assert.throws(
      () => resolveStoreConfig(storeInput(), env({ BA_AGENT_NAME: name }), CWD),
      (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, /^Invalid BA_AGENT_NAME "a{118}…: /);
        assert.ok(err.message.length < 300, `${err.message.length} characters`);
        return true;
      },
    );
  });

  it('accepts names of letters, digits, _, - and . starting with a letter or digit, up to 100 characters', () => {
    const store = resolveStoreConfig(storeInput({ username: 'A1_b-c.d', agent: '9'.repeat(100) }), env(), CWD);
    assert.equal(store.username, 'A1_b-c.d');
    assert.equal(store.agent.length, 100);
  });
});

// ---- resolveQdrantConfig ------------------------------------------------------------------------

describe('resolveQdrantConfig', () => {
  it('defaults to http://localhost:6333, no API key and a 60 s timeout', () => {
    assert.deepEqual(resolveQdrantConfig({}, env()), {
      url: 'http://localhost:6333',
      apiKey: undefined,
      timeoutMs: 60_000,
    });
  });

  it('builds the address from QDRANT_HOST and QDRANT_PORT', () => {
    assert.equal(
      resolveQdrantConfig({}, env({ QDRANT_HOST: 'qdrant.lan', QDRANT_PORT: '7000' })).url,
      'http://qdrant.lan:7000',
    );
  });

  it('puts an IPv6 host in brackets, once', () => {
    assert.equal(resolveQdrantConfig({}, env({ QDRANT_HOST: '::1' })).url, 'http://[::1]:6333');
    assert.equal(resolveQdrantConfig({}, env({ QDRANT_HOST: '[::1]' })).url, 'http://[::1]:6333');
  });

  it('takes QDRANT_URL over QDRANT_HOST and QDRANT_PORT, without a trailing slash', () => {
    const config = resolveQdrantConfig(
      {},
      env({ QDRANT_URL: 'https://q.example:443/', QDRANT_HOST: 'ignored', QDRANT_PORT: 'not a port' }),
    );
    assert.equal(config.url, 'https://q.example');
  });

  it('keeps a path prefix of QDRANT_URL', () => {
    assert.equal(
      resolveQdrantConfig({}, env({ QDRANT_URL: 'http://proxy:8080/qdrant/' })).url,
      'http://proxy:8080/qdrant',
    );
  });

  it('takes the API key and timeout given, ignoring an empty key', () => {
    assert.deepEqual(resolveQdrantConfig({ timeoutMs: 5 }, env({ QDRANT_API_KEY: 'secret' })), {
      url: 'http://localhost:6333',
      apiKey: 'secret',
      timeoutMs: 5,
    });
    assert.equal(resolveQdrantConfig({}, env({ QDRANT_API_KEY: '' })).apiKey, undefined);
  });

  it('refuses credentials in QDRANT_URL without printing them', () => {
    assert.throws(
      () => resolveQdrantConfig({}, env({ QDRANT_URL: 'http://user:hunter2@q:6333' })),
      (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.equal(err.message, 'Invalid QDRANT_URL: credentials in the URL are not supported');
        assert.doesNotMatch(`${err.message} ${err.hint ?? ''}`, /hunter2/);
        return true;
      },
    );
  });

  it('refuses a malformed QDRANT_URL without printing the password written into it', () => {
    for (const [url, shown] of [
      ['htp//user:hunter2@q:6333', 'htp//…@q:6333'] as const,
      ['user:hunter2@q:6333', '…@q:6333'] as const,
    ]) {
      assert.throws(
        () => resolveQdrantConfig({}, env({ QDRANT_URL: url })),
        (err: unknown) => {
          assert.ok(err instanceof UsageError);
          assert.equal(err.message, `Invalid QDRANT_URL "${shown}": must be an http:// or https:// URL`);
          return true;
        },
      );
    }
  });

  it('refuses a QDRANT_URL that is not http or https', () => {
    for (const url of ['ftp://q:6333', 'localhost:6333', 'not a url']) {
      assert.throws(
        () => resolveQdrantConfig({}, env({ QDRANT_URL: url })),
        invalid('QDRANT_URL', url, /http:\/\/ or https:\/\/ URL/),
      );
    }
  });

  it('refuses a host that is not a host name and a port out of range, naming the variable', () => {
    assert.throws(() => resolveQdrantConfig({}, env({ QDRANT_HOST: 'q/x' })), invalid('QDRANT_HOST', 'q/x'));
    for (const port of ['0', '65536', '80.5', 'http']) {
      assert.throws(() => resolveQdrantConfig({}, env({ QDRANT_PORT: port })), invalid('QDRANT_PORT', port));
    }
    assert.equal(resolveQdrantConfig({}, env({ QDRANT_PORT: '65535' })).url, 'http://localhost:65535');
  });
});

// ---- parseBatchSize -----------------------------------------------------------------------------

describe('parseBatchSize', () => {
  it('gives the fallback when the flag is absent and the number when it is valid', () => {
    assert.equal(parseBatchSize(undefined), 100);
    assert.equal(parseBatchSize(undefined, '--concurrency', 4), 4);
    assert.equal(parseBatchSize('1'), 1);
    assert.equal(parseBatchSize('10000'), 10_000);
  });

  it('refuses values out of 1..10000 or not whole, naming the flag', () => {
    for (const value of ['0', '10001', '2.5', 'many', '']) {
      assert.throws(() => parseBatchSize(value, '--batch-size'), invalid('--batch-size', value));
    }
    assert.throws(() => parseBatchSize('0', '--upload-batch'), invalid('--upload-batch', '0'));
  });
});
