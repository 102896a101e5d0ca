// The HTTP edge (navbridge.config.yaml `http:`): body limits checked before any parsing work, server
// timeouts and the connection cap, and per-caller rate limits with failed-authentication backoff.
// Every figure has a default chosen for a BaRS partner sending one referral at a time (README
// "Configuration reference" gives the reasons).
import { z } from 'zod';

const count = (min: number, max: number, def: number) =>
  z.coerce.number().int().min(min).max(max).default(def);

export const httpLimitsSchema = z
  .object({
    /** Bytes of a body after decompression (413 beyond). */
    bytes: count(1_024, 16_777_216, 1_048_576),
    /** Objects and arrays nested inside each other. */
    depth: count(8, 256, 48),
    /** Elements of any one array (Bundle.entry, identifier, ...). */
    arrayLength: count(10, 100_000, 1_000),
    /** Characters of any one string. */
    stringLength: count(256, 16_777_216, 262_144),
    /** Values in a whole document. */
    values: count(100, 1_000_000, 50_000),
  })
  .strict();

export const httpTimeoutsSchema = z
  .object({
    /** A client must send its request headers within this (Node's headersTimeout; slowloris). */
    headersMs: count(1_000, 120_000, 10_000),
    /** ... and its whole request within this (Node's requestTimeout). */
    requestMs: count(1_000, 600_000, 30_000),
    /** An idle keep-alive connection is closed after this (longer than a proxy's own idle timeout is wrong). */
    keepAliveMs: count(1_000, 120_000, 5_000),
    /** Connections held open at once by one API process (server.maxConnections). */
    maxConnections: count(16, 100_000, 1_024),
  })
  .strict();

/**
 * Intake requests (POST under /api/v1 and /fhir) one API process works on at once. Beyond it a request
 * is answered 503 with Retry-After at once: under overload a bounded queue answers quickly, where an
 * unbounded one makes every caller wait (BaRS: answer within 5 s) and ends in pool timeouts.
 */
export const intakeSchema = z
  .object({
    maxInFlight: count(1, 10_000, 64),
    /**
     * Before an API process listens, it runs the mapping examples through the record pipeline (in
     * memory, nothing stored) for at most this long, so that its first requests are not its slowest
     * (src/service/warm-up.ts); 0: not at all.
     */
    warmUpMs: count(0, 60_000, 3_000),
  })
  .strict();

export const rateLimitsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** The window every limit counts in. */
    windowSeconds: count(1, 3_600, 60),
    /** Requests per window by each authenticated partner, site or admin. */
    partner: count(1, 1_000_000, 300),
    site: count(1, 1_000_000, 600),
    admin: count(1, 1_000_000, 300),
    /** Requests per window from one address before authentication (open endpoints included). */
    address: count(1, 1_000_000, 1_200),
    /** Failed authentications per address in `failedAuthWindowSeconds`: beyond it, 429 until the window ends. */
    failedAuth: count(1, 10_000, 20),
    failedAuthWindowSeconds: count(1, 86_400, 900),
    /** Per partner or site id: its own requests per window. */
    overrides: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/), z.coerce.number().int().min(1)).default({}),
  })
  .strict();

/** navbridge terminating TLS itself (BaRS receivers accept TLS-MA under the NHS Root CA). */
export const tlsSchema = z
  .object({
    /** PEM files, relative to the configuration file. */
    certFile: z.string().min(1),
    keyFile: z.string().min(1),
    /** The CAs client certificates must chain to (the NHS Root CA bundle for BaRS). */
    caFile: z.string().min(1).optional(),
    /** `required`: no connection without a certificate from `caFile`; `optional`: asked for, checked when given. */
    clientCertificates: z.enum(['off', 'optional', 'required']).default('required'),
  })
  .strict()
  .refine((t) => t.clientCertificates === 'off' || t.caFile !== undefined, {
    message: 'client certificates need caFile (the CAs they must chain to)',
    path: ['caFile'],
  });

export const httpSchema = z
  .object({
    tls: tlsSchema.optional(),
    /**
     * Behind a TLS proxy that verifies client certificates: the request header in which it passes the
     * verified certificate's SHA-256 fingerprint (the proxy must remove the header from what clients
     * send). Ignored when navbridge terminates TLS itself.
     */
    clientCertificateHeader: z
      .string()
      .regex(/^[a-z0-9-]{1,64}$/, 'a lower-case header name')
      .optional(),
    /**
     * Behind a TLS-terminating proxy: express's `trust proxy` (false, true, a hop count, or the
     * proxies' addresses), so rate limits and audit rows see the client's address, not the proxy's.
     */
    trustProxy: z.union([z.boolean(), z.number().int().min(0), z.string().min(1)]).default(false),
    limits: httpLimitsSchema.prefault({}),
    timeouts: httpTimeoutsSchema.prefault({}),
    rateLimits: rateLimitsSchema.prefault({}),
    intake: intakeSchema.prefault({}),
  })
  .strict();

export type HttpLimits = z.output<typeof httpLimitsSchema>;
export type HttpTimeouts = z.output<typeof httpTimeoutsSchema>;
export type RateLimits = z.output<typeof rateLimitsSchema>;
export type HttpSettings = z.output<typeof httpSchema>;
export type TlsSettings = z.output<typeof tlsSchema>;
