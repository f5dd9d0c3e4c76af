/** A path into the plan as zod reports it: object keys and array indices. */
export type PlanPath = readonly PropertyKey[];

/** formatPath renders a path as `stages[2].minDuration`; the root is ''. Pure. */
export function formatPath(path: PlanPath): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (typeof step === 'string' && /^[A-Za-z_$][\w$-]*$/.test(step)) out += out === '' ? step : `.${step}`;
    else out += `[${JSON.stringify(String(step))}]`;
  }
  return out;
}

/** prefix is the path and a colon that start a message about it, or '' for the root. */
export function prefix(path: PlanPath): string {
  return path.length === 0 ? '' : `${formatPath(path)}: `;
}
