import { z } from 'zod';

/**
 * The public API model: the shapes the REST API answers with, shared by the API (which maps
 * its internal records onto them), the OpenAPI document (api/openapi.ts) and the client.
 * Field names here are the contract: renaming one is a breaking change of the API.
 */

/** Instant is a date and time in ISO 8601 with its offset, e.g. 2026-05-01T08:00:00.000Z. */
export const Instant = z.string().meta({ format: 'date-time', description: 'ISO 8601 date and time', example: '2026-05-01T08:00:00.000Z' });

/** NextPosition is a list page's cursor: pass it as `after` for the next page; null on the last page. */
export const NextPosition = z
  .number()
  .int()
  .nullable()
  .meta({ description: 'the `after` value of the next page; null when this page is the last' });

/** ProblemError is one entry of a problem's `errors[]`: where (path, and line/column for plans) and why. */
export const ProblemError = z
  .object({
    path: z.string().meta({ description: 'where: a field path such as samples[3].value, or "(body)"' }),
    message: z.string(),
    line: z.number().int().optional().meta({ description: 'line in the uploaded plan (1-based)' }),
    column: z.number().int().optional().meta({ description: 'column in the uploaded plan (1-based)' }),
    rule: z.string().optional().meta({ description: 'the lint rule of a warning' }),
  })
  .meta({ id: 'ProblemError' });

/** Problem is an RFC 9457 problem detail, sent as application/problem+json with every 4xx and 5xx. */
export const Problem = z
  .looseObject({
    type: z.string().meta({ description: 'a urn:rollgate:problem:… URI naming the kind of problem', example: 'urn:rollgate:problem:not-found' }),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string().optional().meta({ description: 'what went wrong, in words' }),
    instance: z.string().optional().meta({ description: 'the request path' }),
    requestId: z.string().optional().meta({ description: 'the X-Request-Id of the request, to quote in a report' }),
    errors: z.array(ProblemError).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details; some problems carry more members, e.g. `reason` or `state`' });
export type Problem = z.infer<typeof Problem>;

/** SignOff is one recorded human decision on a stage or a wave. */
export const SignOff = z
  .object({
    decision: z.enum(['approve', 'reject']),
    approver: z.string(),
    role: z.string(),
    comment: z.string().optional(),
    at: Instant,
  })
  .meta({ id: 'SignOff' });
