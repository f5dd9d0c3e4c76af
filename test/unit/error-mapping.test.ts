import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { DatabaseError } from 'pg';
import { toProblem } from '../../api/error-mapping';
import { Problem, ProblemType } from '../../api/problem';

/** createError builds an error as http-errors does for body-parser: status, statusCode, expose and properties. */
function createError(status: number, cause: string | Error, properties: Record<string, unknown> = {}): Error {
  const error = typeof cause === 'string' ? new Error(cause) : cause;
  return Object.assign(error, { status, statusCode: status, expose: status < 500, ...properties });
}

const pgError = (code: string, message = 'value out of range for type integer') => Object.assign(new DatabaseError(message, 0, 'error'), { code });

describe('toProblem', () => {
  it('keeps a Problem as it is', () => {
    const problem = new Problem(409, ProblemType.conflict, 'Conflict');
    expect(toProblem(problem)).toBe(problem);
  });

  it('maps every body-parser error type to its status', () => {
    const cases: Array<[string, number, number]> = [
      ['entity.parse.failed', 400, 400],
      ['entity.verify.failed', 403, 400],
      ['entity.too.large', 413, 413],
      ['encoding.unsupported', 415, 415],
      ['charset.unsupported', 415, 415],
      ['request.aborted', 400, 400],
      ['request.size.invalid', 400, 400],
      ['stream.encoding.set', 500, 500],
      ['stream.not.readable', 500, 500],
    ];
    for (const [type, status, expected] of cases) expect({ type, status: toProblem(createError(status, 'x', { type })).status }).toEqual({ type, status: expected });
  });

  it('takes a client that hung up mid-body for the client, not for a PostgreSQL outage', () => {
    const aborted = createError(400, 'request aborted', { type: 'request.aborted', code: 'ECONNABORTED' });
    expect(toProblem(aborted)).toMatchObject({ status: 400, title: 'Request aborted' });
  });

  it('names the body when it is JSON but not an object', () => {
    expect(toProblem(createError(400, 'x', { type: 'entity.parse.failed', body: 'null' })).errors).toEqual([
      { path: '(body)', message: 'the body must be a JSON object, not null' },
    ]);
    expect(toProblem(createError(400, 'x', { type: 'entity.parse.failed', body: '-1e309' })).errors?.[0]?.message).toContain('number out of range');
    expect(toProblem(createError(400, 'Unexpected end', { type: 'entity.parse.failed', body: '{' })).title).toBe('Malformed JSON');
  });

  it('answers a body that does not decompress with 400', () => {
    for (const decompress of [gunzipSync, brotliDecompressSync]) {
      let zlibError: unknown;
      try {
        decompress(Buffer.from('{"not": "compressed"}'));
      } catch (error) {
        zlibError = createError(400, error as Error);
      }
      expect(toProblem(zlibError)).toMatchObject({ status: 400, errors: [{ path: '(body)' }] });
    }
  });

  it('honours the 400 of a bad percent-encoding and any other 4xx http error', () => {
    const uri = Object.assign(new URIError("Failed to decode param '%ZZ'"), { status: 400 });
    expect(toProblem(uri)).toMatchObject({ status: 400, errors: [{ path: '(path)' }] });
    expect(toProblem(createError(414, 'URI too long')).status).toBe(414);
    expect(toProblem(createError(503, 'down')).status).toBe(500);
  });

  it('makes PostgreSQL data errors 422 and anything else 500', () => {
    for (const code of ['22P02', '22003', '22007', '22008', '22021', '22P05', '22001']) expect({ code, status: toProblem(pgError(code)).status }).toEqual({ code, status: 422 });
    expect(toProblem(pgError('23505', 'duplicate key')).status).toBe(500);
    expect(toProblem(new RangeError('Maximum call stack size exceeded')).status).toBe(500);
    expect(toProblem(undefined).status).toBe(500);
  });
});
