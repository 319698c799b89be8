/**
 * @module spec/issues
 * Problems found while checking a parsed workflow, by path (placed in the
 * text later, only when there are some), and the small typed checks that
 * produce them with one wording: `"retries" must be a whole number ≥ 0, got "two"`.
 */

import { parseDuration } from '../core/duration.js';
import type { Path, PathItem } from './source-map.js';
import { didYouMean } from './suggest.js';

export interface Issue {
  path: Path;
  /** The mapping key (unknown keys) or the value (wrong values). */
  at: 'key' | 'value';
  message: string;
  /** A character inside a string value (an expression), when known. */
  inString?: number;
  /** Appends ` (first defined at line N)` with that path's line. */
  firstAt?: Path;
  /** The place in the text, when already known (it wins over the path). */
  offset?: number;
}

export type Mapping = Record<string, unknown>;

export function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as a message shows it: strings quoted (and cut when long), collections by kind. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/**
 * Checks of the values under one place (the top level, a task, `retry`, ...).
 * Messages name a value by its path from the nearest label root (the top
 * level or a task): `retry.attempts`, `args[1]`. Paths and labels are built
 * only when a problem is reported, so a scope costs one small object.
 */
export class Scope {
  private constructor(
    readonly issues: Issue[],
    private readonly parent: Scope | undefined,
    private readonly key: PathItem | undefined,
    private readonly rootPath: Path | undefined,
    private readonly labelRoot: boolean,
  ) {}

  /** A scope at a fixed path whose labels start below it. */
  static at(issues: Issue[], path: Path): Scope {
    return new Scope(issues, undefined, undefined, path, true);
  }

  /** The scope of a nested mapping or list. */
  child(key: PathItem): Scope {
    return new Scope(this.issues, this, key, undefined, false);
  }

  /** A nested scope whose labels start again below it (a task). */
  item(key: PathItem): Scope {
    return new Scope(this.issues, this, key, undefined, true);
  }

  get path(): Path {
    return this.parent ? [...this.parent.path, this.key!] : this.rootPath!;
  }

  name(key: PathItem): string {
    const prefix = this.labelRoot || !this.parent ? '' : this.parent.name(this.key!);
    if (typeof key === 'number') return `${prefix}[${key}]`;
    return prefix === '' ? key : `${prefix}.${key}`;
  }

  report(key: PathItem | undefined, message: string, at: 'key' | 'value' = 'value', inString?: number): void {
    const path = key === undefined ? this.path : [...this.path, key];
    this.issues.push(inString === undefined ? { path, at, message } : { path, at, message, inString });
  }

  wrong(key: PathItem, expected: string, value: unknown, hint = ''): undefined {
    this.report(key, `"${this.name(key)}" must be ${expected}, got ${describe(value)}${hint}`);
    return undefined;
  }

  /** Report keys not in `known`, each with a suggestion or the list of known keys. */
  unknownKeys(value: Mapping, known: readonly string[]): void {
    for (const key in value) {
      if (known.includes(key)) continue;
      const hint = didYouMean(key, known) || ` (expected one of: ${known.join(', ')})`;
      this.report(key, `unknown key "${key}"${hint}`, 'key');
    }
  }

  string(key: PathItem, value: unknown, nonEmpty = false): string | undefined {
    if (typeof value !== 'string') return this.wrong(key, 'a string', value);
    if (nonEmpty && value.trim() === '') return this.wrong(key, 'a non-empty string', value);
    return value;
  }

  /** A string, or a number or boolean written without quotes, as text. */
  text(key: PathItem, value: unknown): string | undefined {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return this.wrong(key, 'a string', value);
  }

  whole(key: PathItem, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
      return this.wrong(key, `a whole number ${range}`, value);
    }
    return value;
  }

  number(key: PathItem, value: unknown, min: number): number | undefined {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) return this.wrong(key, `a number ≥ ${min}`, value);
    return value;
  }

  boolean(key: PathItem, value: unknown): boolean | undefined {
    if (typeof value !== 'boolean') return this.wrong(key, 'true or false', value);
    return value;
  }

  /** Milliseconds of a duration (`30s`, `5m`, `1h30m`, or seconds as a number). */
  duration(key: PathItem, value: unknown, allowZero = false): number | undefined {
    const ms = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
    if (ms === undefined || (!allowZero && ms === 0)) {
      const what = allowZero ? 'a duration' : 'a duration > 0';
      return this.wrong(key, `${what} such as 500ms, 30s, 5m or 1h30m`, value);
    }
    return ms;
  }

  oneOf<T extends string>(key: PathItem, value: unknown, choices: readonly T[]): T | undefined {
    if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
    const hint = typeof value === 'string' ? didYouMean(value, choices) : '';
    return this.wrong(key, `one of ${choices.join(', ')}`, value, hint);
  }

  mapping(key: PathItem, value: unknown): Mapping | undefined {
    if (!isMapping(value)) return this.wrong(key, 'a mapping', value);
    return value;
  }

  list(key: PathItem, value: unknown): unknown[] | undefined {
    if (!Array.isArray(value)) return this.wrong(key, 'a list', value);
    return value;
  }
}
