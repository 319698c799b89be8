/**
 * @module cli/commands/token
 * `baton token create --role operator [--name N]`, `baton token list`,
 * `baton token revoke ID`: the server's API tokens, in the store. A new token
 * is printed once; the store keeps only its hash.
 */
import { isRole, ROLES } from '../../core/tokens.js';
import { COMMON_OPTIONS, help, parse } from '../args.js';
import { EXIT, UsageError } from '../exit.js';
import { homeDir, openStore } from '../home.js';

const SYNOPSIS = 'baton token create --role viewer|operator|admin [--name NAME] | baton token list | baton token revoke ID';

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON_OPTIONS, role: { type: 'string' }, name: { type: 'string' } }, SYNOPSIS);
  if (values.help) return help(SYNOPSIS, 'Manages the API tokens of "baton server" (roles: viewer reads, operator also acts on runs, admin also manages tokens).');
  const [verb, ...rest] = positionals;
  if (verb !== 'create' && verb !== 'list' && verb !== 'revoke') throw new UsageError(`say create, list or revoke\nusage: ${SYNOPSIS}`);
  if (verb === 'create' && !isRole(values.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}${values.role ? `, got "${values.role}"` : ''}`);
  if (verb === 'revoke' && rest.length !== 1) throw new UsageError(`revoke takes one token id (see "baton token list")\nusage: ${SYNOPSIS}`);
  const store = await openStore(homeDir(values.home), { db: values.db });
  try {
    if (verb === 'create') {
      const { newToken } = await import('../../server/auth.js');
      const role = values.role as (typeof ROLES)[number];
      const { token, record } = newToken(role, values.name ?? `${role} token`, Date.now());
      await store.addToken(record);
      if (values.json) process.stdout.write(JSON.stringify({ id: record.id, name: record.name, role, token }) + '\n');
      else process.stdout.write(`${token}\n(token ${record.id}, ${role}; shown this once, only its hash is kept)\n`);
      return EXIT.ok;
    }
    if (verb === 'list') {
      const tokens = (await store.listTokens()).map(({ hash: _h, ...t }) => t);
      if (values.json) process.stdout.write(JSON.stringify(tokens) + '\n');
      else for (const t of tokens) process.stdout.write(`${t.id}  ${t.role.padEnd(8)}  ${new Date(t.createdAt).toISOString()}  ${t.revokedAt ? 'revoked' : 'live   '}  ${t.name}\n`);
      return EXIT.ok;
    }
    if (!(await store.revokeToken(rest[0] as string, Date.now()))) throw new UsageError(`no live token "${rest[0]}" (see "baton token list")`);
    process.stdout.write(`token ${rest[0]} revoked\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
