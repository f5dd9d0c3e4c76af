import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { DecisionActivities, DecisionNotice, DecisionSettlement } from '../activities/decisions';
import { AUDIT_WRITE } from './activity-options';
import { decisionResolvedSignal, type DeferredDecisionInput } from './decision-messages';
import { createDeliveries } from './trail';

/** Database writes retry without limit: a deferred decision must end settled and audited. */
const { announceDeferredDecision, settleDeferredDecision } = proxyActivities<DecisionActivities>(AUDIT_WRITE);

/**
 * deferredDecisionWorkflow holds a deferred decision's deadline as a durable timer. It waits
 * for decisionResolvedSignal or for decideBy, then settles the decision through an activity.
 * The database settles a race between the two: whichever of the resolution and the timeout
 * updates the still-pending row first wins, and the other changes nothing.
 */
export async function deferredDecisionWorkflow(input: DeferredDecisionInput): Promise<DecisionSettlement> {
  let resolved = false;
  setHandler(decisionResolvedSignal, () => {
    resolved = true;
  });
  // A failing receiver never delays the settlement: deliveries are awaited only at the end.
  const deliveries = createDeliveries();
  const send = (notice: DecisionNotice | undefined): void => {
    if (!notice) return;
    const targets = notice.targets.map((target, index) => ({ target, deliveryId: `${input.decisionId}:${notice.event.type}:${index}` }));
    void deliveries.deliver(input.rolloutId, notice.event, targets);
  };
  const announced = announceDeferredDecision({ decisionId: input.decisionId }).then(send);
  for (;;) {
    const signalled = await condition(() => resolved, Math.max(1, Date.parse(input.decideBy) - Date.now()));
    await announced;
    const settlement = await settleDeferredDecision({ decisionId: input.decisionId, timedOut: !signalled });
    if (settlement.state !== 'pending') {
      send(settlement.notice);
      await deliveries.settled();
      const { notice: _notice, ...result } = settlement;
      return result;
    }
    resolved = false; // a signal the database does not back: keep waiting for the deadline
  }
}
