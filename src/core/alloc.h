/* The library's one way to allocate: js_alloc (zeroed, overflow-checked)
 * and js_realloc, both failing with a message naming what was asked for.
 * Because every allocation passes here, tests can make any one of them
 * fail (js_alloc_fail_after) and check that each error path returns
 * JS_ENOMEM and frees what it holds. */
#ifndef JS_CORE_ALLOC_H
#define JS_CORE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

/* calloc of count * size bytes, checked for overflow and failure: sets the
 * message (naming `what`) and returns NULL on failure. */
void *js_alloc(size_t count, size_t size, const char *what);
/* realloc of p to count * size bytes, checked likewise; on failure p is
 * left as it was (the caller still frees it) and NULL is returned. */
void *js_realloc(void *p, size_t count, size_t size, const char *what);

/* Test hook, not public API (the shared library does not export it): the
 * k-th allocation from now (k >= 1) fails as if memory had run out; k = 0
 * switches injected failures off. Either way the count restarts. */
void js_alloc_fail_after(int64_t k);
/* Allocations asked of js_alloc and js_realloc since the last
 * js_alloc_fail_after (or program start), the injected failure included. */
int64_t js_alloc_count(void);

#endif
