/**
 * @module engine/run-id
 * Run ids: 16 lowercase characters, time first so they sort by creation, and
 * a unique prefix is enough on the command line (as with git hashes).
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export function newRunId(now = Date.now()): string {
  const time = now.toString(36).padStart(9, '0');
  const bytes = randomBytes(7);
  let rand = '';
  for (const b of bytes) rand += ALPHABET[b % 36];
  return time + rand;
}
