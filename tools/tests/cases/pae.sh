# pae (SDM 4.4): CR3 holds a 32-byte aligned PDPT of four entries (P in bit
# 0, no R/W or U/S); PDEs and PTEs as IA-32e, with XD (bit 63).
F="--format pae"
IMG="--image pae.img --root 0x1fe0"
check pae.build "$TDP" build $F --size 64k --root 0x1fe0 --out pae.img \
	--ops "$OPS/pae.ops"
check pae.translate "$TDP" translate $F $IMG 0x0 0x3fffff 0x400000 \
	0xc0001234 0xffffffff 0x40000000 0x100000000
checkm pae.leaves "$TDP" translate $F $IMG --verbose 0x200000 0xc0001000 \
	0xffe00000
checkm pae.dump "$TDP" dump $F $IMG
