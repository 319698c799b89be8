/**
 * @module engine/code/journal-cursor
 * Identity of each journaled call of a code run: its position (the order of
 * calls, taken synchronously, before any await) and its key (the name, with
 * `#n` from its second occurrence on). During a replay the entry recorded at
 * the same position must be the same call, or the code has changed under the
 * run: a NonDeterminismError names both.
 */
import type { StepKind } from '../../core/states.js';
import { NonDeterminismError } from '../../core/workflow-code.js';
import type { JournalEntry } from '../../store/store.js';

export interface Call {
  position: number;
  key: string;
  /** What the journal holds at this position, if the call ran before. */
  entry: JournalEntry | undefined;
}

/** The key of a call: steps by their name, other calls as `sleep()`, `signal(approval)`, `child(order)`, `now()`. */
export function baseKey(kind: StepKind, name: string): string {
  switch (kind) {
    case 'step':
      return name;
    case 'sleep':
    case 'value':
      return `${name}()`;
    default:
      return `${kind}(${name})`;
  }
}

export class JournalCursor {
  private position = 0;
  private readonly occurrences = new Map<string, number>();
  private readonly byPosition = new Map<number, JournalEntry>();
  private readonly byKey = new Map<string, JournalEntry>();
  /** Positions below this were journaled by an earlier execution. */
  readonly replayEnd: number;

  constructor(entries: readonly JournalEntry[]) {
    let end = 0;
    for (const e of entries) {
      this.byKey.set(e.key, e);
      if (e.kind === 'compensate') continue;
      this.byPosition.set(e.position, e);
      end = Math.max(end, e.position + 1);
    }
    this.replayEnd = end;
  }

  /** Take the next position for a call; throws NonDeterminismError when the journal disagrees. */
  next(kind: StepKind, name: string): Call {
    const base = baseKey(kind, name);
    const n = (this.occurrences.get(base) ?? 0) + 1;
    this.occurrences.set(base, n);
    const key = n === 1 ? base : `${base}#${n}`;
    const position = this.position++;
    const entry = this.byPosition.get(position);
    if (entry && (entry.key !== key || entry.kind !== kind)) {
      throw new NonDeterminismError(position, describe(entry.kind, entry.key), describe(kind, key));
    }
    return { position, key, entry };
  }

  /** A position for a call outside the code's order (a compensation): after every call so far. */
  reserve(): number {
    return this.position++;
  }

  entry(key: string): JournalEntry | undefined {
    return this.byKey.get(key);
  }

  replaying(): boolean {
    return this.position < this.replayEnd;
  }

  /** Journaled steps, for compensation after a failure. */
  entries(): Iterable<JournalEntry> {
    return this.byKey.values();
  }
}

function describe(kind: StepKind, key: string): string {
  return kind === 'step' ? `step "${key}"` : key;
}
