import { Router } from 'express';
import { planJsonSchemaText } from '../definitions/json-schema';

/**
 * schemaRouter serves /v1/schema: the plan format as JSON Schema, for editors
 * (`# yaml-language-server: $schema=http://host:3000/v1/schema/plan.json`). It is public, as
 * editors send no token, and it is the format, not data.
 */
export function schemaRouter(): Router {
  const router = Router();
  const planSchema = planJsonSchemaText();
  router.get('/plan.json', (_req, res) => {
    res.type('application/schema+json').send(planSchema);
  });
  return router;
}
