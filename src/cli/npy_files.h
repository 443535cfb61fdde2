/* The .npy files of the command line. Each function returns 0, or prints
 * one line naming the file and returns an exit code. */
#ifndef JS_CLI_NPY_FILES_H
#define JS_CLI_NPY_FILES_H

#include "jacspec.h"

/* --x X.npy (n x d, or n x C x H x W images; float32 or float64) with exactly one of --labels y.npy
 * (integer class ids 0..K-1, one-hot encoded) or --targets T.npy (n x K or
 * n, finite). */
int cli_load_npy_data(const char *x_path, const char *labels_path, const char *targets_path,
                      js_dataset **out);
#endif
