# legacy32 (SDM 4.3): 4-byte entries; a PDE with PS maps 4 MiB when
# CR4.PSE = 1, PA bits 39:32 of it in PDE bits 20:13 (PSE-36); there is no
# XD bit, so every page is executable.
F="--format legacy32 --pse --pa-bits 36"
IMG="--image legacy32.img --root 0"
check legacy32.build "$TDP" build $F --size 64k --root 0 \
	--out legacy32.img --ops "$OPS/legacy32.ops"
check legacy32.translate "$TDP" translate $F $IMG 0x0 0x400000 0x7fffff \
	0xc0001000 0x800000 0x100000000
checkm legacy32.leaves "$TDP" translate $F $IMG --verbose 0x400000 \
	0xc0001000
checkm legacy32.dump "$TDP" dump $F $IMG
