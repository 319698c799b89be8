/**
 * @module cli/args
 * Argument parsing on node:util's parseArgs, with usage errors that say what
 * was wrong and how the command is called.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './exit.js';

export const COMMON_OPTIONS = {
  home: { type: 'string' },
  db: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

type Parsed<O extends NonNullable<ParseArgsConfig['options']>> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, synopsis: string): Parsed<O> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nusage: ${synopsis}`);
  }
}

export function help(synopsis: string, details: string): number {
  process.stdout.write(`usage: ${synopsis}\n\n${details.trim()}\n`);
  return 0;
}

export function onePositional(positionals: string[], what: string, synopsis: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one ${what}, got ${positionals.length}\nusage: ${synopsis}`);
  return positionals[0] as string;
}

export function positiveInt(value: string | undefined, flag: string): number | undefined {
  return wholeNumber(value, flag, 1);
}

export function wholeNumber(value: string | undefined, flag: string, least = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < least) throw new UsageError(`${flag} must be a whole number ≥ ${least}, got "${value}"`);
  return n;
}
