import { parseArgs } from 'node:util';
import { DEFAULT_LOCAL_POSTGRES, type Env } from '../../config/env';
import { checkoutDatabaseName } from '../checkout-database';
import { ensureDatabase } from '../../db/admin';
import { migrateDatabase } from '../../db/migrate';
import { createPool, redactUrl } from '../../db/pool';
import { createToken, listTokens, PrincipalKind, revokeToken } from '../../db/tokens';
import type { CommandIo } from '../command-io';

export const TOKEN_USAGE = `usage:
  rollgate token create --principal <name> --roles <role,role…> [--service]
  rollgate token list
  rollgate token revoke <token-id>

Tokens are stored hashed in the database (DATABASE_URL, else ${DEFAULT_LOCAL_POSTGRES}/${checkoutDatabaseName()}, this checkout's);
create prints the token once. --service makes a service principal: it may start rollouts and
report evidence, and signs off only where a plan's roles map lists it.`;

/** tokenCommand runs `rollgate token …` and returns the exit code: 0 done, 1 failed, 2 usage. */
export async function tokenCommand(args: string[], env: Env, io: CommandIo): Promise<number> {
  const [action, ...rest] = args;
  if (action === '--help' || action === '-h') {
    io.out(TOKEN_USAGE);
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { principal: { type: 'string' }, roles: { type: 'string' }, service: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    io.err(`rollgate token: ${(error as Error).message}\n${TOKEN_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || action === undefined || !['create', 'list', 'revoke'].includes(action)) {
    (values.help ? io.out : io.err)(TOKEN_USAGE);
    return values.help ? 0 : 2;
  }
  if (action === 'create' && !values.principal?.trim()) {
    io.err(`rollgate token create: --principal is required\n${TOKEN_USAGE}`);
    return 2;
  }
  if (action === 'revoke' && positionals.length !== 1) {
    io.err(`rollgate token revoke: give exactly one token id (see rollgate token list)\n${TOKEN_USAGE}`);
    return 2;
  }

  const databaseUrl = env.DATABASE_URL ?? `${DEFAULT_LOCAL_POSTGRES}/${checkoutDatabaseName()}`;
  const pool = createPool(databaseUrl, 1);
  try {
    // Tokens may be made before the first `npm start`: bring the database up to date first.
    await ensureDatabase(databaseUrl);
    await migrateDatabase(databaseUrl);
    if (action === 'create') {
      const roles = (values.roles ?? '').split(',').map((role) => role.trim()).filter(Boolean);
      const kind = values.service ? PrincipalKind.service : PrincipalKind.person;
      const { token, tokenId } = await createToken(pool, { name: values.principal!.trim(), kind, roles });
      io.err(`created ${tokenId} for ${kind} ${values.principal} with roles ${roles.join(', ') || '(none)'}; the token is shown only now:`);
      io.out(token);
    } else if (action === 'list') {
      for (const t of await listTokens(pool)) {
        io.out([t.tokenId, t.principal, t.kind, t.roles.join(',') || '-', t.createdAt, t.revokedAt ? `revoked ${t.revokedAt}` : 'live'].join('\t'));
      }
    } else {
      if (!(await revokeToken(pool, positionals[0]!))) {
        io.err(`rollgate token revoke: no live token ${positionals[0]}`);
        return 1;
      }
      io.out(`revoked ${positionals[0]}`);
    }
    return 0;
  } catch (error) {
    io.err(`rollgate token: database ${redactUrl(databaseUrl)}: ${(error as Error).message}. Set DATABASE_URL to rollgate's database.`);
    return 1;
  } finally {
    await pool.end();
  }
}
