/** The ledger contract (test/ledger-contract.ts) on the one store there is: SQLite through libsql, a file in a state folder. */
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import Database from 'libsql';
import { SCHEMA_VERSION } from '../src/ledger/sqlite/db.js';
import { LEDGER_DB, SqliteLedger } from '../src/ledger/sqlite/ledger.js';
import { createLogger } from '../src/util/log.js';
import { describeLedgerContract } from './ledger-contract.js';
import { tempDir } from './helpers.js';

describeLedgerContract('SQLite (libsql)', () => {
  const tmp = tempDir();
  const dir = path.join(tmp.dir, 'state');
  const stores: SqliteLedger[] = [];
  const store = () => {
    const s = new SqliteLedger(dir, createLogger('silent'));
    stores.push(s);
    return s;
  };
  return Promise.resolve({
    store,
    async open() {
      const s = store();
      await s.open();
      return s;
    },
    makeNewer() {
      mkdirSync(dir, { recursive: true });
      const db = new Database(path.join(dir, LEDGER_DB));
      db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      db.close();
      return Promise.resolve();
    },
    async cleanup() {
      for (const s of stores) await s.close();
      tmp.cleanup();
    },
  });
});
