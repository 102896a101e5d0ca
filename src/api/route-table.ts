// What the API's route tables (src/api/fhir/routes.ts, src/api/navigator/routes.ts) share: a route's
// path as express matches it, and the table as OpenAPI paths — one router and one description per table.
import type { Json } from './openapi/common.js';

/** A route of a table: method, path in OpenAPI syntax under the table's prefix, its OpenAPI operation. */
export interface TableRoute {
  method: 'get' | 'post';
  /** In OpenAPI syntax (`/Task/{id}`); `/` is the prefix itself. */
  path: string;
  doc: Json;
}

/** The route's path as express matches it: `{id}` → `:id`, a literal `$` escaped. */
export const expressPath = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1').replace(/\$/g, '\\$');

/** The table as OpenAPI paths under `prefix`, each operation with what `extra` adds (tags, security). */
export function openApiPaths<R extends TableRoute>(
  prefix: string,
  routes: readonly R[],
  extra: (r: R) => Json,
): Json {
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    const path = r.path === '/' ? prefix : `${prefix}${r.path}`;
    paths[path] = { ...paths[path], [r.method]: { ...r.doc, ...extra(r) } };
  }
  return paths;
}
