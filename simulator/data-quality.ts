import { dataQualityCheck } from '../definitions/data-quality';
import { parseDuration } from '../definitions/duration';
import type { Criterion, Plan } from '../definitions/schema';
import type { TimeWindow } from '../policy/criteria';
import type { QualityObservation } from '../policy/data-quality';
import type { SampleIndex } from './samples';

/**
 * qualityObservation is what a data-quality criterion reads from a scenario's samples, as the
 * evaluation activity reads it from the store. A scenario's values for a pulled metric stand in
 * for its provider's answers, and a sample counts as received when it was observed (a
 * scenario has no clocks to disagree), so skew passes wherever there are samples.
 */
export function qualityObservation(index: SampleIndex, criterion: Criterion, window: TimeWindow, catalog: Plan['metrics']): QualityObservation {
  switch (dataQualityCheck(criterion)) {
    case 'freshness': {
      const newest = index.newest(criterion.metric, window);
      return { newestAt: newest === null ? null : new Date(newest).toISOString() };
    }
    case 'completeness': {
      const declared = catalog !== undefined && Object.prototype.hasOwnProperty.call(catalog, criterion.metric) ? catalog[criterion.metric] : undefined;
      const cadence = parseDuration(criterion.completeness?.cadence ?? declared?.cadence ?? '') ?? 0;
      if (cadence <= 0) return { times: [] };
      const times: number[] = [];
      for (let end = window.to; end - cadence >= window.from; end -= cadence) {
        const newest = index.newest(criterion.metric, { from: end - cadence, to: end });
        if (newest !== null) times.push(newest);
      }
      return { times };
    }
    case 'skew': {
      const samples = index.observe(criterion.metric, window).samples;
      return { lags: { samples, maxMs: 0, minMs: 0 } };
    }
    case 'labelDrift':
      // A scenario has samples, not outcomes with label versions: the criterion stays inconclusive.
      return { labels: { outcomes: 0, tracked: 0, differing: 0 } };
    default:
      return {};
  }
}
