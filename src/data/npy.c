/* Reading and writing NumPy .npy files (format versions 1.0, 2.0, 3.0; the
 * header is parsed in npy_header.c). Read data are converted to double
 * (floating dtypes) or int64 (integers, bool) whatever the byte order of
 * the file or of the machine: bytes are assembled into integers explicitly. */
#include "core/error.h"
#include "data/dataset.h"
#include "data/npy_header.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* NumPy itself refuses headers above 10000 bytes by default; 1 MiB leaves
 * room and still stops a garbage length from allocating gigabytes. */
enum { NPY_MAX_HEADER = 1 << 20 };

/* ------------------------------------------------------------------ read */

static uint64_t load_bits(const unsigned char *p, int size, int big_endian) {
  uint64_t v = 0;
  for (int k = 0; k < size; k++)
    v |= (uint64_t)p[big_endian ? size - 1 - k : k] << (8 * k);
  return v;
}

/* uint64 values of 2^63 and more have no int64: refuse the first one. */
static int check_uint64_fits(const char *path, const js_npy_header *h,
                             const unsigned char *buf) {
  if (h->kind != 'u' || h->item_size != 8)
    return JS_OK;
  for (int64_t i = 0; i < h->size; i++) {
    uint64_t bits = load_bits(buf + 8 * i, 8, h->big_endian);
    if (bits > INT64_MAX)
      return js_fail(JS_EFORMAT, "%s: entry %lld (%llu) of the uint64 array does not fit "
                     "an int64", path, (long long)i, (unsigned long long)bits);
  }
  return JS_OK;
}

/* One item of the file as the double or int64 it stands for, written into
 * the 8 bytes at out. */
static void convert_item(const js_npy_header *h, const unsigned char *raw,
                         unsigned char *out) {
  uint64_t bits = load_bits(raw, h->item_size, h->big_endian);
  int width = 8 * h->item_size;
  if (h->kind == 'f' && h->item_size == 4) {
    uint32_t bits32 = (uint32_t)bits;
    float single;
    memcpy(&single, &bits32, sizeof single);
    double value = single;
    memcpy(out, &value, sizeof value);
    return;
  }
  if (h->kind == 'b')
    bits = bits != 0;
  else if (h->kind == 'i' && width < 64 && (bits >> (width - 1)) & 1)
    bits |= UINT64_MAX << width; /* sign extension */
  /* float64 bits are the double; int64_t is two's complement (C11
   * 7.20.1.1), so the bits are the integer. */
  memcpy(out, &bits, sizeof bits);
}

/* Converts size items of item_size bytes at the start of buf into size
 * 8-byte values in place. Backwards: item i is read from byte i*item_size
 * before byte 8i is written, and every later item is done already. */
static void convert_in_place(const js_npy_header *h, unsigned char *buf) {
  for (int64_t i = h->size - 1; i >= 0; i--)
    convert_item(h, buf + i * h->item_size, buf + 8 * i);
}

static int truncated(const char *path, int64_t expected, int64_t found) {
  return js_fail(JS_EFORMAT, "%s: truncated: expected %lld bytes of data, found %lld", path,
                 (long long)expected, (long long)found);
}

/* Reads the preamble and the header dict; leaves f at the first data byte
 * and sets *data_offset to its position. */
