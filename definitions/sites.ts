import type { ExecutionWindow, Stage, Weekday } from './schema';

/**
 * Per-site stages: how a forEach stage's sites fall into waves, when a site's execution
 * windows are open, and the earliest dates of each wave.
 *
 * Pure and deterministic (workflow code imports it): no Node built-ins, no clocks. Local wall
 * time comes from Intl.DateTimeFormat with the site's time zone, so every instant is judged by
 * the clock on the site's wall, including across daylight-saving changes.
 */

/** A wave size: a number of sites, or `rest` for all remaining ones. */
export type Wave = number | 'rest';

/** The part of a site the window functions need; a plan's `sites` entries fit it. */
export type SiteWindows = { readonly timeZone: string; readonly executionWindows?: readonly ExecutionWindow[] };

/**
 * planWaves splits units (sites or lines, in scope order) into waves: a number takes that many
 * of those left (all of them when fewer remain), `rest` takes all that remain. Units still left
 * after the last wave, when it is a number, form further waves of that size. Empty waves are
 * dropped. Without any waves, all units form one wave.
 */
export function planWaves(units: readonly string[], waves: readonly Wave[]): string[][] {
  const planned: string[][] = [];
  let next = 0;
  const take = (size: number): void => {
    const wave = units.slice(next, next + size);
    next += wave.length;
    if (wave.length > 0) planned.push(wave);
  };
  for (const wave of waves) take(wave === 'rest' ? units.length : wave);
  const last = waves.at(-1);
  const size = typeof last === 'number' ? last : units.length;
  while (next < units.length) take(size);
  return planned;
}

/** forEachUnits are the sites (or lines) a forEach stage runs over, in scope order; undefined for a stage without forEach. */
export function forEachUnits(stage: Pick<Stage, 'scope' | 'forEach'>): string[] | undefined {
  return stage.forEach === undefined ? undefined : (stage.scope?.[stage.forEach.over] ?? []);
}

/** stageWaves is planWaves for a forEach stage's units; undefined for a stage without forEach. */
export function stageWaves(stage: Pick<Stage, 'scope' | 'forEach'>): string[][] | undefined {
  const units = forEachUnits(stage);
  return units === undefined ? undefined : planWaves(units, stage.forEach!.waves);
}

/** siteRole scopes a role to a site, `plant-manager` → `plant-manager@plant-b`; a role already scoped stays as it is. */
export function siteRole(role: string, site: string): string {
  return role.includes('@') ? role : `${role}@${site}`;
}

/** baseRole is a role without its site, `plant-manager@plant-b` → `plant-manager`; an unscoped role stays as it is. */
export function baseRole(role: string): string {
  const at = role.indexOf('@');
  return at < 0 ? role : role.slice(0, at);
}

export type WaveDates = { sites: string[]; startMs: number; finishMs: number };

/**
 * expectedWaveDates gives each wave its earliest start and earliest finish: the first wave
 * starts at startMs, each wave runs minDurationMs, and the next starts feedbackCycleMs after
 * it finishes. Execution windows and the time sign-offs take are ignored, so real dates are
 * these or later.
 */
export function expectedWaveDates(input: {
  waves: readonly string[][];
  startMs: number;
  minDurationMs: number;
  feedbackCycleMs?: number;
}): WaveDates[] {
  const step = input.minDurationMs + (input.feedbackCycleMs ?? 0);
  return input.waves.map((sites, k) => {
    const startMs = input.startMs + k * step;
    return { sites: [...sites], startMs, finishMs: startMs + input.minDurationMs };
  });
}

/** isTimeZone says whether Intl knows the time zone, e.g. Europe/Berlin. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** windowOpen says whether one of the site's execution windows is open at atMs; a site without windows is always open. */
export function windowOpen(site: SiteWindows | undefined, atMs: number): boolean {
  const windows = site?.executionWindows ?? [];
  if (site === undefined || windows.length === 0) return true;
  const local = wallClock(site.timeZone, atMs);
  const today = weekday(local.weekday);
  const yesterday = weekday(local.weekday - 1);
  return windows.some((window) => {
    const from = minutes(window.from);
    const to = minutes(window.to);
    const opensToday = window.days.includes(today);
    // `to` at or before `from` closes on the next day: a night shift (or a whole day when equal).
    if (from < to) return opensToday && local.minute >= from && local.minute < to;
    return (opensToday && local.minute >= from) || (window.days.includes(yesterday) && local.minute < to);
  });
}

