// Copies what tsc does not: SQL migrations next to the compiled store, and
// marks the CLI entry executable.
import { chmodSync, cpSync, existsSync } from 'node:fs';

for (const backend of ['sqlite', 'postgres']) cpSync(`src/store/${backend}/migrations`, `dist/store/${backend}/migrations`, { recursive: true });
if (existsSync('dist/cli/main.js')) chmodSync('dist/cli/main.js', 0o755);
