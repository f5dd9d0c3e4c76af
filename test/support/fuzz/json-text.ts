/**
 * RawJson is JSON text placed as is where a value goes, for tokens JSON.stringify cannot
 * write: `1e309`, `9223372036854775808` beyond double precision, 3,000 nested arrays.
 */
export class RawJson {
  constructor(readonly text: string) {}
}

/** jsonText writes value as JSON, RawJson pieces verbatim; lone surrogates come out as `\ud800` escapes. */
export function jsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => `${JSON.stringify(key)}:${jsonText(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** hasRaw says whether value holds a RawJson piece anywhere. */
export function hasRaw(value: unknown): boolean {
  if (value instanceof RawJson) return true;
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasRaw);
  return false;
}
