import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { DURATION_FORMS } from './duration';
import { Duration, Plan } from './schema';

/**
 * The plan format as JSON Schema (draft 2020-12), generated from the zod schema, for editors:
 * a plan that starts with `# yaml-language-server: $schema=<path or URL>` gets completion,
 * hover text and checks as it is typed. It is the input side of the format, so fields with a
 * default are optional. The cross-field rules (known roles, stages, metrics) and the lint
 * rules are not in it: `rollgate validate` and the API check those.
 *
 * `npm run schema` writes it to definitions/plan.schema.json; a unit test fails when that
 * file is stale. The API serves it at GET /v1/schema/plan.json.
 */

export const PLAN_SCHEMA_ID = 'urn:rollgate:schema:plan';
export const PLAN_SCHEMA_FILE = join(__dirname, 'plan.schema.json');

/**
 * DURATION_PATTERN accepts the texts parseDuration reads, built from its forms (a unit test
 * compares the two on every short text): the zod Duration is a refinement, which JSON Schema
 * cannot express, so the generated schema gets this pattern on every duration field. The
 * lookaheads refuse what both forms would otherwise match: nothing at all, a bare `P`, and an
 * ISO duration ending in `T`. The pattern says nothing of size: the bounds of the zod Duration
 * (at most 10 years; at least 1s for cadences) are stated in the field descriptions instead.
 */
export const DURATION_PATTERN = `^\\s*(?!\\s*$)(?!P\\s*$)(?!.*T\\s*$)(?:${DURATION_FORMS.friendly}|${DURATION_FORMS.iso})\\s*$`;

/** planJsonSchema is the JSON Schema of a plan as written, with every field's description. */
export function planJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(Plan, {
    target: 'draft-2020-12',
    io: 'input',
    override: ({ zodSchema, jsonSchema }) => {
      if (isDuration(zodSchema) && jsonSchema.type === 'string') jsonSchema.pattern ??= DURATION_PATTERN;
    },
  });
  const { $schema, ...rest } = generated;
  return { $schema, $id: PLAN_SCHEMA_ID, title: 'rollgate rollout plan', ...rest };
}

/** planJsonSchemaText is the schema as committed: two-space indentation and a final newline. */
export function planJsonSchemaText(): string {
  return `${JSON.stringify(planJsonSchema(), null, 2)}\n`;
}

/** isDuration: the schema is Duration or a copy of it (`.describe()` copies, keeping the original as parent). */
function isDuration(schema: z.core.$ZodType): boolean {
  for (let s: z.core.$ZodType | undefined = schema; s !== undefined; s = s._zod.parent) {
    if (s === Duration) return true;
  }
  return false;
}

/** `tsx definitions/json-schema.ts --write` regenerates the file; `--check` fails when it is stale. */
function main(args: string[]): number {
  const shown = relative(process.cwd(), PLAN_SCHEMA_FILE);
  const text = planJsonSchemaText();
  if (args.includes('--write')) {
    writeFileSync(PLAN_SCHEMA_FILE, text);
    console.log(`wrote ${shown}`);
    return 0;
  }
  if (args.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(PLAN_SCHEMA_FILE, 'utf8');
    } catch {
      // A missing file is stale too.
    }
    if (current === text) return 0;
    console.error(`${shown} is stale: run npm run schema`);
    return 1;
  }
  process.stdout.write(text);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
