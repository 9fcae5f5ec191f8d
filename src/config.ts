/**
 * Configuration of a memory store and of its Qdrant server.
 *
 * Resolved once, at the edge (the CLI), from flags over environment over
 * defaults, and validated with zod. Core functions receive the result and
 * never read process.env themselves.
 */
import path from 'node:path';
import * as z from 'zod';
import { UsageError } from './errors.js';
import { clipped } from './output.js';

export const DEFAULT_USERNAME = 'buildautomata_ai_v012';
export const DEFAULT_AGENT = 'claude_assistant';
export const DEFAULT_QDRANT_HOST = 'localhost';
export const DEFAULT_QDRANT_PORT = 6333;
export const DATABASE_FILE = 'memoryv012.db';

export interface StoreConfig {
  /** The memory system's folder: holds memory_repos/ and backups/. */
  root: string;
  username: string;
  agent: string;
  /** <root>/memory_repos/<username>_<agent> */
  repoDir: string;
  /** <repoDir>/memoryv012.db */
  dbPath: string;
  /** <root>/backups */
  backupsDir: string;
  /** <username>_<agent>_memories */
  collectionName: string;
}

export interface QdrantConfig {
  /** Base URL without credentials, safe to print. */
  url: string;
  /** Never printed, never written to an archive. */
  apiKey?: string;
  timeoutMs: number;
}

/** A value and where it came from, so an error can name the flag or variable. */
interface Sourced<T> {
  value: T;
  source: string;
}

function pick<T>(flag: T | undefined, flagName: string, env: T | undefined, envName: string, fallback: T): Sourced<T> {
  if (flag !== undefined) return { value: flag, source: flagName };
  if (env !== undefined && env !== '') return { value: env, source: envName };
  return { value: fallback, source: 'default' };
}

// A store name becomes a folder name and part of a collection name: keep it to
// characters that mean the same thing on every platform.
const storeName = z
  .string()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "use only letters, digits, '_', '-' and '.', starting with a letter or digit");

function check<T>(schema: z.ZodType<T>, input: Sourced<unknown>, fix: string): T {
  const parsed = schema.safeParse(input.value);
  if (parsed.success) return parsed.data;
  const reason = parsed.error.issues[0]?.message ?? 'invalid';
  throw new UsageError(`Invalid ${input.source} ${quoted(input.value)}: ${reason}`, fix);
}

/** How an error quotes a bad value: one short line, never a password written into a URL. */
function quoted(value: unknown): string {
  return clipped(hideUserinfo(JSON.stringify(value)), QUOTED_MAX);
}

/**
 * `user:password@` anywhere in the text becomes `…@`: the stretch before each @, back to a /,
 * @, quote or space, when it holds a colon. A loop rather than a regular expression, which
 * backtracks quadratically on a long value without one (a 100,000-character name: 22 s).
 */
function hideUserinfo(text: string): string {
  let out = '';
  let kept = 0;
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > kept && !USERINFO_END.has(text[start - 1]!)) start--;
    if (text.slice(start, at).includes(':')) {
      out += `${text.slice(kept, start)}…`;
      kept = at;
    }
  }
  return out + text.slice(kept);
}

const USERINFO_END = new Set(['/', '@', '"', ' ', '\t', '\n', '\r']);

/** Characters of a bad value an error quotes: a whole store name (at most 100) fits. */
const QUOTED_MAX = 120;

export interface StoreInput {
  root?: string;
  username?: string;
  agent?: string;
  /** Another collection name than <username>_<agent>_memories (a restore rehearsed beside the live one). */
  collection?: string;
}

export function resolveStoreConfig(input: StoreInput, env: NodeJS.ProcessEnv, cwd: string): StoreConfig {
  const rootInput = pick(input.root, '--root', env.BA_MEMORY_ROOT, 'BA_MEMORY_ROOT', cwd);
  const root = path.resolve(
    cwd,
    check(z.string().min(1, 'must not be empty'), rootInput, 'Give the folder that holds memory_repos/.'),
  );
  const username = check(
    storeName,
    pick(input.username, '--username', env.BA_USERNAME, 'BA_USERNAME', DEFAULT_USERNAME),
    'Set the user name the memory server runs with.',
  );
  const agent = check(
    storeName,
    pick(input.agent, '--agent', env.BA_AGENT_NAME, 'BA_AGENT_NAME', DEFAULT_AGENT),
    'Set the agent name the memory server runs with.',
  );
  const repoDir = path.join(root, 'memory_repos', `${username}_${agent}`);
  return {
    root,
    username,
    agent,
    repoDir,
    dbPath: path.join(repoDir, DATABASE_FILE),
    backupsDir: path.join(root, 'backups'),
    collectionName:
      input.collection === undefined
        ? `${username}_${agent}_memories`
        : check(
            storeName,
            { value: input.collection, source: '--collection' },
            'Use a Qdrant collection name of letters, digits, _, - and .',
          ),
  };
}

