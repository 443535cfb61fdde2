#include "scratch.h"

#include "jacspec.h"

#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char scratch_dir[64];

int scratch_setup(void **state) {
  (void)state;
  strcpy(scratch_dir, "/tmp/jacspec-test-XXXXXX");
  return mkdtemp(scratch_dir) ? 0 : -1;
}

int scratch_teardown(void **state) {
  (void)state;
  DIR *dir = opendir(scratch_dir);
  if (!dir)
    return -1;
  for (struct dirent *e; (e = readdir(dir));) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    char path[512];
    scratch_path(path, sizeof path, e->d_name);
    unlink(path);
  }
  closedir(dir);
  return rmdir(scratch_dir);
}

void scratch_path(char *buf, size_t size, const char *name) {
  snprintf(buf, size, "%s/%s", scratch_dir, name);
}

void scratch_write(const char *path, const void *bytes, size_t size, int gzip) {
  if (gzip) {
    gzFile f = gzopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(gzwrite(f, bytes, (unsigned)size), (int)size);
    assert_int_equal(gzclose(f), Z_OK);
  } else {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, size, f), size);
    assert_int_equal(fclose(f), 0);
  }
}

unsigned char *scratch_read(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *bytes = malloc((size_t)len + 1);
  assert_non_null(bytes);
  assert_int_equal(fread(bytes, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  *size = (size_t)len;
  return bytes;
}

void assert_failure(int status, int expected, ...) {
  const char *msg = js_last_error();
  if (status != expected)
    fail_msg("status %d (%s), expected %d (%s): %s", status, js_errstr(status), expected,
             js_errstr(expected), msg);
  va_list ap;
  va_start(ap, expected);
  for (const char *word; (word = va_arg(ap, const char *));)
    if (!strstr(msg, word))
      fail_msg("message lacks '%s': %s", word, msg);
  va_end(ap);
}
