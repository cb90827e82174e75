# ept4 from an ops file, in an image based at 1 MiB with the root first.
# Entries from SDM Vol. 3C 29.3.2 (EPT): bits 2:0 XWR, 5:3 memory type
# (0 UC, 1 WC, 4 WT, 6 WB), 6 ignore PAT, 7 page size; EPTP 29.3.1: bits
# 2:0 memory type 6, 5:3 walk length - 1.
F="--format ept4"
IMG="--image ept4.img --base 1m --root 0x100000"
check ept4.build "$TDP" build $F --base 1m --size 64k --root 0x100000 \
	--out ept4.img --ops "$OPS/ept4.ops"
check ept4.translate "$TDP" translate $F $IMG 0x0 0x1fff 0x2000 0x3000 \
	0x200000 0x3fffff 0x40000000 0x7fffffff 0x80000000 0x8000000000 \
	0x1000000000000 0x600000 0x601000 0x603000 0x9ff000
check ept4.translate-w "$TDP" translate $F $IMG --access w 0x0 0x3000 \
	0x200000 0x40000000
checkrc 1 ept4.translate-x "$TDP" translate $F $IMG --access x \
	--fail-on-fault 0x0 0x40000000
checkm ept4.leaves "$TDP" translate $F $IMG --verbose 0x0 0x3000 0x200000 \
	0x40000000 0x601000 0x603000
checkm ept4.dump "$TDP" dump $F $IMG
check ept4.stats "$TDP" stats $F $IMG
