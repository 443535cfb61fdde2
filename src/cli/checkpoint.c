#include "cli/checkpoint.h"

#include "cli/args.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const char magic[8] = {'J', 'S', 'C', 'K', 'P', 'T', '0', '1'};
static const uint64_t byte_order = 0x0102030405060708u;
enum { HEADER = 24, RECORD = CKPT_NAME + 16, TRAILER = 8 };

void cli_checkpoint_path(char *buf, int size, const char *dir) {
  snprintf(buf, (size_t)size, "%s/checkpoint", dir);
}

/* fwrite that keeps the running CRC; 0 or errno. */
typedef struct ckpt_writer {
  FILE *f;
  uLong crc;
  int err;
} ckpt_writer;

static void put(ckpt_writer *w, const void *data, size_t size) {
  if (w->err || size == 0)
    return;
  if (fwrite(data, 1, size, w->f) != size)
    w->err = errno ? errno : EIO;
  /* zlib's crc32 takes a uInt length: feed large arrays in pieces. */
  for (const unsigned char *p = data; size > 0;) {
    uInt piece = size > (1u << 30) ? 1u << 30 : (uInt)size;
    w->crc = crc32(w->crc, p, piece);
    p += piece;
    size -= piece;
  }
}

static void put_u64(ckpt_writer *w, uint64_t v) { put(w, &v, sizeof v); }

static int write_file(FILE *f, const ckpt_array *arrays, int n) {
  ckpt_writer w = {f, crc32(0L, Z_NULL, 0), 0};
  put(&w, magic, sizeof magic);
  put_u64(&w, byte_order);
  put_u64(&w, (uint64_t)n);
  for (int i = 0; i < n; i++) {
    char name[CKPT_NAME] = {0};
    snprintf(name, sizeof name, "%s", arrays[i].name);
    put(&w, name, sizeof name);
    put_u64(&w, (uint64_t)(unsigned char)arrays[i].type);
    put_u64(&w, (uint64_t)arrays[i].count);
    put(&w, arrays[i].data, 8 * (size_t)arrays[i].count);
  }
  uint64_t crc = w.crc;
  put(&w, &crc, sizeof crc);
  if (!w.err && (fflush(f) != 0 || fsync(fileno(f)) != 0))
    w.err = errno;
  return w.err;
}

int cli_checkpoint_write(const char *dir, const ckpt_array *arrays, int n_arrays) {
  char path[4200], tmp[4210];
  cli_checkpoint_path(path, sizeof path, dir);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    cli_error("--checkpoint %s: cannot create the directory: %s", dir, strerror(errno));
    return 1;
  }
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    cli_error("%s: cannot write: %s", tmp, strerror(errno));
    return 1;
  }
  int err = write_file(f, arrays, n_arrays);
  if (fclose(f) != 0 && !err)
    err = errno ? errno : EIO;
  if (!err && rename(tmp, path) != 0)
    err = errno;
  if (err) {
    remove(tmp);
    cli_error("%s: cannot write: %s", path, strerror(err));
    return 1;
  }
  /* The rename itself reaches the disk with the directory. */
  int fd = open(dir, O_RDONLY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  return 0;
}

static int corrupt(const ckpt_file *f, const char *what) {
  cli_error("%s: not a jacspec checkpoint, or a damaged one: %s", f->path, what);
  return 1;
}

static uint64_t get_u64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* The records between the header and the trailer. */
static int parse_records(ckpt_file *f, size_t size) {
  uint64_t n = get_u64(f->bytes + 16);
  if (n > CKPT_MAX_ARRAYS)
    return corrupt(f, "too many arrays");
  size_t at = HEADER, end = size - TRAILER;
  for (uint64_t i = 0; i < n; i++) {
    if (end - at < RECORD)
      return corrupt(f, "truncated");
    const unsigned char *r = f->bytes + at;
    uint64_t type = get_u64(r + CKPT_NAME), count = get_u64(r + CKPT_NAME + 8);
    if (memchr(r, '\0', CKPT_NAME) == NULL || (type != 'd' && type != 'i' && type != 'u'))
      return corrupt(f, "a malformed array record");
    at += RECORD;
    if (count > (end - at) / 8)
      return corrupt(f, "an array runs past the end");
    /* One array a name, or which one a reader gets would be arbitrary. */
    for (uint64_t j = 0; j < i; j++)
      if (strcmp(f->names[j], (const char *)r) == 0)
        return corrupt(f, "an array name repeated");
    memcpy(f->names[i], r, CKPT_NAME);
    f->arrays[i] = (ckpt_array){f->names[i], (char)type, (int64_t)count, f->bytes + at};
    f->n_arrays++;
    at += 8 * (size_t)count;
  }
  return at == end ? 0 : corrupt(f, "bytes after the last array");
}

int cli_checkpoint_read(const char *path, ckpt_file *f) {
  memset(f, 0, sizeof *f);
  snprintf(f->path, sizeof f->path, "%s", path);
  FILE *file = fopen(path, "rb");
  struct stat st;
  if (!file || fstat(fileno(file), &st) != 0) {
    cli_error("%s: cannot read: %s", path, strerror(errno));
    if (file)
      fclose(file);
    return 1;
  }
  size_t size = (size_t)st.st_size;
  /* malloc's alignment is the arrays' (every field is a multiple of 8). */
  f->bytes = size >= HEADER + TRAILER ? malloc(size) : NULL;
  int rc = 0;
  if (size < HEADER + TRAILER)
    rc = corrupt(f, "too short");
  else if (!f->bytes)
    rc = (cli_error("%s: out of memory for %zu bytes", path, size), 1);
  else if (fread(f->bytes, 1, size, file) != size)
    rc = corrupt(f, "shorter than its size");
  fclose(file);
  if (rc)
    return rc;
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t at = 0; at < size - TRAILER; at += 1u << 30) {
    size_t piece = size - TRAILER - at < (1u << 30) ? size - TRAILER - at : 1u << 30;
    crc = crc32(crc, f->bytes + at, (uInt)piece);
  }
  if (memcmp(f->bytes, magic, sizeof magic) != 0)
    return corrupt(f, "no JSCKPT01 magic");
  if (get_u64(f->bytes + 8) != byte_order)
    return corrupt(f, "written on a machine of another byte order");
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  /* (The fuzz build skips the checksum, or no mutation would get past it.) */
  if (get_u64(f->bytes + size - TRAILER) != (uint64_t)crc)
    return corrupt(f, "its checksum does not match");
#endif
  return parse_records(f, size);
}

static const ckpt_array *find(const ckpt_file *f, const char *name) {
  for (int i = 0; i < f->n_arrays; i++)
    if (strcmp(f->arrays[i].name, name) == 0)
      return &f->arrays[i];
  return NULL;
}

int64_t cli_checkpoint_count(const ckpt_file *f, const char *name) {
  const ckpt_array *a = find(f, name);
  return a ? a->count : -1;
}

const void *cli_checkpoint_get(const ckpt_file *f, const char *name, char type, int64_t count) {
  const ckpt_array *a = find(f, name);
  if (!a || a->type != type || a->count != count) {
    cli_error("%s: the checkpoint's array '%s' %s (expected %lld of type %c): not a "
              "checkpoint of this run", f->path, name, a ? "has another size or type" : "is missing",
              (long long)count, type);
    return NULL;
  }
  return a->data;
}

void cli_checkpoint_free(ckpt_file *f) {
  free(f->bytes);
  f->bytes = NULL;
  f->n_arrays = 0;
}
