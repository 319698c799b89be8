import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { codeRunContract } from './code-run-contract.js';
import { storeContract, type StoreFactory } from './contract.js';
import { flowContract } from './flow-contract.js';
import { readsContract } from './reads-contract.js';
import { submittedContract } from './submitted-contract.js';
import { workerContract } from './worker-contract.js';

const factory: StoreFactory = async (clock) => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-store-'));
  const store = new SqliteStore({ path: join(dir, 'baton.db'), clock });
  await store.migrate();
  return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
};

storeContract('sqlite', factory);
readsContract('sqlite', factory);
submittedContract('sqlite', factory);
codeRunContract('sqlite', factory);
flowContract('sqlite', factory);
workerContract('sqlite', factory);
