// navbridge.config.yaml: partners, routing and worker settings, validated with zod (unknown keys
// rejected, every problem reported at once). Secrets never live in the file: it names environment
// variables, read only by the command that needs them.
import { z } from 'zod';
import { httpSchema } from './http.js';

const envName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an environment variable name');
const odsCode = z.string().regex(/^[A-Z0-9]{3,10}$/, 'must be an ODS code');
const id = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be a kebab-case id');

export const RECEIVES = [
  'referral-status',
  'assessment',
  'support-plan',
  'onward-referral',
  'discharge',
  'escalation',
  'outcome',
] as const;
export type Receives = (typeof RECEIVES)[number];

const authSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('bearer'), tokenEnv: envName }).strict(),
  z
    .object({
      type: z.literal('oauth2-client-credentials'),
      tokenUrl: z.string().url(),
      clientId: z.string().min(1),
      /** PEM private key (PKCS#8) in this environment variable signs the client assertion. */
      privateKeyEnv: envName,
      keyId: z.string().min(1),
      algorithm: z.enum(['RS256', 'RS384', 'RS512', 'ES256', 'ES384']).default('RS256'),
      scope: z.string().optional(),
    })
    .strict(),
]);

const retrySchema = z
  .object({
    maxAttempts: z.coerce.number().int().min(1).max(100).default(12),
    baseDelayMs: z.coerce.number().int().min(10).default(1_000),
    maxDelayMs: z.coerce
      .number()
      .int()
      .min(100)
      .default(15 * 60_000),
  })
  .strict();

