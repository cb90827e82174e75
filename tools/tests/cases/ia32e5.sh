# ia32e5 (SDM 4.5 with CR4.LA57): 57-bit linear addresses, canonical when
# bits 63:57 equal bit 56.
F="--format ia32e5"
IMG="--image ia32e5.img --root 0x2000"
check ia32e5.build "$TDP" build $F --size 64k --root 0x2000 \
	--out ia32e5.img --ops "$OPS/ia32e5.ops"
check ia32e5.translate "$TDP" translate $F $IMG 0xff00000000000000 \
	0x00fffffffffff123 0x0100000000000000 0xfe00000000000000 \
	0xff80000000000000 0x0000800000000000
checkm ia32e5.leaves "$TDP" translate $F $IMG --verbose \
	0xff00000000000000 0x00fffffffffff000
checkm ia32e5.dump "$TDP" dump $F $IMG
