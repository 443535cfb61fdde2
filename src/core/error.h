/* Internal error reporting: set the thread's last-error message and return
 * the status, so a failing check reads `return js_fail(JS_EINVAL, ...)`. */
#ifndef JS_CORE_ERROR_H
#define JS_CORE_ERROR_H

#include "core/alloc.h" /* every file that reports errors allocates too */
#include "jacspec.h"

#if defined(__GNUC__)
#define JS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define JS_PRINTF(a, b)
#endif

int js_fail(int status, const char *fmt, ...) JS_PRINTF(2, 3);
void js_clear_error(void);

#endif
