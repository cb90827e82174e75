# ia32e4 (SDM Vol. 3A 4.5): P bit 0, R/W 1, U/S 2, PWT 3, PCD 4, PS 7 (PAT
# in a PTE), G 8, PAT 12 in large pages, protection key 62:59, XD 63;
# access rights 4.6 (CR0.WP, SMEP, SMAP); canonical addresses 3.3.7.1.
F="--format ia32e4"
IMG="--image ia32e4.img --root 0x1000"
A="0xffff800000000000 0x400000 0x7ffffffff000 0x40000000"
check ia32e4.build "$TDP" build $F --size 64k --root 0x1000 \
	--out ia32e4.img --ops "$OPS/ia32e4.ops"
check ia32e4.translate "$TDP" translate $F $IMG 0xffff800000000000 \
	0xffff8000001fffff 0xffff800000200000 0xffffffffffe00000 \
	0xffffffffffe01000 0x0000800000000000 0xffff7fffffffffff 0x400000 \
	0x401fff 0x7ffffffff000 0x7fffffffffff 0x40000000
check ia32e4.user-w "$TDP" translate $F $IMG --access w --user $A
check ia32e4.sup-w "$TDP" translate $F $IMG --access w $A
check ia32e4.sup-w-nowp "$TDP" translate $F $IMG --access w --no-wp $A
check ia32e4.sup-x "$TDP" translate $F $IMG --access x $A
check ia32e4.sup-x-smep "$TDP" translate $F $IMG --access x --smep $A
check ia32e4.sup-r-smap "$TDP" translate $F $IMG --access r --smap $A
check ia32e4.user-r "$TDP" translate $F $IMG --access r --user $A
checkm ia32e4.leaves "$TDP" translate $F $IMG --verbose 0xffff800000000000 \
	0xffffffffffe00000 0x400000 0x7ffffffff000 0x40000000
checkm ia32e4.dump "$TDP" dump $F $IMG
