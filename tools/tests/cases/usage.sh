# Every bad-usage path exits 2 with a message that says what is wrong, and
# prints nothing on stdout; a failing build writes no image.
E="--format ept4"
S="--format s2-4k"
BE="$TDP build $E --size 64k --out x.img"
run 0 ok.build "$TDP" build $E --size 64k --root 0 --out ok.img \
	'map 0 4k 0 rwx'
R="--image ok.img --root 0"

# Help.
for c in build translate dump dot diff stats; do
	"$TDP" $c --help >help.out 2>&1 || fail "tdp $c --help failed"
	grep -q "^usage: tdp $c " help.out || fail "tdp $c --help: no usage"
done
"$TDP" --help >help.out 2>&1 || fail "tdp --help failed"
grep -q "^usage: tdp COMMAND" help.out || fail "tdp --help: no usage"

# The command line.
fails 2 "usage: tdp COMMAND" "$TDP"
fails 2 "unknown command 'frob'" "$TDP" frob
fails 2 "missing --format FMT" "$TDP" dump $R
fails 2 "unknown format 'ept6'" "$TDP" dump --format ept6 $R
fails 2 "unknown option '-v'" "$TDP" dump $E $R -v
fails 2 "unknown option '--frob'" "$TDP" dump $E $R --frob
fails 2 "option --json does not apply to 'tdp translate'" \
	"$TDP" translate $E $R --json 0
fails 2 "option --image needs a value" "$TDP" dump $E --root 0 --image
fails 2 "option --raw takes no value" "$TDP" dump $E $R --raw=1
fails 2 "option --ad does not apply to format s2-4k" "$TDP" dump $S --ad $R
fails 2 "option --xnx does not apply to format ept4" "$TDP" dump $E --xnx $R
fails 2 "option --smep does not apply to format ept4" \
	"$TDP" translate $E $R --smep 0
fails 2 "option --vmid does not apply to format ept4" $BE --vmid 1
fails 2 "--pa-bits x: expected a bit count" "$TDP" dump $E --pa-bits x $R
fails 2 "--ipa-bits 0: expected a bit count" "$TDP" dump $S --ipa-bits 0 $R
fails 2 "--start-level 4: expected a lookup level" \
	"$TDP" dump $S --start-level 4 $R
fails 2 "--root 12q: expected a number" "$TDP" dump $E --image ok.img \
	--root 12q
fails 2 "--base -1: expected a number" "$TDP" dump $E $R --base -1
fails 2 "--size 1x: expected a number" "$TDP" build $E --size 1x --out x.img
fails 2 "--vmid 65536: expected a VMID" "$TDP" build $S --size 64k \
	--out x.img --vmid 65536
fails 2 "--access q: 'q' is not one of r, w, x" \
	"$TDP" translate $E $R --access q 0
fails 2 "--depth 7: expected a depth" "$TDP" dot $E $R --depth 7
fails 2 "--max-entries 0: expected a positive number" \
	"$TDP" dump $E $R --max-entries 0
fails 2 "--root-b x: expected a number" "$TDP" diff $E --root 0 \
	--root-b x ok.img ok.img
fails 2 "--base-b x: expected a number" "$TDP" diff $E --root 0 \
	--base-b x ok.img ok.img
fails 2 "--root 0x1q: expected a number" "$TDP" dump $E --image ok.img \
	--root 0x1q

# Configurations libtdp refuses.
fails 2 "s2-4k cannot have --ipa-bits 60 and --pa-bits 48" \
	"$TDP" dump $S --ipa-bits 60 $R
fails 2 "s2-4k cannot have --ipa-bits 40, --pa-bits 48 and --start-level 3" \
	"$TDP" dump $S --start-level 3 $R
fails 2 "ept4 cannot have --pa-bits 60" "$TDP" dump $E --pa-bits 60 $R
fails 2 "legacy32 cannot have --pa-bits 44" \
	"$TDP" dump --format legacy32 --pa-bits 44 $R

# Reading commands.
fails 2 "missing --image FILE" "$TDP" translate $E --root 0 0
fails 2 "missing --root PA" "$TDP" translate $E --image ok.img 0
fails 2 "no address to translate" "$TDP" translate $E $R
fails 2 "'zz' is not an address" "$TDP" translate $E $R 0 zz
fails 2 "missing --image FILE" "$TDP" dump $E --root 0
fails 2 "missing --root PA" "$TDP" stats $E --image ok.img
fails 2 "unexpected argument 'extra'" "$TDP" dump $E $R extra
fails 2 "unexpected argument 'extra'" "$TDP" dot $E $R extra
fails 2 "--root 0x10 is not aligned as ept4 requires (4096 bytes)" \
	"$TDP" dump $E --image ok.img --root 0x10