static int read_header(const char *path, FILE *f, js_npy_header *h, long *data_offset) {
  unsigned char pre[JS_NPY_MAGIC_LEN + 6];
  size_t got = fread(pre, 1, JS_NPY_MAGIC_LEN + 2, f);
  if (ferror(f))
    return js_fail(JS_EIO, "%s: cannot read: %s", path, strerror(errno));
  if (got < JS_NPY_MAGIC_LEN + 2 || memcmp(pre, JS_NPY_MAGIC, JS_NPY_MAGIC_LEN) != 0)
    return js_fail(JS_EFORMAT, "%s: not a .npy file (it does not start with \\x93NUMPY)", path);
  int major = pre[JS_NPY_MAGIC_LEN], minor = pre[JS_NPY_MAGIC_LEN + 1];
  if (major < 1 || major > 3)
    return js_fail(JS_EFORMAT, "%s: .npy format version %d.%d is not supported (1.0, 2.0 "
                   "and 3.0 are)", path, major, minor);
  /* Version 1.0 stores the header length in 2 bytes, later ones in 4. */
  int len_bytes = major == 1 ? 2 : 4;
  if (fread(pre + JS_NPY_MAGIC_LEN + 2, 1, (size_t)len_bytes, f) != (size_t)len_bytes)
    return js_fail(JS_EFORMAT, "%s: truncated in the .npy header length", path);
  uint64_t header_len = load_bits(pre + JS_NPY_MAGIC_LEN + 2, len_bytes, 0);
  if (header_len > NPY_MAX_HEADER)
    return js_fail(JS_EFORMAT, "%s: malformed .npy header: a header length of %llu bytes",
                   path, (unsigned long long)header_len);
  char *text = js_alloc((size_t)header_len, 1, "npy header");
  if (!text)
    return JS_ENOMEM;
  int rc = JS_OK;
  got = fread(text, 1, (size_t)header_len, f);
  if (got != header_len)
    rc = js_fail(JS_EFORMAT, "%s: truncated in the header: expected %llu bytes, found %zu",
                 path, (unsigned long long)header_len, got);
  else
    rc = js_npy_parse_header(path, text, (size_t)header_len, h);
  *data_offset = JS_NPY_MAGIC_LEN + 2 + len_bytes + (long)header_len;
  free(text);
  return rc;
}

/* For a regular file, checks its length against the shape before the data
 * are allocated, so a lying header cannot ask for a huge buffer. */
static int check_file_length(const char *path, FILE *f, long data_offset, int64_t expected) {
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
    return JS_OK;
  int64_t found = (int64_t)st.st_size - data_offset;
  if (found < expected)
    return truncated(path, expected, found);
  if (found > expected)
    return js_fail(JS_EFORMAT, "%s: %lld bytes of data, but the shape and dtype account "
                   "for %lld", path, (long long)found, (long long)expected);
  return JS_OK;
}

int js_npy_read(const char *path, js_array **out) {
  return js_npy_read_rows(path, 0, -1, NULL, out);
}

/* Narrows h to rows first .. first + count - 1 (count < 0: all of them) and
 * gives the bytes to skip to reach them. */
static int select_rows(const char *path, js_npy_header *h, int64_t first, int64_t count,
                       int64_t *skip) {
  *skip = 0;
  if (count < 0)
    return JS_OK;
  int64_t rows = h->ndim > 0 ? h->shape[0] : 1;
  if (h->ndim < 1 || first < 0 || first > rows || count > rows - first)
    return js_fail(JS_EFORMAT, "%s: rows %lld..%lld asked for, the file has %lld", path,
                   (long long)first, (long long)(first + count - 1), (long long)rows);
  int64_t row_items = rows > 0 ? h->size / rows : 0;
  *skip = first * row_items * h->item_size;
  h->shape[0] = count;
  h->size = count * row_items;
  return JS_OK;
}

int js_npy_read_rows(const char *path, int64_t first, int64_t count, int64_t *total_rows,
                     js_array **out) {
  if (!path || !out)
    return js_fail(JS_EINVAL, "js_npy_read: NULL path or output");
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f)
    return js_fail(JS_EIO, "%s: cannot open: %s", path, strerror(errno));
  js_npy_header h = {0};
  long data_offset = 0;
  unsigned char *buf = NULL;
  js_array *a = NULL;
  int64_t skip = 0;
  int rc = read_header(path, f, &h, &data_offset);
  int64_t expected = h.size * h.item_size; /* <= 2^43: no overflow */
  if (!rc && total_rows)
    *total_rows = h.ndim > 0 ? h.shape[0] : 1;
  if (rc || (rc = check_file_length(path, f, data_offset, expected)) ||
      (rc = select_rows(path, &h, first, count, &skip)))
    goto done;
  expected = h.size * h.item_size;
  if (skip > 0 && fseek(f, data_offset + (long)skip, SEEK_SET) != 0) {
    rc = js_fail(JS_EIO, "%s: cannot seek to row %lld: %s", path, (long long)first,
                 strerror(errno));
    goto done;
  }
  a = js_alloc(1, sizeof *a, "npy array");
  buf = js_alloc((size_t)h.size, 8, "npy array data");
  if (!a || !buf) {
    rc = JS_ENOMEM;
    goto done;
  }
  size_t got = fread(buf, 1, (size_t)expected, f);
  if (ferror(f)) {
    rc = js_fail(JS_EIO, "%s: cannot read: %s", path, strerror(errno));
    goto done;
  }
  if ((int64_t)got < expected) {
    rc = truncated(path, expected, (int64_t)got);
    goto done;
  }
  if ((rc = check_uint64_fits(path, &h, buf)))
    goto done;
  convert_in_place(&h, buf);
  a->ndim = h.ndim;
  memcpy(a->shape, h.shape, sizeof h.shape);
  a->size = h.size;
  a->is_integer = h.kind != 'f';
  if (a->is_integer)
    a->ints = (int64_t *)(void *)buf;
  else
    a->values = (double *)(void *)buf;
  buf = NULL;
  *out = a;
  a = NULL;
