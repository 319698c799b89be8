/**
 * @module spec/inputs
 * Typed workflow inputs: checking their declarations in a file (`inputs:`),
 * and resolving the values given at run time (`--input k=v`, strings) against
 * them: coercion to the declared type, defaults, enums, required inputs and
 * unknown names.
 */

import type { InputDef, InputType, InputValue, WorkflowDef } from '../core/model.js';
import { isMapping, type Scope } from './issues.js';
import { ID_PATTERN, INPUT_KEYS, INPUT_TYPES } from './format.js';
import { didYouMean } from './suggest.js';

const TYPE_NAME: Record<InputType, string> = { string: 'a string', number: 'a number', boolean: 'true or false' };

function isScalar(value: unknown): value is InputValue {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean';
}

/** The input declarations under `inputs:` (problems go to the top-level scope). */
export function checkInputs(value: unknown, top: Scope): Record<string, InputDef> {
  const inputs: Record<string, InputDef> = {};
  const map = top.mapping('inputs', value);
  if (!map) return inputs;
  const scope = top.child('inputs');
  for (const name in map) {
    if (!ID_PATTERN.test(name) || name === '__proto__') {
      scope.report(name, `input name "${name}" is not valid: use letters, digits, "_", "." and "-", starting with a letter or "_"`, 'key');
      continue;
    }
    const def = checkInput(map[name], name, scope);
    if (def) inputs[name] = def;
  }
  return inputs;
}

function checkInput(value: unknown, name: string, scope: Scope): InputDef | undefined {
  if (value === null) return { type: 'string', required: true };
  if (isScalar(value)) return { type: typeof value as InputType, default: value, required: false };
  if (!isMapping(value)) return scope.wrong(name, 'a mapping (type, default, enum, description, required) or a default value', value);
  const s = scope.child(name);
  s.unknownKeys(value, INPUT_KEYS);
  const firstEnum = Array.isArray(value.enum) ? (value.enum[0] as unknown) : undefined;
  const inferred = isScalar(value.default) ? value.default : isScalar(firstEnum) ? firstEnum : '';
  const type = value.type === undefined ? (typeof inferred as InputType) : s.oneOf('type', value.type, INPUT_TYPES);
  if (type === undefined) return undefined;
  const def: InputDef = { type, required: false };
  const matches = (v: unknown): v is InputValue => isScalar(v) && typeof v === type;
  if (value.default !== undefined && value.default !== null) {
    if (matches(value.default)) def.default = value.default;
    else s.wrong('default', TYPE_NAME[type], value.default);
  }
  if (value.description !== undefined) def.description = s.string('description', value.description);
  if (value.enum !== undefined) {
    const list = s.list('enum', value.enum);
    if (list && list.length === 0) s.report('enum', `"${s.name('enum')}" must not be empty`);
    else if (list) {
      const e = s.child('enum');
      list.forEach((v, i) => void (matches(v) || e.wrong(i, TYPE_NAME[type], v)));
      def.enum = list.filter(matches);
      if (def.default !== undefined && !def.enum.includes(def.default)) {
        s.report('default', `default ${JSON.stringify(def.default)} is not one of ${def.enum.join(', ')}`);
      }
    }
  }
  if (value.required !== undefined) def.required = s.boolean('required', value.required) ?? false;
  else def.required = def.default === undefined;
  if (def.description === undefined) delete def.description;
  return def;
}

export type ResolvedInputs = { ok: true; values: Record<string, InputValue> } | { ok: false; errors: string[] };

/**
 * Values for a run from `--input k=v` strings: each coerced to its declared
 * type, defaults applied, enums and required inputs checked, unknown names refused.
 * An optional input with no default and no value is left out (`has(inputs.x)` tells).
 */
export function resolveInputs(def: WorkflowDef, given: Record<string, string>): ResolvedInputs {
  const errors: string[] = [];
  const values: Record<string, InputValue> = {};
  const names = Object.keys(def.inputs);
  for (const key of Object.keys(given)) {
    if (Object.hasOwn(def.inputs, key)) continue;
    const hint = didYouMean(key, names) || (names.length > 0 ? ` (inputs: ${names.join(', ')})` : ' (this workflow has no inputs)');
    errors.push(`unknown input "${key}"${hint}`);
  }
  for (const [name, input] of Object.entries(def.inputs)) {
    const raw = Object.hasOwn(given, name) ? given[name] : undefined;
    if (raw === undefined) {
      if (input.default !== undefined) values[name] = input.default;
      else if (input.required) errors.push(`input "${name}" is required${input.description ? ` (${input.description})` : ''}: pass --input ${name}=...`);
      continue;
    }
    const value = coerce(raw, input.type);
    if (value === undefined) {
      errors.push(`input "${name}": ${JSON.stringify(raw)} is not ${TYPE_NAME[input.type]}`);
    } else if (input.enum && !input.enum.includes(value)) {
      errors.push(`input "${name}": ${JSON.stringify(raw)} is not one of ${input.enum.join(', ')}`);
    } else {
      values[name] = value;
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, values };
}

function coerce(raw: string, type: InputType): InputValue | undefined {
  if (type === 'string') return raw;
  const text = raw.trim();
  if (type === 'boolean') {
    const lower = text.toLowerCase();
    return lower === 'true' ? true : lower === 'false' ? false : undefined;
  }
  const n = Number(text);
  return text === '' || !Number.isFinite(n) ? undefined : n;
}
