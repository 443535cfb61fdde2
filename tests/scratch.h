/* A scratch directory for tests that write their own input files, and a
 * check on the library's last error message. */
#ifndef JS_TEST_SCRATCH_H
#define JS_TEST_SCRATCH_H

#include <stddef.h>

/* cmocka group setup/teardown: create / remove (with its files) the
 * directory. */
int scratch_setup(void **state);
int scratch_teardown(void **state);
/* buf = "<scratch dir>/name". */
void scratch_path(char *buf, size_t size, const char *name);
/* Writes size bytes to path, gzip-compressed through zlib when gzip != 0. */
void scratch_write(const char *path, const void *bytes, size_t size, int gzip);
/* Reads a whole (plain) file; caller frees. */
unsigned char *scratch_read(const char *path, size_t *size);
/* Fails the test unless status == expected and js_last_error() contains
 * each of the NULL-terminated words. */
void assert_failure(int status, int expected, ...);

#endif
