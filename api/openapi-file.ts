import { join } from 'node:path';

/**
 * OPENAPI_FILE is the committed OpenAPI document, served at GET /v1/openapi.json. It stands
 * apart from the generator (api/openapi.ts) so that the API does not load the generator to serve it.
 */
export const OPENAPI_FILE = join(__dirname, 'openapi.json');
