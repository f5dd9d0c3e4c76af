import { formatDuration, parseDuration } from '../../definitions/duration';
import { Duration } from '../../definitions/schema';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

describe('parseDuration', () => {
  it.each([
    ['6w', 6 * WEEK],
    ['14d', 14 * DAY],
    ['36h', 36 * HOUR],
    ['90m', 90 * MINUTE],
    ['30s', 30 * SECOND],
    ['500ms', 500],
    ['1.5h', 90 * MINUTE],
    [' 6w ', 6 * WEEK],
  ])('reads the friendly form %j', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['1d12h', DAY + 12 * HOUR],
    ['1m30s', 90 * SECOND],
    ['2w3d', 17 * DAY],
    ['1w2d3h4m5s6ms', WEEK + 2 * DAY + 3 * HOUR + 4 * MINUTE + 5 * SECOND + 6],
  ])('reads the combination %j', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['P6W', 6 * WEEK],
    ['P14D', 14 * DAY],
    ['PT36H', 36 * HOUR],
    ['P1DT12H', DAY + 12 * HOUR],
    ['PT1M30S', 90 * SECOND],
    ['PT0.5S', 500],
  ])('reads the ISO 8601 form %j', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '   ', 'P', 'PT', 'P1DT', '6 weeks', '6W', 'w', '1h1d', '-1d', '1y', 'P1Y', 'P1M', '6mo', 'soon', '1.5ms'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );

  it('rejects a number too large to represent', () => {
    expect(parseDuration(`${'9'.repeat(400)}w`)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [36 * HOUR, '1d12h'],
    [17 * DAY, '2w3d'],
    [1_500, '1s500ms'],
    [90 * MINUTE, '1h30m'],
  ])('renders %d ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});

describe('Duration schema', () => {
  it('accepts durations and rejects other text with a plain message', () => {
    expect(Duration.safeParse('6w').success).toBe(true);
    const result = Duration.safeParse('6 weeks');
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([
      'is not a duration: use e.g. 6w, 14d, 36h, 90m, 30s, or ISO 8601 such as P6W or PT36H',
    ]);
  });
});