fails 2 "root table at 0x10000 is not inside image ok.img" \
	"$TDP" stats $E --image ok.img --root 0x10000
fails 2 "--base 0x10 is not a multiple of 4096" \
	"$TDP" dump $E $R --base 0x10
fails 2 "runs past the top of the address space" \
	"$TDP" dump $E --image ok.img --base 0xfffffffffffff000 \
	--root 0xfffffffffffff000
fails 2 "expected two images" "$TDP" diff $E --root 0 ok.img
fails 2 "missing --root PA" "$TDP" diff $E ok.img ok.img
fails 2 "cannot open image nope.img" "$TDP" diff $E --root 0 ok.img nope.img

# build: options.
fails 2 "missing --size BYTES" "$TDP" build $E --out x.img
fails 2 "missing --out FILE" "$TDP" build $E --size 64k
fails 2 "--size 5000 is not a positive multiple of 4096" \
	"$TDP" build $E --size 5000 --out x.img
fails 2 "--size 0 is not a positive multiple of 4096" \
	"$TDP" build $E --size 0 --out x.img
fails 2 "--root 0x800 is not aligned as ept4 requires (4096 bytes)" \
	$BE --root 0x800
fails 2 "--root 0x10000: the 4096-byte root table is not inside the image" \
	$BE --root 0x10000
fails 2 "--root 0x1000 is not aligned as s2-4k requires (8192 bytes)" \
	"$TDP" build $S --size 64k --out x.img --root 0x1000
fails 2 "no room for the 8192-byte root table" "$TDP" build $S --size 4k \
	--out x.img
fails 2 "cannot open ops file nope.ops" $BE --ops nope.ops
fails 2 "cannot create no/such/dir.img" "$TDP" build $E --size 64k \
	--out no/such/dir.img 'map 0 4k 0 r'

# build: operations, with their place named.
printf '# comment\n\nmap 0 4k 0 rwx\nfrob 1 2\n' >bad.ops
fails 2 "bad.ops:4: 'frob 1 2': unknown operation 'frob'" $BE --ops bad.ops
printf 'map 0 4k 0 r\nbogus\n' >stdin.ops
fails 2 "-:2: 'bogus': unknown operation 'bogus'" $BE --ops - <stdin.ops
fails 2 "op 2: 'map': expected: map ADDR SIZE PA PERMS" $BE \
	'map 0 4k 0 r' map
fails 2 "'unmap 0 4k 0': expected: unmap ADDR SIZE" $BE 'unmap 0 4k 0'
fails 2 "'poke 0': expected: poke PA VALUE" $BE 'poke 0'
fails 2 "ADDR 'x' is not a number" $BE 'map x 4k 0 r'
fails 2 "SIZE '4q' is not a number" $BE 'map 0 4q 0 r'
fails 2 "PA '-1' is not a number" $BE 'map 0 4k -1 r'
fails 2 "unknown permission 'z' in 'rwz'" $BE 'map 0 4k 0 rwz'
fails 2 "'u' (user-accessible) exists only in x86 paging formats" \
	$BE 'map 0 4k 0 rwxu'
fails 2 "'S' (execute in one mode only) needs --mbec (EPT) or --xnx" \
	$BE 'map 0 4k 0 rS'
fails 2 "'mt' is not KEY=VALUE" $BE 'map 0 4k 0 r mt'
fails 2 "unknown key 'colour'" $BE 'map 0 4k 0 r colour=red'
fails 2 "mt=pink: unknown memory type" $BE 'map 0 4k 0 r mt=pink'
fails 2 "af=2: expected 0 or 1" $BE 'map 0 4k 0 r af=2'
fails 2 "max=3m is not a page size of ept4 (one of: 4K 2M 1G)" \
	$BE 'map 0 4k 0 r max=3m'
fails 2 "max=2m is not a page size of s2-64k (one of: 64K 512M)" \
	"$TDP" build --format s2-64k --size 1m --out x.img \
	'map 0 64k 0 r max=2m'
