# EPT misconfigurations (SDM 29.3.3.1): write without read, execute-only
# without the capability, memory type 2, 3 or 7 in a leaf, reserved bits
# (6:3 in non-leaf entries, 51:MAXPHYADDR).
F="--format ept4 --pa-bits 36"
IMG="--image e.img --root 0"
check corrupt_ept.build "$TDP" build $F --size 32k --root 0 --out e.img \
	--ops "$OPS/corrupt_ept.ops"
check corrupt_ept.translate "$TDP" translate $F $IMG 0x0 0x1000 0x2000 \
	0x200000 0x400000 0x600000 0x40000000 0x80000000 0xc0000000
check corrupt_ept.exec-only "$TDP" translate $F --exec-only $IMG \
	--access x 0x200000
check corrupt_ept.verbose "$TDP" translate $F $IMG --verbose 0x200000 \
	0x40000000 0x80000000
check corrupt_ept.dump "$TDP" dump $F $IMG
check corrupt_ept.dot "$TDP" dot $F $IMG --depth 1
