// OpenAPI paths of the navigator API (/api/v1): generated from the route table the router registers
// (src/api/navigator/routes.ts), so no route is served without its description.
import { NAVIGATOR_ROUTES, navigatorOpenApiPaths } from '../navigator/routes.js';
import type { Json } from './common.js';

export const navigatorPaths: Json = navigatorOpenApiPaths('/api/v1', NAVIGATOR_ROUTES);
