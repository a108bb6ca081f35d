// Contracts that cannot drift (issue 11 #8), against the running system:
// - every answer an end-to-end file received (test/e2e/client.ts records them)
//   is replayed through a validator against the OpenAPI documents the system
//   itself publishes: each service's /openapi.json and the gateway's /docs;
// - every protected route, at its own service, authenticates before it
//   validates: an anonymous, malformed request is 401, never 400.
import assert from 'node:assert/strict';
import { serviceRoutes, type RouteDef } from '@bazaar/contracts';
import { pathOf } from '@bazaar/contracts/route';
import { checkExchanges, describeMismatches, type OpenApiDocument, type PublishedDocument } from '@bazaar/contract-check';
import type { RunningSystem } from '../../tools/launcher/src/harness.ts';
import { http, recorded } from './client.ts';

/** The documents the running system publishes, each with the base URL its paths are served under. */
export async function publishedDocuments(system: RunningSystem): Promise<PublishedDocument[]> {
  const docs: PublishedDocument[] = [];
  const gateway = await http<OpenApiDocument>(`${system.gatewayUrl}/docs/openapi.json`);
  assert.equal(gateway.status, 200, 'the gateway publishes /docs/openapi.json');
  docs.push({ base: system.gatewayUrl, name: 'gateway /docs', document: gateway.body });
  for (const s of await system.services()) {
    if (s.name === 'gateway' || !s.url) continue;
    const res = await http<OpenApiDocument>(`${s.url}/openapi.json`);
    assert.equal(res.status, 200, `${s.name} publishes /openapi.json`);
    docs.push({ base: s.url, name: `${s.name} /openapi.json`, document: res.body });
  }
  return docs;
}

/** Fails, listing each mismatch once, unless every answer recorded so far is what its published contract says. */
export async function assertRecordedAnswersMatchContracts(system: RunningSystem): Promise<number> {
  // The documents are read first; their own answers are not part of what is checked.
  const answers = [...recorded];
  const mismatches = checkExchanges(await publishedDocuments(system), answers);
  assert.equal(mismatches.length, 0, `answers that do not match the published OpenAPI documents:\n${describeMismatches(mismatches)}`);
  return answers.length;
}

/** A request to `route` that no validator could accept: a malformed JSON body, impossible query values. */
function malformed(route: RouteDef): { path: string; rawBody?: string; method: string } {
  const params = Object.fromEntries(Object.keys((route.params as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}).map((name) => [name, 'x1']));
  const query = route.query === undefined ? '' : '?limit=-1&wait=-1&status=NOPE&cursor=%25%25&from=-1&q=';
  const hasBody = route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';
  return { path: `${pathOf(route, params)}${query}`, method: route.method, ...(hasBody ? { rawBody: '{"malformed' } : {}) };
}

/**
 * Every route that needs a user, an admin or the service credential, called at
 * its own service without any credential and with a malformed request:
 * answered 401 (authentication runs in onRequest, before the body is parsed
 * or anything is validated). Returns how many routes were checked.
 */
export async function assertAuthenticationBeforeValidation(system: RunningSystem): Promise<number> {
  const urls = new Map((await system.services()).map((s) => [s.name, s.url]));
  const wrong: string[] = [];
  let checked = 0;
  for (const route of serviceRoutes) {
    if (route.access.kind === 'public') continue;
    const base = urls.get(route.service);
    if (!base) continue;
    const req = malformed(route);
    const res = await http(`${base}${req.path}`, { method: req.method, ...(req.rawBody === undefined ? {} : { rawBody: req.rawBody }) });
    checked += 1;
    if (res.status !== 401) wrong.push(`${route.service}: ${route.method} ${route.path} (${route.access.kind}) answered ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
  }
  assert.deepEqual(wrong, [], `protected routes that did not answer 401 to an anonymous, malformed request:\n${wrong.join('\n')}`);
  return checked;
}
