# Corrupt ia32e4 tables made with poke give fault lines, never a crash.
# SDM 4.5: reserved bits are 51:MAXPHYADDR, PS in a PML4E, bits 20:13 of a
# 2 MiB PDE; a PTE's bit 7 is PAT, so a PDE pointing at the PML4 makes its
# entries pages.
F="--format ia32e4 --pa-bits 40"
IMG="--image c.img --root 0x1000"
check corrupt_ia32e.build "$TDP" build $F --size 32k --root 0x1000 \
	--out c.img --ops "$OPS/corrupt_ia32e.ops"
check corrupt_ia32e.translate "$TDP" translate $F $IMG 0x0 0x200000 \
	0x201000 0x202000 0x400000 0x600000 0x800000 0x801000 0x802000 \
	0x803000 0x804000 0xa00000 0x40000000 0x8000000000 0x10000000000 \
	0x18000000000 0xffff800000000000 0x0000800000000000
check corrupt_ia32e.verbose "$TDP" translate $F $IMG --verbose 0x400000 \
	0x600000 0x800000 0x8000000000 0x10000000000 0x18000000000
check corrupt_ia32e.no-1g "$TDP" translate $F --no-1g $IMG 0x40000000
check corrupt_ia32e.no-nx "$TDP" translate $F --no-nx $IMG 0x40000000 \
	0x201000 0x200000
checkrc 1 corrupt_ia32e.fail "$TDP" translate $F $IMG --fail-on-fault \
	0x0 0x400000
check corrupt_ia32e.dump "$TDP" dump $F $IMG
check corrupt_ia32e.raw "$TDP" dump $F $IMG --raw
check corrupt_ia32e.stats "$TDP" stats $F $IMG
