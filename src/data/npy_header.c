/* Parsing and writing the dict of a .npy header (see npy_header.h). The
 * dict is a Python literal; NumPy writes exactly three keys, in any order,
 * with string, bool and tuple-of-int values, which is all this accepts. */
#include "data/npy_header.h"

#include "core/error.h"
#include "data/dataset.h"

#include <stdio.h>
#include <string.h>

typedef struct cursor {
  const char *path;
  const char *start, *p, *end;
} cursor;

static int malformed(const cursor *c, const char *expected) {
  return js_fail(JS_EFORMAT, "%s: malformed .npy header: expected %s at byte %zu of the "
                 "header dict", c->path, expected, (size_t)(c->p - c->start));
}

static void skip_space(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

/* Skips spaces, then consumes ch if it comes next. */
static int accept(cursor *c, char ch) {
  skip_space(c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return 1;
  }
  return 0;
}

/* A quoted string without escapes ('...' or "..."), into buf. */
static int parse_string(cursor *c, char *buf, size_t size) {
  skip_space(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
    return malformed(c, "a quoted string");
  char quote = *c->p++;
  size_t len = 0;
  while (c->p < c->end && *c->p != quote) {
    if (len + 1 >= size)
      return malformed(c, "a shorter string");
    buf[len++] = *c->p++;
  }
  if (c->p >= c->end)
    return malformed(c, "a closing quote");
  c->p++;
  buf[len] = '\0';
  return JS_OK;
}

static int parse_bool(cursor *c, int *value) {
  skip_space(c);
  size_t left = (size_t)(c->end - c->p);
  if (left >= 4 && memcmp(c->p, "True", 4) == 0) {
    *value = 1;
    c->p += 4;
  } else if (left >= 5 && memcmp(c->p, "False", 5) == 0) {
    *value = 0;
    c->p += 5;
  } else {
    return malformed(c, "True or False");
  }
  return JS_OK;
}

/* A non-negative integer (Python 2 NumPy wrote a trailing L: accepted). */
static int parse_dim(cursor *c, int64_t *value) {
  skip_space(c);
  if (c->p < c->end && *c->p == '-')
    return js_fail(JS_EFORMAT, "%s: the shape has a negative dimension", c->path);
  if (c->p >= c->end || *c->p < '0' || *c->p > '9')
    return malformed(c, "a dimension (an integer)");
  int64_t v = 0;
  for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++) {
    if (v > (JS_MAX_ENTRIES - (*c->p - '0')) / 10)
      return js_fail(JS_ELIMIT, "%s: a dimension of the shape exceeds 2^40", c->path);
    v = v * 10 + (*c->p - '0');
  }
  if (c->p < c->end && *c->p == 'L')
    c->p++;
  *value = v;
  return JS_OK;
}

/* A tuple of dimensions: (), (n,) or (n, m, ...) with an optional final
 * comma; fills ndim, shape and size. */
static int parse_shape(cursor *c, js_npy_header *h) {
  if (!accept(c, '('))
    return malformed(c, "'(' opening the shape");
  h->ndim = 0;
  h->size = 1;
  while (!accept(c, ')')) {
    if (h->ndim == JS_NPY_MAX_DIMS)
      return js_fail(JS_EFORMAT, "%s: more than %d dimensions are not supported", c->path,
                     JS_NPY_MAX_DIMS);
    int64_t dim = 0;
    int rc = parse_dim(c, &dim);
    if (!rc)
      rc = js_check_entries(h->size, dim, c->path);
    if (rc)
      return rc;
    h->shape[h->ndim++] = dim;
    h->size *= dim;
    if (!accept(c, ',')) {
      if (!accept(c, ')'))
        return malformed(c, "',' or ')' in the shape");
      break;
    }
  }
  return JS_OK;
}

/* descr: byte order ('<' little, '>' big, '|' not applicable), kind, size. */
static int parse_descr(const char *path, const char *descr, js_npy_header *h) {
  char order = descr[0], kind = order ? descr[1] : '\0';
  int size = 0;
  if (kind && strlen(descr) == 3 && descr[2] >= '1' && descr[2] <= '8')
    size = descr[2] - '0';
  int one_byte = size == 1 && (order == '<' || order == '>' || order == '|');
  int multi_byte = (size == 2 || size == 4 || size == 8) && (order == '<' || order == '>');
  int ok = ((kind == 'i' || kind == 'u') && (one_byte || multi_byte)) ||
           (kind == 'b' && one_byte) || (kind == 'f' && size >= 4 && multi_byte);
  if (!ok)
    return js_fail(JS_EFORMAT, "%s: unsupported dtype '%s' (supported: float32, float64, "
                   "signed or unsigned integers of 1, 2, 4 or 8 bytes, bool)", path, descr);
  h->kind = kind;
  h->item_size = size;
  h->big_endian = order == '>';
  return JS_OK;
}

int js_npy_parse_header(const char *path, const char *text, size_t length,
                        js_npy_header *h) {
  cursor c = {path, text, text, text + length};
  enum { DESCR = 1, FORTRAN = 2, SHAPE = 4 };
  int seen = 0, fortran_order = 0;
  char descr[32];
  if (!accept(&c, '{'))
    return malformed(&c, "'{' opening the dict");
  while (!accept(&c, '}')) {
    char key[32];
    int rc = parse_string(&c, key, sizeof key);
    if (rc)
      return rc;
    int which = strcmp(key, "descr") == 0           ? DESCR
                : strcmp(key, "fortran_order") == 0 ? FORTRAN
                : strcmp(key, "shape") == 0         ? SHAPE
                                                    : 0;
    if (!which || (seen & which))
      return js_fail(JS_EFORMAT, "%s: malformed .npy header: %s key '%s'", path,
                     which ? "repeated" : "unexpected", key);
    seen |= which;
    if (!accept(&c, ':'))
      return malformed(&c, "':' after a key");
    rc = which == DESCR     ? parse_string(&c, descr, sizeof descr)
         : which == FORTRAN ? parse_bool(&c, &fortran_order)
                            : parse_shape(&c, h);
    if (rc)
      return rc;
    if (!accept(&c, ',')) {
      if (!accept(&c, '}'))
        return malformed(&c, "',' or '}' after a value");
      break;
    }
  }
  skip_space(&c);
  if (c.p != c.end)
    return malformed(&c, "only spaces after the dict");
  if (seen != (DESCR | FORTRAN | SHAPE))
    return js_fail(JS_EFORMAT, "%s: malformed .npy header: the dict lacks '%s'", path,
                   !(seen & DESCR) ? "descr" : !(seen & FORTRAN) ? "fortran_order" : "shape");
  if (fortran_order)
    return js_fail(JS_EFORMAT, "%s: Fortran-order arrays are not supported; save with "
                   "np.ascontiguousarray", path);
  return parse_descr(path, descr, h);
}

size_t js_npy_format_header(int ndim, const int64_t *shape, char *buf) {
  enum { PREFIX = JS_NPY_MAGIC_LEN + 4, ALIGN = 64 };
  char dims[JS_NPY_MAX_DIMS * 24] = "";
  size_t used = 0;
  for (int k = 0; k < ndim; k++)
    used += (size_t)snprintf(dims + used, sizeof dims - used, "%s%lld", k ? ", " : "",
                             (long long)shape[k]);
  /* A 1-tuple is written (n,) as Python does. */
  int len = snprintf(buf + PREFIX, JS_NPY_MAX_PREAMBLE - PREFIX,
                     "{'descr': '<f8', 'fortran_order': False, 'shape': (%s%s), }", dims,
                     ndim == 1 ? "," : "");
  size_t total = (PREFIX + (size_t)len + 1 + ALIGN - 1) / ALIGN * ALIGN;
  memset(buf + PREFIX + len, ' ', total - PREFIX - (size_t)len - 1);
  buf[total - 1] = '\n';
  size_t header_len = total - PREFIX;
  memcpy(buf, JS_NPY_MAGIC, JS_NPY_MAGIC_LEN);
  buf[6] = 1; /* version 1.0 */
  buf[7] = 0;
  buf[8] = (char)(header_len & 0xff);
  buf[9] = (char)(header_len >> 8);
  return total;
}
