/**
 * Durations in plans are human-friendly (`6w`, `14d`, `36h`, `90m`, `30s`, `500ms`, or combined
 * such as `1d12h`) or ISO 8601 (`P6W`, `P14D`, `PT36H`, `P1DT12H`). Months and years are not
 * accepted because their length varies; write weeks or days instead.
 *
 * Pure and deterministic: also used inside workflow code.
 */

const UNIT_MS = {
  w: 7 * 24 * 3_600_000,
  d: 24 * 3_600_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
} as const;

/**
 * MAX_DURATION_MS is the longest duration a plan may give: ten years, leap days included
 * (3653 days). Dates and Temporal timers reach much further (JavaScript dates ±273,000 years),
 * but no rollout step waits ten years, so a longer one is a typo; the 12–18 months of lagging
 * KPIs fit with room. It also keeps every date the engine computes from plan durations (a stage
 * start plus a duration, a wave plan, a review calendar) far inside the range of a Date.
 */
export const MAX_DURATION_MS = 3653 * UNIT_MS.d;
/** MAX_DURATION_TEXT names MAX_DURATION_MS in messages and docs. */
export const MAX_DURATION_TEXT = '10 years (3653d)';

const NUMBER = String.raw`\d+(?:\.\d+)?`;
const INTEGER = String.raw`\d+`;

/** friendlyForm is the regular-expression source of `1w2d3h4m5s6ms`, each part optional; `amount` wraps each amount's digits. */
function friendlyForm(amount: (digits: string) => string): string {
  return `(?:${amount(NUMBER)}w)?(?:${amount(NUMBER)}d)?(?:${amount(NUMBER)}h)?(?:${amount(NUMBER)}m(?!s))?(?:${amount(NUMBER)}s)?(?:${amount(INTEGER)}ms)?`;
}

/** isoForm is the regular-expression source of `P1W2DT3H4M5S`, each part optional; `amount` wraps each amount's digits. */
function isoForm(amount: (digits: string) => string): string {
  return `P(?:${amount(NUMBER)}W)?(?:${amount(NUMBER)}D)?(?:T(?:${amount(NUMBER)}H)?(?:${amount(NUMBER)}M)?(?:${amount(NUMBER)}S)?)?`;
}

const captured = (digits: string): string => `(${digits})`;
const FRIENDLY = new RegExp(`^${friendlyForm(captured)}$`);
const ISO = new RegExp(`^${isoForm(captured)}$`);

/**
 * DURATION_FORMS are the two forms parseDuration reads as regular-expression source, without
 * anchors or capture groups, for patterns that describe durations elsewhere (the plan's JSON
 * Schema). Both also match texts parseDuration refuses: the empty text, a bare `P`, an ISO
 * duration ending in `T`, and amounts so long that they overflow.
 */
export const DURATION_FORMS = { friendly: friendlyForm((digits) => digits), iso: isoForm((digits) => digits) } as const;

/** parseDuration returns the duration in milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'P' || trimmed.endsWith('T')) return undefined;
  const friendly = FRIENDLY.exec(trimmed);
  if (friendly) {
    const [, w, d, h, m, s, ms] = friendly;
    return total([w, UNIT_MS.w], [d, UNIT_MS.d], [h, UNIT_MS.h], [m, UNIT_MS.m], [s, UNIT_MS.s], [ms, UNIT_MS.ms]);
  }
  const iso = ISO.exec(trimmed);
  if (iso) {
    const [, w, d, h, m, s] = iso;
    return total([w, UNIT_MS.w], [d, UNIT_MS.d], [h, UNIT_MS.h], [m, UNIT_MS.m], [s, UNIT_MS.s]);
  }
  return undefined;
}

function total(...parts: Array<[string | undefined, number]>): number | undefined {
  let sum = 0;
  let any = false;
  for (const [amount, unit] of parts) {
    if (amount === undefined) continue;
    any = true;
    sum += Number(amount) * unit;
  }
  // Absurdly long digit strings overflow to Infinity, which is no duration.
  return any && Number.isFinite(sum) ? Math.round(sum) : undefined;
}

/** formatDuration renders milliseconds in the largest friendly units, e.g. `2w3d`, `36h`, `1500ms`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
