import { readFileSync } from 'node:fs';

import express, { Router, type RequestHandler } from 'express';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { OPENAPI_FILE } from './openapi-file';

/** The Swagger UI files /docs serves, from the swagger-ui-dist package: no page loads anything from elsewhere. */
const UI_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png'];

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>rollgate API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

/** The page's own script: a file, since the policy below allows no inline script. */
const INIT = `window.ui = SwaggerUIBundle({
  url: '/v1/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
  persistAuthorization: false,
});
`;

/**
 * The reference page's content security policy: its scripts, styles and images from this
 * origin only (Swagger UI sets inline styles and shows data: images), requests to this origin
 * only ("Try it out"), and no framing. The API's own policy stays default-src 'none'.
 */
const pagePolicy: RequestHandler = (_req, res, next) => {
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  );
  next();
};

/**
 * docsRouter serves the OpenAPI document at GET /v1/openapi.json and an interactive reference
 * at /docs, both without a token: they tell only what the API accepts, nothing it holds. It is
 * mounted ahead of the /v1 token check.
 */
export function docsRouter(): Router {
  const router = Router();
  const document = readFileSync(OPENAPI_FILE, 'utf8');
  router.get('/v1/openapi.json', (_req, res) => {
    res.type('application/json').setHeader('Cache-Control', 'no-cache');
    res.send(document);
  });
  router.get(['/docs', '/docs/'], pagePolicy, (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get('/docs/init.js', pagePolicy, (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  const assets = express.static(getAbsoluteFSPath(), { index: false, fallthrough: false });
  for (const file of UI_FILES) router.get(`/docs/${file}`, pagePolicy, (req, res, next) => {
    req.url = `/${file}`;
    assets(req, res, next);
  });
  return router;
}

