/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * tdp: build, dump, translate, draw and diff translation tables in memory
 * images, with libtdp's public API only. This file dispatches the commands
 * and holds the help texts; docs/tdp.1 is the full manual.
 */
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const char usage_main[] =
	"usage: tdp COMMAND --format FMT [options] [arguments]\n"
	"\n"
	"Build, dump, translate, draw and diff hardware translation tables\n"
	"in memory images (raw files of physical memory from --base up).\n"
	"\n"
	"commands:\n"
	"  build      create an image and apply operations to it\n"
	"  translate  translate addresses as the CPU would\n"
	"  dump       print the table tree (text or --json)\n"
	"  dot        print the table tree as a Graphviz graph\n"
	"  diff       print what maps differently between two images\n"
	"  stats      print mapped bytes, table pages and pool use\n"
	"\n"
	"formats: ept4 ept5 ia32e4 ia32e5 pae legacy32 spp\n"
	"         s2-4k s2-16k s2-64k\n"
	"\n"
	"format options (every command: an image does not record them):\n"
	"  --pa-bits N       physical-address width: x86 MAXPHYADDR\n"
	"                    (default 52, legacy32 32), arm64 PS (48)\n"
	"  --ipa-bits N      arm64 input-address width (default 40)\n"
	"  --start-level L   arm64 start level (default: the fewest\n"
	"                    levels, at least two, up to 16 roots)\n"
	"  --ad --exec-only --mbec --spp\n"
	"                    EPT: A/D flags, execute-only, mode-based\n"
	"                    execute, sub-page write permissions\n"
	"  --no-1g           EPT, IA-32e: no 1 GiB pages\n"
	"  --no-nx           IA-32e, PAE: EFER.NXE = 0\n"
	"  --pse             legacy32: CR4.PSE = 1 (4 MiB pages)\n"
	"  --fwb --lpa2 --xnx --ha --hd\n"
	"                    arm64: FEAT_S2FWB, LPA2, XNX, hardware\n"
	"                    access flag, hardware dirty state\n"
	"\n"
	"exit status: 0 success, 1 translate --fail-on-fault found a\n"
	"fault, 2 bad usage or input. 'tdp COMMAND --help' describes a\n"
	"command; man tdp has everything.\n";

