/* MNIST-format (IDX) files: a magic number 0x0000TTNN (TT the data type,
 * 0x08 for unsigned bytes; NN the number of dimensions), NN big-endian
 * 32-bit dimensions, then the data in C order. Images are n x rows x cols
 * (0x00000803), labels n (0x00000801).
 *
 * Both files are streamed (a gzip stream cannot seek): the labels are kept
 * whole, since they decide which samples exist (js_select_classes), and of
 * the images only the bytes of this shard's samples are kept and converted.
 * One process reads the shard [0, n). */
#include "core/error.h"
#include "data/classes.h"
#include "data/dataset.h"
#include "data/gzfile.h"

#include <stdlib.h>
#include <string.h>

enum { IDX_UBYTE = 0x08 };

typedef struct idx_file {
  const char *path;
  int ndim;                  /* 1: labels, 3: images */
  js_gz *gz;                 /* positioned after the header */
  int64_t n_records, record; /* first dimension; bytes per record */
  int64_t dims[3];
} idx_file;

static const char *idx_kind(int ndim) {
  return ndim == 1 ? "labels" : ndim == 3 ? "images" : "another kind of IDX data";
}

static uint32_t big_endian_u32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Opens an IDX file of unsigned bytes with `ndim` dimensions (1: labels,
 * 3: images) and reads and checks its header. */
static int idx_open(const char *path, int ndim, idx_file *f) {
  const char *kind = idx_kind(ndim);
  unsigned char head[4 + 4 * 3];
  size_t header = 4 + 4 * (size_t)ndim, size;
  f->path = path;
  f->ndim = ndim;
  int rc = js_gz_open(path, &f->gz);
  if (!rc)
    rc = js_gz_read(f->gz, head, header, &size);
  if (rc)
    return rc;
  /* A short read is the end of the file: size is then its length. */
  if (size < 4)
    return js_fail(JS_EFORMAT, "%s: %zu bytes is too short for an IDX file", path, size);
  uint32_t magic = big_endian_u32(head);
  uint32_t want = (uint32_t)IDX_UBYTE << 8 | (uint32_t)ndim;
  if (magic >> 16 != 0)
    return js_fail(JS_EFORMAT, "%s: not an IDX file (magic 0x%08x, expected %s 0x%08x)",
                   path, magic, kind, want);
  if (head[2] != IDX_UBYTE)
    return js_fail(JS_EFORMAT, "%s: IDX data type 0x%02x is not unsigned byte (0x08)", path,
                   head[2]);
  if (magic != want)
    return js_fail(JS_EFORMAT, "%s: IDX magic 0x%08x is %s, expected %s (0x%08x)", path,
                   magic, idx_kind(head[3]), kind, want);
  if (size < header)
    return js_fail(JS_EFORMAT, "%s: truncated in the IDX header (%zu bytes)", path, size);
  f->record = 1;
  for (int i = 0; i < ndim; i++) {
    f->dims[i] = big_endian_u32(head + 4 + 4 * i);
    /* A corrupt header's dims (up to 2^32 - 1 each) must not overflow. */
    rc = i > 0 ? js_check_entries(f->record, f->dims[i], path) : JS_OK;
    if (rc)
      return rc;
    if (i > 0)
      f->record *= f->dims[i];
  }
  f->n_records = f->dims[0];
  if (f->n_records == 0 || f->record == 0)
    return js_fail(JS_EFORMAT, "%s: holds no %s (a dimension is 0)", path, kind);
  return JS_OK;
}

/* Appends bytes to a buffer grown with the data, so that a header claiming
 * more than its file holds never allocates for the difference. */
static int append(unsigned char **buf, size_t *used, size_t *capacity,
                  const unsigned char *bytes, size_t n, const char *what) {
  if (*capacity - *used < n) {
    size_t grown = *capacity ? 2 * *capacity : 1 << 16;
    while (grown - *used < n)
      grown *= 2;
    unsigned char *p = js_realloc(*buf, grown, 1, what);
    if (!p)
      return JS_ENOMEM;
    *buf = p;
    *capacity = grown;
  }
  memcpy(*buf + *used, bytes, n);
  *used += n;
  return JS_OK;
}

/* Streams the records of f to the end of its file and keeps the bytes of
 * records keep[0..count-1] (increasing record numbers; keep NULL: records
 * 0..count-1) in *kept (count x record bytes, caller frees). JS_EFORMAT
 * unless the file holds exactly n_records records. */
