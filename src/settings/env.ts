// The environment, read in one place through one schema: connection settings, paths and the port
// (coerced and checked, defaults applied), and the secrets whose variable names the configuration
// gives. Nothing else in navbridge reads an environment variable.
import { z } from 'zod';
import type { AppConfig } from './app-config.js';

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_CONFIG_FILE = 'navbridge.config.yaml';
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** The person-matching key and the admin token must be long enough not to be guessed. */
export const PERSON_KEY_MIN_LENGTH = 16;

const nonEmpty = z.string().min(1);
const dbSchema = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a PostgreSQL schema name (a-z, 0-9, _)');

/** Every environment variable navbridge reads by a fixed name (README "Configuration reference"). */
export const envSchema = z.object({
  /** The configuration file (relative to the working directory). */
  NAVBRIDGE_CONFIG: nonEmpty.default(DEFAULT_CONFIG_FILE),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default(DEFAULT_DATABASE_URL),
  /**
   * The owner role's connection, for migrations (they create the tables and the application role);
   * default: DATABASE_URL.
   */
  MIGRATION_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /** The least-privilege role the application's connections act as (created by the migrations). */
  NAVBRIDGE_DB_ROLE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a PostgreSQL role name (a-z, 0-9, _)')
    .default('navbridge_app'),
  /** navbridge's tables in another schema than `public` (tests run processes on a schema of their own). */
  NAVBRIDGE_DB_SCHEMA: dbSchema.optional(),
  /**
   * Connections in each process's PostgreSQL pool. An API submit holds one for its transaction; a
   * worker holds one per delivery step. Keep (processes × this) below the server's max_connections.
   */
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
  /**
   * How long a request waits for a pooled connection before it is answered 503 (SERVICE_UNAVAILABLE,
   * Retry-After) instead of joining a queue that only grows under overload: well inside BaRS's 5 s.
   */
  DATABASE_POOL_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  /**
   * `on` (the default): each parameterised statement is prepared once per connection, so PostgreSQL
   * neither parses nor plans it again; `off` for a pooler in transaction mode that cannot keep
   * prepared statements (PgBouncer before 1.21, or with `max_prepared_statements = 0`).
   */
  DATABASE_PREPARED_STATEMENTS: z.enum(['on', 'off']).default('on'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default(DEFAULT_REDIS_URL),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  /**
   * A second, plain-HTTP port for probes and Prometheus (GET /metrics, /health, /ready; no
   * authentication): set it for workers, and for the API when /metrics should not need the admin token.
   */
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** The address the metrics port listens on (0.0.0.0 in a container). */
  METRICS_HOST: nonEmpty.default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * `compact` (the default): V8 sized for a small resident set (src/cli/v8-memory.ts, README
   * "Memory"); `default`: V8's own heap sizing.
   */
  NAVBRIDGE_V8_HEAP: z.enum(['compact', 'default']).optional(),
  /** Mapping and profile folders of the commands that need no configuration file (map, validate). */
  NAVBRIDGE_MAPPINGS: nonEmpty.optional(),
  NAVBRIDGE_PROFILES: nonEmpty.optional(),
});
export type EnvSettings = z.infer<typeof envSchema>;

/** Where a connection string is printed, its password is not. */
/**
 * A connection URL as it may be shown: any user and password replaced by `***`. Everything up to the
 * last `@` is hidden (a password may hold `@`, or an unencoded `/`): over-hiding is the safe side.
 */
export function redactUrl(url: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url);
  if (!scheme) return '***';
  const rest = url.slice(scheme[0].length);
  const at = rest.lastIndexOf('@');
  return at === -1 ? url : `${scheme[0]}***@${rest.slice(at + 1)}`;
}

/**
 * The secrets the configuration names, read and checked together (every problem at once): the
 * person-matching key (required where records are stored), the admin token, partner credentials
 * and the JWKS documents of partners and site clients given in the environment.
 */
export interface Secrets {
  personKey?: string;
  /** The master keys sealing patient data at rest, by id, and the id new values are sealed with. */
  masterKeys?: MasterKeys;
  adminToken?: string;
  /** Partner auth secrets by partner id: a bearer token or a PEM private key. */
  partnerAuth: Readonly<Record<string, string>>;
  /** JWKS JSON documents by environment variable name (`inbound.publicKeysEnv`, `siteClients[].publicKeysEnv`). */
  jwks: Readonly<Record<string, string>>;
}

export interface MasterKeys {
  /** Base64 of each 32-byte key, by id (strings: the secrets are frozen, and a Buffer cannot be). */
  keys: Readonly<Record<string, string>>;
  activeKeyId: string;
}

/** A master key id: short and plain (it is stored with every sealed value). */
const MASTER_KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;
/** AES-256 master keys: 32 bytes. */
export const MASTER_KEY_BYTES = 32;

/**
 * Parses `id:base64,id:base64` (each key 32 bytes, e.g. `openssl rand -base64 32`); the active id
 * is given separately, or is the only key's. Problems are named without ever quoting a key.
 */