export const partnerSchema = z
  .object({
    id,
    name: z.string().min(1).max(200),
    kind: z.enum(['gp-practice', 'pcn', 'trust', 'community-service']),
    /** ODS codes the partner serves (a PCN lists its practices). */
    odsCodes: z.array(odsCode).default([]),
    /** Directory of Services id, where the partner speaks BaRS. */
    dosServiceId: z.string().optional(),
    /**
     * The BaRS use case (a code of https://fhir.nhs.uk/CodeSystem/usecases-categories-bars, e.g. a4t3)
     * this partner takes onward referrals under: set on ServiceRequest.category of the
     * servicerequest-request sent to it. Absent: the sending site's first `useCaseCategories` entry.
     */
    useCaseCategory: z
      .string()
      .regex(/^[a-z0-9]{1,40}$/, 'must be a BaRS use-case category code such as a4t3')
      .optional(),
    baseUrl: z.string().url(),
    auth: authSchema.default({ type: 'none' }),
    mode: z.enum(['transaction', 'rest', 'message', 'document']),
    document: z
      .object({
        transport: z.enum(['bundle', 'document-reference']).default('bundle'),
        content: z.enum(['summary', 'full']).default('summary'),
      })
      .strict()
      .default({ transport: 'bundle', content: 'summary' }),
    receives: z.array(z.enum(RECEIVES)).min(1),
    patients: z.enum(['reference-only', 'create-if-absent']).default('reference-only'),
    rateLimit: z
      .object({ max: z.coerce.number().int().min(1), durationMs: z.coerce.number().int().min(1) })
      .strict()
      .optional(),
    concurrency: z.coerce.number().int().min(1).max(200).default(8),
    timeoutMs: z.coerce.number().int().min(100).max(300_000).default(15_000),
    retry: retrySchema.default({ maxAttempts: 12, baseDelayMs: 1_000, maxDelayMs: 15 * 60_000 }),
    /** How the partner calls navbridge (inbound referrals and reads of its own referrals). */
    inbound: z
      .object({
        /** JWT `iss` and `sub` (SMART Backend Services client id). */
        clientId: z.string().min(1).max(200),
        /** Where the partner publishes its public keys… */
        jwksUrl: z.string().url().optional(),
        /** …or an environment variable holding a JWKS JSON document. */
        publicKeysEnv: envName.optional(),
        /** The site for referrals whose ServiceRequest names no performer. */
        defaultSite: id.optional(),
        /**
         * The navigator sites this partner may refer into (by performer, DoS id or default). Absent:
         * its default site only. A referral naming another site is refused 403.
         */
        sites: z.array(id).min(1).optional(),
        /**
         * SHA-256 fingerprints of the client certificates this partner connects with (mutual TLS):
         * when given, its tokens are accepted only over a connection presenting one of them.
         */
        certificates: z
          .array(
            z
              .string()
              .transform((v) => v.replace(/:/g, '').toLowerCase())
              .pipe(z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 fingerprint (hex, colons allowed)')),
          )
          .min(1)
          .optional(),
        /** Inverse mapping under mappings/inbound/<name>/. */
        mapping: z
          .string()
          .regex(/^[a-z0-9][a-z0-9-]*$/)
          .default('fhir-referral'),
      })
      .strict()
      .refine((v) => v.jwksUrl !== undefined || v.publicKeysEnv !== undefined, {
        message: 'give jwksUrl or publicKeysEnv',
      })
      .refine((v) => v.sites !== undefined || v.defaultSite !== undefined, {
        message: 'name the sites this partner may refer into (sites), or its defaultSite',
        path: ['sites'],
      })
      .refine((v) => !v.sites || !v.defaultSite || v.sites.includes(v.defaultSite), {
        message: 'defaultSite must be one of sites',
        path: ['defaultSite'],
      })
      .optional(),
    /** The watchdog's threshold for this partner (else `alerts.undeliveredAfterMinutes`). */
    alerts: z
      .object({ undeliveredAfterMinutes: z.coerce.number().int().min(1).max(10_080).optional() })
      .strict()
      .optional(),
    circuitBreaker: z
      .object({
        failureThreshold: z.coerce.number().int().min(1).default(5),
        cooldownMs: z.coerce.number().int().min(100).default(30_000),
      })
      .strict()
      .default({ failureThreshold: 5, cooldownMs: 30_000 }),
  })
  .strict();
export type PartnerConfig = z.infer<typeof partnerSchema>;

const days = z.coerce.number().int().min(1).max(36_500);
export const retentionSchema = z
  .object({
    /** Outbound exchanges delivered (or finished unsent: superseded, discarded, withheld, no-route). */
    deliveredPayloadDays: days.default(90),
    /** Inbound requests as received (the referral itself is kept as its record). */
    inboundBodyDays: days.default(90),
    /** Failed records once remapped (open failures are a referral not yet delivered: never pruned). */
    failedRecordDays: days.default(30),
    /** How often each worker prunes. */
    intervalMs: z.coerce.number().int().min(1_000).default(3_600_000),
    /** Rows per prune transaction. */
    batchRows: z.coerce.number().int().min(1).max(10_000).default(500),
  })
  .strict();
export type RetentionConfig = z.infer<typeof retentionSchema>;
export const alertsSchema = z
  .object({
    /** How often the watchdog looks (a BullMQ job scheduler: one run at a time across workers). */
    intervalMs: z.coerce.number().int().min(1_000).default(60_000),
    /** A first-contact or assessment clock due within this many hours raises a due-soon alert. */
    dueSoonHours: z.coerce.number().min(0).max(168).default(12),
    /** An outbound exchange not delivered this long after it was made (per partner: `alerts` there). */
    undeliveredAfterMinutes: z.coerce.number().int().min(1).max(10_080).default(60),
    /** A partner's circuit open longer than this. */
    circuitOpenMinutes: z.coerce.number().int().min(1).max(10_080).default(15),
    /** An open referral with no navigator record (event, assessment, plan) for this many days. */
    inactiveDays: z.coerce.number().int().min(1).max(365).default(14),
    /** A message (BaRS `message` mode) delivered this long ago without the partner's response. */
    acknowledgementMinutes: z.coerce.number().int().min(1).max(10_080).default(60),
    /** HMAC-SHA256-signed POSTs of each alert raised and cleared; the secret from `secretEnv`. */
    webhook: z
      .object({
        url: z.string().url(),
        secretEnv: envName,
        timeoutMs: z.coerce.number().int().min(100).max(60_000).default(5_000),
        maxAttempts: z.coerce.number().int().min(1).max(50).default(10),
      })
      .strict()
      .optional(),
  })
  .strict();
export type AlertsConfig = z.infer<typeof alertsSchema>;

export const appConfigSchema = z
  .object({
    mappingsDir: z.string().default('mappings'),
    profilesDir: z.string().default('profiles'),
    sites: z.array(id).min(1),
    /** Base URL navbridge's own FHIR API is reached at (JWT `aud`, fullUrls). */
    publicBaseUrl: z.string().url().default('http://localhost:8080/fhir'),
    secrets: z
      .object({
        /** Keyed HMAC secret for person matching (at least 16 characters). */
        personKeyEnv: envName.default('NAVBRIDGE_PERSON_KEY'),
        /** Master keys sealing patient data at rest: `id:base64,id:base64` (32-byte AES-256 keys). */
        masterKeysEnv: envName.default('NAVBRIDGE_MASTER_KEYS'),
        /** Which master key seals new values (optional with a single key); the others only open. */
        activeMasterKeyEnv: envName.default('NAVBRIDGE_MASTER_KEY_ID'),
        /** Admin credential (bearer token) for the admin API and dead-letter commands. */
        adminTokenEnv: envName.default('NAVBRIDGE_ADMIN_TOKEN'),
        /**
         * The admin token's SHA-256 (hex), as `navbridge hash-key` prints it: the API then keeps no
         * plaintext token, and the CLI's admin commands verify the token they are given against it.
         */
        adminTokenSha256: z
          .string()
          .regex(/^[0-9a-f]{64}$/, 'must be the hex SHA-256 digest of the token')
          .optional(),
      })
      .strict()
      .default({
        personKeyEnv: 'NAVBRIDGE_PERSON_KEY',
        adminTokenEnv: 'NAVBRIDGE_ADMIN_TOKEN',
        masterKeysEnv: 'NAVBRIDGE_MASTER_KEYS',
        activeMasterKeyEnv: 'NAVBRIDGE_MASTER_KEY_ID',
      }),
    worker: z
      .object({
        leaseMs: z.coerce.number().int().min(1_000).default(120_000),
        sweepIntervalMs: z.coerce.number().int().min(100).default(15_000),
        /** A stored exchange not claimed for this long is re-queued by the sweeper. */
        requeueAfterMs: z.coerce.number().int().min(100).default(60_000),
        queuePrefix: z
          .string()
          .regex(/^[a-z][a-z0-9-]*$/)
          .default('navbridge'),
      })
      .strict()
      .default({
        leaseMs: 120_000,
        sweepIntervalMs: 15_000,
        requeueAfterMs: 60_000,
        queuePrefix: 'navbridge',
      }),
    /**
     * How long payloads are kept, per data class (README "Security: retention"): rows, metadata and the
     * audit trail stay; only the patient data goes. Pruned in batches by every worker and `navbridge prune`.
     */
    retention: retentionSchema.prefault({}),
    partners: z.array(partnerSchema).default([]),
    /** The watchdog (README "Alerts"): what it raises, how often it looks, where it notifies. */
    alerts: alertsSchema.prefault({}),
    /** Body limits, server timeouts and rate limits of the API (src/settings/http.ts). */
    http: httpSchema.prefault({}),
    /** The mapping playground at /admin/playground (README "Playground"): off unless enabled. */
    playground: z
      .object({ enabled: z.boolean().default(false) })
      .strict()
      .prefault({}),
    /** Navigator case systems that authenticate with JWTs (as partners do) instead of API keys. */
    siteClients: z
      .array(
        z
          .object({
            id,
            site: id,
            /** JWT `iss` and `sub`. */
            clientId: z.string().min(1).max(200),
            jwksUrl: z.string().url().optional(),
            publicKeysEnv: envName.optional(),
          })
          .strict()
          .refine((v) => v.jwksUrl !== undefined || v.publicKeysEnv !== undefined, {
            message: 'give jwksUrl or publicKeysEnv',
          }),
      )
      .default([]),
    /** Navigator case systems' API keys (X-API-Key), stored only as SHA-256 hex digests. */
    apiKeys: z
      .array(
        z
          .object({
            id,
            site: id,
            sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the hex SHA-256 digest of the key'),
          })
          .strict(),
      )
      .default([]),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    for (const p of crossCheckPartners(cfg.partners, cfg)) ctx.addIssue({ code: 'custom', ...p });
  });

/** The sites a partner may refer into: its `inbound.sites`, else its default site. */
export const inboundSites = (p: PartnerConfig): readonly string[] =>
  p.inbound?.sites ?? (p.inbound?.defaultSite ? [p.inbound.defaultSite] : []);

/**
 * Rules across partners. Also run on raw input by the loader when the schema fails, because zod skips
 * refinements of an invalid object and every problem must be reported at once.
 */
export function crossCheckPartners(
  partners: unknown,
  rest: { sites?: unknown; siteClients?: unknown } = {},
): { path: (string | number)[]; message: string }[] {
  if (!Array.isArray(partners)) return [];
  const out: { path: (string | number)[]; message: string }[] = [];
  const seen = new Set<unknown>();
  const sites = Array.isArray(rest.sites) ? new Set(rest.sites) : undefined;
  // A JWT client id names one caller: a partner's and a site client's must never be the same.
  const clients = new Map<unknown, string>();
  if (Array.isArray(rest.siteClients))
    rest.siteClients.forEach((c: { clientId?: unknown } | null, i) => {
      if (c && typeof c === 'object' && c.clientId !== undefined) {
        if (clients.has(c.clientId))
          out.push({
            path: ['siteClients', i, 'clientId'],
            message: `clientId already used by ${clients.get(c.clientId)}`,
          });
        else clients.set(c.clientId, `siteClients[${i}]`);
      }
    });
  partners.forEach(
    (
      p: {
        id?: unknown;
        mode?: unknown;
        dosServiceId?: unknown;
        inbound?: { clientId?: unknown; sites?: unknown; defaultSite?: unknown } | null;
      } | null,
      i,
    ) => {
      if (!p || typeof p !== 'object') return;
      if (p.id !== undefined && seen.has(p.id))
        out.push({ path: ['partners', i, 'id'], message: 'duplicate partner id' });
      seen.add(p.id);
      if (p.mode === 'message' && !p.dosServiceId)
        out.push({
          path: ['partners', i, 'dosServiceId'],
          message: 'message (BaRS) partners need a Directory of Services id',
        });
      const inbound = p.inbound && typeof p.inbound === 'object' ? p.inbound : undefined;
      if (inbound?.clientId !== undefined) {
        const other = clients.get(inbound.clientId);
        if (other)
          out.push({
            path: ['partners', i, 'inbound', 'clientId'],
            message: `clientId already used by ${other}`,
          });
        else clients.set(inbound.clientId, `partners[${i}]`);
      }
      if (sites && inbound) {
        const named = [...(Array.isArray(inbound.sites) ? inbound.sites : []), inbound.defaultSite].filter(
          (s) => s !== undefined,
        );
        for (const s of named)
          if (!sites.has(s))
            out.push({
              path: ['partners', i, 'inbound', 'sites'],
              message: `${String(s)}: not one of sites`,
            });
      }
    },
  );
  return out;
}
export type AppConfig = z.infer<typeof appConfigSchema>;
