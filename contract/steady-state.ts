import { z } from 'zod';

export const SteadyStateStatus = z
  .looseObject({})
  .meta({ id: 'SteadyStateStatus', description: "a steady-state stage's reviews, lagging verdict and model versions, as its workflow reports them" });

export const ReviewSigned = z.object({ rolloutId: z.string(), stageId: z.string(), review: z.looseObject({}) }).meta({ id: 'ReviewSigned' });

export const ModelVersionRecorded = z
  .object({ rolloutId: z.string(), stageId: z.string(), modelVersion: z.looseObject({}) })
  .meta({ id: 'ModelVersionRecorded' });
