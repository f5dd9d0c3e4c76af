import express, { Router, type Request } from 'express';
import type { Pool } from 'pg';
import type { WebhookAllowList } from '../config/webhook-allow';
import { MAX_PLAN_BYTES, Plan, planDigest } from '../definitions';
import { diffPlans } from '../definitions/diff';
import { getPlanVersion, listPlans, listPlanVersions, storePlanVersion } from '../db/plans';
import { requireTokenRole } from './auth';
import { mediaTypeOf } from './json-body';
import { PG_INTEGER_MAX } from './limits';
import type { PlanLoader } from './plan-loader';
import { notFound, parseQuery, Problem, ProblemType } from './problem';
import { PlanDiffQuery, VersionParam } from './request-schemas';
import { refuseAndAudit } from './system-audit';
import { guardPathParameters } from './url-guards';

/** Plans are uploaded by deployment leads (or admins). */
const PLAN_AUTHOR_ROLE = 'deployment-lead';

/** Media types accepted for plan uploads. */
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/**
 * plansRouter serves /v1/plans: upload (YAML, checked by loader off the event loop), list, latest
 * and specific versions. webhookAllow is ROLLGATE_WEBHOOK_ALLOW, which the worker reads too: an
 * upload warns of the notification targets the worker will refuse. providers are the names of the
 * worker's metric providers: a pulled metric naming another is an error at upload.
 */
export function plansRouter(pool: Pool, loader: PlanLoader, webhookAllow: WebhookAllowList = [], providers?: readonly string[]): Router {
  const router = guardPathParameters(Router());
  // A refused upload is audited before its body is read, so it names no plan.
  const refusePlanUpload = (req: Request, reason: string) => refuseAndAudit(pool, req, { action: 'plan.upload', reason });

  router.post('/', requireTokenRole([PLAN_AUTHOR_ROLE], refusePlanUpload), express.raw({ type: () => true, limit: MAX_PLAN_BYTES }), async (req, res) => {
    const mediaType = mediaTypeOf(req);
    if (!YAML_TYPES.includes(mediaType)) {
      const message = `send the plan as YAML with Content-Type: application/yaml (got ${mediaType || 'none'})`;
      throw new Problem(415, ProblemType.unsupportedMediaType, 'Unsupported media type', message, [{ path: '(header) Content-Type', message }]);
    }
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      const message = `plans are read as UTF-8; the charset ${charset} is not supported`;
      throw new Problem(415, ProblemType.unsupportedMediaType, 'Unsupported charset', message, [{ path: '(header) Content-Type', message }]);
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const result = await loader.load(body, { file: 'plan.yaml', webhookAllow, ...(providers ? { providers } : {}) });
    if ('busy' in result) {
      throw new Problem(503, ProblemType.unavailable, 'Busy', 'too many plan uploads are being checked; retry shortly', undefined, undefined, { 'Retry-After': '1' });
    }
    if ('overBudget' in result) {
      throw new Problem(422, ProblemType.invalidPlan, 'Invalid plan', 'the plan took too long to parse; nothing was stored', [
        { path: '', message: `the plan took too long to parse: more than ${result.budgetMs} ms of CPU; simplify it (fewer anchors and aliases)` },
      ]);
    }
    if (!result.ok) {
      throw new Problem(
        422,
        ProblemType.invalidPlan,
        'Invalid plan',
        result.errorCount > result.errors.length
          ? `the plan has ${result.errorCount} errors, the first ${result.errors.length} listed; nothing was stored`
          : `the plan has ${result.errorCount} error(s); nothing was stored`,
        result.errors.map(({ line, column, path, message }) => ({ line, column, path, message })),
      );
    }
    const stored = await storePlanVersion(pool, result.plan, body.toString('utf8'), planDigest(result.plan));
    res
      .status(stored.created ? 201 : 200)
      .location(`/v1/plans/${stored.name}/versions/${stored.version}`)
      .json({
        name: stored.name,
        version: stored.version,
        digest: stored.digest,
        warnings: result.warnings.map(({ line, column, path, message, rule }) => ({ line, column, path, message, ...(rule ? { rule } : {}) })),
      });
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

  router.get('/:name/diff', async (req, res) => {
    const { from, to } = parseQuery(PlanDiffQuery, req.query, 'from and to must be version numbers: positive integers');
    const [before, after] = await Promise.all([getPlanVersion(pool, req.params.name, from), getPlanVersion(pool, req.params.name, to)]);
    if ((!before || !after) && !(await getPlanVersion(pool, req.params.name))) throw notFound(`no plan named ${req.params.name}`);
    for (const [number, version] of [[from, before], [to, after]] as const) {
      if (!version) throw notFound(`plan ${req.params.name} has no version ${number}`);
    }
    res.json({ name: req.params.name, from, to, changes: diffPlans(normalised(before!.plan), normalised(after!.plan)) });
  });

  router.get('/:name/versions/:version', async (req, res) => {
    const parsed = VersionParam.safeParse(req.params.version);
    if (!parsed.success) throw notFound(`plan versions are positive integers of at most ${PG_INTEGER_MAX}, not ${req.params.version}`);
    const number = parsed.data;
    const version = await getPlanVersion(pool, req.params.name, number);
    if (!version) throw notFound(`plan ${req.params.name} has no version ${number}`);
    res.json(version);
  });

  return router;
}

/**
 * normalised re-parses a stored plan so that its keys come in schema order (jsonb reorders
 * them) and defaults added since it was stored are filled in on both sides of a diff alike.
 */
function normalised(plan: unknown): unknown {
  const parsed = Plan.safeParse(plan);
  return parsed.success ? parsed.data : plan;
}
