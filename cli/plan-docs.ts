import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { planJsonSchema, DURATION_PATTERN } from '../definitions/json-schema';
import { LINT_RULES } from '../definitions/lint';
import { Identifier, Percent, RoleName } from '../definitions/schema';

/**
 * The generated parts of docs/plan-format.md, each between `<!-- generated:<part> -->` and
 * `<!-- /generated:<part> -->`: the field reference, from the plan's JSON Schema and so from
 * the zod schema's descriptions, and the lint rules, from definitions/lint.ts. `npm run docs`
 * rewrites them; a unit test fails when they are stale.
 */

export const PLAN_FORMAT_DOC = join(__dirname, '../docs/plan-format.md');

type Schema = {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  propertyNames?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
};

/** A section of the reference: one kind of object, at the path where plans write it. */
type Section = { path: string; anchor: string; schema: Schema; variant?: string };

/** Names for the patterns of the plan's building blocks; the sections explain them once. */
const NAMED_PATTERNS: Record<string, string> = {
  [patternOf(Identifier)]: 'identifier',
  [patternOf(RoleName)]: 'role',
  [DURATION_PATTERN]: 'duration',
  [patternOf(Percent)]: 'percentage',
};

/** fieldReference renders every object of the plan format as a table of its fields. */
export function fieldReference(schema: Schema = planJsonSchema() as Schema): string {
  const sections: Section[] = [];
  collect(schema, 'plan', sections);
  const out = [
    'Generated from the plan schema by `npm run docs`; do not edit by hand. Types: an *identifier* is',
    'lower-case letters, digits and dashes (at most 63), starting with a letter or digit; a *role* is',
    'an identifier, optionally scoped to a site as `role@site`; a *duration* is written as described',
    'under [Durations](#durations); a *percentage* is written like `5%` or `2.5%`.',
  ];
  sections.forEach((section, i) => {
    const title = section.variant === undefined ? `\`${section.path}\`` : `\`${section.path}\` (${section.variant})`;
    // Links to a union lead to its first form.
    const anchors = section.variant !== undefined && sections[i - 1]?.path !== section.path ? [anchorOf(section.path), section.anchor] : [section.anchor];
    out.push('', anchors.map((anchor) => `<a id="${anchor}"></a>`).join(''), '', `### ${title}`, '');
    if (section.schema.description !== undefined) out.push(cell(sentence(stripName(section.schema.description, lastName(section.path)))), '');
    out.push('| field | type | default | description |', '|---|---|---|---|');
    const required = new Set(section.schema.required ?? []);
    for (const [name, field] of Object.entries(section.schema.properties ?? {})) {
      const fallback = required.has(name) ? '**required**' : field.default === undefined ? '' : code(JSON.stringify(field.default).replace(/^"|"$/g, ''));
      out.push(`| \`${name}\` | ${cell(typeText(field, childPath(section.path, name, field)))} | ${fallback} | ${cell(stripName(field.description ?? '', name))} |`);
    }
  });
  return `${out.join('\n')}\n`;
}

/** lintRuleReference lists the lint rules as a table. */
export function lintRuleReference(): string {
  const rows = Object.entries(LINT_RULES).map(([rule, description]) => `| \`${rule}\` | ${cell(description)} |`);
  return `${['| rule | warns when |', '|---|---|', ...rows].join('\n')}\n`;
}

/** GENERATED_PARTS maps each generated part of the document to what renders it. */
export const GENERATED_PARTS: Record<string, () => string> = {
  fields: () => fieldReference(),
  'lint-rules': lintRuleReference,
};

