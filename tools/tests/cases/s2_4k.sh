# s2-4k (Arm ARM D8.3 stage-2 descriptors): bits 1:0 11 table/page, 01
# block; MemAttr 5:2 (1111 Normal WB, 0101 Normal NC, 0001 Device-nGnRE);
# S2AP 7:6; SH 9:8; AF 10; XN 54. VTCR_EL2 (D23.2): T0SZ 24, SL0 1 for
# start level 1, IRGN0/ORGN0 1, SH0 3, TG0 0, PS 5 (48 bits), VS, RES1
# bit 31; VTTBR_EL2: BADDR | VMID << 48.
F="--format s2-4k"
IMG="--image s2_4k.img --root 0x2000"
check s2_4k.build "$TDP" build $F --size 64k --root 0x2000 --vmid 5 \
	--out s2_4k.img --ops "$OPS/s2_4k.ops"
check s2_4k.translate "$TDP" translate $F $IMG 0x80000000 0xbfffffff \
	0x40000000 0x40200000 0x40201000 0x8000000000 0x10000000000 0xc0000000
check s2_4k.translate-w "$TDP" translate $F $IMG --access w 0x80000000 \
	0x40200000 0x8000000000
check s2_4k.translate-ha "$TDP" translate $F --ha $IMG --access w \
	0x40200000
checkm s2_4k.leaves "$TDP" translate $F $IMG --verbose 0x80000000 \
	0x40000000 0x40200000 0x8000000000
checkm s2_4k.dump "$TDP" dump $F $IMG
# Start level 0 for the same IPA size: one root page, SL0 2.
check s2_4k.build-l0 "$TDP" build $F --start-level 0 --size 64k --root 0 \
	--out l0.img 'map 0x80000000 1g 0x80000000 rwx'
checkm s2_4k.translate-l0 "$TDP" translate $F --start-level 0 --image l0.img \
	--root 0 --verbose 0x80000000