static int idx_records(const idx_file *f, const int64_t *keep, int64_t count,
                       unsigned char **kept) {
  enum { CHUNK = 1 << 20 };
  const char *kind = idx_kind(f->ndim), *record_name = f->ndim == 1 ? "label" : "image";
  *kept = NULL;
  unsigned char *chunk = js_alloc(CHUNK, 1, f->path);
  size_t got = CHUNK, used = 0, capacity = 0;
  /* Positions are counted, never n x record: that product may overflow. */
  uint64_t at = 0, extra = 0, record = (uint64_t)f->record;
  int64_t next = 0; /* the next kept record is keep[next] */
  int rc = chunk ? JS_OK : JS_ENOMEM;
  while (!rc && got == CHUNK && !(rc = js_gz_read(f->gz, chunk, CHUNK, &got)))
    for (size_t b = 0; !rc && b < got;) {
      uint64_t r = at / record, rest = record - at % record;
      if (r >= (uint64_t)f->n_records) {
        extra += got - b;
        break;
      }
      size_t run = rest < got - b ? (size_t)rest : got - b;
      if (next < count && (uint64_t)(keep ? keep[next] : next) == r) {
        rc = append(kept, &used, &capacity, chunk + b, run, f->path);
        next += run == rest;
      }
      at += run;
      b += run;
    }
  free(chunk);
  uint64_t complete = at / record;
  if (!rc && complete < (uint64_t)f->n_records)
    rc = js_fail(JS_EFORMAT, "%s: truncated at %s record %llu: only %llu of %lld are complete",
                 f->path, record_name, (unsigned long long)complete,
                 (unsigned long long)complete, (long long)f->n_records);
  if (!rc && extra)
    rc = js_fail(JS_EFORMAT, "%s: %llu bytes after the last of its %lld %s", f->path,
                 (unsigned long long)extra, (long long)f->n_records, kind);
  if (rc) {
    free(*kept);
    *kept = NULL;
  }
  return rc;
}

/* The kept images (bytes, n x record) as rows of x, each pixel byte / 255,
 * with their labels. */
static int idx_dataset(const idx_file *images, const unsigned char *bytes,
                       const int32_t *labels, int64_t n, int64_t n_classes, js_dataset **out) {
  int rc = js_dataset_create(n, images->record, n_classes, 1, out);
  if (rc)
    return rc;
  js_dataset *data = *out;
  data->shape = (js_shape){3, {1, images->dims[1], images->dims[2]}}; /* one channel */
  for (int64_t i = 0; i < n * images->record; i++)
    data->x[i] = bytes[i] / 255.0;
  memcpy(data->labels, labels, sizeof *labels * (size_t)n);
  return js_dataset_one_hot(data);
}

int js_dataset_idx(const char *images_path, const char *labels_path,
                   const js_idx_options *opt, js_dataset **out) {
  if (!images_path || !labels_path || !out)
    return js_fail(JS_EINVAL, "js_dataset_idx: NULL path or output");
  *out = NULL;
  idx_file images = {0}, labels = {0};
  unsigned char *label_bytes = NULL, *pixels = NULL;
  int32_t *ids = NULL, *kept_labels = NULL;
  int64_t *keep = NULL, n_kept = 0, n_classes = 0, first = 0, count = 0;
  int parts = opt ? opt->parts : 0, rc;
  if ((rc = idx_open(labels_path, 1, &labels)) ||
      (rc = idx_records(&labels, NULL, labels.n_records, &label_bytes)) ||
      (rc = idx_open(images_path, 3, &images)))
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
    ids[i] = label_bytes[i];
  if ((rc = js_select_classes(ids, labels.n_records, opt, labels_path, &keep, &kept_labels,
                              &n_kept, &n_classes)))
    goto done;
  /* This part's share of the kept samples, in the same global order on
   * any number of parts. */
  if ((rc = js_shard_rows(n_kept, opt ? opt->part : 0, parts, images_path, &first, &count)) ||
      (rc = idx_records(&images, keep + first, count, &pixels)))
    goto done;
  if ((rc = idx_dataset(&images, pixels, kept_labels + first, count, n_classes, out))) {
    js_dataset_free(*out);
    *out = NULL;
  } else if (parts > 1) {
    (*out)->first_sample = first;
    (*out)->total_samples = n_kept;
  }
done:
  js_gz_close(images.gz);
  js_gz_close(labels.gz);
  free(label_bytes);
  free(pixels);
  free(ids);
  free(keep);
  free(kept_labels);
  return rc;
}
