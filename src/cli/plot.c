#include "cli/plot.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct {
  const char *plot, *size;
} args;

const cli_opt cli_plot_options[] = {
    {"plot", "FILE", "draw the results with gnuplot into FILE.png, FILE.svg or FILE.pdf "
     "(FILE.dat and FILE.gp are kept beside it)", &args.plot, NULL},
    {"plot-size", "WxH", "the image's size in pixels (default 800x500; pdf: 1/100 inch)",
     &args.size, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static const struct {
  const char *extension, *terminal;
} terminals[] = {{".png", "pngcairo"}, {".svg", "svg"}, {".pdf", "pdfcairo"}};

static int parse_size(const char *text, long *width, long *height) {
  char *end;
  errno = 0;
  *width = strtol(text, &end, 10);
  if (end != text && (*end == 'x' || *end == 'X')) {
    const char *h = end + 1;
    *height = strtol(h, &end, 10);
    if (end != h && *end == '\0' && errno == 0 && *width >= 16 && *width <= 20000 &&
        *height >= 16 && *height <= 20000)
      return 0;
  }
  cli_error("--plot-size: expected WxH, each 16 to 20000, such as 800x500; got '%s'", text);
  return 2;
}

int cli_plot_parse(cli_plot *p) {
  memset(p, 0, sizeof *p);
  p->width = 800;
  p->height = 500;
  if (args.size && parse_size(args.size, &p->width, &p->height))
    return 2;
  if (!args.plot) {
    if (args.size) {
      cli_error("--plot-size goes with --plot FILE");
      return 2;
    }
    return 0;
  }
  size_t n = strlen(args.plot);
  for (size_t i = 0; i < sizeof terminals / sizeof terminals[0]; i++) {
    size_t k = strlen(terminals[i].extension);
    if (n > k && n - k < sizeof p->data - 4 && strcmp(args.plot + n - k, terminals[i].extension) == 0) {
      p->image = args.plot;
      p->terminal = terminals[i].terminal;
      snprintf(p->data, sizeof p->data, "%.*s.dat", (int)(n - k), args.plot);
      snprintf(p->script, sizeof p->script, "%.*s.gp", (int)(n - k), args.plot);
      return 0;
    }
  }
  cli_error("--plot: '%s' must end in .png, .svg or .pdf (the image's format)", args.plot);
  return 2;
}

int cli_plot_open(cli_plot *p) {
  if (!p->image)
    return 0;
  if (!(p->f = fopen(p->data, "w"))) {
    cli_error("%s: cannot write: %s", p->data, strerror(errno));
    return 1;
  }
  return 0;
}

void cli_plot_value(FILE *f, double x) {
  if (isfinite(x))
    fprintf(f, "%.10g", x);
  else
    fputs("NaN", f);
}

/* text as a gnuplot single-quoted string ('' stands for a quote). */
static void quoted(FILE *f, const char *text) {
  fputc('\'', f);
  for (const char *c = text; *c; c++) {
    if (*c == '\'')
      fputc('\'', f);
    fputc(*c, f);
  }
  fputc('\'', f);
}

/* 1 when an executable `name` is in one of PATH's directories. */
static int on_path(const char *name) {
  const char *path = getenv("PATH");
  char candidate[4096];
  while (path && *path) {
    size_t len = strcspn(path, ":");
    snprintf(candidate, sizeof candidate, "%.*s/%s", (int)len, len ? path : ".", name);
    if (access(candidate, X_OK) == 0)
      return 1;
    path += len + (path[len] == ':');
  }
  return 0;
}

/* gnuplot FILE.gp in a child, its output on ours; its exit status. */
static int run_gnuplot(const char *script) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    execlp("gnuplot", "gnuplot", script, (char *)NULL);
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int cli_plot_finish(cli_plot *p, const char *commands) {
  if (!p->image)
    return 0;
  int failed = ferror(p->f) | (fclose(p->f) != 0);
  p->f = NULL;
  FILE *gp = failed ? NULL : fopen(p->script, "w");
  if (!gp) {
    cli_error("%s: cannot write: %s", failed ? p->data : p->script, strerror(errno));
    return 1;
  }
  /* pdfcairo takes inches; the size is given in hundredths of one. */
  int pdf = strcmp(p->terminal, "pdfcairo") == 0;
  fprintf(gp, "# Made by jacspec; edit and redraw with: gnuplot %s\n", p->script);
  if (pdf)
    fprintf(gp, "set terminal pdfcairo size %.2fin,%.2fin enhanced font 'sans,9'\n",
            (double)p->width / 100, (double)p->height / 100);
  else
    fprintf(gp, "set terminal %s size %ld,%ld enhanced font 'sans,10'\n", p->terminal,
            p->width, p->height);
  fputs("set output ", gp);
  quoted(gp, p->image);
  fputs("\ndata = ", gp);
  quoted(gp, p->data);
  fprintf(gp, "\n%s", commands);
  failed = ferror(gp) | (fclose(gp) != 0);
  if (failed) {
    cli_error("%s: cannot write: %s", p->script, strerror(errno));
    return 1;
  }
  if (!on_path("gnuplot")) {
    cli_error("--plot: gnuplot is not on PATH (Debian: apt install gnuplot-nox); %s and %s "
              "are written, draw %s with: gnuplot %s",
              p->data, p->script, p->image, p->script);
    return 0;
  }
  int status = run_gnuplot(p->script);
  if (status != 0) {
    cli_error("--plot: gnuplot %s failed (exit status %d)", p->script, status);
    return 1;
  }
  return 0;
}
