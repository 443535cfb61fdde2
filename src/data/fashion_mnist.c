/* Fashion-MNIST as the Debian package dataset-fashion-mnist installs it. */
#include "core/error.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int js_dataset_fashion_mnist(const char *split, const js_idx_options *opt,
                             js_dataset **out) {
  const char *prefix = NULL;
  if (split && strcmp(split, "train") == 0)
    prefix = "train";
  else if (split && strcmp(split, "test") == 0)
    prefix = "t10k";
  if (!prefix)
    return js_fail(JS_EINVAL, "fashion-mnist: unknown split '%s' (expected train or test)",
                   split ? split : "(null)");
  char images[512], labels[512];
  snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", JS_FASHION_MNIST_DIR, prefix);
  snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", JS_FASHION_MNIST_DIR, prefix);
  const char *missing = access(images, F_OK) != 0 ? images
                        : access(labels, F_OK) != 0 ? labels : NULL;
  if (missing)
    return js_fail(JS_EIO, "fashion-mnist: %s not found; install the Debian package "
                   "dataset-fashion-mnist (apt-get install dataset-fashion-mnist)", missing);
  return js_dataset_idx(images, labels, opt, out);
}
