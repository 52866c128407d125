import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` with `content` so that after a crash or a power cut the file holds either its old
 * content or the whole new content, never an empty or partial file (SECURITY.md "Keys"): the way SQLite
 * writes its journal. A temp file beside the target (mode 0600, O_EXCL so nothing else's file is reused)
 * is written and fsynced, then renamed over the target, and the directory is fsynced so that the rename
 * itself survives. Only when this returns may anything that depends on the new content be acknowledged.
 */
export function replaceFileDurably(path: string, content: string): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    try {
      writeFileSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already renamed or never written: nothing to clean up */
    }
    throw e;
  }
  fsyncDirectory(dir);
}

/** Makes the directory's entries (files created, renamed or removed in it) durable. */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `dir` (mode 0700) if needed and fsyncs the parent of every directory it created, so that a
 * freshly made data dir does not vanish in a power cut together with the keys written into it.
 */
export function makeDirectoryDurably(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    fsyncDirectory(dirname(d));
    if (d === first || dirname(d) === d) break;
  }
}

/**
 * What a key file is on disk right now (inode, size, modification and change times), so that a server
 * notices a replaced or rewritten key file with one stat instead of re-reading it (SECURITY.md "Keys").
 * A rename over the file changes the inode; an in-place write changes the size or the times.
 */
export function fileIdentity(path: string): string {
  const s = statSync(path, { bigint: true });
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}
