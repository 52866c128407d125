/*
 * LD_PRELOAD shim that lets a test simulate a power cut (test/crash/power-cut.ts reads its log).
 *
 * For every regular file directly inside CRASH_SHIM_DATA_DIR (vault.db, -wal, -shm, kek.json,
 * signing-keys.json and their temp files) it appends to CRASH_SHIM_LOG_DIR/ops.log, BEFORE each
 * write, pwrite, writev, pwritev or ftruncate, an undo record: the bytes about to be overwritten and the
 * size the file had. When an fsync or fdatasync of such a file completes it logs a sync record saying
 * that every undo record of that inode logged before the fsync started is covered. When an fsync of
 * the data dir itself completes it logs the directory listing as it was when that fsync started
 * (name -> device, inode): the only entries a power cut is sure to keep. rename and unlink over a file
 * in the data dir first hard-link the old inode into the log dir, so its content stays reachable.
 *
 * At the "cut" the test kills the process and rebuilds the data dir from the last synced listing,
 * undoing, per inode, every write not covered by a completed fsync. Nothing is held in memory:
 * a SIGKILL at any point leaves a log that describes the state.
 *
 * Record: struct rec (56 bytes) followed by `len` payload bytes, written with one write() call.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum { REC_UNDO = 1, REC_SYNC = 2, REC_DIR = 3 };
struct rec {
  uint32_t magic, type;
  uint64_t dev, ino, off, old_size, len, mark;
};
#define MAGIC 0x43555421u /* "!TUC" */

static char data_dir[PATH_MAX], log_dir[PATH_MAX];
static size_t data_dir_len;
static int log_fd = -1, ready;
static uint64_t log_pos;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

#define REAL(ret, name, ...)                                   \
  static ret (*real_##name)(__VA_ARGS__);                      \
  static void resolve_##name(void) {                           \
    if (!real_##name) real_##name = dlsym(RTLD_NEXT, #name);   \
  }
REAL(ssize_t, write, int, const void *, size_t)
REAL(ssize_t, pwrite, int, const void *, size_t, off_t)
REAL(ssize_t, pwrite64, int, const void *, size_t, off_t)
REAL(ssize_t, writev, int, const struct iovec *, int)
REAL(ssize_t, pwritev, int, const struct iovec *, int, off_t)
REAL(ssize_t, pwritev64, int, const struct iovec *, int, off_t)
REAL(int, ftruncate, int, off_t)
REAL(int, ftruncate64, int, off_t)
REAL(int, fsync, int)
REAL(int, fdatasync, int)
REAL(int, rename, const char *, const char *)
REAL(int, renameat, int, const char *, int, const char *)
REAL(int, unlink, const char *)
REAL(int, unlinkat, int, const char *, int)

static void append(const struct rec *h, const void *payload) {
  size_t total = sizeof *h + h->len;
  char *buf = malloc(total);
  if (!buf) abort();
  memcpy(buf, h, sizeof *h);
  if (h->len) memcpy(buf + sizeof *h, payload, h->len);
  size_t done = 0;
  while (done < total) {
    ssize_t n = real_write(log_fd, buf + done, total - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) abort(); /* a log that silently misses a record would make the test lie */
    done += (size_t)n;
  }
  log_pos += total;
  free(buf);
}

/* The fd's path, when it names an entry directly inside the data dir (or the data dir itself: 2). */
static int where(int fd) {
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n < 0) return 0;
  path[n] = 0;
  if (strncmp(path, data_dir, data_dir_len) != 0) return 0;
  if (path[data_dir_len] == 0) return 2;
  if (path[data_dir_len] != '/' || strchr(path + data_dir_len + 1, '/')) return 0;
  return 1;
}

static int tracked(int fd, struct stat *st) {
  if (!ready || fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) return 0;
  return where(fd) == 1;
}

/* Logs the bytes [off, off+n) that are about to change and the current size. Caller holds mu. */
static void save_undo(int fd, const struct stat *st, uint64_t off, uint64_t n) {
  uint64_t size = (uint64_t)st->st_size, plen = off < size ? (n < size - off ? n : size - off) : 0;
  char *pre = plen ? malloc(plen) : NULL;
  if (plen) {
    ssize_t got = pread(fd, pre, plen, (off_t)off);
    if (got < 0 && errno == EBADF) { /* opened write-only: read it through another descriptor */
      char link[64];
      snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
      int rfd = open(link, O_RDONLY | O_CLOEXEC);
      got = rfd < 0 ? -1 : pread(rfd, pre, plen, (off_t)off);
      if (rfd >= 0) close(rfd);
    }
    if (got != (ssize_t)plen) abort();
  }
  struct rec h = {MAGIC, REC_UNDO, st->st_dev, st->st_ino, off, size, plen, 0};
  append(&h, pre);
  free(pre);
}

