/* Whole-file reading through zlib: gzip-compressed and plain files alike
 * (gzread passes plain files through), so every reader accepts both. */
#ifndef JS_DATA_GZFILE_H
#define JS_DATA_GZFILE_H

#include <stddef.h>

/* Reads the (decompressed) contents of path into *bytes (caller frees),
 * *size bytes followed by a '\0' so text parsers may stop at it.
 * JS_EIO when the file cannot be opened or read, JS_EFORMAT when the
 * gzip stream is truncated or corrupted; the message names the file. */
int js_read_gz(const char *path, unsigned char **bytes, size_t *size);

#endif
