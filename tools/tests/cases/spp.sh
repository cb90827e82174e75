# Intel SPP (SDM Vol. 3C 29.3.4): a write-protected 4 KiB EPT leaf with bit
# 61 set takes its write permission per 128-byte sub-page from the SPPT,
# a 4-level table whose leaf holds sub-page i's bit at bit 2i (odd bits
# reserved); SPPTP is the root's address.
F="--format ept4"
run 0 spp.build "$TDP" build $F --size 64k --root 0 --out spp.img \
	'map 0 2m 0 rwx' 'spp 0x1000 0xffff' 'spp 0x3000 0x1'
# The SPPT root is the pool's choice: mask it, and use it below.
sed 's/spptp=0x[0-9a-f]\{16\}/spptp=X/' spp.build.out >spp.build.masked
compare spp.build spp.build.masked
SPPT=$(sed -n 's/.*spptp=\(0x[0-9a-f]*\).*/\1/p' spp.build.out)
# spp implies --spp while building; readers say it.
checkm spp.ept-dump "$TDP" dump $F --spp --image spp.img --root 0
check spp.ept-translate "$TDP" translate $F --spp --image spp.img --root 0 \
	--access w 0x0 0x1000 0x2000 0x3000
check spp.translate "$TDP" translate --format spp --image spp.img \
	--root "$SPPT" 0x1000 0x1fff 0x2000 0x3000 0x200000 0x1000000000000
checkm spp.leaves "$TDP" translate --format spp --image spp.img \
	--root "$SPPT" --verbose 0x1000 0x3000
checkm spp.dump "$TDP" dump --format spp --image spp.img --root "$SPPT"
# An SPPT on its own.
check spp.build-sppt "$TDP" build --format spp --size 64k --root 0 \
	--out sppt.img 'spp 0x5000 0x80000001'
checkm spp.leaves-sppt "$TDP" translate --format spp --image sppt.img \
	--root 0 --verbose 0x5000
