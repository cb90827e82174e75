# s2-16k: 11 bits per level, 32 MiB blocks at level 2; MemAttr 1010 is
# Normal write-through. VTCR_EL2: SL0 1 (start level 2), TG0 2 (16 KiB).
F="--format s2-16k"
IMG="--image s2_16k.img --root 256k"
check s2_16k.build "$TDP" build $F --size 512k --root 256k \
	--out s2_16k.img --ops "$OPS/s2_16k.ops"
check s2_16k.translate "$TDP" translate $F $IMG 0x0 0x1ffffff 0x4000000 \
	0x4007fff 0x4008000 0x6000000 0xff00000000 0x10000000000
checkm s2_16k.leaves "$TDP" translate $F $IMG --verbose 0x0 0x4004000
checkm s2_16k.dump "$TDP" dump $F $IMG
