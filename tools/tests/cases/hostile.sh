# Hostile images: every entry of every table pointing at one shared table
# (512^3 paths), every root entry pointing at the root, and image files
# that are not whole pages. The tool must stop cleanly, never crash.
F="--format ia32e4"

# PML4 0x1000: 512 x -> PDPT 0x2000: 512 x -> PD 0x3000: 512 x 2 MiB.
i=0
: >dag.ops
while [ $i -lt 512 ]; do
	o=$((i * 8))
	echo "poke $((0x1000 + o)) 0x2007" >>dag.ops
	echo "poke $((0x2000 + o)) 0x3007" >>dag.ops
	echo "poke $((0x3000 + o)) $((i * 0x200000 + 0x83))" >>dag.ops
	i=$((i + 1))
done
run 0 dag.build "$TDP" build $F --size 16k --root 0x1000 --out dag.img \
	--ops dag.ops
fails 2 "stopped after 100000 entries" "$TDP" dump $F --image dag.img \
	--root 0x1000 --max-entries 100000
fails 2 "stopped after 5000 entries" "$TDP" stats $F --image dag.img \
	--root 0x1000 --max-entries 5000
fails 2 "stopped after 5000 entries" "$TDP" dot $F --image dag.img \
	--root 0x1000 --max-entries 5000
fails 2 "stopped after 5000 entries" "$TDP" diff $F --root 0x1000 \
	--max-entries 5000 dag.img dag.img
check hostile.dag-translate "$TDP" translate $F --image dag.img \
	--root 0x1000 0x7fffffffffff 0xffffffffffffffff

# Every PML4 entry -> the PML4: 512 loops, nothing else.
i=0
: >self.ops
while [ $i -lt 512 ]; do
	echo "poke $((0x1000 + i * 8)) 0x1007" >>self.ops
	i=$((i + 1))
done
run 0 self.build "$TDP" build $F --size 8k --root 0x1000 --out self.img \
	--ops self.ops
run 0 self.dump "$TDP" dump $F --image self.img --root 0x1000
[ "$(grep -c '^  loop ' self.dump.out)" = 512 ] ||
	fail "self.dump: expected 512 loop lines"
check hostile.self-stats "$TDP" stats $F --image self.img --root 0x1000
check hostile.self-translate "$TDP" translate $F --image self.img \
	--root 0x1000 --verbose 0xffffff7fbfdfe000

# Image files that are not whole pages, empty, or not files at all.
printf 'x' >one.img
: >empty.img
head -c 5000 /dev/zero >odd.img
fails 2 "has 1 bytes" "$TDP" translate $F --image one.img --root 0 0
fails 2 "has 0 bytes" "$TDP" dump $F --image empty.img --root 0
fails 2 "has 5000 bytes" "$TDP" stats $F --image odd.img --root 0
fails 2 "cannot open image" "$TDP" dot $F --image missing.img --root 0
mkdir dir.img
fails 2 "dir.img" "$TDP" translate $F --image dir.img --root 0 0
# A root whose table runs past the end of the image (s2-4k: 8 KiB).
fails 2 "is not inside image" "$TDP" translate $F --image dag.img \
	--root 0x4000 0
head -c 12288 /dev/zero >twelve.img
fails 2 "is not inside image" "$TDP" translate --format s2-4k \
	--image twelve.img --root 0x2000 0
