/* MNIST-format (IDX) files: a magic number 0x0000TTNN (TT the data type,
 * 0x08 for unsigned bytes; NN the number of dimensions), NN big-endian
 * 32-bit dimensions, then the data in C order. Images are n x rows x cols
 * (0x00000803), labels n (0x00000801). */
#include "core/error.h"
#include "data/classes.h"
#include "data/dataset.h"
#include "data/gzfile.h"

#include <stdlib.h>

enum { IDX_UBYTE = 0x08 };

typedef struct idx_file {
  unsigned char *bytes;      /* the whole (decompressed) file */
  size_t size;
  int64_t n_records, record; /* first dimension; bytes per record */
  int64_t dims[3];
  const unsigned char *data; /* n_records x record bytes */
} idx_file;

static const char *idx_kind(int ndim) {
  return ndim == 1 ? "labels" : ndim == 3 ? "images" : "another kind of IDX data";
}

static uint32_t big_endian_u32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads and checks an IDX file of unsigned bytes with `ndim` dimensions
 * (1: labels, 3: images). */
static int idx_read(const char *path, int ndim, idx_file *f) {
  const char *kind = idx_kind(ndim), *record_name = ndim == 1 ? "label" : "image";
  int rc = js_read_gz(path, &f->bytes, &f->size);
  if (rc)
    return rc;
  if (f->size < 4)
    return js_fail(JS_EFORMAT, "%s: %zu bytes is too short for an IDX file", path, f->size);
  uint32_t magic = big_endian_u32(f->bytes);
  uint32_t want = (uint32_t)IDX_UBYTE << 8 | (uint32_t)ndim;
  if (magic >> 16 != 0)
    return js_fail(JS_EFORMAT, "%s: not an IDX file (magic 0x%08x, expected %s 0x%08x)",
                   path, magic, kind, want);
  if (f->bytes[2] != IDX_UBYTE)
    return js_fail(JS_EFORMAT, "%s: IDX data type 0x%02x is not unsigned byte (0x08)", path,
                   f->bytes[2]);
  if (magic != want)
    return js_fail(JS_EFORMAT, "%s: IDX magic 0x%08x is %s, expected %s (0x%08x)", path,
                   magic, idx_kind(f->bytes[3]), kind, want);
  size_t header = 4 + 4 * (size_t)ndim;
  if (f->size < header)
    return js_fail(JS_EFORMAT, "%s: truncated in the IDX header (%zu bytes)", path, f->size);
  f->record = 1;
  for (int i = 0; i < ndim; i++) {
    f->dims[i] = big_endian_u32(f->bytes + 4 + 4 * i);
    /* A corrupt header's dims (up to 2^32 - 1 each) must not overflow. */
    int rc = i > 0 ? js_check_entries(f->record, f->dims[i], path) : JS_OK;
    if (rc)
      return rc;
    if (i > 0)
      f->record *= f->dims[i];
  }
  f->n_records = f->dims[0];
  if (f->n_records == 0 || f->record == 0)
    return js_fail(JS_EFORMAT, "%s: holds no %s (a dimension is 0)", path, kind);
  f->data = f->bytes + header;
  /* Divide instead of multiplying: n x record may overflow. */
  size_t payload = f->size - header;
  uint64_t complete = payload / (uint64_t)f->record;
  if (complete < (uint64_t)f->n_records)
    return js_fail(JS_EFORMAT, "%s: truncated at %s record %llu: only %llu of %lld are complete",
                   path, record_name, (unsigned long long)complete,
                   (unsigned long long)complete, (long long)f->n_records);
  size_t extra = payload - (size_t)(f->n_records * f->record);
  if (extra)
    return js_fail(JS_EFORMAT, "%s: %zu bytes after the last of its %lld %s", path, extra,
                   (long long)f->n_records, kind);
  return JS_OK;
}

/* The kept images as rows of x, each pixel byte / 255, with their labels. */
static int idx_dataset(const idx_file *images, const int64_t *keep, const int32_t *labels,
                       int64_t n, int64_t n_classes, js_dataset **out) {
  int rc = js_dataset_create(n, images->record, n_classes, 1, out);
  if (rc)
    return rc;
  js_dataset *data = *out;
  data->shape = (js_shape){3, {1, images->dims[1], images->dims[2]}}; /* one channel */
  for (int64_t i = 0; i < n; i++) {
    const unsigned char *pixels = images->data + keep[i] * images->record;
    double *row = data->x + i * images->record;
    for (int64_t j = 0; j < images->record; j++)
      row[j] = pixels[j] / 255.0;
    data->labels[i] = labels[i];
  }
  return js_dataset_one_hot(data);
}

int js_dataset_idx(const char *images_path, const char *labels_path,
                   const js_idx_options *opt, js_dataset **out) {
  if (!images_path || !labels_path || !out)
    return js_fail(JS_EINVAL, "js_dataset_idx: NULL path or output");
  *out = NULL;
  idx_file images = {0}, labels = {0};
  int32_t *ids = NULL, *kept_labels = NULL;
  int64_t *keep = NULL, n_kept = 0, n_classes = 0;
  int rc;
  if ((rc = idx_read(labels_path, 1, &labels)) || (rc = idx_read(images_path, 3, &images)))
    goto done;
  if (images.n_records != labels.n_records) {
    rc = js_fail(JS_EFORMAT, "%s holds %lld images but %s holds %lld labels", images_path,
                 (long long)images.n_records, labels_path, (long long)labels.n_records);
    goto done;
  }
  if (!(ids = js_alloc((size_t)labels.n_records, sizeof *ids, "labels"))) {
    rc = JS_ENOMEM;
    goto done;
  }
  for (int64_t i = 0; i < labels.n_records; i++)
    ids[i] = labels.data[i];
  if ((rc = js_select_classes(ids, labels.n_records, opt, labels_path, &keep, &kept_labels,
                              &n_kept, &n_classes)))
    goto done;
  if ((rc = idx_dataset(&images, keep, kept_labels, n_kept, n_classes, out))) {
    js_dataset_free(*out);
    *out = NULL;
  }
done:
  free(images.bytes);
  free(labels.bytes);
  free(ids);
  free(keep);
  free(kept_labels);
  return rc;
}