fails 2 "xn= needs --mbec (EPT) or --xnx (arm64)" $BE 'map 0 4k 0 r xn=el0'
fails 2 "xn=el2: expected none, all, el0" "$TDP" build $S --xnx \
	--size 64k --out x.img 'map 0 4k 0 r xn=el2'
fails 2 "pat=8: expected 0..7" "$TDP" build --format ia32e4 --size 64k \
	--out x.img 'map 0 4k 0 r pat=8'
fails 2 "pkey=16: expected 0..15" "$TDP" build --format ia32e4 \
	--size 64k --out x.img 'map 0 4k 0 r pkey=16'
fails 2 "sh=all: expected none, outer or inner" "$TDP" build $S \
	--size 64k --out x.img 'map 0 4k 0 r sh=all'
fails 2 "sw=0x100000000 is too large" $BE 'map 0 4k 0 r sw=0x100000000'
fails 2 "protect takes only xn=" $BE 'map 0 4k 0 r' 'protect 0 4k r mt=uc'
fails 2 "addresses and sizes must be multiples of 4K" $BE 'map 1 4k 0 r'
fails 2 "addresses and sizes must be multiples of 64K" "$TDP" build \
	--format s2-64k --size 1m --out x.img 'map 0 4k 0 r'
fails 2 "the range is outside the 48-bit input space, or the output beyond --pa-bits 39" \
	"$TDP" build $E --pa-bits 39 --size 64k --out x.img \
	'map 0 4k 0x8000000000 r'
fails 2 "the range is outside the 48-bit input space" $BE \
	'map 0x1000000000000 4k 0 r'
fails 2 "ept4 cannot express these attributes (EPT: write needs read)" \
	$BE 'map 0 4k 0 -w-'
fails 2 "(EPT: execute-only needs --exec-only)" $BE 'map 0 4k 0 x'
fails 2 "(EPT: an entry without permissions maps nothing)" $BE 'map 0 4k 0 -'
fails 2 "(without NX every page is executable: add x)" "$TDP" build \
	--format legacy32 --size 64k --out x.img 'map 0 4k 0 rw'
fails 2 "(without NX every page is executable: add x)" "$TDP" build \
	--format pae --no-nx --size 64k --out x.img 'map 0 4k 0 rw'
fails 2 "(x86 paging: every page is readable)" "$TDP" build \
	--format ia32e4 --size 64k --out x.img 'map 0 4k 0 -wx'
fails 2 "s2-4k cannot express these attributes" "$TDP" build $S \
	--size 64k --out x.img 'map 0 4k 0 r mt=uc-'
fails 2 "something is already mapped in the range (add replace=1" $BE \
	'map 0 4k 0 r' 'map 0 8k 0 r'
fails 2 "no room for more tables in the image (increase --size)" \
	"$TDP" build $E --size 8k --out x.img 'map 0 4k 0 r'
# PML4[0] with bit 3 set: reserved in an EPT table entry (a misconfig).
fails 2 "a corrupt entry lies in the way" $BE --root 0 \
	'poke 0 0x100f' 'map 0 4k 0 r'
fails 2 "ept4 has no accessed flags without --ad" $BE 'mkold 0 4k'
fails 2 "PA is not a multiple of the 8-byte entry size" $BE 'poke 4 1'
fails 2 "PA is outside the image (0x0-0xffff)" $BE 'poke 0x10000 1'
fails 2 "VALUE does not fit in a 4-byte entry" "$TDP" build \
	--format legacy32 --size 64k --out x.img 'poke 0 0x100000000'
fails 2 "spp does not apply to format s2-4k" "$TDP" build $S --size 64k \
	--out x.img 'spp 0 1'
fails 2 "map does not apply to format spp" "$TDP" build --format spp \
	--size 64k --out x.img 'map 0 4k 0 r'
fails 2 "the EPT does not map ADDR (map it first)" $BE 'spp 0x1000 1'
fails 2 "BITMAP has 32 bits" $BE 'map 0 4k 0 rw' 'spp 0 0x100000000'
fails 2 "ADDR is at or above 2^48, beyond the SPPT" "$TDP" build \
	--format ept5 --size 64k --out x.img \
	'map 0x1000000000000 4k 0 rw' 'spp 0x1000000000000 1'
[ -e x.img ] && fail "a failed build wrote x.img"
[ -e no ] && fail "a failed build made a directory"
