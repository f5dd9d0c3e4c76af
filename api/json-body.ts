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

/** nulPath names where in a parsed body the first U+0000 is: `recommendation.note`, `samples.3.scope`. */
export function nulPath(value: unknown, path: string[] = []): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path.join('.') || '(body)' : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return [...path, JSON.stringify(key)].join('.');
    const found = nulPath(item, [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** BodyParser has express.json's own shape, so routes keep their typed parameters. */
type BodyParser = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * jsonBody parses a JSON request body of at most `limit` bytes and refuses, with 422 and its
 * path, one that holds U+0000 anywhere: such a body could never be stored, and a sign-off
 * comment holding it would stall the rollout's audit trail.
 */
export function jsonBody(limit: string): BodyParser {
  const withNul = new WeakSet<IncomingMessage>();
  const parse = express.json({
    limit,
    verify: (req, _res, buffer) => {
      if (buffer.includes('\\u0000') && hasNulCharacter(buffer.toString('utf8'))) withNul.add(req);
    },
  });
  return (req, res, next) =>
    parse(req, res, (error?: unknown) => {
      if (error !== undefined || !withNul.has(req)) return next(error);
      const errors = [{ path: nulPath((req as IncomingMessage & { body?: unknown }).body) ?? '(body)', message: 'must not contain the character U+0000' }];
      next(new Problem(422, ProblemType.invalidRequest, 'Invalid request body', 'The request body holds the character U+0000, which cannot be stored.', errors));
    });
}
