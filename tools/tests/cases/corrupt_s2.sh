# arm64 stage-2 faults (Arm ARM D8.3, D8.15): a level-3 descriptor with
# bits 1:0 = 01 is a translation fault; an output address beyond PS an
# address size fault; AF = 0 an access flag fault unless hardware updates
# it (VTCR_EL2.HA).
F="--format s2-4k --pa-bits 40"
IMG="--image s.img --root 0"
check corrupt_s2.build "$TDP" build $F --size 32k --root 0 --out s.img \
	--ops "$OPS/corrupt_s2.ops"
check corrupt_s2.translate "$TDP" translate $F $IMG 0x0 0x1000 0x2000 \
	0x3000 0x200000 0x400000 0x600000 0x800000 0x40000000 0x80000000 \
	0xc0000000 0x8000000000 0x10000000000
check corrupt_s2.ha "$TDP" translate $F --ha $IMG 0x400000 0x600000
check corrupt_s2.verbose "$TDP" translate $F $IMG --verbose 0x1000 \
	0x600000 0x80000000 0xc0000000
check corrupt_s2.dump "$TDP" dump $F $IMG
check corrupt_s2.stats "$TDP" stats $F $IMG
