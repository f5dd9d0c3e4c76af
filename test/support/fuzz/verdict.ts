import type { FuzzCase } from './cases';
import type { FuzzAnswer } from './send';

/** Statuses that refuse a request for what it carries, as opposed to who sent it or what it names. */
const INPUT_REFUSALS = new Set([400, 413, 415, 422]);

/** problemText is everything a problem document says, for the checks that look for a word. */
const problemText = (answer: FuzzAnswer) => JSON.stringify([answer.json?.title, answer.json?.detail, answer.json?.errors]);

/** namesWhere: the problem says where: `errors[]` entries with a path each, or a detail that names the body. */
function namesWhere(answer: FuzzAnswer): boolean {
  const errors = answer.json?.errors;
  if (Array.isArray(errors) && errors.length > 0 && errors.every((e) => typeof e?.path === 'string' && typeof e?.message === 'string')) return true;
  return /\bbody\b/i.test(`${answer.json?.title ?? ''} ${answer.json?.detail ?? ''}`);
}

/** namesMutant: some error's path or message names the first step of where the one bad value is. */
function namesMutant(fuzzCase: FuzzCase, answer: FuzzAnswer): boolean {
  const first = fuzzCase.mutant?.path[0];
  if (first === undefined) return true;
  const errors: Array<{ path?: string; message?: string }> = Array.isArray(answer.json?.errors) ? answer.json.errors : [];
  return errors.some((e) => `${e.path ?? ''} ${e.message ?? ''}`.includes(String(first)));
}

/**
 * verdict lists what is wrong with the answer to a fuzz case (empty when nothing is):
 * - never a 5xx, and always an answer;
 * - every non-2xx answer is application/problem+json with its status;
 * - every case is invalid, so a bad body, header or token is refused with 4xx (429 counts); a body refused
 *   for what it carries says where (errors[].path, or a detail naming the body), a field
 *   mutant names its field; a wrong Content-Type, Content-Encoding or Idempotency-Key is named.
 */
export function verdict(fuzzCase: FuzzCase, answer: FuzzAnswer): string[] {
  const { status } = answer;
  if (status === 0) return [`no answer: ${answer.text}`];
  if (status >= 500) return [`${status} ${answer.json?.title ?? answer.text.slice(0, 200)}`];
  const out: string[] = [];
  if (status >= 300) {
    if (!answer.contentType.startsWith('application/problem+json')) out.push(`${status} answered as ${answer.contentType || 'no Content-Type'}, not application/problem+json`);
    else if (answer.json?.status !== status || typeof answer.json?.title !== 'string' || typeof answer.json?.type !== 'string') out.push(`${status} problem without type, title and status`);
  }
  // A rate-limited request is a refusal too, though it never reached the validators: the suite
  // counts them, and a run is meant to stay under the budgets.
  if (status === 429) return out;
  const mustRefuse = fuzzCase.kind !== 'path' && fuzzCase.kind !== 'query';
  if (mustRefuse && status < 400) {
    out.push(`${status}: the bad input was accepted`);
    return out;
  }
  if (fuzzCase.kind === 'authorization' && status !== 401) out.push(`${status} for a bad token, not 401`);
  if (fuzzCase.kind === 'field' || fuzzCase.kind === 'body') {
    if (!INPUT_REFUSALS.has(status)) out.push(`${status} ${answer.json?.title ?? ''}: refused for another reason than the bad body (${answer.json?.detail ?? ''})`.slice(0, 300));
    else if (!namesWhere(answer)) out.push(`${status} ${answer.json?.title ?? ''} does not say where (${answer.json?.detail ?? ''})`.slice(0, 300));
    else if (fuzzCase.kind === 'field' && status === 422 && !namesMutant(fuzzCase, answer)) out.push(`422 names no ${String(fuzzCase.mutant!.path[0])}: ${problemText(answer).slice(0, 200)}`);
  }
  if (fuzzCase.kind === 'content-type' && !/content-type|media type|charset/i.test(problemText(answer))) out.push(`${status} does not name the Content-Type: ${problemText(answer).slice(0, 200)}`);
  if (fuzzCase.kind === 'content-encoding' && !/encoding/i.test(problemText(answer))) out.push(`${status} does not name the Content-Encoding: ${problemText(answer).slice(0, 200)}`);
  if (fuzzCase.kind === 'idempotency-key' && !/idempotency/i.test(problemText(answer))) out.push(`${status} does not name the Idempotency-Key: ${problemText(answer).slice(0, 200)}`);
  return out;
}
