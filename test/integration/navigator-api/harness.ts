// A navbridge app on a real PostgreSQL schema with two sites (leeds-north: calendar clock;
// cardiff-vale: working days), two partners with JWT client ids (one JWKS in an env var, one served
// over HTTP), site API keys and an admin token. Queue jobs are collected, not sent.

import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Referral } from '../../../src/records/index.js';
import type { QueueJob } from '../../../src/store/exchanges.js';
import type { TestDb } from '../../support/db.js';
import { recordFixture } from '../../support/fixtures.js';
import {
  clientAssertion,
  jwksJson,
  type SigningAlg,
  type SigningKey,
  signingKey,
} from '../../support/keys.js';
import { buildTestNavbridge } from '../../support/navbridge.js';
import { nhsNumber } from '../../support/people.js';

export const AUDIENCE = 'http://navbridge.test/fhir';
export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
export const SITE_X_KEY = 'site-x-key-leeds-0123456789abcdef';
export const SITE_Y_KEY = 'site-y-key-cardiff-0123456789abcdef';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** A JWT client's id and signing key. */
export interface PartnerKeys extends SigningKey {
  clientId: string;
}

/** A referral for a site, with its own id and person (or a given NHS number: the same person). */
export function referral(
  site: 'leeds-north' | 'cardiff-vale',
  over: Record<string, unknown> = {},
  nhs = nhsNumber(),
) {
  const r = recordFixture<Referral>('referral');
  r.id = `REF-${randomUUID().slice(0, 8)}`;
  r.site = site;
  r.person.nhsNumber = nhs;
  r.person.identifiers = [{ system: 'nhs-number', value: nhs, verified: true }];
  r.person.name.family = `Family${randomUUID().slice(0, 6)}`;
  if (site === 'cardiff-vale') {
    r.referrer.odsCode = 'W97001';
    r.person.gpPracticeOds = 'W97001';
    r.person.address = { lines: ['1 Queen Street'], city: 'Cardiff', postcode: 'CF10 2BU' };
  }
  return { ...r, ...over } as Referral;
}

export function event(
  site: string,
  referralId: string,
  type: string,
  at: string,
  extra: Record<string, unknown> = {},
) {
  return { id: `EV-${randomUUID().slice(0, 8)}`, site, version: 1, referralId, type, at, ...extra };
}

export interface Harness {
  t: TestDb;
  app: Express;
  jobs: QueueJob[];
  clock: { now: Date };
  partnerA: PartnerKeys;
  partnerB: PartnerKeys;
  /** A token from a key no partner configured. */
  stranger: PartnerKeys;
  /** The leeds-north case system's JWT client (site JWTs instead of an API key). */
  siteX: PartnerKeys;
  sign(
    p: PartnerKeys,
    claims?: Record<string, unknown>,
    opts?: { expIn?: number; omit?: string[] },
  ): Promise<string>;
  close(): Promise<void>;
}

async function partnerKeys(clientId: string, alg: SigningAlg): Promise<PartnerKeys> {
  return { clientId, ...(await signingKey(alg)) };
}

export async function startHarness(opts: { logger?: Logger } = {}): Promise<Harness> {
  const partnerA = await partnerKeys('gp-a-client', 'RS256');
  const partnerB = await partnerKeys('gp-b-client', 'ES256');
  const stranger = await partnerKeys('gp-a-client', 'RS256');
  const siteX = await partnerKeys('leeds-case-system-client', 'ES256');
  const jwksB = await jwksJson(partnerB);
  const jwksServer: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(jwksB);
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', () => r()));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
  const clock = { now: new Date('2025-03-10T15:00:00Z') };
  const nb = await buildTestNavbridge({
    ...(opts.logger ? { logger: opts.logger } : {}),
    clock,
    adminToken: ADMIN_TOKEN,
    partners: [
      {
        id: 'gp-a',
        name: 'Chapel Allerton Medical Centre',
        kind: 'gp-practice',
        odsCodes: ['B86016'],
        baseUrl: 'http://127.0.0.1:9/fhir',
        mode: 'transaction',
        receives: ['referral-status', 'assessment', 'support-plan', 'discharge'],
        inbound: { clientId: partnerA.clientId, publicKeysEnv: 'GP_A_JWKS', defaultSite: 'leeds-north' },
      },
      {
        id: 'gp-b',
        name: 'Cardiff practice',
        kind: 'gp-practice',
        odsCodes: ['W97001'],
        baseUrl: 'http://127.0.0.1:9/fhir',
        mode: 'transaction',
        receives: ['referral-status'],
        inbound: { clientId: partnerB.clientId, jwksUrl, defaultSite: 'cardiff-vale' },
      },
    ],
    config: {
      publicBaseUrl: AUDIENCE,
      siteClients: [
        {
          id: 'leeds-case-system-jwt',
          site: 'leeds-north',
          clientId: siteX.clientId,
          publicKeysEnv: 'SITE_X_JWKS',
        },
      ],
      apiKeys: [
        { id: 'leeds-case-system', site: 'leeds-north', sha256: sha(SITE_X_KEY) },
        { id: 'cardiff-case-system', site: 'cardiff-vale', sha256: sha(SITE_Y_KEY) },
      ],
    },
    env: {
      GP_A_JWKS: await jwksJson(partnerA),
      SITE_X_JWKS: await jwksJson(siteX),
    },
  });
  const { t, app, jobs } = nb;
  return {
    t,
    app,
    jobs,
    clock,
    partnerA,
    partnerB,
    stranger,
    siteX,
    sign(p, claims = {}, opts = {}) {
      return clientAssertion(p, {
        clientId: p.clientId,
        audience: AUDIENCE,
        now: clock.now,
        claims,
        expIn: opts.expIn,
        omit: opts.omit,
      });
    },
    async close() {
      await new Promise((r) => jwksServer.close(r));
      await nb.close();
    },
  };
}
