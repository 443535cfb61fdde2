#include "data/gzfile.h"

#include "core/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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

int js_read_gz(const char *path, unsigned char **bytes, size_t *size) {
  enum { CHUNK = 1 << 20 };
  *bytes = NULL;
  *size = 0;
  unsigned char *buf = NULL;
  size_t used = 0, capacity = 0;
  int rc = JS_OK;
  errno = 0;
  gzFile file = gzopen(path, "rb");
  if (!file)
    return js_fail(JS_EIO, "%s: cannot open: %s", path,
                   errno ? strerror(errno) : "out of memory");
  for (;;) {
    if (capacity - used < CHUNK + 1) {
      capacity = capacity ? 2 * capacity : 4 * (size_t)CHUNK;
      unsigned char *grown = js_realloc(buf, capacity, 1, path);
      if (!grown) {
        rc = JS_ENOMEM;
        goto done;
      }
      buf = grown;
    }
    int got = gzread(file, buf + used, CHUNK);
    if (got < 0) {
      rc = gz_status(file, path);
      goto done;
    }
    if (got == 0)
      break;
    used += (size_t)got;
  }
  /* A stream cut short ends reads without an error return: gzerror then
   * holds Z_BUF_ERROR ("unexpected end of file"). */
  if ((rc = gz_status(file, path)))
    goto done;
  buf[used] = '\0';
  *bytes = buf;
  *size = used;
  buf = NULL;
done:
  gzclose(file);
  free(buf);
  return rc;
}