const portSchema = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

const hostSchema = z
  .string()
  .min(1, 'must not be empty')
  .regex(/^[A-Za-z0-9.\-:[\]]+$/, 'must be a host name or IP address');

const urlSchema = z.string().refine((text) => {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');

export interface QdrantInput {
  timeoutMs?: number;
}

export function resolveQdrantConfig(input: QdrantInput, env: NodeJS.ProcessEnv): QdrantConfig {
  const apiKey = env.QDRANT_API_KEY ? env.QDRANT_API_KEY : undefined;
  const timeoutMs = input.timeoutMs ?? 60_000;
  const urlInput = pick(undefined, '', env.QDRANT_URL, 'QDRANT_URL', undefined);
  if (urlInput.value !== undefined) {
    const text = check(urlSchema, urlInput, 'Use a URL such as http://localhost:6333.');
    const url = new URL(text);
    if (url.username || url.password) {
      throw new UsageError(
        `Invalid ${urlInput.source}: credentials in the URL are not supported`,
        'Put the API key in QDRANT_API_KEY instead.',
      );
    }
    return { url: withoutTrailingSlash(url.toString()), apiKey, timeoutMs };
  }
  const host = check(
    hostSchema,
    pick(undefined, '', env.QDRANT_HOST, 'QDRANT_HOST', DEFAULT_QDRANT_HOST),
    'Use a host name such as localhost.',
  );
  const port = check(
    portSchema,
    pick(undefined, '', env.QDRANT_PORT, 'QDRANT_PORT', String(DEFAULT_QDRANT_PORT)),
    'Use a port number such as 6333.',
  );
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return { url: `http://${hostPart}:${port}`, apiKey, timeoutMs };
}

function withoutTrailingSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

export const batchSizeSchema = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(10_000, 'must be at most 10000');

export function parseBatchSize(value: string | undefined, flag = '--batch-size', fallback = 100): number {
  if (value === undefined) return fallback;
  return check(
    batchSizeSchema,
    { value, source: flag },
    `Use a whole number from 1 to 10000; the default is ${fallback}.`,
  );
}

export type QdrantMode = 'server' | 'embedded' | 'none';

export interface QdrantModeChoice {
  mode: QdrantMode;
  /** Why this mode, in words, printed and recorded in the manifest. */
  reason: string;
  /** True when nothing chose the mode: the last rule of the detection applied. */
  defaulted?: boolean;
}

const TRUE_WORDS = new Set(['true', '1', 'yes']);

/**
 * Which vector store the memory server uses, as the memory server decides it:
 * an explicit flag or BA_QDRANT_MODE wins; then USE_EXTERNAL_QDRANT or an
 * explicitly set Qdrant address means a server; then an existing qdrant_data/
 * folder means the embedded store; otherwise a server at the defaults.
 */
export function resolveQdrantMode(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  localDirExists: boolean,
): QdrantModeChoice {
  const explicit = pick(flag, '--qdrant', env.BA_QDRANT_MODE, 'BA_QDRANT_MODE', undefined);
  if (explicit.value !== undefined) {
    const mode = check(
      z.enum(['server', 'embedded', 'none'], { error: 'must be server, embedded or none' }),
      explicit,
      'Use server, embedded or none.',
    );
    return { mode, reason: `${explicit.source} ${mode}` };
  }
  const external = env.USE_EXTERNAL_QDRANT;
  if (external !== undefined && TRUE_WORDS.has(external.trim().toLowerCase())) {
    return { mode: 'server', reason: `USE_EXTERNAL_QDRANT=${external}` };
  }
  for (const name of ['QDRANT_URL', 'QDRANT_HOST', 'QDRANT_PORT'] as const) {
    if (env[name]) return { mode: 'server', reason: `${name} is set` };
  }
  if (localDirExists) return { mode: 'embedded', reason: 'the store has a qdrant_data/ folder (local mode)' };
  return {
    mode: 'server',
    reason: 'default: no qdrant_data/ folder, Qdrant server at the default address',
    defaulted: true,
  };
}
