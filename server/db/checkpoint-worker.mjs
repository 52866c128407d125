// The background checkpointer's thread (server/db/checkpointer.ts): its own connection to the vault's SQLite file,
// which copies the write-ahead log into the database when asked. Plain JavaScript, so the thread starts without
// tsx's loader.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.file, { fileMustExist: true });
// FULL: the checkpoint syncs the log before it copies and the database file after, before the log may restart.
db.pragma('synchronous = FULL');

parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    // PASSIVE waits for nobody: it copies what no reader still needs and leaves the rest for the next time.
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, busy: row.busy, log: row.log, checkpointed: row.checkpointed });
  } catch (e) {
    parentPort.postMessage({ ok: false, code: e.code, message: e.message });
  }
});
