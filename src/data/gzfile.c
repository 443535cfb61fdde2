#include "data/gzfile.h"

#include "core/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct js_gz {
  gzFile file;
  const char *path; /* borrowed, for messages */
};

/* A gzip error after (or instead of) data: JS_EFORMAT for a damaged
 * stream, JS_EIO for a failing read underneath. */
static int gz_status(gzFile file, const char *path) {
  int err;
  const char *msg = gzerror(file, &err);
  if (err == Z_OK)
    return JS_OK;
  if (err == Z_BUF_ERROR)
    return js_fail(JS_EFORMAT, "%s: truncated gzip file (%s)", path, msg);
  if (err == Z_DATA_ERROR)
    return js_fail(JS_EFORMAT, "%s: corrupted gzip data (%s)", path, msg);
  if (err == Z_MEM_ERROR)
    return js_fail(JS_ENOMEM, "%s: out of memory while decompressing", path);
  return js_fail(JS_EIO, "%s: cannot read: %s", path,
                 err == Z_ERRNO ? strerror(errno) : msg);
}

int js_gz_open(const char *path, js_gz **out) {
  *out = NULL;
  js_gz *f = js_alloc(1, sizeof *f, path);
  if (!f)
    return JS_ENOMEM;
  errno = 0;
  if (!(f->file = gzopen(path, "rb"))) {
    free(f);
    return js_fail(JS_EIO, "%s: cannot open: %s", path,
                   errno ? strerror(errno) : "out of memory");
  }
  f->path = path;
  *out = f;
  return JS_OK;
}

int js_gz_read(js_gz *f, void *buf, size_t want, size_t *got) {
  enum { CHUNK = 1 << 30 }; /* gzread counts in int */
  *got = 0;
  while (*got < want) {
    size_t ask = want - *got < CHUNK ? want - *got : CHUNK;
    int read = gzread(f->file, (unsigned char *)buf + *got, (unsigned)ask);
    if (read < 0)
      return gz_status(f->file, f->path);
    if (read == 0)
      break;
    *got += (size_t)read;
  }
  /* A stream cut short ends reads without an error return: gzerror then
   * holds Z_BUF_ERROR ("unexpected end of file"). */
  return *got < want ? gz_status(f->file, f->path) : JS_OK;
}

void js_gz_close(js_gz *f) {
  if (!f)
    return;
  gzclose(f->file);
  free(f);
}

int js_read_gz(const char *path, unsigned char **bytes, size_t *size) {
  enum { CHUNK = 1 << 20 };
  *bytes = NULL;
  *size = 0;
  unsigned char *buf = NULL;
  size_t used = 0, capacity = 0, got = CHUNK;
  js_gz *file = NULL;
  int rc = js_gz_open(path, &file);
  while (!rc && got == CHUNK) {
    if (capacity - used < CHUNK + 1) {
      capacity = capacity ? 2 * capacity : 4 * (size_t)CHUNK;
      unsigned char *grown = js_realloc(buf, capacity, 1, path);
      if (!grown) {
        rc = JS_ENOMEM;
        break;
      }
      buf = grown;
    }
    if (!(rc = js_gz_read(file, buf + used, CHUNK, &got)))
      used += got;
  }
  if (!rc) {
    buf[used] = '\0';
    *bytes = buf;
    *size = used;
    buf = NULL;
  }
  js_gz_close(file);
  free(buf);
  return rc;
}
