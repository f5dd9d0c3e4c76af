import { z } from 'zod';
import { Instant, ProblemError } from './common';

export const PlanStored = z
  .object({
    name: z.string(),
    version: z.number().int(),
    digest: z.string(),
    warnings: z.array(ProblemError).meta({ description: 'lint warnings, each with line and column in the upload' }),
  })
  .meta({ id: 'PlanStored', description: '201: a new version; 200: an identical version existed and is answered' });

export const PlanSummary = z
  .object({ name: z.string(), latestVersion: z.number().int(), digest: z.string(), owner: z.string(), updatedAt: Instant })
  .meta({ id: 'PlanSummary' });
export const PlanList = z.object({ plans: z.array(PlanSummary) }).meta({ id: 'PlanList' });

export const PlanVersion = z
  .object({
    name: z.string(),
    version: z.number().int(),
    digest: z.string(),
    source: z.string().meta({ description: 'the YAML as uploaded' }),
    plan: z.record(z.string(), z.unknown()).meta({ description: 'the plan as parsed: see GET /v1/schema/plan.json' }),
    createdAt: Instant,
  })
  .meta({ id: 'PlanVersion' });

export const PlanVersions = z
  .object({ name: z.string(), versions: z.array(z.object({ version: z.number().int(), digest: z.string(), createdAt: Instant })) })
  .meta({ id: 'PlanVersions' });

export const PlanDiff = z
  .object({ name: z.string(), from: z.number().int(), to: z.number().int(), changes: z.array(z.looseObject({ path: z.string() })) })
  .meta({ id: 'PlanDiff' });
