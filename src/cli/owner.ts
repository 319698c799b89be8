/**
 * @module cli/owner
 * Is the process that owns a run still alive? Owners are "host:pid"; only an
 * owner on this host can be checked (embedded state lives on one machine).
 */
import { hostname } from 'node:os';

export function parseOwner(owner: string | null): { host: string; pid: number } | undefined {
  if (!owner) return undefined;
  const at = owner.lastIndexOf(':');
  const pid = Number(owner.slice(at + 1));
  if (at <= 0 || !Number.isInteger(pid)) return undefined;
  return { host: owner.slice(0, at), pid };
}

/** The pid of a live local owner other than this process, if any. */
export function liveOwnerPid(owner: string | null): number | undefined {
  const o = parseOwner(owner);
  if (!o || o.host !== hostname() || o.pid === process.pid) return undefined;
  try {
    process.kill(o.pid, 0);
    return o.pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? o.pid : undefined;
  }
}
