import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * readmeEndpoints lists the endpoints of the README's REST table as `METHOD /path`. A row may
 * name several: `…/resume` continues the row's first full path, replacing its last segment, or
 * extending it when it starts with a parameter (`…/:proposalId/approvals`).
 */
export function readmeEndpoints(readmePath = path.join(__dirname, '../../../README.md')): string[] {
  const readme = readFileSync(readmePath, 'utf8');
  const section = readme.slice(readme.indexOf('## REST API'));
  const table = section.slice(0, section.indexOf('\n## ', 1));
  const out: string[] = [];
  for (const line of table.split('\n')) {
    const cell = /^\| (`[^|]*`) \|/.exec(line)?.[1];
    if (!cell) continue;
    let method = '';
    let base = '';
    for (const [, code] of cell.matchAll(/`([^`]+)`/g)) {
      const match = /^(?:(GET|POST|PUT|PATCH|DELETE) )?(\S+)$/.exec(code!.trim());
      if (!match) continue;
      method = match[1] ?? method;
      let route = match[2]!.replace(/\?.*$/, '');
      if (route.startsWith('…')) {
        const rest = route.slice(1);
        route = rest.startsWith('/:') ? `${base}${rest}` : `${base.replace(/\/[^/]+$/, '')}${rest}`;
      } else if (!base) {
        base = route;
      }
      out.push(`${method} ${route}`);
    }
  }
  return out;
}

/** endpointKey is the same for two `METHOD /path` strings that name one endpoint, whatever their parameters are called. */
export const endpointKey = (endpoint: string) => endpoint.replace(/:[A-Za-z]+/g, ':param');