done:
  fclose(f);
  free(buf);
  js_array_free(a);
  return rc;
}

void js_array_free(js_array *a) {
  if (!a)
    return;
  free(a->values);
  free(a->ints);
  free(a);
}

/* ----------------------------------------------------------------- write */

/* Writes the preamble and the data as little-endian float64. */
static int write_contents(const char *path, FILE *f, const double *data, int ndim,
                          const int64_t *shape, int64_t size) {
  enum { CHUNK = 512 };
  char preamble[JS_NPY_MAX_PREAMBLE];
  size_t len = js_npy_format_header(ndim, shape, preamble);
  if (fwrite(preamble, 1, len, f) != len)
    return js_fail(JS_EIO, "%s: cannot write: %s", path, strerror(errno));
  unsigned char bytes[8 * CHUNK];
  for (int64_t start = 0; start < size; start += CHUNK) {
    int64_t count = size - start < CHUNK ? size - start : CHUNK;
    for (int64_t i = 0; i < count; i++) {
      uint64_t bits;
      memcpy(&bits, &data[start + i], sizeof bits);
      for (int k = 0; k < 8; k++)
        bytes[8 * i + k] = (unsigned char)(bits >> (8 * k));
    }
    if (fwrite(bytes, 8, (size_t)count, f) != (size_t)count)
      return js_fail(JS_EIO, "%s: cannot write: %s", path, strerror(errno));
  }
  /* On disk before the rename, so a crash cannot leave a renamed file
   * whose data never arrived. */
  if (fflush(f) != 0 || fsync(fileno(f)) != 0)
    return js_fail(JS_EIO, "%s: cannot write: %s", path, strerror(errno));
  return JS_OK;
}

int js_npy_write(const char *path, const double *data, int ndim, const int64_t *shape) {
  if (!path)
    return js_fail(JS_EINVAL, "js_npy_write: NULL path");
  if (ndim < 0 || ndim > JS_NPY_MAX_DIMS || (ndim > 0 && !shape))
    return js_fail(JS_EINVAL, "%s: cannot write %d dimensions (0 to %d, with a shape)", path,
                   ndim, JS_NPY_MAX_DIMS);
  int64_t size = 1;
  for (int k = 0; k < ndim; k++) {
    if (shape[k] < 0)
      return js_fail(JS_EINVAL, "%s: dimension %d of the shape is negative (%lld)", path, k,
                     (long long)shape[k]);
    int rc = js_check_entries(size, shape[k], path);
    if (rc)
      return rc;
    size *= shape[k];
  }
  if (size > 0 && !data)
    return js_fail(JS_EINVAL, "%s: NULL data for %lld entries", path, (long long)size);
  size_t path_len = strlen(path);
  char *tmp = js_alloc(path_len + sizeof ".tmp", 1, "npy temporary name");
  if (!tmp)
    return JS_ENOMEM;
  memcpy(tmp, path, path_len);
  memcpy(tmp + path_len, ".tmp", sizeof ".tmp");
  int rc = JS_OK;
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    rc = js_fail(JS_EIO, "%s: cannot create %s: %s", path, tmp, strerror(errno));
    goto done;
  }
  rc = write_contents(path, f, data, ndim, shape, size);
  if (fclose(f) != 0 && !rc)
    rc = js_fail(JS_EIO, "%s: cannot write: %s", path, strerror(errno));
  if (!rc && rename(tmp, path) != 0)
    rc = js_fail(JS_EIO, "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
  if (rc)
    remove(tmp);
done:
  free(tmp);
  return rc;
}
