/* A growable byte buffer with checked, big-endian put/get operations, used
 * for every message that crosses a process boundary. Every get checks the
 * remaining length first, so a truncated or hostile message yields -EBADMSG
 * and never a read past the end. */
#ifndef REXEC_BUF_H
#define REXEC_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t len;      /* bytes written */
	size_t offset;   /* read position, 0 <= offset <= len */
	size_t max_len;  /* hard limit for puts; 0 means BUF_DEFAULT_MAX */
};

#define BUF_DEFAULT_MAX (1024 * 1024)

void buf_init(struct buf *b, size_t max_len);
/* Points the buffer at existing bytes for reading; buf_free must not be called. */
void buf_init_view(struct buf *b, const void *data, size_t len);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
size_t buf_remaining(const struct buf *b);

/* Puts return 0 or -EMSGSIZE (over max_len) or -ENOMEM. */
int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_u32(struct buf *b, uint32_t v);
int buf_put_u64(struct buf *b, uint64_t v);
int buf_put_bytes(struct buf *b, const void *data, size_t len);
/* A string is a u32 length followed by the bytes, without a NUL. */
int buf_put_string(struct buf *b, const void *data, size_t len);
int buf_put_cstring(struct buf *b, const char *s);

/* Gets return 0, -EBADMSG (truncated or over max_len) or -ENOMEM. */
int buf_get_u8(struct buf *b, uint8_t *v);
int buf_get_u32(struct buf *b, uint32_t *v);
int buf_get_u64(struct buf *b, uint64_t *v);
/* Returns a malloc'd copy of at most max_len bytes in *out. */
int buf_get_string(struct buf *b, uint8_t **out, size_t *out_len, size_t max_len);
/* As buf_get_string, but rejects embedded NUL bytes and NUL-terminates. */
int buf_get_cstring(struct buf *b, char **out, size_t max_len);

#endif
