/**
 * A simulated power cut for a process run with the LD_PRELOAD shim in power-cut-shim.c (see its header
 * for what it logs). After the process is killed, `restoreSyncedState` rebuilds the data dir as a
 * machine that lost power at that instant could find it: only the directory entries covered by the
 * last completed fsync of the directory, and in each file only the writes covered by a completed
 * fsync of that file. Everything else is undone. `-shm` is dropped: SQLite keeps it in shared memory
 * (mmap, which the shim cannot see), never fsyncs it, and rebuilds it from the WAL when it opens.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const SOURCE = join(import.meta.dirname, 'power-cut-shim.c');
const HEADER = 56;
const MAGIC = 0x43555421;

/** Compiles the shim with the machine's C compiler into `dir`; returns the .so path. */
export function compileShim(dir: string): string {
  const out = join(dir, 'power-cut-shim.so');
  const errors: string[] = [];
  for (const cc of ['cc', 'gcc']) {
    const r = spawnSync(cc, ['-shared', '-fPIC', '-O1', '-Wall', '-o', out, SOURCE, '-ldl', '-lpthread'], {
      encoding: 'utf8',
    });
    if (r.status === 0) return out;
    errors.push(`${cc}: ${r.error?.message ?? r.stderr}`);
  }
  throw new Error(`cannot compile the power-cut shim:\n${errors.join('\n')}`);
}

/** The environment that runs a process under the shim, logging into a fresh `logDir`. */
export function shimEnv(shim: string, dataDir: string, logDir: string): Record<string, string> {
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  // libuv may send fs calls through io_uring, which a preloaded library cannot see.
  return { LD_PRELOAD: shim, CRASH_SHIM_DATA_DIR: dataDir, CRASH_SHIM_LOG_DIR: logDir, UV_USE_IO_URING: '0' };
}

/** fsyncs every file in the data dir and the dir itself (from this process, which has no shim). */
export function syncTree(dataDir: string): void {
  for (const name of readdirSync(dataDir)) {
    const fd = openSync(join(dataDir, name), 'r');
    fsyncSync(fd);
    closeSync(fd);
  }
  const fd = openSync(dataDir, 'r');
  fsyncSync(fd);
  closeSync(fd);
}

interface Undo {
  pos: number;
  off: number;
  oldSize: number;
  pre: Buffer;
}
const inodeKey = (dev: bigint, ino: bigint) => `${dev}-${ino}`;

export interface CutReport {
  /** Files in the rebuilt data dir. */
  files: string[];
  /** Undo records applied: writes that no completed fsync covered. */
  undone: number;
  /** Completed fsyncs of files in the data dir. */
  fsyncs: number;
}

/** Rebuilds `dataDir` as the shim's log says a power cut now would leave it. The process must be dead. */
export function restoreSyncedState(dataDir: string, logDir: string): CutReport {
  const log = readFileSync(join(logDir, 'ops.log'));
  let listing: Array<{ name: string; key: string }> = [];
  const synced = new Map<string, number>();
  const undos = new Map<string, Undo[]>();
  let fsyncs = 0;
  for (let pos = 0; pos + HEADER <= log.length;) {
    if (log.readUInt32LE(pos) !== MAGIC) throw new Error(`power-cut log damaged at ${pos}`);
    const type = log.readUInt32LE(pos + 4);
    const key = inodeKey(log.readBigUInt64LE(pos + 8), log.readBigUInt64LE(pos + 16));
    const len = Number(log.readBigUInt64LE(pos + 40));
    if (pos + HEADER + len > log.length) break; // the last record was being written: never applied
    const payload = log.subarray(pos + HEADER, pos + HEADER + len);
    if (type === 1) {
      const list = undos.get(key) ?? [];
      list.push({
        pos,
        off: Number(log.readBigUInt64LE(pos + 24)),
        oldSize: Number(log.readBigUInt64LE(pos + 32)),
        pre: Buffer.from(payload),
      });
      undos.set(key, list);
    } else if (type === 2) {
      fsyncs++;
      synced.set(key, Math.max(synced.get(key) ?? 0, Number(log.readBigUInt64LE(pos + 48))));
    } else if (type === 3) {
      listing = payload
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [name, dev, ino] = line.split('\t') as [string, string, string];
          return { name, key: inodeKey(BigInt(dev), BigInt(ino)) };
        });
    }
    pos += HEADER + len;
  }

  // Where each inode can still be read: its current name, or the link the shim kept before losing it.
  const paths = new Map<string, string>();
  for (const dir of [dataDir, logDir])
    for (const name of readdirSync(dir)) {
      const st = statSync(join(dir, name), { bigint: true });
      if (st.isFile()) paths.set(inodeKey(st.dev, st.ino), join(dir, name));
    }
  const rebuilt = new Map<string, Buffer>();
  let undone = 0;
  for (const { name, key } of listing) {
    if (name.endsWith('-shm')) continue;
    const path = paths.get(key);
    if (!path) throw new Error(`power cut: no copy of ${name} (${key}) is left to restore`);
    let content = readFileSync(path);
    const mark = synced.get(key) ?? 0;
    const pending = (undos.get(key) ?? []).filter((u) => u.pos >= mark).reverse();
    for (const u of pending) {
      const resized = Buffer.alloc(u.oldSize);
      content.copy(resized, 0, 0, Math.min(content.length, u.oldSize));
      u.pre.copy(resized, u.off);
      content = resized;
    }
    undone += pending.length;
    rebuilt.set(name, content);
  }
  for (const name of readdirSync(dataDir)) rmSync(join(dataDir, name), { force: true });
  for (const [name, content] of rebuilt) writeFileSync(join(dataDir, name), content, { mode: 0o600 });
  syncTree(dataDir);
  return { files: [...rebuilt.keys()].sort(), undone, fsyncs };
}
