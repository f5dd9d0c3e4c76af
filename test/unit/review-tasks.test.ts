import { openReviewTasks, type ReviewEventRow } from '../../db/review-tasks';

const event = (type: string, fields: Partial<ReviewEventRow> = {}): ReviewEventRow => ({
  rolloutId: 'r1',
  planName: 'p',
  planVersion: 1,
  startedBy: 'maria',
  stageId: 'steady',
  type,
  actor: 'rollgate',
  role: null,
  detail: {},
  occurredAt: '2026-12-01T00:00:00.000Z',
  ...fields,
});

describe('openReviewTasks', () => {
  it('keeps a review open with its partial sign-offs until one completes it', () => {
    const tasks = openReviewTasks([
      event('review.opened', { detail: { review: 1, signBy: '2026-12-08T00:00:00.000Z' } }),
      event('review.signed', { actor: 'pia', role: 'plant-manager', detail: { review: 1, complete: false } }),
      event('review.opened', { detail: { review: 2 } }),
    ]);
    expect(tasks.map((task) => [task.number, task.signOffs.map((s) => s.approver), task.signBy])).toEqual([
      [1, ['pia'], '2026-12-08T00:00:00.000Z'],
      [2, [], undefined],
    ]);
    expect(openReviewTasks([event('review.opened', { detail: { review: 1 } }), event('review.signed', { actor: 'pia', role: 'x', detail: { review: 1, complete: true } })])).toEqual([]);
  });

  it('closes every review of a stage when it settles or is entered again, and keeps other stages and rollouts apart', () => {
    const tasks = openReviewTasks([
      event('review.opened', { detail: { review: 1 } }),
      event('review.opened', { stageId: 'other', detail: { review: 1 } }),
      event('review.opened', { rolloutId: 'r2', detail: { review: 1 } }),
      event('steady-state.settled', { detail: {} }),
      event('steady-state.started', { rolloutId: 'r2', detail: {} }),
      event('review.opened', { rolloutId: 'r2', detail: { review: 1, signBy: 'later' } }),
    ]);
    expect(tasks.map((task) => [task.rolloutId, task.stageId, task.number, task.signBy])).toEqual([
      ['r1', 'other', 1, undefined],
      ['r2', 'steady', 1, 'later'],
    ]);
  });

  it('ignores a sign-off of a review it never saw open', () => {
    expect(openReviewTasks([event('review.signed', { actor: 'pia', role: 'x', detail: { review: 4, complete: false } })])).toEqual([]);
  });
});