static const char *const usage_cmd[CMD_COUNT] = {
	[CMD_BUILD] =
	"usage: tdp build --format FMT [format options] --size BYTES\n"
	"                 --out FILE [--base PA] [--root PA] [--vmid N]\n"
	"                 [--ops FILE]... [OP]...\n"
	"\n"
	"Create a zeroed image of BYTES bytes of physical memory from PA\n"
	"(--base, default 0), allocate the root table (at --root, or where\n"
	"the pool puts it), apply the operations (--ops files first, one\n"
	"per line, # comments, - for stdin; then each OP argument), write\n"
	"the image and print the root and the registers a CPU would be\n"
	"given:\n"
	"  root=0x... eptp=0x...                      EPT (WB, --ad)\n"
	"  root=0x... cr3=0x...                       IA-32e, PAE, 32-bit\n"
	"  root=0x... vttbr_el2=0x... vtcr_el2=0x...  arm64 (VMID16)\n"
	"  root=0x... spptp=0x...                     spp\n"
	"EPT images with spp operations also get spptp=0x... for the SPPT.\n"
	"A failing operation stops with a message naming it; nothing is\n"
	"written.\n"
	"\n"
	"operations (numbers 0x... or decimal, optional k m g t suffix):\n"
	"  map ADDR SIZE PA PERMS [KEY=VALUE...]\n"
	"  unmap ADDR SIZE\n"
	"  protect ADDR SIZE PERMS [xn=...]\n"
	"  mkold ADDR SIZE     clear accessed flags (EPT needs --ad)\n"
	"  poke PA VALUE       write a raw entry (4 bytes for legacy32)\n"
	"  spp ADDR BITMAP     EPT: sub-page protect the mapped 4 KiB page\n"
	"                      (an SPPT is made in the image); spp format:\n"
	"                      set the SPPT entry\n"
	"PERMS: r w x u or - (rwx, r-x, rw-u); S or U for x: execute in\n"
	"supervisor/EL1 or user/EL0 mode only (--mbec, --xnx).\n"
	"keys: mt=wb|uc|wc|wt|wp|uc-|nc|dev-ngnrne|dev-ngnre|dev-ngre|\n"
	"         dev-gre\n"
	"      af=0|1 (arm64 default 1, x86 default 0)\n"
	"      max=4k|2m|1g|16k|32m|64k|512m|... (largest page)\n"
	"      xn=none|all|el0|el1 (or user, supervisor)  replace=0|1\n"
	"      dirty= global= ipat= sve= dbm= cont= (0|1)\n"
	"      pat=0..7  pkey=0..15  sh=none|outer|inner  sw=N\n",
	[CMD_TRANSLATE] =
	"usage: tdp translate --format FMT [format options] --image FILE\n"
	"                     [--base PA] --root PA [--access r|w|x]\n"
	"                     [--user] [--smep] [--smap] [--no-wp]\n"
	"                     [--verbose] [--fail-on-fault] ADDR...\n"
	"\n"
	"One line per address:\n"
	"  ADDR ok PA level=N perms=PERMS\n"
	"  ADDR fault KIND level=N\n"
	"  ADDR ok bitmap=0x........ level=1      (--format spp)\n"
	"Levels are the architecture's (x86: PTE=1 ... PML5E=5; arm64\n"
	"lookup levels, 3 = page); level=- when no entry was read. A\n"
	"permission or access-flag fault gives the leaf's level. Without\n"
	"--access only the walk is checked (and the arm64 access flag,\n"
	"which every access needs). x86 paging assumes CR0.WP=1,\n"
	"EFER.NXE=1, SMEP and SMAP off unless --no-wp, --no-nx, --smep or\n"
	"--smap say otherwise. --verbose adds each level's entry: where it\n"
	"is, its raw value, its kind. Exit status 1 when an address\n"
	"faulted and --fail-on-fault is given.\n",
	[CMD_DUMP] =
	"usage: tdp dump --format FMT [format options] --image FILE\n"
	"                [--base PA] --root PA [--json] [--raw]\n"
	"                [--max-entries N]\n"
	"\n"
	"The table tree, indented by depth: one line per table and per run\n"
	"of contiguous leaves with equal attributes, malformed entries and\n"
	"loops, then a count line per level:\n"
	"  table pa=0x... level=N in=FIRST-LAST\n"
	"  leaf in=FIRST-LAST out=FIRST-LAST level=N size=S pages=P\n"
	"       perms=PERMS mt=...\n"
	"  bad in=FIRST-LAST level=N entry=0x... raw=0x... fault=KIND\n"
	"  loop in=FIRST-LAST level=N entry=0x... raw=0x... table=0x...\n"
	"  count level=N size=S tables=T pages=P\n"
	"--raw prints every leaf and every non-zero invalid entry with its\n"
	"address and value; --json prints one JSON object. --max-entries\n"
	"(default 16M) bounds the work on hostile images.\n",
	[CMD_DOT] =
	"usage: tdp dot --format FMT [format options] --image FILE\n"
	"               [--base PA] --root PA [--depth N] [--max-entries N]\n"
	"\n"
	"The table tree as a Graphviz digraph (tdp dot ... | dot -Tsvg):\n"
	"tables are boxes, runs of leaves one note each, malformed entries\n"
	"red, loops dashed red edges. --depth N draws tables down to depth\n"
	"N (the root is 0) and summarises what lies below.\n",
	[CMD_DIFF] =
	"usage: tdp diff --format FMT [format options] [--base PA]\n"
	"                --root PA [--base-b PA] [--root-b PA] [--sizes]\n"
	"                [--max-entries N] IMAGE_A IMAGE_B\n"
	"\n"
	"The input ranges that map differently (output, permissions,\n"
	"attributes, malformed entries; with --sizes page sizes too): A's\n"
	"side with '- ', B's with '+ ', then differences=N. Both images\n"
	"use --base and --root unless --base-b or --root-b give B's own.\n",
	[CMD_STATS] =
	"usage: tdp stats --format FMT [format options] --image FILE\n"
	"                 [--base PA] --root PA [--max-entries N]\n"
	"\n"
	"Mapped bytes per page size, table pages per level, malformed\n"
	"entries and loops, and how much of the image (the pool) the\n"
	"tables use.\n",
};

void tool_usage_main(FILE *f)
{
	fputs(usage_main, f);
}

void tool_usage(FILE *f, enum tool_cmd cmd)
{
	fputs(usage_cmd[cmd], f);
}

static int (*const cmd_fn[CMD_COUNT])(struct tool_opts *o) = {
	[CMD_BUILD] = tool_cmd_build,
	[CMD_TRANSLATE] = tool_cmd_translate,
	[CMD_DUMP] = tool_cmd_dump,
	[CMD_DOT] = tool_cmd_dot,
	[CMD_DIFF] = tool_cmd_diff,
	[CMD_STATS] = tool_cmd_stats,
};

int main(int argc, char **argv)
{
	static char prog[32];
	struct tool_opts o = { 0 };
	int cmd, ret;

	if (argc < 2) {
		tool_usage_main(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		tool_usage_main(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		uint32_t v = tdp_version();

		printf("tdp (libtdp %u.%u.%u)\n", v >> 16, (v >> 8) & 0xff,
		       v & 0xff);
		return EXIT_OK;
	}
	for (cmd = 0; cmd < CMD_COUNT; cmd++)
		if (!strcmp(argv[1], tool_cmd_name((enum tool_cmd)cmd)))
			break;
	if (cmd == CMD_COUNT) {
		tool_err("unknown command '%s' (build translate dump dot diff "
			 "stats; see tdp --help)", argv[1]);
		return EXIT_USAGE;
	}
	snprintf(prog, sizeof(prog), "tdp %s", argv[1]);
	tool_prog = prog;
	ret = tool_parse_args(argc - 2, argv + 2, (enum tool_cmd)cmd, &o);
	if (!ret && o.help)
		tool_usage(stdout, (enum tool_cmd)cmd);
	else if (!ret)
		ret = cmd_fn[cmd](&o);
	free(o.pos);
	free(o.ops_files);
	if (fflush(stdout) && !ret)
		ret = tool_err("cannot write the output");
	return ret;
}
