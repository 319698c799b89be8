/**
 * @module server/auth
 * Bearer tokens: `baton_<id>_<secret>`. The store keeps the id, a name, the
 * role and the SHA-256 of the secret, never the secret; a presented token is
 * checked by hashing its secret and comparing the hashes in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role, TokenRecord } from '../core/tokens.js';

export interface TokenKeeper {
  addToken(token: TokenRecord): Promise<void>;
  getToken(id: string): Promise<TokenRecord | undefined>;
}

const FORMAT = /^baton_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/** A new token: the record to store, and the token to show once. */
export function newToken(role: Role, name: string, now: number): { token: string; record: TokenRecord } {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { token: `baton_${id}_${secret}`, record: { id, name, role, hash: sha256(secret).toString('hex'), createdAt: now, revokedAt: null } };
}

/** The token an Authorization header carries (`Bearer <token>`), if it is one we issued and still valid. */
export async function authenticate(keeper: TokenKeeper, header: string | undefined): Promise<TokenRecord | undefined> {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  const parts = match ? FORMAT.exec(match[1] as string) : null;
  if (!parts) return undefined;
  const record = await keeper.getToken(parts[1] as string);
  if (!record || record.revokedAt !== null) return undefined;
  const want = Buffer.from(record.hash, 'hex');
  const got = sha256(parts[2] as string);
  return want.length === got.length && timingSafeEqual(want, got) ? record : undefined;
}
