/**
 * @module core/tokens
 * API tokens: who may call the server, with which role. Only a token's hash
 * is ever stored; the token itself is shown once, when it is made.
 */

/** viewer: read everything; operator: also start, cancel, retry, signal, pause; admin: also manage tokens. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** A role may do what any lesser role may. */
export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export interface TokenRecord {
  /** Public: names the token (in lists, in revoke). */
  id: string;
  name: string;
  role: Role;
  /** Hex SHA-256 of the token's secret part. */
  hash: string;
  createdAt: number;
  revokedAt: number | null;
}
