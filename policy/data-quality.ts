import { dataQualityCheck } from '../definitions/data-quality';
import { parseDuration } from '../definitions/duration';
import type { Criterion, Plan } from '../definitions/schema';
import type { ComparisonOperator, CriterionResult } from './criteria';

/**
 * Data-quality criteria judge the evidence behind a metric, pushed or pulled, rather than its
 * value. Pure. Rules, for one evaluation at `now` over the criterion's window:
 * - freshness: the age of the newest sample (of a pulled metric: of its newest answer with a
 *   value) in the scope. None in the window, or older than `freshness`: inconclusive, never a
 *   fail, so a quiet feed holds the stage at maxDuration rather than passing or failing it.
 * - completeness: the window is cut into whole cadence intervals counted back from `now`; the
 *   share of them holding at least one sample must be at least `min`, else fail. A window
 *   shorter than one cadence is inconclusive.
 * - skew: for each reported sample, received (the server's recorded time) minus observedAt. The
 *   largest magnitude must be at most `max`, and the largest minus the smallest at most
 *   `maxSpread`; else fail. No samples: inconclusive.
 * - labelDrift: of the window's outcomes carrying a labelVersion, the share labelled under another
 *   version than trainedOn must be at most maxShare, else fail. None carrying one: inconclusive.
 * A pass adds one to the run of passes, a fail resets it, inconclusive leaves it, as for value criteria.
 */

/** QualityObservation is what the evidence store saw for one data-quality criterion. */
export interface QualityObservation {
  /** newestAt is the newest sample's time (ISO 8601), or null: freshness. */
  newestAt?: string | null;
  /** times are sample times in the window (epoch ms), at least one per cadence interval that has any: completeness. */
  times?: number[];
  /** lags summarise received − observedAt (ms) of the window's reported samples: skew. */
  lags?: { samples: number; maxMs: number; minMs: number };
  /** labels count the window's outcomes: all, those with a labelVersion, and those whose labelVersion differs from trainedOn: labelDrift. */
  labels?: { outcomes: number; tracked: number; differing: number };
}

const seconds = (ms: number): number => Math.round(ms) / 1000;

