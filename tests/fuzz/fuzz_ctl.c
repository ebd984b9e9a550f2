/* fuzz_ctl: libFuzzer target for the control-protocol parser, the daemon's
 * front door for anything a local client sends. Whatever the bytes, parsing
 * and every getter must stay in bounds; and what parses must satisfy the
 * invariants the callers rely on (strings terminated, sizes as declared). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vxnet/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Use a value so the compiler cannot drop the read. */
static volatile uint64_t sink;

/* Every counter the parser lets through has a valid, terminated name. */
static void stat_cb(const char *name, uint64_t v, void *arg)
{
	(void)arg;
	size_t n = strlen(name);
	if (n == 0 || n >= CTL_STAT_NAME_LEN)
		abort();
	sink += v + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_parsed p;
	struct link_config c;
	struct fdb_req fr;
	struct neigh_req nr;
	uint8_t *copy, mac[MAC_LEN], u8;
	struct vx_addr a;
	const char *s, *why;
	char sbuf[CTL_ERRMSG_LEN];
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	/* An exact-size heap copy, so ASan sees any read past the end. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (ctl_parse(copy, size, &p) != 0) {
		free(copy);
		return 0;
	}
	if (p.hdr.len != size)
		abort();
	for (uint16_t t = 0; t <= CTL_A_MAX + 1; t++) {
		if (ctl_has(&p, t) && (p.attr[t].data < copy || p.attr[t].data + p.attr[t].len > copy + size))
			abort();
		if (!ctl_get_u8(&p, t, &u8))
			sink += u8;
		if (!ctl_get_u16(&p, t, &u16))
			sink += u16;
		if (!ctl_get_u32(&p, t, &u32))
			sink += u32;
		if (!ctl_get_u64(&p, t, &u64))
			sink += u64;
		if (!ctl_get_str(&p, t, &s)) {
			/* Parsed strings are terminated inside their attribute. */
			if (strlen(s) + 1 != p.attr[t].len)
				abort();
			sink += (uint64_t)strlen(s);
		}
		if (!ctl_get_strbuf(&p, t, sbuf, sizeof(sbuf)))
			sink += (uint64_t)strlen(sbuf);
		if (!ctl_get_addr(&p, t, &a))
			sink += a.family;
		if (!ctl_get_mac(&p, t, mac))
			sink += mac[5];
		sink += ctl_foreach_stat(&p, t, stat_cb, NULL);
	}
	{
		struct ctl_parsed q;
		/* What the lenient parse accepts, the strict one accepts too
		 * unless it carried an unknown attribute type. */
		int rs = ctl_parse(data, size, &q);
		int rl = ctl_parse_opts(data, size, &q, CTL_PARSE_SKIP_UNKNOWN);
		if (rs == 0 && rl != 0)
			abort();
	}
	link_config_init(&c);
	if (!ctl_get_link_config(&p, &c)) {
		if (strnlen(c.name, sizeof(c.name)) == sizeof(c.name) ||
		    strnlen(c.dev, sizeof(c.dev)) == sizeof(c.dev) ||
		    strnlen(c.netns, sizeof(c.netns)) == sizeof(c.netns))
			abort();
		why = NULL;
		if (link_config_check(&c, &why) != 0 && !why)
			abort();
	}
	if (!ctl_get_fdb_req(&p, &fr) && strnlen(fr.dev, sizeof(fr.dev)) == sizeof(fr.dev))
		abort();
	if (!ctl_get_neigh_req(&p, &nr) && strnlen(nr.dev, sizeof(nr.dev)) == sizeof(nr.dev))
		abort();
	free(copy);
	return 0;
}
