/*
 * buf.h -- a growable byte buffer with a hard maximum.
 *
 * Request bodies are accumulated here; the maximum is fixed at init so a
 * client cannot make the server allocate more than that (curl's dynbuf).
 * The content is always NUL-terminated, so text can be used in place.
 */
#ifndef RELIEF_BUF_H
#define RELIEF_BUF_H

#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* content may never exceed this many bytes */
};

void buf_init(struct buf *b, size_t max);
/* Append n bytes; -1 (and nothing appended) if that would exceed max or memory ran out. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hand the bytes to the caller (free() them); the buffer is left empty. */
char *buf_steal(struct buf *b, size_t *len);

#endif
