/* The header of a NumPy .npy file: after the magic "\x93NUMPY", a version
 * (major, minor), a little-endian header length (2 bytes in version 1.0,
 * 4 bytes in 2.0 and 3.0) and a Python dict literal such as
 *   {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
 * padded with spaces and a final '\n'. The data follow in C order. */
#ifndef JS_DATA_NPY_HEADER_H
#define JS_DATA_NPY_HEADER_H

#include "jacspec.h"

#include <stddef.h>

#define JS_NPY_MAGIC "\x93NUMPY"
enum { JS_NPY_MAGIC_LEN = 6, JS_NPY_MAX_DIMS = 8 };

/* A parsed header. kind is 'f' (float), 'i' (signed), 'u' (unsigned) or
 * 'b' (bool); item_size in bytes. */
typedef struct js_npy_header {
  char kind;
  int item_size;
  int big_endian;
  int ndim;
  int64_t shape[JS_NPY_MAX_DIMS];
  int64_t size; /* product of shape (1 for a 0-d array) */
} js_npy_header;

/* Parses the dict text[0..length) of file `path` (named in messages):
 * JS_EFORMAT for a malformed dict, an unsupported dtype, Fortran order or
 * an absurd shape. */
int js_npy_parse_header(const char *path, const char *text, size_t length,
                        js_npy_header *h);

/* Writes the complete version 1.0 preamble (magic, version, length, dict)
 * for a C-order '<f8' array into buf (size >= JS_NPY_MAX_PREAMBLE); the
 * length is a multiple of 64 so the data start aligned. Returns it. */
enum { JS_NPY_MAX_PREAMBLE = 512 };
size_t js_npy_format_header(int ndim, const int64_t *shape, char *buf);

#endif
