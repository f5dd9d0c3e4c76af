import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { Problem, ProblemType } from './problem';

/**
 * hasNulCharacter: JSON text holds a U+0000 character, which PostgreSQL stores in neither text
 * nor jsonb. JSON writes it as \u0000; an even run of backslashes before that is escaped
 * backslashes, not the escape.
 */
export function hasNulCharacter(json: string): boolean {
  return json.includes('\\u0000') && /(?:^|[^\\])(?:\\\\)*\\u0000/.test(json);
}

/** nulPath names where in a parsed body the first U+0000 is: `recommendation.note`, `samples.3.scope`. It does not recurse, so no depth overflows it. */
export function nulPath(value: unknown): string | undefined {
  const pending: Array<{ value: unknown; path: string[]; nulKey?: boolean }> = [{ value, path: [] }];
  while (pending.length > 0) {
    const { value: item, path, nulKey } = pending.pop()!;
    if (nulKey) return path.join('.');
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return path.join('.') || '(body)';
      continue;
    }
    if (item === null || typeof item !== 'object') continue;
    const entries = Object.entries(item);
    for (let i = entries.length - 1; i >= 0; i -= 1) {
      const [key, entry] = entries[i]!;
      const nulKey = key.includes('\u0000');
      pending.push({ value: entry, path: [...path, nulKey ? JSON.stringify(key) : key], nulKey });
    }
  }
  return undefined;
}

/** BodyParser has express.json's own shape, so routes keep their typed parameters. */
type BodyParser = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** JSON_MEDIA_TYPE is the one media type JSON endpoints read. */
const JSON_MEDIA_TYPE = 'application/json';

/** hasBody: the request says it carries a body (chunked, or a Content-Length above 0). */
const hasBody = (req: IncomingMessage) => req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/** mediaTypeOf is the Content-Type's media type without parameters, lower case; '' when there is none. */
export const mediaTypeOf = (req: IncomingMessage) => (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();

/**
 * jsonBody parses a JSON request body of at most `limit` bytes. A body sent without
 * `Content-Type: application/json` is refused with 415 (a request without a body is read as
 * `{}`); one that holds U+0000 anywhere with 422 and its path: such a body could never be
 * stored, and a sign-off comment holding it would stall the rollout's audit trail.
 */
export function jsonBody(limit: string): BodyParser {
  const withNul = new WeakSet<IncomingMessage>();
  const parse = express.json({
    limit,
    verify: (req, _res, buffer) => {
      if (buffer.includes('\\u0000') && hasNulCharacter(buffer.toString('utf8'))) withNul.add(req);
    },
  });
  return (req, res, next) => {
    const mediaType = mediaTypeOf(req);
    if (hasBody(req) && mediaType !== JSON_MEDIA_TYPE) {
      const message = `send the body as JSON with Content-Type: ${JSON_MEDIA_TYPE} (got ${mediaType || 'no Content-Type'})`;
      return next(new Problem(415, ProblemType.unsupportedMediaType, 'Unsupported media type', message, [{ path: '(header) Content-Type', message }]));
    }
    return parse(req, res, (error?: unknown) => {
      if (error !== undefined || !withNul.has(req)) return next(error);
      const errors = [{ path: nulPath((req as IncomingMessage & { body?: unknown }).body) ?? '(body)', message: 'must not contain the character U+0000' }];
      next(new Problem(422, ProblemType.invalidRequest, 'Invalid request body', 'The request body holds the character U+0000, which cannot be stored.', errors));
    });
  };
}