static uint64_t iov_len(const struct iovec *iov, int cnt) {
  uint64_t n = 0;
  for (int i = 0; i < cnt; i++) n += iov[i].iov_len;
  return n;
}

static uint64_t current_offset(int fd, const struct stat *st) {
  if (fcntl(fd, F_GETFL) & O_APPEND) return (uint64_t)st->st_size;
  return (uint64_t)lseek(fd, 0, SEEK_CUR);
}

#define GUARDED_WRITE(call, off_expr, n_expr)   \
  struct stat st;                                \
  if (!tracked(fd, &st)) return call;            \
  pthread_mutex_lock(&mu);                       \
  save_undo(fd, &st, (off_expr), (n_expr));      \
  ssize_t r = call;                              \
  pthread_mutex_unlock(&mu);                     \
  return r;

ssize_t write(int fd, const void *b, size_t n) {
  resolve_write();
  GUARDED_WRITE(real_write(fd, b, n), current_offset(fd, &st), n)
}
ssize_t pwrite(int fd, const void *b, size_t n, off_t o) {
  resolve_pwrite();
  GUARDED_WRITE(real_pwrite(fd, b, n, o), (uint64_t)o, n)
}
ssize_t pwrite64(int fd, const void *b, size_t n, off_t o) {
  resolve_pwrite64();
  GUARDED_WRITE(real_pwrite64(fd, b, n, o), (uint64_t)o, n)
}
ssize_t writev(int fd, const struct iovec *v, int c) {
  resolve_writev();
  GUARDED_WRITE(real_writev(fd, v, c), current_offset(fd, &st), iov_len(v, c))
}
ssize_t pwritev(int fd, const struct iovec *v, int c, off_t o) {
  resolve_pwritev();
  GUARDED_WRITE(real_pwritev(fd, v, c, o), (uint64_t)o, iov_len(v, c))
}
ssize_t pwritev64(int fd, const struct iovec *v, int c, off_t o) {
  resolve_pwritev64();
  GUARDED_WRITE(real_pwritev64(fd, v, c, o), (uint64_t)o, iov_len(v, c))
}

static int truncate_guarded(int (*fn)(int, off_t), int fd, off_t len) {
  struct stat st;
  if (!tracked(fd, &st)) return fn(fd, len);
  pthread_mutex_lock(&mu);
  uint64_t size = (uint64_t)st.st_size;
  save_undo(fd, &st, (uint64_t)len < size ? (uint64_t)len : size, (uint64_t)len < size ? size - (uint64_t)len : 0);
  int r = fn(fd, len);
  pthread_mutex_unlock(&mu);
  return r;
}
int ftruncate(int fd, off_t len) {
  resolve_ftruncate();
  return truncate_guarded(real_ftruncate, fd, len);
}
int ftruncate64(int fd, off_t len) {
  resolve_ftruncate64();
  return truncate_guarded(real_ftruncate64, fd, len);
}

/* "name\tdev\tino\n" for every regular file in the data dir, as it is now. */
static char *listing(uint64_t *len) {
  size_t cap = 4096, used = 0;
  char *out = malloc(cap);
  DIR *d = opendir(data_dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", data_dir, e->d_name);
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    char line[PATH_MAX + 64];
    int n = snprintf(line, sizeof line, "%s\t%llu\t%llu\n", e->d_name, (unsigned long long)st.st_dev,
                     (unsigned long long)st.st_ino);
    while (used + (size_t)n > cap) out = realloc(out, cap *= 2);
    memcpy(out + used, line, (size_t)n);
    used += (size_t)n;
  }
  if (d) closedir(d);
  *len = used;
  return out;
}

static int sync_guarded(int (*fn)(int), int fd) {
  struct stat st;
  if (!ready || fstat(fd, &st) != 0) return fn(fd);
  int kind = where(fd);
  if (S_ISDIR(st.st_mode) && kind == 2) {
    pthread_mutex_lock(&mu);
    uint64_t len;
    char *list = listing(&len);
    pthread_mutex_unlock(&mu);
    int r = fn(fd);
    if (r == 0) {
      struct rec h = {MAGIC, REC_DIR, 0, 0, 0, 0, len, 0};
      pthread_mutex_lock(&mu);
      append(&h, list);
      pthread_mutex_unlock(&mu);
    }
    free(list);
    return r;
  }
  if (!S_ISREG(st.st_mode) || kind != 1) return fn(fd);
  pthread_mutex_lock(&mu);
  uint64_t mark = log_pos; /* undo records before this point are covered once the fsync returns */
  pthread_mutex_unlock(&mu);
  int r = fn(fd);
  if (r == 0) {
    struct rec h = {MAGIC, REC_SYNC, st.st_dev, st.st_ino, 0, 0, 0, mark};
    pthread_mutex_lock(&mu);
    append(&h, NULL);
    pthread_mutex_unlock(&mu);
  }
  return r;
}
int fsync(int fd) {
  resolve_fsync();
  return sync_guarded(real_fsync, fd);
}
int fdatasync(int fd) {
  resolve_fdatasync();
  return sync_guarded(real_fdatasync, fd);
}

