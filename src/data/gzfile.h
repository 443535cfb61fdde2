/* Reading through zlib: gzip-compressed and plain files alike (gzread
 * passes plain files through), so every reader accepts both. A gzip stream
 * cannot seek, so a reader that wants part of a file streams through all of
 * it (js_gz_read) and keeps what it wants; a reader that wants it all takes
 * it whole (js_read_gz). */
#ifndef JS_DATA_GZFILE_H
#define JS_DATA_GZFILE_H

#include <stddef.h>

/* An open file being read from its start. */
typedef struct js_gz js_gz;

/* Opens path; JS_EIO (naming the file) when it cannot be opened. */
int js_gz_open(const char *path, js_gz **out);
/* Reads the next (decompressed) bytes into buf: *got = want, or fewer at
 * the end of the file. JS_EFORMAT when the gzip stream is truncated or
 * corrupted, JS_EIO when the read underneath fails; the message names the
 * file. */
int js_gz_read(js_gz *file, void *buf, size_t want, size_t *got);
void js_gz_close(js_gz *file);

/* Reads the (decompressed) contents of path into *bytes (caller frees),
 * *size bytes followed by a '\0' so text parsers may stop at it; errors as
 * js_gz_open and js_gz_read. */
int js_read_gz(const char *path, unsigned char **bytes, size_t *size);

#endif
