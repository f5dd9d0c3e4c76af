import { readFileSync } from 'node:fs';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { OPENAPI_FILE } from '../../api/openapi-file';

/**
 * ContractCheck tells whether a response is one the OpenAPI document (api/openapi.json)
 * describes: the path and method are documented, the status is one of the operation's (or its
 * `default`), the media type is the documented one, and the body validates against its schema.
 * The test harness runs it on every response, so an endpoint that answers outside its document
 * fails the test that called it.
 */
export class ContractCheck {
  private readonly ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: Array<{ template: string; pattern: RegExp; literals: number }>;

  constructor(private readonly document: OpenApiDocument = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as OpenApiDocument) {
    this.ajv.addSchema({ ...document, $id: 'openapi.json' });
    this.templates = Object.keys(document.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      literals: template.split('/').filter((segment) => segment && !segment.startsWith('{')).length,
    }));
  }

  /** problems lists why the response is outside the document; empty when it is inside. */
  problems(method: string, url: string, status: number, contentType: string | null, body: unknown): string[] {
    const path = url.split('?')[0]!;
    const what = `${method} ${path} answered ${status}`;
    const template = this.templates.filter((entry) => entry.pattern.test(path)).sort((a, b) => b.literals - a.literals)[0]?.template;
    const operation = template === undefined ? undefined : this.document.paths[template]?.[method.toLowerCase()];
    // An undocumented path or method may only be refused, with a problem.
    const [pointer, response] =
      operation === undefined
        ? ['#/components/responses/Problem', status >= 400 ? this.document.components.responses.Problem : undefined]
        : this.responseOf(template!, method.toLowerCase(), operation, status);
    if (!response) {
      return [operation === undefined ? `${what}, but the document has no ${method} ${path}` : `${what}, a status ${method} ${template} does not document`];
    }
    const mediaType = (contentType ?? '').split(';')[0]!.trim();
    if (!response.content) return body === undefined ? [] : [`${what} with a body the document does not describe`];
    if (!response.content[mediaType]) return [`${what} as ${mediaType || 'no media type'}; the document says ${Object.keys(response.content).join(' or ')}`];
    const validate = this.validator(`${pointer}/content/${escape(mediaType)}/schema`);
    if (validate(body)) return [];
    return (validate.errors ?? []).map((error) => `${what}: body${error.instancePath} ${error.message}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`);
  }

  private responseOf(template: string, method: string, operation: Operation, status: number): [string, ResponseObject | undefined] {
    const key = operation.responses[String(status)] ? String(status) : 'default';
    const response = operation.responses[key];
    if (!response) return ['', undefined];
    if ('$ref' in response) {
      const name = response.$ref.split('/').pop()!;
      return [`#/components/responses/${name}`, this.document.components.responses[name]];
    }
    return [`#/paths/${escape(template)}/${method}/responses/${key}`, response];
  }

  private validator(pointer: string): ValidateFunction {
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi.json${pointer}` });
      this.validators.set(pointer, validate);
    }
    return validate;
  }
}

/** escape writes a key as a JSON Pointer token. */
const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

interface ResponseObject {
  content?: Record<string, { schema: unknown }>;
}
interface Operation {
  responses: Record<string, ResponseObject | { $ref: string }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, ResponseObject> };
}