/* Keeps the inode that `path` names reachable (log dir hard link) before it loses its name. */
static void keep_inode(int dirfd, const char *path) {
  if (!ready) return;
  char full[PATH_MAX], parent[PATH_MAX];
  if (path[0] == '/' || dirfd == AT_FDCWD) {
    if (path[0] == '/') snprintf(full, sizeof full, "%s", path);
    else {
      if (!getcwd(parent, sizeof parent)) return;
      snprintf(full, sizeof full, "%s/%s", parent, path);
    }
  } else {
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
    ssize_t n = readlink(link, parent, sizeof parent - 1);
    if (n < 0) return;
    parent[n] = 0;
    snprintf(full, sizeof full, "%s/%s", parent, path);
  }
  char *slash = strrchr(full, '/');
  *slash = 0;
  char *real = realpath(full, NULL);
  *slash = '/';
  int inside = real && strcmp(real, data_dir) == 0;
  free(real);
  struct stat st;
  if (!inside || lstat(full, &st) != 0 || !S_ISREG(st.st_mode)) return;
  char keep[PATH_MAX];
  snprintf(keep, sizeof keep, "%s/inode-%llu-%llu", log_dir, (unsigned long long)st.st_dev,
           (unsigned long long)st.st_ino);
  if (link(full, keep) != 0 && errno != EEXIST) abort();
}

int rename(const char *from, const char *to) {
  resolve_rename();
  keep_inode(AT_FDCWD, to);
  return real_rename(from, to);
}
int renameat(int fd1, const char *from, int fd2, const char *to) {
  resolve_renameat();
  keep_inode(fd2, to);
  return real_renameat(fd1, from, fd2, to);
}
int unlink(const char *path) {
  resolve_unlink();
  keep_inode(AT_FDCWD, path);
  return real_unlink(path);
}
int unlinkat(int fd, const char *path, int flags) {
  resolve_unlinkat();
  if (!(flags & AT_REMOVEDIR)) keep_inode(fd, path);
  return real_unlinkat(fd, path, flags);
}

/* Opening an existing file with O_TRUNC empties it: log its content first, as for ftruncate. */
REAL(int, open, const char *, int, ...)
REAL(int, open64, const char *, int, ...)
REAL(int, openat, int, const char *, int, ...)
REAL(int, openat64, int, const char *, int, ...)
static void before_truncating_open(int dirfd, const char *path, int flags) {
  if (!ready || !(flags & O_TRUNC)) return;
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC); /* O_TRUNC not set: passes straight through */
  if (fd < 0) return;
  struct stat st;
  if (tracked(fd, &st)) {
    pthread_mutex_lock(&mu);
    save_undo(fd, &st, 0, (uint64_t)st.st_size);
    pthread_mutex_unlock(&mu);
  }
  close(fd);
}
#define MODE_ARG                                      \
  mode_t mode = 0;                                    \
  if (flags & (O_CREAT | __O_TMPFILE)) {              \
    va_list ap;                                       \
    va_start(ap, flags);                              \
    mode = va_arg(ap, mode_t);                        \
    va_end(ap);                                       \
  }
int open(const char *path, int flags, ...) {
  MODE_ARG
  resolve_open();
  before_truncating_open(AT_FDCWD, path, flags);
  return real_open(path, flags, mode);
}
int open64(const char *path, int flags, ...) {
  MODE_ARG
  resolve_open64();
  before_truncating_open(AT_FDCWD, path, flags);
  return real_open64(path, flags, mode);
}
int openat(int dirfd, const char *path, int flags, ...) {
  MODE_ARG
  resolve_openat();
  before_truncating_open(dirfd, path, flags);
  return real_openat(dirfd, path, flags, mode);
}
int openat64(int dirfd, const char *path, int flags, ...) {
  MODE_ARG
  resolve_openat64();
  before_truncating_open(dirfd, path, flags);
  return real_openat64(dirfd, path, flags, mode);
}

__attribute__((constructor)) static void init(void) {
  resolve_write();
  const char *d = getenv("CRASH_SHIM_DATA_DIR"), *l = getenv("CRASH_SHIM_LOG_DIR");
  if (!d || !l || !realpath(d, data_dir) || !realpath(l, log_dir)) return;
  data_dir_len = strlen(data_dir);
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/ops.log", log_dir);
  log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) abort();
  struct stat st;
  fstat(log_fd, &st);
  log_pos = (uint64_t)st.st_size;
  /* What is on disk when the process starts counts as durable (the test syncs it first). */
  uint64_t len;
  char *list = listing(&len);
  struct rec h = {MAGIC, REC_DIR, 0, 0, 0, 0, len, 0};
  append(&h, list);
  free(list);
  ready = 1;
}
