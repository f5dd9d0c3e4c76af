import type { RecordEventsInput } from '../../activities';
import { createTrail } from '../../workflows/trail';
import { runtime } from '../support/virtual-workflow';

jest.mock('@temporalio/workflow', () => jest.requireActual('../support/virtual-workflow').workflowModule);

/** A write that completes only when the test lets it, so what queues behind it shows. */
function heldWrites() {
  const calls: RecordEventsInput[] = [];
  const pending: Array<() => void> = [];
  runtime.reset(Date.UTC(2026, 11, 4), {
    recordEvents: (input: RecordEventsInput) => {
      calls.push(input);
      return new Promise<void>((resolve) => pending.push(resolve));
    },
  } as never);
  return { calls, release: () => pending.shift()?.() };
}

const leanTrail = (state: { n: number }) =>
  createTrail({
    idPrefix: 'r',
    base: { rolloutId: 'r', planName: 'p', planVersion: 1 },
    progress: () => ({ state: 'running', activeStages: [], status: { n: state.n } }),
    lean: true,
  });

describe('the lean audit trail', () => {
  beforeAll(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
  afterAll(() => jest.useRealTimers());

  it('writes a transition in one call, with its snapshot, and returns before the write', async () => {
    const { calls, release } = heldWrites();
    const state = { n: 1 };
    const trail = leanTrail(state);
    let returned = false;
    void trail
      .transition(() => {
        void trail.record('stage.approved', { stageId: 'a' });
        return trail.record('stage.passed', { stageId: 'a' });
      })
      .then(() => (returned = true));
    await runtime.settle();
    expect(returned).toBe(true);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.events.map((e) => [e.eventId, e.type])).toEqual([
      ['r:1', 'stage.approved'],
      ['r:2', 'stage.passed'],
    ]);
    expect(calls[0]!.progress?.status).toEqual({ n: 1 });
    expect(trail.written).toBe(0);
    release();
    await trail.recording;
    expect(trail.written).toBe(2);
  });

  it('writes queued transitions one after another, one call each, the snapshot with the last only', async () => {
    const { calls, release } = heldWrites();
    const state = { n: 1 };
    const trail = leanTrail(state);
    void trail.record('stage.started', { stageId: 'a' });
    state.n = 2;
    void trail.record('stage.evaluated', { stageId: 'a' });
    state.n = 3;
    void trail.record('stage.awaiting-approval', { stageId: 'a' });
    await runtime.settle();
    expect(calls).toHaveLength(1);
    release();
    await runtime.settle();
    release();
    await runtime.settle();
    release();
    await trail.recording;
    expect(calls.map((call) => [call.events.map((e) => e.type), call.progress?.status])).toEqual([
      [['stage.started'], { n: 1 }],
      [['stage.evaluated'], undefined],
      [['stage.awaiting-approval'], { n: 3 }],
    ]);
    expect(trail.written).toBe(3);
  });
});
