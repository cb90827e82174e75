# dump --json and dot on a small hand-made legacy32 tree (SDM 4.3): a
# 4 MiB page, a page table with two user pages (one accessed and dirty,
# bits 5 and 6), a table pointer outside the image and a PDE pointing back
# at the page directory.
F="--format legacy32 --pse"
IMG="--image j.img --root 0"
check dump_formats.build "$TDP" build $F --size 8k --root 0 --out j.img \
	'poke 0x0 0x83' 'poke 0x4 0x1007' 'poke 0x8 0x10007' 'poke 0xc 0x7' \
	'poke 0x1000 0x2005' 'poke 0x1004 0x3065'
check dump_formats.json "$TDP" dump $F $IMG --json
if command -v python3 >/dev/null 2>&1; then
	python3 -m json.tool dump_formats.json.out >/dev/null ||
		fail "dump --json is not valid JSON"
	"$TDP" dump $F $IMG --json --raw >raw.json &&
		python3 -m json.tool raw.json >/dev/null ||
		fail "dump --json --raw is not valid JSON"
fi
check dump_formats.dot "$TDP" dot $F $IMG
check dump_formats.stats "$TDP" stats $F $IMG
