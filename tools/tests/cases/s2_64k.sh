# s2-64k: 13 bits per level, 512 MiB blocks at level 2; MemAttr 0000 is
# Device-nGnRnE. VTCR_EL2: TG0 1 (64 KiB).
F="--format s2-64k"
IMG="--image s2_64k.img --root 0"
check s2_64k.build "$TDP" build $F --size 1m --root 0 --out s2_64k.img \
	--ops "$OPS/s2_64k.ops"
check s2_64k.translate "$TDP" translate $F $IMG 0x20000000 0x3fffffff \
	0x0 0x1ffff 0x20000 0x10000000 0x40000000 0x10000000000
checkm s2_64k.leaves "$TDP" translate $F $IMG --verbose 0x20000000 \
	0x10000 0x10000000
checkm s2_64k.dump "$TDP" dump $F $IMG
# 44-bit IPA from start level 1: three levels, SL0 2, T0SZ 20.
check s2_64k.build-l1 "$TDP" build $F --ipa-bits 44 --start-level 1 \
	--size 1m --out l1.img 'map 0x80000000000 64k 0x30000 rw-'
check s2_64k.translate-l1 "$TDP" translate $F --ipa-bits 44 \
	--start-level 1 --image l1.img --root 0 0x80000000000 0x80000010000
