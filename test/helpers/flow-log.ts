/**
 * Tasks that log when they start and end ("+ <name> <ns>", "- <name> <ns>")
 * to $FLOW_LOG, and the count of how many ran at once, read from those lines.
 */

/** Lines "+ <name> <ns>" and "- <name> <ns>": the most tasks of a group between a + and its -. */
export function mostAtOnce(lines: readonly string[], group = ''): number {
  const marks = lines
    .map((l) => l.split(' '))
    .filter(([, name]) => (name ?? '').startsWith(group))
    .map(([sign, , ns]) => ({ d: sign === '+' ? 1 : -1, t: BigInt(ns ?? '0') }))
    .sort((a, b) => (a.t === b.t ? a.d - b.d : a.t < b.t ? -1 : 1));
  let now = 0;
  let most = 0;
  for (const m of marks) most = Math.max(most, (now += m.d));
  return most;
}


/** A task's shell command: log its start, sleep 0.4 s, log its end. */
export const TASK = (name: string) => `echo "+ ${name} $(date +%s%N)" >> "$FLOW_LOG"; sleep 0.4; echo "- ${name} $(date +%s%N)" >> "$FLOW_LOG"`;
