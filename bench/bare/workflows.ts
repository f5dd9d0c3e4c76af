import { condition, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { BareActivities } from './activities';
import { bareApproveUpdate, bareStatusQuery, type BareInput, type BareStage } from './messages';

const { readSamples, insertAudit } = proxyActivities<BareActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', maximumAttempts: 10 },
});

/**
 * bareRolloutWorkflow is the benchmarks' baseline: per stage, what a rollout must do at the
 * least, written the plain Temporal way. It inserts one audit row as the stage starts, waits
 * on one timer, reads the stage's samples in one activity, then awaits an approval Update whose
 * validator refuses every stage but the awaiting one; the Update answers at once with the new
 * state. Nothing else: no registry, no search attributes, no notifications.
 */
export async function bareRolloutWorkflow(input: BareInput): Promise<BareStage> {
  const current: BareStage = { stage: 0, state: 'running' };
  setHandler(bareStatusQuery, () => current);
  setHandler(
    bareApproveUpdate,
    (approval) => {
      current.state = 'passed';
      return { ...current, stage: approval.stage };
    },
    {
      validator: (approval) => {
        if (approval.stage !== current.stage || current.state !== 'awaiting-approval') {
          throw new Error(`stage ${approval.stage} is not awaiting approval (stage ${current.stage} is ${current.state})`);
        }
      },
    },
  );
  for (let stage = 1; stage <= input.stages; stage += 1) {
    current.stage = stage;
    current.state = 'running';
    const startedAt = Date.now();
    await insertAudit({ eventId: `${input.rolloutId}:${stage}`, rolloutId: input.rolloutId, stage, type: 'stage.started' });
    await sleep(input.timerMs);
    await readSamples({ rolloutId: input.rolloutId, from: new Date(startedAt).toISOString(), to: new Date().toISOString() });
    current.state = 'awaiting-approval';
    await condition(() => current.state === 'passed');
  }
  return current;
}
