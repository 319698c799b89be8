/**
 * Writes schema/workflow.schema.json, the JSON Schema of workflow files, from
 * the compiled zod schema (run `npm run build` first). test/spec/schema.test.ts
 * fails when the file on disk differs from what the schema generates.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { workflowJsonSchema } from '../dist/spec/schema.js';

const target = fileURLToPath(new URL('../schema/workflow.schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
