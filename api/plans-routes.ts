import express, { Router } from 'express';
import type { Pool } from 'pg';
import { loadPlan, MAX_PLAN_BYTES, planDigest } from '../definitions';
import { getPlanVersion, listPlans, listPlanVersions, storePlanVersion } from '../db/plans';
import { requireTokenRole } from './auth';
import { notFound, Problem, ProblemType } from './problem';

/** Plans are uploaded by deployment leads (or admins). */
export const PLAN_AUTHOR_ROLE = 'deployment-lead';

/** Media types accepted for plan uploads. */
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/** plansRouter serves /v1/plans: upload (YAML), list, latest and specific versions. */
export function plansRouter(pool: Pool): Router {
  const router = Router();

  router.post('/', requireTokenRole(PLAN_AUTHOR_ROLE), express.raw({ type: () => true, limit: MAX_PLAN_BYTES }), async (req, res) => {
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!YAML_TYPES.includes(mediaType)) {
      throw new Problem(
        415,
        ProblemType.unsupportedMediaType,
        'Unsupported media type',
        `send the plan as YAML with Content-Type: application/yaml (got ${mediaType || 'none'})`,
      );
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const result = loadPlan(body, { file: 'plan.yaml' });
    if (!result.ok) {
      throw new Problem(
        422,
        ProblemType.invalidPlan,
        'Invalid plan',
        `the plan has ${result.errors.length} error(s); nothing was stored`,
        result.errors.map(({ line, column, path, message }) => ({ line, column, path, message })),
      );
    }
    const stored = await storePlanVersion(pool, result.plan, body.toString('utf8'), planDigest(result.plan));
    res
      .status(stored.created ? 201 : 200)
      .location(`/v1/plans/${stored.name}/versions/${stored.version}`)
      .json({ name: stored.name, version: stored.version, digest: stored.digest, warnings: result.warnings });
  });

  router.get('/', async (_req, res) => {
    res.json({ plans: await listPlans(pool) });
  });

  router.get('/:name', async (req, res) => {
    const version = await getPlanVersion(pool, req.params.name);
    if (!version) throw notFound(`no plan named ${req.params.name}`);
    res.json(version);
  });

  router.get('/:name/versions', async (req, res) => {
    const versions = await listPlanVersions(pool, req.params.name);
    if (versions.length === 0) throw notFound(`no plan named ${req.params.name}`);
    res.json({ name: req.params.name, versions });
  });

  router.get('/:name/versions/:version', async (req, res) => {
    const number = Number(req.params.version);
    if (!Number.isSafeInteger(number) || number < 1) throw notFound(`plan versions are positive integers, not ${req.params.version}`);
    const version = await getPlanVersion(pool, req.params.name, number);
    if (!version) throw notFound(`plan ${req.params.name} has no version ${number}`);
    res.json(version);
  });

  return router;
}
