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

/** A place in a parsed body: its key and the place that holds it, so no path is copied per level. */
interface Place {
  value: unknown;
  key?: string;
  parent?: Place;
  nulKey?: boolean;
}

const pathOf = (place: Place): string => {
  const keys: string[] = [];
  for (let at: Place | undefined = place; at?.key !== undefined; at = at.parent) keys.push(at.nulKey ? JSON.stringify(at.key) : at.key);
  return keys.reverse().join('.');
};

/**
 * nulPath names where in a parsed body the first U+0000 is: `recommendation.note`,
 * `samples.3.scope`. It walks without recursion and in time linear in the body, however deep.
 */
export function nulPath(value: unknown): string | undefined {
  const pending: Place[] = [{ value }];
  while (pending.length > 0) {
    const place = pending.pop()!;
    if (place.nulKey) return pathOf(place);
    if (typeof place.value === 'string') {
      if (place.value.includes('\u0000')) return pathOf(place) || '(body)';
      continue;
    }
    if (place.value === null || typeof place.value !== 'object') continue;
    const entries = Object.entries(place.value);
    for (let i = entries.length - 1; i >= 0; i -= 1) {
      const [key, entry] = entries[i]!;
      pending.push({ value: entry, key, parent: place, nulKey: key.includes('\u0000') });
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
