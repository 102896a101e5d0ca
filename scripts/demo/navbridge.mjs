// How the demo configures and calls navbridge: the config file of a run, and HTTP clients acting as
// the trust (a signed JWT per request) and as the navigator's case system (the API key).
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { SignJWT } from 'jose';

/** The navbridge config file of one demo run. */
export function configYaml({ root, site, redisPrefix, trustClient, base, apiKey, trustUrl, gpUrl }) {
  return `# Written by scripts/demo.mjs for one run.
mappingsDir: ${path.join(root, 'mappings')}
profilesDir: ${path.join(root, 'profiles')}
sites: [${site}]
publicBaseUrl: ${base}/fhir
worker: { leaseMs: 30000, sweepIntervalMs: 1000, requeueAfterMs: 3000, queuePrefix: ${redisPrefix} }
apiKeys:
  - { id: leeds-north-case-system, site: ${site}, sha256: ${createHash('sha256').update(apiKey).digest('hex')} }
partners:
  # The trust takes the person's journey but not outcome measures (they stay with the service), and a
  # GP practice takes neither outcomes nor escalations: a recorded outcome has no route.
  - id: leeds-trust
    name: Leeds and York Partnership NHS Foundation Trust
    kind: trust
    odsCodes: [RGD]
    baseUrl: ${trustUrl}
    mode: transaction
    receives: [referral-status, assessment, support-plan, onward-referral, discharge, escalation]
    retry: { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 2000 }
    inbound: { clientId: ${trustClient}, publicKeysEnv: DEMO_TRUST_JWKS, defaultSite: ${site} }
  - id: chapel-allerton-gp
    name: Chapel Allerton Medical Centre
    kind: gp-practice
    odsCodes: [B86016]
    baseUrl: ${gpUrl}
    mode: document
    document: { transport: bundle, content: summary }
    receives: [referral-status, assessment, support-plan, onward-referral, discharge]
    retry: { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 2000 }
`;
}

/** Calls to navbridge as the trust and as the navigator; `json` throws with the answer's diagnostics. */
export function demoClients({ base, apiKey, privateKey, trustClient }) {
  const trustToken = () =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'trust-demo' })
      .setIssuer(trustClient)
      .setSubject(trustClient)
      .setAudience(`${base}/fhir`)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('4m')
      .sign(privateKey);
  const asTrust = async (method, url, body) =>
    fetch(`${base}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${await trustToken()}`,
        'content-type': 'application/fhir+json',
        'x-request-id': randomUUID(),
        'x-correlation-id': randomUUID(),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const asNavigator = (method, url, body) =>
    fetch(`${base}${url}`, {
      method,
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const json = async (res, what) => {
    const body = await res.json().catch(() => ({}));
    if (!res.ok)
      throw new Error(
        `${what}: HTTP ${res.status} ${JSON.stringify(body.issue?.map((i) => i.diagnostics) ?? body)}`,
      );
    return body;
  };
  const referralDetail = async (id) =>
    json(await asNavigator('GET', `/api/v1/referrals/${encodeURIComponent(id)}`), 'referral');
  const referralIds = async () => {
    const ids = [];
    for (const status of ['new', 'open', 'closed']) {
      const list = await json(await asNavigator('GET', `/api/v1/referrals?status=${status}`), 'referrals');
      ids.push(...list.referrals.map((r) => r.id));
    }
    return ids;
  };
  return { asTrust, asNavigator, json, referralDetail, referralIds };
}
