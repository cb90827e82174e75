# diff: what a protect, an unmap, a remap and a repaired entry change. By
# default a block split into pages that translate the same is no
# difference; --sizes counts it.
F="--format ept4"
run 0 a "$TDP" build $F --size 64k --root 0 --out a.img 'map 0 4m 0 rwx'
run 0 b "$TDP" build $F --size 64k --root 0 --out b.img 'map 0 4m 0 rwx' \
	'protect 0x1000 4k r--' 'unmap 0x300000 4k'
run 0 c "$TDP" build $F --size 64k --root 0 --out c.img 'map 0 4m 0 rwx' \
	'map 0x200000 2m 0x800000 rwx replace=1'
run 0 d "$TDP" build $F --size 64k --root 0x8000 --out d.img \
	'map 0 4m 0 rwx'
check diff.ab "$TDP" diff $F --root 0 a.img b.img
check diff.ba "$TDP" diff $F --root 0 b.img a.img
check diff.ab-sizes "$TDP" diff $F --root 0 --sizes a.img b.img
check diff.ac "$TDP" diff $F --root 0 a.img c.img
check diff.same "$TDP" diff $F --root 0 --root-b 0x8000 a.img d.img
# A misconfigured entry and its repair (the ops of corrupt_ept).
run 0 x "$TDP" build $F --pa-bits 36 --size 32k --root 0 --out x.img \
	--ops "$OPS/corrupt_ept.ops"
run 0 y "$TDP" build $F --pa-bits 36 --size 32k --root 0 --out y.img \
	--ops "$OPS/corrupt_ept.ops" 'poke 0x2008 0x2000b5'
check diff.xy "$TDP" diff $F --pa-bits 36 --root 0 x.img y.img