/** judgeDataQuality judges a data-quality criterion; previous is the last consecutivePasses. */
export function judgeDataQuality(
  criterion: Criterion,
  quality: QualityObservation,
  window: { from: number; to: number },
  previous: number,
  catalog?: Plan['metrics'],
): CriterionResult {
  const check = dataQualityCheck(criterion);
  const needed = criterion.consecutive ?? 1;
  const result = (verdict: 'pass' | 'fail' | 'inconclusive', reason: string, value: number | null, op: ComparisonOperator, threshold: number | null, samples: number): CriterionResult => {
    if (verdict === 'fail') return { verdict, reason, value, op, threshold, samples, consecutivePasses: 0 };
    if (verdict === 'inconclusive') return { verdict, reason, value, op, threshold, samples, consecutivePasses: previous };
    const run = previous + 1;
    if (run < needed) return { verdict: 'inconclusive', reason: `${reason}; ${run} of ${needed} consecutive passing evaluations`, value, op, threshold, samples, consecutivePasses: run };
    return { verdict, reason, value, op, threshold, samples, consecutivePasses: run };
  };
  const metric = criterion.metric;

  if (check === 'freshness') {
    const maxAge = parseDuration(criterion.freshness!) ?? 0;
    const newest = quality.newestAt ? Date.parse(quality.newestAt) : NaN;
    if (!Number.isFinite(newest)) return result('inconclusive', `freshness: no sample of ${metric} in the window`, null, '<=', seconds(maxAge), 0);
    const age = Math.max(0, window.to - newest);
    if (age > maxAge) {
      return result('inconclusive', `freshness: the newest sample of ${metric} is ${seconds(age)}s old, older than ${criterion.freshness}; the feed may have stopped`, seconds(age), '<=', seconds(maxAge), 1);
    }
    return result('pass', `freshness: the newest sample of ${metric} is ${seconds(age)}s old, within ${criterion.freshness}`, seconds(age), '<=', seconds(maxAge), 1);
  }

  if (check === 'completeness') {
    const declared = catalog !== undefined && Object.prototype.hasOwnProperty.call(catalog, metric) ? catalog[metric] : undefined;
    const cadenceText = criterion.completeness!.cadence ?? declared?.cadence ?? '';
    const cadence = parseDuration(cadenceText) ?? 0;
    const min = Number(criterion.completeness!.min.slice(0, -1)) / 100;
    const times = quality.times ?? [];
    const intervals = cadence > 0 ? Math.floor((window.to - window.from) / cadence) : 0;
    if (intervals < 1) return result('inconclusive', `completeness: the window is shorter than one cadence interval so far`, null, '>=', min, times.length);
    const filled = new Set<number>();
    for (const t of times) {
      const k = Math.floor((window.to - 1 - t) / cadence);
      if (t < window.to && k >= 0 && k < intervals) filled.add(k);
    }
    const share = Number((filled.size / intervals).toPrecision(12));
    const shown = `completeness: ${filled.size} of ${intervals} intervals of ${cadenceText} hold samples of ${metric} (${Math.round(share * 1000) / 10}%)`;
    return share >= min ? result('pass', `${shown}, at least ${criterion.completeness!.min}`, share, '>=', min, times.length) : result('fail', `${shown}, fewer than ${criterion.completeness!.min}`, share, '>=', min, times.length);
  }

  if (check === 'skew') {
    const max = parseDuration(criterion.skew!.max) ?? 0;
    const lags = quality.lags;
    if (!lags || lags.samples === 0) return result('inconclusive', `skew: no reported samples of ${metric} in the window`, null, '<=', seconds(max), 0);
    const worst = Math.max(Math.abs(lags.maxMs), Math.abs(lags.minMs));
    const spread = lags.maxMs - lags.minMs;
    const shown = `skew: received − observedAt of ${lags.samples} samples of ${metric} is at most ${seconds(worst)}s in magnitude, spread ${seconds(spread)}s`;
    if (worst > max) return result('fail', `${shown}; more than ${criterion.skew!.max}`, seconds(worst), '<=', seconds(max), lags.samples);
    const maxSpread = criterion.skew!.maxSpread === undefined ? undefined : parseDuration(criterion.skew!.maxSpread);
    if (maxSpread !== undefined && spread > maxSpread) return result('fail', `${shown}; the spread is more than ${criterion.skew!.maxSpread}`, seconds(worst), '<=', seconds(max), lags.samples);
    return result('pass', shown, seconds(worst), '<=', seconds(max), lags.samples);
  }

  if (check === 'labelDrift') {
    const maxShare = Number(criterion.labelDrift!.maxShare.slice(0, -1)) / 100;
    const labels = quality.labels ?? { outcomes: 0, tracked: 0, differing: 0 };
    if (labels.tracked === 0) {
      return result('inconclusive', `labelDrift: none of the window's ${labels.outcomes} outcomes carries a labelVersion`, null, '<=', maxShare, 0);
    }
    const share = Number((labels.differing / labels.tracked).toPrecision(12));
    const shown = `labelDrift: ${labels.differing} of ${labels.tracked} outcomes are labelled under another version than ${criterion.labelDrift!.trainedOn} (${Math.round(share * 1000) / 10}%)`;
    return share <= maxShare
      ? result('pass', `${shown}, at most ${criterion.labelDrift!.maxShare}`, share, '<=', maxShare, labels.tracked)
      : result('fail', `${shown}, more than ${criterion.labelDrift!.maxShare}`, share, '<=', maxShare, labels.tracked);
  }

  return result('inconclusive', 'not a data-quality criterion', null, '<=', null, 0);
}