/** How far ahead nextWindowStart looks: every weekday occurs in it, whatever daylight saving does. */
const WINDOW_SEARCH_DAYS = 8;

/**
 * nextWindowStart is the earliest instant at or after fromMs when one of the site's windows is
 * open: fromMs itself when one is open then or the site has no windows. A window whose opening
 * time falls into a daylight-saving gap opens when the clocks have jumped.
 *
 * It looks WINDOW_SEARCH_DAYS ahead and throws when no window opens within them, which a site
 * that passed the schema cannot cause: every window opens on at least one weekday.
 */
export function nextWindowStart(site: SiteWindows | undefined, fromMs: number): number {
  if (windowOpen(site, fromMs)) return fromMs;
  const { timeZone, executionWindows = [] } = site as SiteWindows;
  const endMs = fromMs + WINDOW_SEARCH_DAYS * DAY_MS;
  const today = wallClock(timeZone, fromMs);
  const candidates = offsetChanges(timeZone, fromMs, endMs);
  for (let day = 0; day <= WINDOW_SEARCH_DAYS; day += 1) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + day));
    for (const window of executionWindows) {
      if (!window.days.includes(weekday(date.getUTCDay() - 1))) continue;
      candidates.push(...instantsOf(timeZone, date, minutes(window.from)));
    }
  }
  const opening = candidates
    .filter((ms) => ms > fromMs && ms <= endMs && windowOpen(site, ms))
    .reduce((earliest, ms) => Math.min(earliest, ms), Infinity);
  if (opening === Infinity) {
    throw new Error(`no execution window opens within ${WINDOW_SEARCH_DAYS} days of ${new Date(fromMs).toISOString()} in ${timeZone}`);
  }
  return opening;
}

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

type WallClock = { year: number; month: number; day: number; minute: number; weekday: number; offsetMs: number };

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** wallClock is the local date, minute of the day, weekday (0 = mon) and UTC offset at an instant. */
function wallClock(timeZone: string, atMs: number): WallClock {
  const parts = formatter(timeZone).formatToParts(atMs);
  const part = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((candidate) => candidate.type === type)?.value);
  const [year, month, day, hour, minute] = [part('year'), part('month'), part('day'), part('hour'), part('minute')];
  const wallMs = Date.UTC(year, month - 1, day, hour, minute, part('second'));
  const offsetMs = wallMs - (atMs - (((atMs % 1000) + 1000) % 1000));
  const weekday = (new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7;
  return { year, month, day, minute: hour * 60 + minute, weekday, offsetMs };
}

/** instantsOf gives the instants whose wall time is the minute of the (UTC-encoded) date: none in a gap, two in an overlap. */
function instantsOf(timeZone: string, date: Date, minute: number): number[] {
  const wallMs = date.getTime() + minute * MINUTE_MS;
  const offsets = new Set([wallClock(timeZone, wallMs - DAY_MS).offsetMs, wallClock(timeZone, wallMs + DAY_MS).offsetMs]);
  return [...offsets].map((offsetMs) => wallMs - offsetMs).filter((ms) => wallClock(timeZone, ms).offsetMs === wallMs - ms);
}

/** offsetChanges lists the instants in [fromMs, endMs] at which the zone's UTC offset changes, to the minute. */
function offsetChanges(timeZone: string, fromMs: number, endMs: number): number[] {
  const changes: number[] = [];
  let lo = Math.floor(fromMs / MINUTE_MS) * MINUTE_MS;
  while (lo < endMs) {
    const hi = Math.min(lo + DAY_MS / 2, Math.ceil(endMs / MINUTE_MS) * MINUTE_MS);
    const before = wallClock(timeZone, lo).offsetMs;
    if (wallClock(timeZone, hi).offsetMs !== before) {
      let [a, b] = [lo, hi];
      while (b - a > MINUTE_MS) {
        const mid = a + Math.floor((b - a) / 2 / MINUTE_MS) * MINUTE_MS;
        if (wallClock(timeZone, mid).offsetMs === before) a = mid;
        else b = mid;
      }
      changes.push(b);
    }
    lo = hi;
  }
  return changes;
}

/** weekday names a day by its index, 0 = mon; any integer wraps around the week. */
function weekday(index: number): Weekday {
  return WEEKDAYS[((index % 7) + 7) % 7] as Weekday;
}

function minutes(timeOfDay: string): number {
  return Number(timeOfDay.slice(0, 2)) * 60 + Number(timeOfDay.slice(3, 5));
}
