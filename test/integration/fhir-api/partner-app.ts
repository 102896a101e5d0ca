// The FHIR router as one GP partner reaches it (authenticated as `gp-surgery`, site leeds-north, the
// clock fixed), over a test navbridge on real PostgreSQL; shared by the conventions and versions suites.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import express from 'express';
import type { OperationOutcome, ServiceRequest } from 'fhir/r4.js';
import { errorHandler, notFoundHandler } from '../../../src/api/errors.js';
import { fhirRouter } from '../../../src/api/fhir/router.js';
import { gpPartner } from '../../support/fixtures.js';
import { buildTestNavbridge, type TestNavbridge } from '../../support/navbridge.js';

export const FHIR = 'application/fhir+json';
export const BASE = 'http://nav.example/fhir';

/** A referral the inbound mapping takes, under a new referral identifier each call. */
export const referral = (): ServiceRequest => {
  const sr = JSON.parse(
    readFileSync('mappings/inbound/fhir-referral/examples/contained-crisis.input.json', 'utf8'),
  ) as ServiceRequest;
  sr.identifier = [{ system: 'https://gp.example.org/Id/referral', value: `R-${randomUUID()}` }];
  return sr;
};

export const errorCode = (o: OperationOutcome) => o.issue[0]?.details?.coding?.[0]?.code;

export async function startPartnerApp(clock: Date): Promise<{ nb: TestNavbridge; app: express.Express }> {
  const nb = await buildTestNavbridge({
    clock: () => clock,
    config: { publicBaseUrl: BASE },
    partners: [
      gpPartner({
        id: 'gp-surgery',
        inbound: {
          clientId: `gp-${randomUUID()}`,
          publicKeysEnv: 'UNUSED_JWKS',
          sites: ['leeds-north'],
          defaultSite: 'leeds-north',
        },
      }),
    ],
  });
  const app = express();
  app.use((_req, res, next) => {
    res.locals.caller = { kind: 'partner', partnerId: 'gp-surgery' };
    next();
  });
  app.use(
    '/fhir',
    fhirRouter({
      navbridge: nb.navbridge,
      publicBaseUrl: BASE,
      now: () => clock,
      authenticate: (_q, _s, n) => n(),
    }),
  );
  app.use(notFoundHandler);
  app.use(errorHandler(() => {}));
  return { nb, app };
}
