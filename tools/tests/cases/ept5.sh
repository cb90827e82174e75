# ept5 with --ad: EPTP bit 6 and walk length 4 (SDM 29.3.1); leaf bits 8
# (accessed) and 9 (dirty) (SDM 29.3.5).
F="--format ept5 --ad --pa-bits 39"
IMG="--image ept5.img --root 0"
check ept5.build "$TDP" build $F --size 64k --root 0 --out ept5.img \
	--ops "$OPS/ept5.ops"
check ept5.translate "$TDP" translate $F $IMG 0x100000000000000 \
	0x100000000123456 0x0 0x1fff 0x2000 0x80000000000000 \
	0x200000000000000
checkm ept5.leaves "$TDP" translate $F $IMG --verbose 0x100000000000000 \
	0x0 0x1000
checkm ept5.dump "$TDP" dump $F $IMG
