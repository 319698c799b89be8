/**
 * Writes schema/workflow.schema.json, the JSON Schema of workflow files, from
 * the compiled zod schema, and schema/openapi.json, the OpenAPI description of
 * the server's API, from its route table (run `npm run build` first).
 * test/spec/schema.test.ts and test/server/openapi.test.ts fail when a file
 * on disk differs from what is generated.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { workflowJsonSchema } from '../dist/spec/schema.js';
import { openApi } from '../dist/server/openapi.js';
import { routes } from '../dist/server/routes.js';

const write = (name, value) => {
  const target = fileURLToPath(new URL(`../schema/${name}`, import.meta.url));
  writeFileSync(target, `${JSON.stringify(value, null, 2)}\n`);
  console.log(`wrote ${target}`);
};
write('workflow.schema.json', workflowJsonSchema());
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
write('openapi.json', openApi(routes({ version }), version));
