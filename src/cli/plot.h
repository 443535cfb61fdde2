/* --plot FILE.png|svg|pdf (and --plot-size WxH): a verb's picture, drawn
 * by gnuplot. The data go to FILE.dat and the script to FILE.gp beside the
 * image, so a user can restyle it and run `gnuplot FILE.gp` again; the
 * terminal follows the extension (pngcairo, svg, pdfcairo). Where gnuplot
 * is not on PATH, one line on stderr says so and the run goes on. */
#ifndef JS_CLI_PLOT_H
#define JS_CLI_PLOT_H

#include "cli/args.h"

#include <stdio.h>

extern const cli_opt cli_plot_options[];

typedef struct cli_plot {
  const char *image;    /* NULL: no plot asked */
  char data[4096];      /* FILE.dat */
  char script[4096];    /* FILE.gp */
  const char *terminal; /* pngcairo, svg or pdfcairo */
  long width, height;   /* pixels (pdf: 1/100 inch) */
  FILE *f;              /* FILE.dat while it is written */
} cli_plot;

/* Checks --plot's extension and --plot-size before any work. Returns 0, or
 * prints one line and returns 2. */
int cli_plot_parse(cli_plot *p);
/* Opens FILE.dat for the verb's data (nothing when no plot was asked: p->f
 * stays NULL). Returns 0, or prints one line and returns 1. */
int cli_plot_open(cli_plot *p);
/* Closes FILE.dat, writes FILE.gp (terminal and output, the variable `data`
 * naming FILE.dat, then `commands`) and runs gnuplot on it, checking its
 * exit status. Returns 0 (also when gnuplot is missing: one line says so),
 * or prints one line and returns 1. Nothing happens when no plot was asked. */
int cli_plot_finish(cli_plot *p, const char *commands);
/* Writes x to f as gnuplot reads it: %.10g, NaN for a missing value. */
void cli_plot_value(FILE *f, double x);

#endif
