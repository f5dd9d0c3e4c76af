import { status } from '@grpc/grpc-js';
import { ServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { grpcCodeOf, outageProblem, postgresOutage } from '../../api/outage-errors';
import { temporalProblem } from '../../api/temporal-errors';

/** grpcError has the shape @grpc/grpc-js rejects a call with: a code, details and metadata. */
function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}
/** wrapped is a gRPC error as the Temporal client throws it: inside a ServiceError. */
const wrapped = (code: number, details: string) => new ServiceError(`client call failed: ${details}`, { cause: grpcError(code, details) });

describe('outageProblem', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a refused connection to every address of a name', new AggregateError([Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })], 'connect failed')],
    ['an administrator shutdown', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['a server that is starting up', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['a connection exception', Object.assign(new Error('connection failure'), { code: '08006' })],
    ['the pool giving up', new Error('timeout exceeded when trying to connect')],
    ['a lost connection', new Error('Connection terminated unexpectedly')],
  ])('is 503 naming PostgreSQL for %s', (_what, error) => {
    const problem = outageProblem(error);
    expect(problem).toMatchObject({ status: 503, type: 'urn:rollgate:problem:unavailable', extra: { dependency: 'PostgreSQL' } });
    expect(Number(problem?.headers?.['Retry-After'])).toBeGreaterThan(0);
  });

  it.each([
    ['a unique violation', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['an invalid text representation', Object.assign(new Error('invalid input syntax'), { code: '22P02' })],
    ['a plain error', new Error('boom')],
  ])('leaves %s alone', (_what, error) => {
    expect(postgresOutage(error)).toBeUndefined();
    expect(outageProblem(error)).toBeUndefined();
  });

  it.each([
    ['UNAVAILABLE', status.UNAVAILABLE],
    ['DEADLINE_EXCEEDED', status.DEADLINE_EXCEEDED],
  ])('is 503 naming Temporal for %s inside a ServiceError', (name, code) => {
    const problem = outageProblem(wrapped(code, 'no connection'));
    expect(problem).toMatchObject({ status: 503, title: 'Temporal unavailable', extra: { dependency: 'Temporal' } });
    expect(problem?.detail).toContain(name);
    expect(Number(problem?.headers?.['Retry-After'])).toBeGreaterThan(0);
  });
});

describe('temporalProblem', () => {
  it('answers 503 with Retry-After for UNAVAILABLE wrapped in a ServiceError', () => {
    expect(temporalProblem(wrapped(status.UNAVAILABLE, 'connection refused'), 'r1')).toMatchObject({
      status: 503,
      headers: { 'Retry-After': expect.any(String) },
    });
  });

  it('answers 409 for FAILED_PRECONDITION wrapped in a ServiceError: the rollout has ended', () => {
    expect(temporalProblem(wrapped(status.FAILED_PRECONDITION, 'workflow is closed'), 'r1')).toMatchObject({
      status: 409,
      detail: 'rollout r1 has ended',
    });
  });

  it('reads the code of the first error in the cause chain that has one', () => {
    expect(grpcCodeOf(new Error('outer', { cause: wrapped(status.NOT_FOUND, 'gone') }))).toBe(status.NOT_FOUND);
    expect(grpcCodeOf(Object.assign(new Error('pg'), { code: '57P01' }))).toBeUndefined();
  });
});

describe('temporalProblem for a refused update', () => {
  const refused = (type: string, message: string) =>
    new WorkflowUpdateFailedError('update failed', ApplicationFailure.create({ type, message, nonRetryable: true }));

  it.each([
    ['NotAuthorized', 403, 'dana does not hold qa'],
    ['UnknownStage', 404, 'the plan has no stage nope'],
    ['UnknownPrerequisite', 404, 'the plan has no prerequisite nope'],
    ['StageNotAwaitingSignOff', 409, 'stage pilot is running'],
  ])('answers %s with %i and its message', (type, code, message) => {
    const problem = temporalProblem(refused(type, message), 'r1');
    expect(problem).toMatchObject({ status: code, detail: message });
    if (code !== 404) expect(problem?.extra).toEqual({ reason: type });
  });

  it('answers a type the registry does not hold with 409 and that type', () => {
    expect(temporalProblem(refused('NewRefusal', 'not yet'), 'r1')).toMatchObject({ status: 409, detail: 'not yet', extra: { reason: 'NewRefusal' } });
  });

  it('answers a workflow that is not running with 409, and leaves errors it does not know alone', () => {
    expect(temporalProblem(new WorkflowNotFoundError('gone', 'rollout-r1', undefined), 'r1')).toMatchObject({ status: 409, detail: 'rollout r1 is not running' });
    expect(temporalProblem(new Error('boom'), 'r1')).toBeUndefined();
    expect(temporalProblem(wrapped(status.INVALID_ARGUMENT, 'bad'), 'r1')).toBeUndefined();
  });
});
