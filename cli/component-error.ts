/** Component names the dev stack reports on, in start-up order. */
export const Component = {
  temporal: 'Temporal',
  postgres: 'PostgreSQL',
  worker: 'Worker',
  api: 'API',
} as const;
export type Component = (typeof Component)[keyof typeof Component];

/**
 * ComponentError is a start-up failure already phrased for the person running `npm start`:
 * what failed and what to do about it. It is printed as `<component>: <message>`, without a stack.
 */
export class ComponentError extends Error {
  constructor(
    readonly component: Component,
    message: string,
  ) {
    super(message);
    this.name = 'ComponentError';
  }
}

/** errorText describes any thrown value in one line, without a final full stop. */
export function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return errorText(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const message = error.message.trim().replace(/\.+$/, '');
    if (message !== '') return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
    if (typeof code === 'string') return code;
    return error.name;
  }
  return String(error);
}