export function parseMasterKeys(
  list: string | undefined,
  active: string | undefined,
  names: { keys: string; active: string },
): { masterKeys?: MasterKeys; problems: SecretProblem[] } {
  const problems: SecretProblem[] = [];
  if (!list) {
    problems.push({
      variable: names.keys,
      message: `master keys: must be set (id:base64 of ${MASTER_KEY_BYTES} bytes, comma-separated)`,
    });
    return { problems };
  }
  const keys: Record<string, string> = {};
  list.split(',').forEach((part, i) => {
    const at = part.indexOf(':');
    const id = at === -1 ? '' : part.slice(0, at).trim();
    const value = at === -1 ? '' : part.slice(at + 1).trim();
    const key = Buffer.from(value, 'base64');
    if (!MASTER_KEY_ID.test(id))
      problems.push({ variable: names.keys, message: `master key ${i + 1}: needs an id (id:base64)` });
    else if (key.length !== MASTER_KEY_BYTES || !/^[A-Za-z0-9+/]+={0,2}$/.test(value))
      problems.push({
        variable: names.keys,
        message: `master key ${id}: must be ${MASTER_KEY_BYTES} bytes in base64`,
      });
    else if (keys[id]) problems.push({ variable: names.keys, message: `master key ${id}: given twice` });
    else keys[id] = value;
  });
  const ids = Object.keys(keys);
  const activeKeyId = active ?? (ids.length === 1 ? ids[0] : undefined);
  if (!activeKeyId)
    problems.push({ variable: names.active, message: 'active master key: must name one of the master keys' });
  else if (!keys[activeKeyId] && problems.length === 0)
    problems.push({
      variable: names.active,
      message: `active master key ${activeKeyId}: not among the master keys`,
    });
  if (problems.length || !activeKeyId) return { problems };
  return { masterKeys: { keys, activeKeyId }, problems };
}

export interface SecretProblem {
  variable: string;
  message: string;
}

export interface SecretNeeds {
  /** The person key must be set (commands that store records). */
  personKey: boolean;
  /** Partner credentials must be set (commands that deliver). */
  partnerAuth: boolean;
  /** The master keys must be set (every command that opens the database). */
  masterKeys?: boolean;
}

/** The admin token's shortest length (128 bits as hex). */
export const ADMIN_TOKEN_MIN_LENGTH = 32;

export function readSecrets(
  env: Env,
  config: Pick<AppConfig, 'secrets' | 'partners' | 'siteClients'>,
  needs: SecretNeeds,
): { secrets: Secrets; problems: SecretProblem[] } {
  const problems: SecretProblem[] = [];
  const personKey = env[config.secrets.personKeyEnv];
  if (needs.personKey && (personKey === undefined || personKey.length < PERSON_KEY_MIN_LENGTH))
    problems.push({
      variable: config.secrets.personKeyEnv,
      message: `person matching key: must be set (at least ${PERSON_KEY_MIN_LENGTH} characters)`,
    });
  const partnerAuth: Record<string, string> = {};
  for (const p of config.partners) {
    const name =
      p.auth.type === 'bearer'
        ? p.auth.tokenEnv
        : p.auth.type === 'oauth2-client-credentials'
          ? p.auth.privateKeyEnv
          : undefined;
    if (!name) continue;
    const value = env[name];
    if (value) partnerAuth[p.id] = value;
    else if (needs.partnerAuth)
      problems.push({ variable: name, message: `partners[${p.id}].auth: must be set` });
  }
  const jwks: Record<string, string> = {};
  const jwksNames = [
    ...config.partners.map((p) => p.inbound?.publicKeysEnv),
    ...config.siteClients.map((c) => c.publicKeysEnv),
  ];
  for (const name of jwksNames) {
    if (!name) continue;
    const value = env[name];
    if (value) jwks[name] = value;
  }
  const keyNames = { keys: config.secrets.masterKeysEnv, active: config.secrets.activeMasterKeyEnv };
  const master = parseMasterKeys(env[keyNames.keys], env[keyNames.active], keyNames);
  // Keys that are set are checked whatever the command; missing ones only where the database is opened.
  if (needs.masterKeys || env[keyNames.keys] !== undefined) problems.push(...master.problems);
  const adminToken = env[config.secrets.adminTokenEnv];
  // A short admin token is guessable: refused wherever it is set, whatever the command.
  if (adminToken !== undefined && adminToken.length < ADMIN_TOKEN_MIN_LENGTH)
    problems.push({
      variable: config.secrets.adminTokenEnv,
      message: `admin token: at least ${ADMIN_TOKEN_MIN_LENGTH} characters (e.g. openssl rand -hex 32)`,
    });
  return {
    secrets: {
      ...(personKey ? { personKey } : {}),
      ...(master.masterKeys ? { masterKeys: master.masterKeys } : {}),
      ...(adminToken ? { adminToken } : {}),
      partnerAuth,
      jwks,
    },
    problems,
  };
}
