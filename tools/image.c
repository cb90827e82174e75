/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Memory images: a raw file holding physical memory from a base address
 * upward, loaded into a buffer with the simulated pool over it. Reading
 * commands attach to the root in place and claim nothing: the tables are
 * only read, and every pointer they hold is checked by the pool.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static int read_file(const char *file, uint8_t **mem, uint64_t *size)
{
	FILE *f = fopen(file, "rb");
	uint8_t *buf = NULL;
	long len;
	int ret = 0;

	if (!f)
		return tool_err("cannot open image %s: %s", file,
				strerror(errno));
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		ret = tool_err("cannot read image %s: not a regular file",
			       file);
		goto out;
	}
	if (len == 0 || len % TDP_MIN_TABLE_BYTES) {
		ret = tool_err("image %s has %ld bytes: an image holds whole "
			       "4096-byte pages (and at least one)",
			       file, len);
		goto out;
	}
	buf = malloc((size_t)len);
	if (!buf) {
		ret = tool_err("image %s (%ld bytes) does not fit in memory",
			       file, len);
		goto out;
	}
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		ret = tool_err("cannot read image %s: %s", file,
			       ferror(f) ? strerror(errno) : "short read");
		free(buf);
		buf = NULL;
		goto out;
	}
	*mem = buf;
	*size = (uint64_t)len;
out:
	fclose(f);
	return ret;
}

uint64_t tool_image_pa(const struct tool_image *img, const void *p)
{
	return img->base + (uint64_t)((const uint8_t *)p - img->mem);
}

/* Set up the pool over img->mem (mem, size and base already set). */
static int image_pool(struct tool_image *img)
{
	size_t bytes = (size_t)TDP_POOL_BITMAP_BYTES(img->size);
	int ret;

	if (img->base % TDP_MIN_TABLE_BYTES)
		return tool_err("--base 0x%llx is not a multiple of 4096",
				(unsigned long long)img->base);
	if (img->base + (img->size - 1) < img->base)
		return tool_err("image %s from --base 0x%llx runs past the top "
				"of the address space", img->name,
				(unsigned long long)img->base);
	img->bitmap = calloc(1, bytes ? bytes : 8);
	if (!img->bitmap)
		return tool_err("out of memory");
	ret = tdp_pool_init(&img->pool, img->mem, img->size, img->base,
			    img->bitmap, bytes);
	if (ret)
		return tool_err("cannot use image %s at base 0x%llx: %s",
				img->name, (unsigned long long)img->base,
				tdp_strerror(ret));
	return 0;
}

int tool_image_open(struct tool_image *img, const struct tool_opts *o,
		    const char *file, uint64_t base, uint64_t root)
{
	struct tdp_format fmt;
	struct tdp_mm mm;
	int ret;

	memset(img, 0, sizeof(*img));
	img->name = file;
	img->base = base;
	ret = read_file(file, &img->mem, &img->size);
	if (ret)
		return ret;
	ret = image_pool(img);
	if (ret)
		return ret;
	mm = tdp_pool_mm(&img->pool);
	ret = tdp_pgt_init_at(&img->pgt, &o->cfg, &mm, root);
	if (ret == -TDP_ERR_ALIGN && !tdp_format_init(&fmt, &o->cfg))
		return tool_err("--root 0x%llx is not aligned as %s requires "
				"(%u bytes)", (unsigned long long)root,
				tdp_format_name(o->cfg.format), fmt.root_align);
	if (ret == -TDP_ERR_RANGE)
		return tool_err("root table at 0x%llx is not inside image %s "
				"(0x%llx-0x%llx)", (unsigned long long)root,
				file, (unsigned long long)base,
				(unsigned long long)(base + img->size - 1));
	if (ret)
		return tool_err("cannot attach to the root at 0x%llx: %s",
				(unsigned long long)root, tdp_strerror(ret));
	return 0;
}

int tool_image_new(struct tool_image *img, uint64_t base, uint64_t size)
{
	memset(img, 0, sizeof(*img));
	img->name = "(new)";
	img->base = base;
	img->size = size;
	if (!size || size % TDP_MIN_TABLE_BYTES)
		return tool_err("--size %llu is not a positive multiple of "
				"4096", (unsigned long long)size);
	if ((uint64_t)(size_t)size != size)
		return tool_err("--size %llu does not fit in memory",
				(unsigned long long)size);
	img->mem = calloc(1, (size_t)size);
	if (!img->mem)
		return tool_err("--size %llu does not fit in memory",
				(unsigned long long)size);
	return image_pool(img);
}

/* Shared by the commands that read one image: check, resolve, open. */
int tool_open_single(struct tool_opts *o, struct tool_image *img)
{
	struct tdp_format fmt;
	int ret;

	if (!o->image)
		return tool_err("missing --image FILE");
	if (!o->have_root)
		return tool_err("missing --root PA");
	if (o->n_pos)
		return tool_err("unexpected argument '%s'", o->pos[0]);
	ret = tool_resolve_format(o, &fmt);
	return ret ? ret : tool_image_open(img, o, o->image, o->base, o->root);
}

void tool_image_close(struct tool_image *img)
{
	free(img->mem);
	free(img->bitmap);
	memset(img, 0, sizeof(*img));
}
