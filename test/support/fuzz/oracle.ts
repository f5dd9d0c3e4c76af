import { parse as parseYaml } from 'yaml';
import { Plan } from '../../../definitions/schema';
import type { FuzzCase } from './cases';
import { ENDPOINTS } from './endpoints';

/**
 * oracleProblem says why a `field` case is not certainly invalid: the request schema (or, for
 * a plan upload, the Plan schema) takes its body, so it could legitimately write. Mutants that
 * break a promised limit the schema does not state yet (`contract`) are exempt: the API must
 * refuse them all the same. Undefined when the case is fine.
 */
export function oracleProblem(fuzzCase: FuzzCase): string | undefined {
  if (fuzzCase.kind !== 'field' || fuzzCase.mutant!.contract) return undefined;
  const endpoint = ENDPOINTS.find((e) => `${e.method} ${e.route}` === fuzzCase.endpoint)!;
  const text = fuzzCase.request.body as string;
  const accepted = endpoint.yaml ? Plan.safeParse(parseYaml(text)).success : endpoint.body!.safeParse(JSON.parse(text)).success;
  return accepted ? `the generator made a valid body for ${fuzzCase.endpoint}: ${fuzzCase.description}` : undefined;
}
