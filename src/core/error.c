#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_message[1024];

const char *js_errstr(int status) {
  switch (status) {
  case JS_OK: return "success";
  case JS_EINVAL: return "invalid argument";
  case JS_ENOMEM: return "out of memory";
  case JS_EIO: return "input/output error";
  case JS_EFORMAT: return "malformed file";
  case JS_ENOCONV: return "not converged";
  case JS_ELIMIT: return "size limit exceeded";
  case JS_ENUMERIC: return "non-finite number";
  case JS_EARPACK: return "ARPACK error";
  case JS_ECANCELED: return "canceled";
  default: return "unknown status";
  }
}

const char *js_last_error(void) { return last_message; }

void js_clear_error(void) { last_message[0] = '\0'; }

int js_fail(int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_message, sizeof last_message, fmt, ap);
  va_end(ap);
  return status;
}
