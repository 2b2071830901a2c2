/* Checked big-endian message buffer. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rexec/buf.h"

void buf_init(struct buf *b, size_t max_len)
{
	memset(b, 0, sizeof(*b));
	b->max_len = max_len ? max_len : BUF_DEFAULT_MAX;
}

void buf_init_view(struct buf *b, const void *data, size_t len)
{
	b->data = (uint8_t *)data;
	b->len = len;
	b->offset = 0;
	b->max_len = len;
}

void buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->offset = 0;
}

size_t buf_remaining(const struct buf *b)
{
	return b->len - b->offset;
}

/* Makes room for extra more bytes, growing geometrically up to max_len. */
static int buf_reserve(struct buf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *data;

	if (extra > b->max_len || b->len > b->max_len - extra)
		return -EMSGSIZE;
	need = b->len + extra;
	cap = 64;
	while (cap < need)
		cap *= 2;
	if (cap > b->max_len)
		cap = b->max_len;
	data = realloc(b->data, cap);
	if (!data)
		return -ENOMEM;
	b->data = data;
	return 0;
}

int buf_put_bytes(struct buf *b, const void *data, size_t len)
{
	int r = buf_reserve(b, len);

	if (r < 0)
		return r;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

int buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_put_bytes(b, &v, 1);
}

int buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t be[4] = {v >> 24, v >> 16, v >> 8, v};

	return buf_put_bytes(b, be, sizeof(be));
}

int buf_put_u64(struct buf *b, uint64_t v)
{
	int r = buf_put_u32(b, (uint32_t)(v >> 32));

	return r < 0 ? r : buf_put_u32(b, (uint32_t)v);
}

int buf_put_string(struct buf *b, const void *data, size_t len)
{
	int r;

	if (len > UINT32_MAX)
		return -EMSGSIZE;
	r = buf_put_u32(b, (uint32_t)len);
	return r < 0 ? r : buf_put_bytes(b, data, len);
}

int buf_put_cstring(struct buf *b, const char *s)
{
	return buf_put_string(b, s ? s : "", s ? strlen(s) : 0);
}

static int buf_take(struct buf *b, void *out, size_t len)
{
	if (buf_remaining(b) < len)
		return -EBADMSG;
	memcpy(out, b->data + b->offset, len);
	b->offset += len;
	return 0;
}

int buf_get_u8(struct buf *b, uint8_t *v)
{
	return buf_take(b, v, 1);
}

int buf_get_u32(struct buf *b, uint32_t *v)
{
	uint8_t be[4];
	int r = buf_take(b, be, sizeof(be));

	if (r < 0)
		return r;
	*v = (uint32_t)be[0] << 24 | (uint32_t)be[1] << 16 | (uint32_t)be[2] << 8 | be[3];
	return 0;
}

int buf_get_u64(struct buf *b, uint64_t *v)
{
	uint32_t hi, lo;
	int r = buf_get_u32(b, &hi);

	if (r < 0 || (r = buf_get_u32(b, &lo)) < 0)
		return r;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int buf_get_string(struct buf *b, uint8_t **out, size_t *out_len, size_t max_len)
{
	size_t start = b->offset;
	uint32_t len;
	uint8_t *copy;
	int r = buf_get_u32(b, &len);

	if (r < 0)
		return r;
	if (len > max_len || len > buf_remaining(b)) {
		b->offset = start;
		return -EBADMSG;
	}
	/* One extra byte so buf_get_cstring can terminate in place. */
	copy = malloc((size_t)len + 1);
	if (!copy) {
		b->offset = start;
		return -ENOMEM;
	}
	memcpy(copy, b->data + b->offset, len);
	copy[len] = '\0';
	b->offset += len;
	*out = copy;
	*out_len = len;
	return 0;
}

int buf_get_cstring(struct buf *b, char **out, size_t max_len)
{
	size_t start = b->offset;
	uint8_t *data;
	size_t len;
	int r = buf_get_string(b, &data, &len, max_len);

	if (r < 0)
		return r;
	if (memchr(data, '\0', len)) {
		free(data);
		b->offset = start;
		return -EBADMSG;
	}
	*out = (char *)data;
	return 0;
}
