import { Router } from 'express';
import { planJsonSchemaText } from '../definitions/json-schema';

/**
 * schemaRouter serves /v1/schema: the plan format as JSON Schema. Like every /v1 route it needs
 * a bearer token (api/app.ts), so it is for tools that send one; editors, which send none, read
 * the committed definitions/plan.schema.json through the plan's modeline instead.
 */
export function schemaRouter(): Router {
  const router = Router();
  const planSchema = planJsonSchemaText();
  router.get('/plan.json', (_req, res) => {
    res.type('application/schema+json').send(planSchema);
  });
  return router;
}