/** withGeneratedParts regenerates every part of the document between its markers. */
export function withGeneratedParts(doc: string): string {
  let out = doc;
  for (const [part, render] of Object.entries(GENERATED_PARTS)) {
    const start = `<!-- generated:${part} -->`;
    const end = `<!-- /generated:${part} -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from < 0 || to < from) throw new Error(`the document lacks the markers ${start} … ${end}`);
    out = `${out.slice(0, from + start.length)}\n${render()}${out.slice(to)}`;
  }
  return out;
}

function collect(schema: Schema, path: string, sections: Section[], variant?: string): void {
  // A union's branches share its description, e.g. the escalation steps or `onFailure: { rollback }`.
  const objects = objectBranches(schema).map((branch) => ({ ...branch, description: branch.description ?? schema.description }));
  if (objects.length > 1) {
    const discriminator = discriminatorOf(objects);
    objects.forEach((branch, i) => collect(branch, path, sections, discriminator ? `${discriminator}: ${valuesOf(branch.properties![discriminator]!).join(', ')}` : `form ${i + 1}`));
    return;
  }
  const object = objects[0];
  if (object !== undefined) {
    sections.push({ path, anchor: anchorOf(path, variant), schema: object, variant });
    for (const [name, field] of Object.entries(object.properties ?? {})) collect(field, childPath(path, name, field), sections);
    return;
  }
  if (schema.type === 'array' && schema.items !== undefined) return collect(schema.items, path, sections, variant);
  if (typeof schema.additionalProperties === 'object') collect(schema.additionalProperties, path, sections, variant);
}

/** childPath is where a field's own objects are written: `stages[]`, `roles.<name>`, `stages[].scope`. */
function childPath(path: string, name: string, field: Schema): string {
  const base = path === 'plan' ? name : `${path}.${name}`;
  if (field.type === 'array') return `${base}[]`;
  if (field.type === 'object' && field.properties === undefined && typeof field.additionalProperties === 'object') {
    return `${base}.<${field.propertyNames?.pattern === patternOf(RoleName) ? 'role' : 'name'}>`;
  }
  return base;
}

function objectBranches(schema: Schema): Schema[] {
  if (schema.type === 'object' && schema.properties !== undefined) return [schema];
  return [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].filter((branch) => branch.type === 'object' && branch.properties !== undefined);
}

/** discriminatorOf finds the field whose fixed values tell the branches of a union apart, e.g. `action`. */
function discriminatorOf(branches: Schema[]): string | undefined {
  const first = branches[0]?.properties ?? {};
  return Object.keys(first).find((name) => branches.every((branch) => valuesOf(branch.properties?.[name]).length > 0));
}

function valuesOf(field: Schema | undefined): string[] {
  if (field === undefined) return [];
  if (field.const !== undefined) return [String(field.const)];
  return (field.enum ?? []).map(String);
}

function typeText(field: Schema, path: string): string {
  const variants = [...(field.anyOf ?? []), ...(field.oneOf ?? [])];
  if (variants.length > 0) return unique(variants.map((variant) => typeText(variant, path))).join(' or ');
  if (field.const !== undefined) return code(String(field.const));
  if (field.enum !== undefined) return field.enum.map((value) => code(String(value))).join(', ');
  switch (field.type) {
    case 'string':
      if (field.pattern !== undefined) return NAMED_PATTERNS[field.pattern] ?? `text matching ${code(field.pattern)}`;
      return field.format === 'uri' ? 'URL' : 'text';
    case 'integer':
    case 'number':
      return `${field.type === 'integer' ? 'whole number' : 'number'}${rangeText(field)}`;
    case 'boolean':
      return '`true` or `false`';
    case 'array':
      return `list of ${field.items === undefined ? 'anything' : typeText(field.items, path)}${field.minItems ? `, at least ${field.minItems}` : ''}`;
    case 'object':
      if (field.properties !== undefined) return `[object](#${anchorOf(path)})`;
      if (typeof field.additionalProperties === 'object') {
        const key = field.propertyNames?.pattern === undefined ? 'text' : (NAMED_PATTERNS[field.propertyNames.pattern] ?? 'text');
        return `map of ${key} to ${typeText(field.additionalProperties, path)}`;
      }
      return 'object';
    default:
      return 'anything';
  }
}

function rangeText(field: Schema): string {
  const max = field.maximum !== undefined && field.maximum < Number.MAX_SAFE_INTEGER ? field.maximum : undefined;
  if (field.minimum !== undefined && max !== undefined) return ` from ${field.minimum} to ${max}`;
  if (field.minimum !== undefined) return ` ≥ ${field.minimum}`;
  return max === undefined ? '' : ` ≤ ${max}`;
}

function anchorOf(path: string, variant?: string): string {
  const base = `field-${path.replace(/\[\]/g, '').replace(/<[^>]*>/g, '').replace(/[^a-zA-Z0-9]+/g, '-').replace(/-+$/, '').toLowerCase()}`;
  return variant === undefined ? base : `${base}-${variant.replace(/[^a-zA-Z0-9]+/g, '-').replace(/-+$/, '').toLowerCase()}`;
}

function lastName(path: string): string {
  return path.replace(/(\[\]|\.<[^>]*>)+$/, '').split('.').pop() ?? path;
}

/** stripName drops the `name: ` that starts each field description, as the table names the field. */
function stripName(description: string, name: string): string {
  const prefix = `${name}: `;
  return description.startsWith(prefix) ? sentence(description.slice(prefix.length)) : description;
}

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** cell makes text safe in a table cell: no pipes, no line breaks, and no `<` that could start an HTML tag. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ').replace(/</g, '&lt;');
}

function code(text: string): string {
  return `\`${text}\``;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

function patternOf(schema: z.ZodType): string {
  const pattern = (z.toJSONSchema(schema) as Schema).pattern;
  if (pattern === undefined) throw new Error('a named pattern has no pattern');
  return pattern;
}

/** `tsx cli/plan-docs.ts --write` regenerates the document's generated parts; `--check` fails when they are stale. */
function main(args: string[]): number {
  const shown = relative(process.cwd(), PLAN_FORMAT_DOC);
  const current = readFileSync(PLAN_FORMAT_DOC, 'utf8');
  const updated = withGeneratedParts(current);
  if (updated === current) return 0;
  if (args.includes('--check')) {
    console.error(`the generated parts of ${shown} are stale: run npm run docs`);
    return 1;
  }
  writeFileSync(PLAN_FORMAT_DOC, updated);
  console.log(`updated the generated parts of ${shown}`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
