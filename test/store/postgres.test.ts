import { PgStore } from '../../src/store/postgres/pg-store.js';
import { dropSchema, freshSchema, PG_URL } from '../helpers/postgres.js';
import { codeRunContract } from './code-run-contract.js';
import { storeContract, type StoreFactory } from './contract.js';
import { flowContract } from './flow-contract.js';
import { readsContract } from './reads-contract.js';
import { submittedContract } from './submitted-contract.js';
import { workerContract } from './worker-contract.js';

const factory: StoreFactory = async (clock) => {
  const schema = freshSchema();
  const store = new PgStore({ url: PG_URL, schema, clock, max: 4 });
  await store.migrate();
  return { store, cleanup: () => dropSchema(schema) };
};

storeContract('postgres', factory);
readsContract('postgres', factory);
submittedContract('postgres', factory);
codeRunContract('postgres', factory);
flowContract('postgres', factory);
workerContract('postgres', factory);
