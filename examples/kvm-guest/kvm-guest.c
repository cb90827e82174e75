/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * libtdp in a hypervisor: a small VMM that builds its guest's own x86 page
 * tables with libtdp and checks, access by access, that a real x86 MMU
 * translates them exactly as libtdp's lookup says.
 *
 * Guest RAM is one host buffer. libtdp's pool backend manages it as
 * guest-physical memory (pool base 0 = guest-physical 0), so tdp_map()
 * writes the guest's IA-32e tables straight into guest RAM. The guest's
 * code, system tables, parameter, result and stack pages and a 2 MiB data
 * region are claimed from the pool first, so tables land elsewhere.
 *
 * Every 8-byte word of the data region holds its own guest-physical
 * address (its tag), and the last 16 bytes of each data page hold
 * "mov $page, %rdx; ud2", so a read, a write or an instruction fetch shows
 * where in guest RAM it landed.
 *
 * The guest (64-bit code assembled into this file) runs a list of probes:
 * read, write or execute at a linear address, in ring 0 or ring 3. A probe
 * that completes ends with ud2, and the #UD handler records what it saw;
 * one that faults enters an exception handler that records the vector,
 * error code and CR2. Either way the guest goes on with the next probe.
 * (Not "int $0x80": a hypervisor may emulate software interrupts, and
 * KVM's emulator cannot deliver them in long mode; exceptions it injects.)
 * The VMM then compares each outcome with tdp_translate()/tdp_lookup() on
 * the same tables: the value (from a shadow copy of guest RAM), the #PF
 * error code the SDM derives from libtdp's fault (P, W/R, U/S, RSVD, I/D),
 * #GP for non-canonical addresses, the final contents of the data region,
 * and the accessed/dirty bits the CPU set in the tables.
 *
 * Four paging modes, each with tables libtdp builds: ia32e4 and ia32e5
 * (64-bit code), pae and legacy32 (the same probes from 32-bit protected-
 * mode code, guest32_*, with 4-byte accesses). Two engines run the guest:
 *   kvm-guest          /dev/kvm, the registers set with KVM_SET_SREGS;
 *   kvm-guest --qemu   QEMU's software CPU (TCG) with LA57, booting the same
 *                      guest as a multiboot image whose 32-bit entry stub
 *                      enables the paging mode; guest RAM is a file shared
 *                      with QEMU, read back after the guest exits through
 *                      isa-debug-exit.
 * Paging modes an engine cannot run are printed as "SKIPPED (reason)".
 * Exit status: 0 all agree, 1 any disagreement or failure, 77 the engine is
 * unavailable (ctest's SKIP_RETURN_CODE).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libtdp/tdp.h>

#define KiB 1024ull
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

/*
 * Guest-physical layout. Everything the guest needs lies in [1 MiB, 4 MiB)
 * because that is the image QEMU's multiboot loader copies to 1 MiB; under
 * KVM the same layout simply sits in 4 MiB of RAM from 0.
 */
#define RAM_SIZE (4 * MiB)
#define IMG_BASE 0x100000
#define BOOT_PA 0x100000    /* multiboot header, entry stub, boot info */
#define CODE_PA 0x101000    /* the guest's 64-bit code */
#define SYS_PA 0x102000     /* GDT, TSS, IDT */
#define PARAMS_PA 0x103000  /* the probe list */
#define RESULTS_PA 0x104000 /* what the guest saw */
#define STACK_PA 0x105000   /* ring-0 stack */
#define FIXED_END 0x106000
#define DATA_PA 0x200000    /* 2 MiB of tagged pages */
#define DATA_SIZE (2 * MiB)

/* Offsets inside the boot and system pages. */
#define BOOT_CODE_OFF 0x100
#define BOOT_CODE_PA 0x100100
#define BOOT_INFO_PA 0x100800
#define GDT_OFF 0x0
#define TSS_OFF 0x80
#define IDT_OFF 0x200
#define IDT_VECTORS 32 /* the exceptions */

/* Boot info block (BOOT_INFO_PA), read by the 32-bit entry stub. */
#define BI_GDTR32 0x00   /* 2-byte limit, 4-byte base: the boot GDT */
#define BI_CR4 0x08
#define BI_CR3 0x10
#define BI_EFER 0x18
#define BI_CR0 0x20
#define BI_GDTR64 0x28   /* 2-byte limit, 8-byte base: the kernel GDT */
#define BI_IDTR 0x38
#define BI_RSP 0x48
#define BI_RDI 0x50
#define BI_RSI 0x58
#define BI_ENTRY 0x60
#define BI_GDT 0x80      /* the boot GDT: null, code64, data */

/* Selectors of the kernel GDT (the boot GDT has the first three). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x1b   /* 0x18 | RPL 3 */
#define SEL_UCODE 0x23   /* 0x20 | RPL 3 */
#define SEL_TSS 0x28

/* Kernel linear addresses (upper half: canonical for 4- and 5-level). */
#define KBASE 0xffffffff80000000ull
#define CODE_VA (KBASE + 0x0000)
#define SYS_VA (KBASE + 0x1000)
#define PARAMS_VA (KBASE + 0x2000)
#define RESULTS_VA (KBASE + 0x3000)
#define STACK_VA (KBASE + 0x5000) /* KBASE + 0x4000 is an unmapped guard */
#define STACK_TOP (STACK_VA + 0x1000)

/* The same pages for PAE and 32-bit paging guests, at 3 GiB. */
#define CODE32_VA 0xc0000000
#define SYS32_VA (CODE32_VA + 0x1000)
#define PARAMS32_VA (CODE32_VA + 0x2000)
#define RESULTS32_VA (CODE32_VA + 0x3000)
#define STACK32_VA (CODE32_VA + 0x5000)
#define STACK32_TOP (STACK32_VA + 0x1000)

/* Probe list (params page) and results page layouts, shared with the asm. */
#define P_COUNT 0
#define P_STACK 8 /* 32-bit code: the ring-0 stack top */
#define P_TESTS 64
#define T_ADDR 0
#define T_KIND 8
#define T_MARKER 16
#define T_SHIFT 5 /* 32 bytes per probe */
#define H_STATUS 0
#define H_DONE 8
#define H_MAXPHY 16
#define H_VECTOR 24
#define H_ERROR 32
#define H_RIP 40
#define R_RECS 64
#define R_VECTOR 0
#define R_VALUE 8
#define R_ERROR 16
#define R_CR2 24
#define R_SHIFT 5
#define MAX_PROBES ((4096 - 64) / 32)

#define STATUS_DONE 0x454e4f44   /* "DONE" */
#define STATUS_ABORT 0x54524241  /* "ABRT" */
#define EXIT_PORT 0xf4           /* also QEMU's isa-debug-exit */
#define VEC_DONE 6                /* #UD: every probe ends with ud2 */

/* Probe kinds. */
#define OP_READ 0
#define OP_WRITE 1
#define OP_EXEC 2
#define OP_MASK 3
#define OP_USER 0x100

/* x86 #PF error-code bits (SDM vol. 3, 4.7). */
#define PF_P 0x01
#define PF_W 0x02
#define PF_U 0x04
#define PF_RSVD 0x08
#define PF_I 0x10

#define X86_CR0_PE (1u << 0)
#define X86_CR0_MP (1u << 1)
#define X86_CR0_ET (1u << 4)
#define X86_CR0_NE (1u << 5)
#define X86_CR0_WP (1u << 16)
#define X86_CR0_PG (1u << 31)
#define X86_CR4_PSE (1u << 4)
#define X86_CR4_PAE (1u << 5)
#define X86_CR4_LA57 (1u << 12)
#define X86_EFER_LME (1u << 8)
#define X86_EFER_LMA (1u << 10)
#define X86_EFER_NXE (1u << 11)

#define GUEST_CR0                                                             \
	(X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP |     \
	 X86_CR0_PG)

#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * The guest's 64-bit code, copied to CODE_PA and run at CODE_VA. It is
 * position independent (RIP-relative only), so the bytes in this binary
 * need no relocation. Register use: r15 = probe list, r14 = results,
 * r13 = current probe, r12 = ring-0 stack top. Handlers never return to
 * the interrupted code: they record the outcome, reset the stack and go
 * on with the next probe, so a probe needs no instruction-length decoding
 * to be skipped.
 */
__asm__(
	"	.pushsection .rodata.tdp_kvm_guest_code,\"a\"\n"
	"	.p2align 12\n"
	"guest_code_start:\n"
	"guest_entry:\n"
	"	mov %rdi, %r15\n"
	"	mov %rsi, %r14\n"
	"	mov %rsp, %r12\n"
	"	xor %r13d, %r13d\n"
	/* Report the MAXPHYADDR this CPU enforces. */
	"	mov $0x80000008, %eax\n"
	"	cpuid\n"
	"	movzbl %al, %eax\n"
	"	mov %rax, " STR(H_MAXPHY) "(%r14)\n"
	"guest_next:\n"
	"	mov %r12, %rsp\n"
	"	cmp " STR(P_COUNT) "(%r15), %r13\n"
	"	jae guest_done\n"
	"	mov %r13, %r11\n"
	"	shl $" STR(T_SHIFT) ", %r11\n"
	"	lea " STR(P_TESTS) "(%r15,%r11), %r11\n"
	"	mov " STR(T_ADDR) "(%r11), %rax\n"
	"	mov " STR(T_MARKER) "(%r11), %rbx\n"
	"	mov " STR(T_KIND) "(%r11), %rcx\n"
	"	mov %ecx, %r8d\n"
	"	and $" STR(OP_MASK) ", %r8d\n"
	"	lea guest_probe_read(%rip), %rdx\n"
	"	cmp $" STR(OP_WRITE) ", %r8d\n"
	"	jne 1f\n"
	"	lea guest_probe_write(%rip), %rdx\n"
	"1:	cmp $" STR(OP_EXEC) ", %r8d\n"
	"	jne 2f\n"
	/* Fetch: jump to the probe stub at the target address itself. */
	"	mov %rax, %rdx\n"
	"2:	test $" STR(OP_USER) ", %ecx\n"
	"	jnz 3f\n"
	"	jmp *%rdx\n"
	/* Ring 3: iretq to the probe; it comes back through a gate. */
	"3:	pushq $" STR(SEL_UDATA) "\n"
	"	pushq $0\n"
	"	pushq $2\n"
	"	pushq $" STR(SEL_UCODE) "\n"
	"	push %rdx\n"
	"	iretq\n"
	"guest_probe_read:\n"
	"	mov (%rax), %rdx\n"
	"	ud2\n"
	"guest_probe_write:\n"
	"	mov %rbx, (%rax)\n"
	"	mov (%rax), %rdx\n"
	"	ud2\n"
	/* #UD from the ud2 that ends every probe: rdx is what it saw. */
	"guest_done_trap:\n"
	"	cmp " STR(P_COUNT) "(%r15), %r13\n"
	"	jae guest_stray\n"
	"	mov %r13, %r11\n"
	"	shl $" STR(R_SHIFT) ", %r11\n"
	"	lea " STR(R_RECS) "(%r14,%r11), %r11\n"
	"	movq $" STR(VEC_DONE) ", " STR(R_VECTOR) "(%r11)\n"
	"	mov %rdx, " STR(R_VALUE) "(%r11)\n"
	"	inc %r13\n"
	"	jmp guest_next\n"
	/* Exceptions: the stub pushed the vector (and 0 for no error code). */
	"guest_trap_common:\n"
	"	cmp " STR(P_COUNT) "(%r15), %r13\n"
	"	jae guest_abort\n"
	"	mov %r13, %r11\n"
	"	shl $" STR(R_SHIFT) ", %r11\n"
	"	lea " STR(R_RECS) "(%r14,%r11), %r11\n"
	"	pop %rax\n"
	"	mov %rax, " STR(R_VECTOR) "(%r11)\n"
	"	pop %rax\n"
	"	mov %rax, " STR(R_ERROR) "(%r11)\n"
	"	pop %rax\n"
	"	mov %rax, " STR(R_VALUE) "(%r11)\n"
	"	mov %cr2, %rax\n"
	"	mov %rax, " STR(R_CR2) "(%r11)\n"
	"	inc %r13\n"
	"	jmp guest_next\n"
	"guest_done:\n"
	"	mov %r13, " STR(H_DONE) "(%r14)\n"
	"	movq $" STR(STATUS_DONE) ", " STR(H_STATUS) "(%r14)\n"
	"	xor %eax, %eax\n"
	"	jmp guest_exit\n"
	/* A fault outside any probe: record it in the header and stop. */
	"guest_stray:\n"
	"	pushq $0\n"
	"	pushq $" STR(VEC_DONE) "\n"
	"guest_abort:\n"
	"	pop %rax\n"
	"	mov %rax, " STR(H_VECTOR) "(%r14)\n"
	"	pop %rax\n"
	"	mov %rax, " STR(H_ERROR) "(%r14)\n"
	"	pop %rax\n"
	"	mov %rax, " STR(H_RIP) "(%r14)\n"
	"	mov %r13, " STR(H_DONE) "(%r14)\n"
	"	movq $" STR(STATUS_ABORT) ", " STR(H_STATUS) "(%r14)\n"
	"	mov $1, %eax\n"
	"guest_exit:\n"
	"	mov $" STR(EXIT_PORT) ", %edx\n"
	"	out %al, %dx\n"
	"4:	hlt\n"
	"	jmp 4b\n"
	/*
	 * 32 exception stubs of exactly 16 bytes: push 0 where the CPU
	 * pushes no error code, push the vector, jmp rel32 to the common
	 * handler. Spelled as bytes so both assemblers emit the same size.
	 */
	"	.macro guest_stub vec, err, handler\n"
	"	.if \\err\n"
	"	.byte 0x66, 0x90\n"
	"	.else\n"
	"	.byte 0x6a, 0x00\n"
	"	.endif\n"
	"	.byte 0x6a, \\vec\n"
	"	.byte 0xe9\n"
	"	.long \\handler - . - 4\n"
	"	.fill 7, 1, 0xcc\n"
	"	.endm\n"
	"	.macro stub64 vec, err\n"
	"	guest_stub \\vec, \\err, guest_trap_common\n"
	"	.endm\n"
	"	.macro stub32 vec, err\n"
	"	guest_stub \\vec, \\err, guest32_trap_common\n"
	"	.endm\n"
	"guest_stubs:\n"
	"	stub64 0, 0\n	stub64 1, 0\n"
	"	stub64 2, 0\n	stub64 3, 0\n"
	"	stub64 4, 0\n	stub64 5, 0\n"
	"	stub64 6, 0\n	stub64 7, 0\n"
	"	stub64 8, 1\n	stub64 9, 0\n"
	"	stub64 10, 1\n	stub64 11, 1\n"
	"	stub64 12, 1\n	stub64 13, 1\n"
	"	stub64 14, 1\n	stub64 15, 0\n"
	"	stub64 16, 0\n	stub64 17, 1\n"
	"	stub64 18, 0\n	stub64 19, 0\n"
	"	stub64 20, 0\n	stub64 21, 1\n"
	"	stub64 22, 0\n	stub64 23, 0\n"
	"	stub64 24, 0\n	stub64 25, 0\n"
	"	stub64 26, 0\n	stub64 27, 0\n"
	"	stub64 28, 0\n	stub64 29, 1\n"
	"	stub64 30, 1\n	stub64 31, 0\n"
"guest_code_end:\n"
	"	.popsection\n");

/*
 * QEMU only: the multiboot entry. QEMU enters it in 32-bit protected mode
 * without paging; it loads CR4 (PAE, and LA57 for 5-level paging), CR3 =
 * the root libtdp built, EFER (LME, NXE) and CR0 (PG, WP) from the boot
 * info block, then far-jumps into the 64-bit part, which loads the GDT,
 * IDT and TSS the VMM otherwise sets with KVM_SET_SREGS and jumps to the
 * same guest entry. The boot page is identity mapped so the instructions
 * around the switch to paging keep working. The 64-bit part comes first so
 * every address is an absolute constant (no forward references).
 */
__asm__(
	"	.pushsection .rodata.tdp_kvm_guest_boot,\"a\"\n"
	"	.p2align 4\n"
	"guest_boot_start:\n"
	"	lgdt " STR(BOOT_INFO_PA) "+" STR(BI_GDTR64) "\n"
	"	mov $" STR(SEL_KDATA) ", %eax\n"
	"	mov %eax, %ds\n"
	"	mov %eax, %es\n"
	"	mov %eax, %ss\n"
	"	lidt " STR(BOOT_INFO_PA) "+" STR(BI_IDTR) "\n"
	"	mov $" STR(SEL_TSS) ", %eax\n"
	"	ltr %ax\n"
	"	mov " STR(BOOT_INFO_PA) "+" STR(BI_RSP) ", %rsp\n"
	"	mov " STR(BOOT_INFO_PA) "+" STR(BI_RDI) ", %rdi\n"
	"	mov " STR(BOOT_INFO_PA) "+" STR(BI_RSI) ", %rsi\n"
	"	jmp *" STR(BOOT_INFO_PA) "+" STR(BI_ENTRY) "\n"
	"	.code32\n"
	"guest_boot32:\n"
	"	cli\n"
	"	lgdtl " STR(BOOT_INFO_PA) "+" STR(BI_GDTR32) "\n"
	"	mov " STR(BOOT_INFO_PA) "+" STR(BI_CR4) ", %eax\n"
	"	mov %eax, %cr4\n"
	"	mov " STR(BOOT_INFO_PA) "+" STR(BI_CR3) ", %eax\n"
	"	mov %eax, %cr3\n"
	"	mov $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	or " STR(BOOT_INFO_PA) "+" STR(BI_EFER) ", %eax\n"
	"	wrmsr\n"
	"	mov " STR(BOOT_INFO_PA) "+" STR(BI_CR0) ", %eax\n"
	"	mov %eax, %cr0\n"
	"	ljmp $" STR(SEL_KCODE) ", $" STR(BOOT_CODE_PA) "\n"
	"	.code64\n"
	"guest_boot_end:\n"
	"	.popsection\n");

/*
 * The 32-bit guest (PAE and 32-bit paging), copied to CODE_PA and run at
 * CODE32_VA: the same loop in protected mode. Without RIP-relative
 * addressing the probes come first, at known offsets, so their absolute
 * addresses are constants. esi = probe list, edi = results, ebp = current
 * probe; the stack top is in the probe list. DS and ES hold the flat ring-3
 * data segment, so ring-3 probes can use them too.
 */
__asm__(
	"	.pushsection .rodata.tdp_kvm_guest_code32,\"a\"\n"
	"	.p2align 12\n"
	"	.code32\n"
	"guest32_start:\n"
	"	mov (%eax), %edx\n"
	"	ud2\n"
	"guest32_probe_write:\n"
	"	mov %ebx, (%eax)\n"
	"	mov (%eax), %edx\n"
	"	ud2\n"
	"guest32_done_trap:\n"
	"	cmp " STR(P_COUNT) "(%esi), %ebp\n"
	"	jae guest32_stray\n"
	"	mov %ebp, %ecx\n"
	"	shl $" STR(R_SHIFT) ", %ecx\n"
	"	lea " STR(R_RECS) "(%edi,%ecx), %ecx\n"
	"	movl $" STR(VEC_DONE) ", " STR(R_VECTOR) "(%ecx)\n"
	"	mov %edx, " STR(R_VALUE) "(%ecx)\n"
	"	inc %ebp\n"
	"	jmp guest32_next\n"
	"guest32_trap_common:\n"
	"	cmp " STR(P_COUNT) "(%esi), %ebp\n"
	"	jae guest32_abort\n"
	"	mov %ebp, %ecx\n"
	"	shl $" STR(R_SHIFT) ", %ecx\n"
	"	lea " STR(R_RECS) "(%edi,%ecx), %ecx\n"
	"	pop %eax\n"
	"	mov %eax, " STR(R_VECTOR) "(%ecx)\n"
	"	pop %eax\n"
	"	mov %eax, " STR(R_ERROR) "(%ecx)\n"
	"	pop %eax\n"
	"	mov %eax, " STR(R_VALUE) "(%ecx)\n"
	"	mov %cr2, %eax\n"
	"	mov %eax, " STR(R_CR2) "(%ecx)\n"
	"	inc %ebp\n"
	"	jmp guest32_next\n"
	"guest32_entry:\n"
	"	xor %ebp, %ebp\n"
	"	mov $0x80000008, %eax\n"
	"	cpuid\n"
	"	movzbl %al, %eax\n"
	"	mov %eax, " STR(H_MAXPHY) "(%edi)\n"
	"guest32_next:\n"
	"	mov " STR(P_STACK) "(%esi), %esp\n"
	"	cmp " STR(P_COUNT) "(%esi), %ebp\n"
	"	jae guest32_done\n"
	"	mov %ebp, %ecx\n"
	"	shl $" STR(T_SHIFT) ", %ecx\n"
	"	lea " STR(P_TESTS) "(%esi,%ecx), %ecx\n"
	"	mov " STR(T_ADDR) "(%ecx), %eax\n"
	"	mov " STR(T_MARKER) "(%ecx), %ebx\n"
	"	mov " STR(T_KIND) "(%ecx), %ecx\n"
	"	mov $" STR(CODE32_VA) ", %edx\n"
	"	test $" STR(OP_WRITE) ", %cl\n"
	"	jz 1f\n"
	"	mov $" STR(CODE32_VA) " + guest32_probe_write - guest32_start"
	", %edx\n"
	"1:	test $" STR(OP_EXEC) ", %cl\n"
	"	jz 2f\n"
	"	mov %eax, %edx\n"
	"2:	test $" STR(OP_USER) ", %ecx\n"
	"	jnz 3f\n"
	"	jmp *%edx\n"
	"3:	push $" STR(SEL_UDATA) "\n"
	"	push $0\n"
	"	push $2\n"
	"	push $" STR(SEL_UCODE) "\n"
	"	push %edx\n"
	"	iret\n"
	"guest32_done:\n"
	"	mov %ebp, " STR(H_DONE) "(%edi)\n"
	"	movl $" STR(STATUS_DONE) ", " STR(H_STATUS) "(%edi)\n"
	"	xor %eax, %eax\n"
	"	jmp guest32_exit\n"
	"guest32_stray:\n"
	"	push $0\n"
	"	push $" STR(VEC_DONE) "\n"
	"guest32_abort:\n"
	"	pop %eax\n"
	"	mov %eax, " STR(H_VECTOR) "(%edi)\n"
	"	pop %eax\n"
	"	mov %eax, " STR(H_ERROR) "(%edi)\n"
	"	pop %eax\n"
	"	mov %eax, " STR(H_RIP) "(%edi)\n"
	"	mov %ebp, " STR(H_DONE) "(%edi)\n"
	"	movl $" STR(STATUS_ABORT) ", " STR(H_STATUS) "(%edi)\n"
	"	mov $1, %eax\n"
	"guest32_exit:\n"
	"	mov $" STR(EXIT_PORT) ", %edx\n"
	"	out %al, %dx\n"
	"4:	hlt\n"
	"	jmp 4b\n"
	"guest32_stubs:\n"
	"	stub32 0, 0\n	stub32 1, 0\n"
	"	stub32 2, 0\n	stub32 3, 0\n"
	"	stub32 4, 0\n	stub32 5, 0\n"
	"	stub32 6, 0\n	stub32 7, 0\n"
	"	stub32 8, 1\n	stub32 9, 0\n"
	"	stub32 10, 1\n	stub32 11, 1\n"
	"	stub32 12, 1\n	stub32 13, 1\n"
	"	stub32 14, 1\n	stub32 15, 0\n"
	"	stub32 16, 0\n	stub32 17, 1\n"
	"	stub32 18, 0\n	stub32 19, 0\n"
	"	stub32 20, 0\n	stub32 21, 1\n"
	"	stub32 22, 0\n	stub32 23, 0\n"
	"	stub32 24, 0\n	stub32 25, 0\n"
	"	stub32 26, 0\n	stub32 27, 0\n"
	"	stub32 28, 0\n	stub32 29, 1\n"
	"	stub32 30, 1\n	stub32 31, 0\n"
	"guest32_code_end:\n"
	/*
	 * QEMU only: the multiboot entry for PAE and 32-bit paging. The GDT
	 * lives in the identity-mapped boot page, so it stays valid once
	 * paging is on.
	 */
	"guest32_boot:\n"
	"	cli\n"
	"	lgdtl " STR(BOOT_INFO_PA) "+" STR(BI_GDTR32) "\n"
	"	mov $" STR(SEL_KDATA) ", %eax\n"
	"	mov %eax, %ss\n"
	"	mov $" STR(SEL_UDATA) ", %eax\n"
	"	mov %eax, %ds\n"
	"	mov %eax, %es\n"
	"	lidtl " STR(BOOT_INFO_PA) "+" STR(BI_IDTR) "\n"
	"	mov " STR(BOOT_INFO_PA) "+" STR(BI_CR4) ", %eax\n"
	"	mov %eax, %cr4\n"
	"	mov " STR(BOOT_INFO_PA) "+" STR(BI_CR3) ", %eax\n"
	"	mov %eax, %cr3\n"
	"	mov $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	or " STR(BOOT_INFO_PA) "+" STR(BI_EFER) ", %eax\n"
	"	wrmsr\n"
	"	mov " STR(BOOT_INFO_PA) "+" STR(BI_CR0) ", %eax\n"
	"	mov %eax, %cr0\n"
	"	mov $" STR(SEL_TSS) ", %eax\n"
	"	ltr %ax\n"
	"	mov " STR(BOOT_INFO_PA) "+" STR(BI_RSP) ", %esp\n"
	"	mov " STR(BOOT_INFO_PA) "+" STR(BI_RDI) ", %esi\n"
	"	mov " STR(BOOT_INFO_PA) "+" STR(BI_RSI) ", %edi\n"
	"	jmp *" STR(BOOT_INFO_PA) "+" STR(BI_ENTRY) "\n"
	"guest32_end:\n"
	"	.code64\n"
	"	.popsection\n");

extern const unsigned char guest32_start[], guest32_code_end[];
extern const unsigned char guest32_entry[], guest32_done_trap[];
extern const unsigned char guest32_stubs[], guest32_boot[], guest32_end[];

extern const unsigned char guest_code_start[], guest_code_end[];
extern const unsigned char guest_entry[], guest_done_trap[], guest_stubs[];
extern const unsigned char guest_boot_start[], guest_boot32[];
extern const unsigned char guest_boot_end[];

/* Linear addresses of the probes (lower half). */
#define T_VA 0x0000555500000000ull     /* 4 KiB pages, one page table */
#define H_VA 0x0000400000000000ull     /* 2 MiB and 1 GiB leaves */
#define BADPS_VA 0x0000600000000000ull /* PML4E with PS set (reserved) */
#define EMPTY_VA 0x0000700000000000ull /* nothing under this PML4E */
#define FIVE_VA 0x00ab000000000000ull  /* canonical only with 5 levels */
#define HOLE5_VA 0x0000800000000000ull /* canonical only with 5 levels */
#define NONCANON_VA 0x8000000000000000ull

struct probe {
	uint64_t addr;
	uint32_t kind;
	const char *what;
};

/*
 * The probe list: the same for every paging mode; libtdp predicts each
 * outcome from the tables of the mode being run. Read and write addresses
 * are 8-byte aligned, execute addresses point at a data page's stub.
 */
static const struct probe probes64[] = {
	{ T_VA + 0x0008, OP_READ, "rw page" },
	{ T_VA + 0x0010, OP_WRITE, "rw page" },
	{ T_VA + 0x5010, OP_READ, "alias of rw page" },
	{ T_VA + 0x0ff0, OP_EXEC, "rw page, NX" },
	{ T_VA + 0x1018, OP_READ, "read-only page" },
	{ T_VA + 0x1018, OP_WRITE, "read-only page, WP=1" },
	{ T_VA + 0x1ff0, OP_EXEC, "read-only executable page" },
	{ T_VA + 0x2000, OP_READ, "hole in a page table" },
	{ T_VA + 0x2008, OP_WRITE, "hole in a page table" },
	{ T_VA + 0x2ff0, OP_EXEC, "hole in a page table" },
	{ T_VA + 0x3020, OP_READ, "user page, supervisor read" },
	{ T_VA + 0x4028, OP_WRITE, "user read-only, supervisor" },
	{ T_VA + 0x3030, OP_READ | OP_USER, "user rwx page" },
	{ T_VA + 0x3038, OP_WRITE | OP_USER, "user rwx page" },
	{ T_VA + 0x3ff0, OP_EXEC | OP_USER, "user rwx page" },
	{ T_VA + 0x4040, OP_READ | OP_USER, "user read-only page" },
	{ T_VA + 0x4048, OP_WRITE | OP_USER, "user read-only page" },
	{ T_VA + 0x4ff0, OP_EXEC | OP_USER, "user read-only page, NX" },
	{ T_VA + 0x0050, OP_READ | OP_USER, "supervisor page" },
	{ T_VA + 0x2000, OP_READ | OP_USER, "hole in a page table" },
	{ CODE_VA + 0x10, OP_READ | OP_USER, "guest code page (U)" },
	{ PARAMS_VA, OP_READ | OP_USER, "probe list (supervisor)" },
	{ T_VA + 0x6000, OP_READ, "PTE with a bit >= MAXPHYADDR" },
	{ T_VA + 0x6008, OP_WRITE | OP_USER, "PTE with a bit >= MAXPHYADDR" },
	{ H_VA + 0x4008, OP_READ, "split 2M block" },
	{ H_VA + 0x4010, OP_WRITE, "split 2M block" },
	{ H_VA + 0x5018, OP_WRITE, "split 2M block, protected 4K" },
	{ H_VA + 0x5018, OP_READ, "split 2M block, protected 4K" },
	{ H_VA + 0x3f4560, OP_READ, "2M leaf, read-only" },
	{ H_VA + 0x207ff0, OP_EXEC, "2M leaf, executable" },
	{ H_VA + 0x200100, OP_WRITE, "2M leaf, read-only" },
	{ H_VA + 0x200108, OP_WRITE | OP_USER, "2M leaf, supervisor" },
	{ H_VA + 0x400020, OP_READ, "2M leaf with bit 13 set" },
	{ H_VA + 0x4020a5b8, OP_READ, "1G region" },
	{ H_VA + 0x4020a5c0, OP_WRITE, "1G region, read-only" },
	{ H_VA + 0x4020aff0, OP_EXEC, "1G region, NX" },
	{ BADPS_VA + 0x8, OP_READ, "PML4E with PS set" },
	{ EMPTY_VA, OP_READ, "empty PML4E" },
	{ FIVE_VA + 0x88, OP_READ, "PML5 slot 171" },
	{ FIVE_VA + 0x90, OP_WRITE, "PML5 slot 171" },
	{ FIVE_VA + 0x98, OP_READ | OP_USER, "PML5 slot 171, supervisor" },
	{ HOLE5_VA, OP_READ, "2^47: empty PML5 slot 1" },
	{ NONCANON_VA, OP_READ, "non-canonical" },
	{ NONCANON_VA, OP_READ | OP_USER, "non-canonical" },
};

#define N_PROBES64 (sizeof(probes64) / sizeof(probes64[0]))
#define MAX_MODE_PROBES 64

/* Linear addresses of the probes of PAE and 32-bit paging guests. */
#define T32_VA 0x40000000u     /* 4 KiB pages */
#define H32_VA 0x80000000u     /* large pages (2 MiB PAE, 4 MiB 32-bit) */
#define EMPTY32_VA 0x60000000u /* nothing under this PDE */

/* What libtdp says a probe will do. */
struct expect {
	uint64_t vector;  /* VEC_DONE, 14 (#PF) or 13 (#GP) */
	uint64_t value;   /* VEC_DONE: the value the probe reads */
	uint64_t error;   /* #PF/#GP: the error code */
	uint64_t pa;      /* VEC_DONE: where the access lands */
	uint64_t page_size;
	uint32_t fault;   /* libtdp's tdp_fault */
	int level;        /* libtdp's fault level (engine) */
};

struct guest {
	const char *engine;
	const struct probe *probes;
	unsigned int n_probes;
	unsigned int word;   /* bytes per access: 8, or 4 for 32-bit code */
	bool is32;           /* PAE or 32-bit paging */
	uint64_t large;      /* bytes of a level-1 leaf: 2 MiB or 4 MiB */
	struct probe probe_buf[MAX_MODE_PROBES];
	/*
	 * QEMU's TCG (7.1 and later) reports reserved-bit page faults with
	 * RSVD but without P, although the SDM says RSVD implies P = 1 (and
	 * KVM on real hardware reports P). Such outcomes are accepted under
	 * QEMU and marked in the table.
	 */
	bool rsvd_without_p;
	/*
	 * QEMU's TCG also sets the accessed bit (bit 5) in PAE PDPTEs, where
	 * the SDM reserves it (the CPU loads PDPTEs into registers on a CR3
	 * write and never writes them back). It is cleared, and reported,
	 * before libtdp reads the tables again.
	 */
	bool pdpte_accessed;
	bool no_1g;          /* the CPU has no 1 GiB pages */
	uint32_t format;
	bool la57;
	uint32_t features;
	unsigned int pa_bits;
	uint8_t *ram;       /* guest RAM, guest-physical 0 .. RAM_SIZE */
	uint8_t *shadow;    /* what guest RAM should hold, kept by the VMM */
	struct tdp_pool pool;
	uint64_t bitmap[TDP_POOL_BITMAP_BYTES(RAM_SIZE) / 8];
	struct tdp_pgt pgt;
	bool pgt_live;
	struct expect exp[MAX_MODE_PROBES];
};

/* What a write probe stores: recognisable, and different for every probe. */
static uint64_t probe_marker(const struct guest *g, unsigned int i)
{
	if (g->word == 4)
		return 0x57000000u | i << 16 | (g->probes[i].addr & 0xffff);
	return 0x5700000000000000ull | (uint64_t)i << 48 |
	       (g->probes[i].addr & 0xffffffffffffull);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void wr64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void wr16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static int fail_tdp(const char *what, int ret)
{
	fprintf(stderr, "kvm-guest: %s: %s\n", what, tdp_strerror(ret));
	return -1;
}

/*
 * The stub at the end of every data page: mov $page, %rdx; ud2 (or
 * mov $page, %edx; ud2 for 32-bit code).
 */
static void write_page_stub(const struct guest *g, uint8_t *page, uint64_t pa)
{
	uint8_t *stub = page + 0xff0;

	memset(stub, 0xcc, 16);
	if (g->is32) {
		stub[0] = 0xba;
		wr32(stub + 1, (uint32_t)pa);
		stub[5] = 0x0f; /* ud2 */
		stub[6] = 0x0b;
		return;
	}
	stub[0] = 0x48;
	stub[1] = 0xba;
	wr64(stub + 2, pa);
	stub[10] = 0x0f;
	stub[11] = 0x0b;
}

static void fill_data_region(struct guest *g)
{
	uint64_t pa;

	for (pa = DATA_PA; pa < DATA_PA + DATA_SIZE; pa += 8)
		wr64(g->ram + pa, pa);
	for (pa = DATA_PA; pa < DATA_PA + DATA_SIZE; pa += 4096)
		write_page_stub(g, g->ram + pa, pa);
}

static int map(struct guest *g, uint64_t va, uint64_t size, uint64_t pa,
	       uint32_t perms)
{
	struct tdp_attrs attrs = { .perms = perms };
	int ret;

	ret = tdp_map(&g->pgt, va, size, pa, &attrs, 0, NULL);
	if (ret) {
		fprintf(stderr, "kvm-guest: tdp_map(0x%" PRIx64 ", 0x%" PRIx64
			") failed: %s\n", va, size, tdp_strerror(ret));
		return -1;
	}
	return 0;
}

/* Set bits in the entry at engine @level that maps @va (guest RAM). */
static int corrupt(struct guest *g, uint64_t va, int level, uint64_t bits)
{
	struct tdp_lookup res;
	uint8_t *entry;

	tdp_lookup(&g->pgt, va, &res);
	if (res.last_level > level || level > res.root_level) {
		fprintf(stderr, "kvm-guest: no level-%d entry for 0x%" PRIx64
			"\n", level, va);
		return -1;
	}
	entry = tdp_pool_phys_to_virt(&g->pool, res.entry_pa[level], 8);
	if (!entry)
		return -1;
	wr64(entry, rd64(entry) | bits);
	return 0;
}

#define P_R TDP_PERM_R
#define P_W TDP_PERM_W
#define P_X (TDP_PERM_X | TDP_PERM_XU)
#define P_U TDP_PERM_U

/*
 * The PAE and 32-bit paging guest: the same kinds of mappings below 4 GiB.
 * 32-bit paging has no NX, so every mapping is executable there. Large
 * pages are 2 MiB (PAE) or 4 MiB (32-bit paging with CR4.PSE); the data
 * region sits at offset DATA_PA % large in them.
 */
static int map_guest32(struct guest *g)
{
	uint32_t x = g->format == TDP_FMT_LEGACY32 ? P_X : 0;
	uint64_t big = g->large, big_pa = DATA_PA & ~(big - 1);
	int ret;

	/* The boot page is writable: LTR marks the TSS busy in its GDT. */
	if (map(g, BOOT_PA, 4096, BOOT_PA, P_R | P_W | P_X) ||
	    map(g, CODE_PA, 4096, CODE_PA, P_R | P_X) ||
	    map(g, CODE32_VA, 4096, CODE_PA, P_R | P_X | P_U) ||
	    map(g, SYS32_VA, 4096, SYS_PA, P_R | P_W | x) ||
	    map(g, PARAMS32_VA, 4096, PARAMS_PA, P_R | P_W | x) ||
	    map(g, RESULTS32_VA, 4096, RESULTS_PA, P_R | P_W | x) ||
	    map(g, STACK32_VA, 4096, STACK_PA, P_R | P_W | x))
		return -1;
	if (map(g, T32_VA + 0x0000, 4096, DATA_PA + 0x0000, P_R | P_W | x) ||
	    map(g, T32_VA + 0x1000, 4096, DATA_PA + 0x1000, P_R | P_X) ||
	    map(g, T32_VA + 0x3000, 4096, DATA_PA + 0x3000,
		P_R | P_W | P_X | P_U) ||
	    map(g, T32_VA + 0x4000, 4096, DATA_PA + 0x4000, P_R | P_U | x) ||
	    map(g, T32_VA + 0x5000, 4096, DATA_PA + 0x0000, P_R | P_W | x) ||
	    map(g, T32_VA + 0x6000, 4096, DATA_PA + 0x6000,
		P_R | P_W | P_U | x))
		return -1;
	if (map(g, H32_VA, big, big_pa, P_R | P_W | x) ||
	    map(g, H32_VA + big, big, big_pa, P_R | P_X) ||
	    map(g, H32_VA + 2 * big, big, big_pa, P_R | P_W | x))
		return -1;
	ret = tdp_protect(&g->pgt, H32_VA + (DATA_PA - big_pa) + 0x5000, 4096,
			  0, TDP_PERM_W, 0, NULL);
	if (ret)
		return fail_tdp("tdp_protect", ret);
	/*
	 * Reserved bits: a PAE PTE bit at MAXPHYADDR; bit 13 of a 2 MiB PAE
	 * PDE, bit 21 of a 4 MiB PDE.
	 */
	if (g->pgt.fmt.entry_size == 8 && g->pa_bits < 52 &&
	    corrupt(g, T32_VA + 0x6000, 0, 1ull << g->pa_bits))
		return -1;
	return corrupt(g, H32_VA + 2 * big, 1,
		       g->format == TDP_FMT_PAE ? 1ull << 13 : 1ull << 21);
}

/* The probes of the 32-bit guest, placed by the large-page size. */
static void make_probes32(struct guest *g)
{
	uint64_t big = g->large, d = DATA_PA & (big - 1);
	const struct probe list[] = {
		{ T32_VA + 0x0008, OP_READ, "rw page" },
		{ T32_VA + 0x0010, OP_WRITE, "rw page" },
		{ T32_VA + 0x5010, OP_READ, "alias of rw page" },
		{ T32_VA + 0x0ff0, OP_EXEC, "rw page, NX if NX exists" },
		{ T32_VA + 0x1018, OP_READ, "read-only page" },
		{ T32_VA + 0x1018, OP_WRITE, "read-only page, WP=1" },
		{ T32_VA + 0x1ff0, OP_EXEC, "read-only executable page" },
		{ T32_VA + 0x2000, OP_READ, "hole in a page table" },
		{ T32_VA + 0x2008, OP_WRITE, "hole in a page table" },
		{ T32_VA + 0x2ff0, OP_EXEC, "hole in a page table" },
		{ T32_VA + 0x3020, OP_READ, "user page, supervisor read" },
		{ T32_VA + 0x4028, OP_WRITE, "user read-only, supervisor" },
		{ T32_VA + 0x3030, OP_READ | OP_USER, "user rwx page" },
		{ T32_VA + 0x3038, OP_WRITE | OP_USER, "user rwx page" },
		{ T32_VA + 0x3ff0, OP_EXEC | OP_USER, "user rwx page" },
		{ T32_VA + 0x4040, OP_READ | OP_USER, "user read-only page" },
		{ T32_VA + 0x4048, OP_WRITE | OP_USER, "user read-only page" },
		{ T32_VA + 0x4ff0, OP_EXEC | OP_USER, "user ro page, NX if any" },
		{ T32_VA + 0x0050, OP_READ | OP_USER, "supervisor page" },
		{ T32_VA + 0x2000, OP_READ | OP_USER, "hole in a page table" },
		{ CODE32_VA + 0x10, OP_READ | OP_USER, "guest code page (U)" },
		{ PARAMS32_VA, OP_READ | OP_USER, "probe list (supervisor)" },
		{ T32_VA + 0x6000, OP_READ, "PTE bit >= MAXPHYADDR" },
		{ T32_VA + 0x6008, OP_WRITE | OP_USER, "PTE bit >= MAXPHYADDR" },
		{ H32_VA + d + 0x4008, OP_READ, "split large page" },
		{ H32_VA + d + 0x4010, OP_WRITE, "split large page" },
		{ H32_VA + d + 0x5018, OP_WRITE, "split, protected 4K" },
		{ H32_VA + d + 0x5018, OP_READ, "split, protected 4K" },
		{ H32_VA + big + d + 0x1f4560, OP_READ, "large leaf, read-only" },
		{ H32_VA + big + d + 0x7ff0, OP_EXEC, "large leaf, executable" },
		{ H32_VA + big + d + 0x100, OP_WRITE, "large leaf, read-only" },
		{ H32_VA + big + d + 0x108, OP_WRITE | OP_USER,
		  "large leaf, supervisor" },
		{ H32_VA + 2 * big + d + 0x20, OP_READ,
		  "large leaf, reserved bit" },
		{ EMPTY32_VA, OP_READ, "empty PDE" },
	};

	memcpy(g->probe_buf, list, sizeof(list));
	g->probes = g->probe_buf;
	g->n_probes = sizeof(list) / sizeof(list[0]);
}

/*
 * Build the guest's page tables with libtdp, in guest RAM. The pool covers
 * all of guest RAM with guest-physical base 0; the pages the guest uses
 * for other things are claimed first so no table is allocated there.
 */
static int build_tables(struct guest *g)
{
	struct tdp_format_config cfg = {
		.format = g->format,
		.features = g->features,
		.pa_bits = (uint8_t)g->pa_bits,
	};
	struct tdp_mm mm;
	int ret;

	/* 32-bit paging reaches 40 bits at most (PSE-36). */
	if (g->format == TDP_FMT_LEGACY32 && cfg.pa_bits > 40)
		cfg.pa_bits = 40;
	ret = tdp_pool_init(&g->pool, g->ram, RAM_SIZE, 0, g->bitmap,
			    sizeof(g->bitmap));
	if (ret)
		return fail_tdp("tdp_pool_init", ret);
	/* Below 1 MiB QEMU keeps its BIOS; the image starts at 1 MiB. */
	ret = tdp_pool_claim(&g->pool, 0, IMG_BASE);
	if (!ret)
		ret = tdp_pool_claim(&g->pool, IMG_BASE, FIXED_END - IMG_BASE);
	if (!ret)
		ret = tdp_pool_claim(&g->pool, DATA_PA, DATA_SIZE);
	if (ret)
		return fail_tdp("tdp_pool_claim", ret);
	mm = tdp_pool_mm(&g->pool);
	ret = tdp_pgt_init(&g->pgt, &cfg, &mm);
	if (ret)
		return fail_tdp("tdp_pgt_init", ret);
	g->pgt_live = true;
	g->large = 1ull << tdp_format_level_shift(&g->pgt.fmt, 1);
	if (g->is32) {
		make_probes32(g);
		return map_guest32(g);
	}
	g->probes = probes64;
	g->n_probes = N_PROBES64;

	/* The guest kernel: code (user-executable for ring-3 probes). */
	if (map(g, BOOT_PA, 4096, BOOT_PA, P_R | P_X) ||
	    map(g, CODE_VA, 4096, CODE_PA, P_R | P_X | P_U) ||
	    map(g, SYS_VA, 4096, SYS_PA, P_R | P_W) ||
	    map(g, PARAMS_VA, 4096, PARAMS_PA, P_R | P_W) ||
	    map(g, RESULTS_VA, 4096, RESULTS_PA, P_R | P_W) ||
	    map(g, STACK_VA, 4096, STACK_PA, P_R | P_W))
		return -1;

	/* 4 KiB pages of every kind; T_VA + 0x2000 stays a hole. */
	if (map(g, T_VA + 0x0000, 4096, DATA_PA + 0x0000, P_R | P_W) ||
	    map(g, T_VA + 0x1000, 4096, DATA_PA + 0x1000, P_R | P_X) ||
	    map(g, T_VA + 0x3000, 4096, DATA_PA + 0x3000,
		P_R | P_W | P_X | P_U) ||
	    map(g, T_VA + 0x4000, 4096, DATA_PA + 0x4000, P_R | P_U) ||
	    map(g, T_VA + 0x5000, 4096, DATA_PA + 0x0000, P_R | P_W) ||
	    map(g, T_VA + 0x6000, 4096, DATA_PA + 0x6000, P_R | P_W | P_U))
		return -1;

	/*
	 * Large leaves: a writable 2 MiB block that tdp_protect() then cuts
	 * (libtdp splits it into a page table), a read-only executable one,
	 * one to be corrupted, and a read-only 1 GiB region over guest
	 * physical 0 (2 MiB leaves when the CPU has no 1 GiB pages).
	 */
	if (map(g, H_VA, 2 * MiB, DATA_PA, P_R | P_W) ||
	    map(g, H_VA + 2 * MiB, 2 * MiB, DATA_PA, P_R | P_X) ||
	    map(g, H_VA + 4 * MiB, 2 * MiB, DATA_PA, P_R | P_W) ||
	    map(g, H_VA + GiB, GiB, 0, P_R))
		return -1;
	ret = tdp_protect(&g->pgt, H_VA + 0x5000, 4096, 0, TDP_PERM_W, 0,
			  NULL);
	if (ret)
		return fail_tdp("tdp_protect", ret);

	if (map(g, BADPS_VA, 4096, DATA_PA + 0x7000, P_R | P_W))
		return -1;
	/* Only 5-level paging can express FIVE_VA at all. */
	if (g->la57 && map(g, FIVE_VA, 4096, DATA_PA + 0x8000, P_R | P_W))
		return -1;

	/*
	 * Corruptions the CPU must report with RSVD: a physical-address bit
	 * at MAXPHYADDR in a PTE (when MAXPHYADDR < 52), bit 13 of a 2 MiB
	 * PDE (must be zero), PS in a PML4E (no 512 GiB pages).
	 */
	if (g->pa_bits < 52 &&
	    corrupt(g, T_VA + 0x6000, 0, 1ull << g->pa_bits))
		return -1;
	if (corrupt(g, H_VA + 4 * MiB, 1, 1ull << 13) ||
	    corrupt(g, BADPS_VA, 3, 1ull << 7))
		return -1;
	return 0;
}

static uint64_t gdt_code64(unsigned int dpl)
{
	/* P, S, type 0xb (code, read, accessed), L; base and limit ignored. */
	return (0xbull << 40) | (1ull << 44) | ((uint64_t)dpl << 45) |
	       (1ull << 47) | (1ull << 53);
}

static uint64_t gdt_data(unsigned int dpl)
{
	/* Flat 4 GiB, P, S, type 3 (data, write, accessed), G, D/B. */
	return 0xffffull | (3ull << 40) | (1ull << 44) | ((uint64_t)dpl << 45) |
	       (1ull << 47) | (0xfull << 48) | (1ull << 54) | (1ull << 55);
}

static void idt_gate(uint8_t *idt, unsigned int vec, uint64_t handler)
{
	uint8_t *e = idt + vec * 16;

	wr16(e, (uint16_t)handler);
	wr16(e + 2, SEL_KCODE);
	e[4] = 0;
	e[5] = 0x8e; /* present, DPL 0, 64-bit interrupt gate */
	wr16(e + 6, (uint16_t)(handler >> 16));
	wr32(e + 8, (uint32_t)(handler >> 32));
	wr32(e + 12, 0);
}

static uint64_t code_va(const unsigned char *sym)
{
	return CODE_VA + (uint64_t)(sym - guest_code_start);
}

static uint64_t gdt_code32(unsigned int dpl)
{
	/* Flat 4 GiB, P, S, type 0xb (code, read, accessed), G, D. */
	return gdt_data(dpl) | (8ull << 40);
}

static uint64_t gdt_tss(uint64_t base)
{
	/* Limit 0x67, type 9 (available TSS), P; the high half is separate. */
	return 0x67 | ((base & 0xffffff) << 16) | (9ull << 40) | (1ull << 47) |
	       (((base >> 24) & 0xff) << 56);
}

static void idt_gate32(uint8_t *idt, unsigned int vec, uint32_t handler)
{
	uint8_t *e = idt + vec * 8;

	wr16(e, (uint16_t)handler);
	wr16(e + 2, SEL_KCODE);
	e[4] = 0;
	e[5] = 0x8e; /* present, DPL 0, 32-bit interrupt gate */
	wr16(e + 6, (uint16_t)(handler >> 16));
}

static uint32_t code32_va(const unsigned char *sym)
{
	return CODE32_VA + (uint32_t)(sym - guest32_start);
}

/* The probe list, and the multiboot header for QEMU's -kernel. */
static void setup_params(struct guest *g, uint32_t entry_pa)
{
	uint8_t *params = g->ram + PARAMS_PA, *boot = g->ram + BOOT_PA;
	unsigned int i;

	wr64(params + P_COUNT, g->n_probes);
	wr64(params + P_STACK, STACK32_TOP);
	for (i = 0; i < g->n_probes; i++) {
		uint8_t *t = params + P_TESTS + ((size_t)i << T_SHIFT);

		wr64(t + T_ADDR, g->probes[i].addr);
		wr64(t + T_KIND, g->probes[i].kind);
		wr64(t + T_MARKER, probe_marker(g, i));
	}
	/* a.out kludge: load the flat image at BOOT_PA up to the data end. */
	wr32(boot + 0, 0x1badb002);
	wr32(boot + 4, 0x00010000);
	wr32(boot + 8, (uint32_t)-(0x1badb002u + 0x00010000u));
	wr32(boot + 12, BOOT_PA);
	wr32(boot + 16, BOOT_PA);
	wr32(boot + 20, DATA_PA + DATA_SIZE);
	wr32(boot + 24, DATA_PA + DATA_SIZE);
	wr32(boot + 28, entry_pa);
}

/*
 * 64-bit guest: code, GDT, TSS, IDT, and for QEMU the entry stub and the
 * boot info with the values the VMM otherwise puts in the registers.
 */
static int setup_guest64(struct guest *g)
{
	size_t code_size = (size_t)(guest_code_end - guest_code_start);
	size_t boot_size = (size_t)(guest_boot_end - guest_boot_start);
	uint8_t *sys = g->ram + SYS_PA, *info = g->ram + BOOT_INFO_PA;
	uint64_t tss = SYS_VA + TSS_OFF;
	unsigned int i;

	if (code_size > 4096 || boot_size > BOOT_INFO_PA - BOOT_CODE_PA) {
		fprintf(stderr, "kvm-guest: guest code too large\n");
		return -1;
	}
	memcpy(g->ram + CODE_PA, guest_code_start, code_size);

	/* GDT: null, kernel code/data, user data/code, 16-byte TSS. */
	wr64(sys + GDT_OFF + 0x08, gdt_code64(0));
	wr64(sys + GDT_OFF + 0x10, gdt_data(0));
	wr64(sys + GDT_OFF + 0x18, gdt_data(3));
	wr64(sys + GDT_OFF + 0x20, gdt_code64(3));
	wr64(sys + GDT_OFF + 0x28, gdt_tss(tss));
	wr64(sys + GDT_OFF + 0x30, tss >> 32);
	/* TSS: RSP0 is where ring-3 probes enter the kernel. */
	wr64(sys + TSS_OFF + 4, STACK_TOP);
	wr16(sys + TSS_OFF + 102, 104);
	for (i = 0; i < 32; i++)
		idt_gate(sys + IDT_OFF, i, code_va(guest_stubs) + 16 * i);
	idt_gate(sys + IDT_OFF, VEC_DONE, code_va(guest_done_trap));

	setup_params(g, BOOT_CODE_PA +
				(uint32_t)(guest_boot32 - guest_boot_start));
	memcpy(g->ram + BOOT_CODE_PA, guest_boot_start, boot_size);
	wr16(info + BI_GDTR32, 3 * 8 - 1);
	wr32(info + BI_GDTR32 + 2, BOOT_INFO_PA + BI_GDT);
	wr64(info + BI_GDT + 0x08, gdt_code64(0));
	wr64(info + BI_GDT + 0x10, gdt_data(0));
	wr64(info + BI_CR4, X86_CR4_PAE | (g->la57 ? X86_CR4_LA57 : 0));
	wr64(info + BI_CR3, g->pgt.root_pa);
	wr64(info + BI_EFER, X86_EFER_LME | X86_EFER_NXE);
	wr64(info + BI_CR0, GUEST_CR0);
	wr16(info + BI_GDTR64, 7 * 8 - 1);
	wr64(info + BI_GDTR64 + 2, SYS_VA + GDT_OFF);
	wr16(info + BI_IDTR, IDT_VECTORS * 16 - 1);
	wr64(info + BI_IDTR + 2, SYS_VA + IDT_OFF);
	wr64(info + BI_RSP, STACK_TOP);
	wr64(info + BI_RDI, PARAMS_VA);
	wr64(info + BI_RSI, RESULTS_VA);
	wr64(info + BI_ENTRY, code_va(guest_entry));
	return 0;
}

/*
 * 32-bit guest: the code page holds the 32-bit loop and its multiboot
 * entry (identity mapped); the GDT (with a 32-bit TSS) is in the boot
 * page, the TSS and the 8-byte IDT gates in the system page.
 */
static int setup_guest32(struct guest *g)
{
	size_t code_size = (size_t)(guest32_end - guest32_start);
	uint8_t *sys = g->ram + SYS_PA, *info = g->ram + BOOT_INFO_PA;
	uint8_t *gdt = info + BI_GDT;
	unsigned int i;

	if (code_size > 4096) {
		fprintf(stderr, "kvm-guest: guest code too large\n");
		return -1;
	}
	memcpy(g->ram + CODE_PA, guest32_start, code_size);
	wr64(gdt + 0x08, gdt_code32(0));
	wr64(gdt + 0x10, gdt_data(0));
	wr64(gdt + 0x18, gdt_data(3));
	wr64(gdt + 0x20, gdt_code32(3));
	wr64(gdt + 0x28, gdt_tss(SYS32_VA + TSS_OFF));
	/* TSS: ESP0 and SS0 are where ring-3 probes enter the kernel. */
	wr32(sys + TSS_OFF + 4, STACK32_TOP);
	wr32(sys + TSS_OFF + 8, SEL_KDATA);
	wr16(sys + TSS_OFF + 102, 104);
	for (i = 0; i < 32; i++)
		idt_gate32(sys + IDT_OFF, i, code32_va(guest32_stubs) + 16 * i);
	idt_gate32(sys + IDT_OFF, VEC_DONE, code32_va(guest32_done_trap));

	setup_params(g, CODE_PA + (uint32_t)(guest32_boot - guest32_start));
	wr16(info + BI_GDTR32, 6 * 8 - 1);
	wr32(info + BI_GDTR32 + 2, BOOT_INFO_PA + BI_GDT);
	wr64(info + BI_CR4, g->format == TDP_FMT_PAE ? X86_CR4_PAE :
						     X86_CR4_PSE);
	wr64(info + BI_CR3, g->pgt.root_pa);
	wr64(info + BI_EFER, g->format == TDP_FMT_PAE ? X86_EFER_NXE : 0);
	wr64(info + BI_CR0, GUEST_CR0);
	wr16(info + BI_IDTR, 32 * 8 - 1);
	wr32(info + BI_IDTR + 2, SYS32_VA + IDT_OFF);
	wr64(info + BI_RSP, STACK32_TOP);
	wr64(info + BI_RDI, PARAMS32_VA);
	wr64(info + BI_RSI, RESULTS32_VA);
	wr64(info + BI_ENTRY, code32_va(guest32_entry));
	return 0;
}

static uint32_t tdp_access(uint32_t kind)
{
	static const uint32_t op_access[] = {
		[OP_READ] = TDP_ACCESS_READ,
		[OP_WRITE] = TDP_ACCESS_WRITE,
		[OP_EXEC] = TDP_ACCESS_EXEC,
	};

	return op_access[kind & OP_MASK] |
	       ((kind & OP_USER) ? TDP_ACCESS_USER : 0);
}

/*
 * libtdp's prediction for a probe, turned into what the CPU must report:
 * #GP(0) for a non-canonical address; otherwise #PF with the SDM's error
 * code: P unless not present, W/R for writes, U/S for ring 3, RSVD for
 * reserved bits, I/D for fetches when NX exists (EFER.NXE = 1: IA-32e and
 * PAE; 32-bit paging has no NX).
 */
static int predict(struct guest *g, unsigned int i)
{
	const struct probe *p = &g->probes[i];
	struct expect *e = &g->exp[i];
	uint32_t op = p->kind & OP_MASK, fault;
	struct tdp_lookup res;
	uint64_t out;
	int ret;

	memset(e, 0, sizeof(*e));
	ret = tdp_translate(&g->pgt, p->addr, tdp_access(p->kind), &out,
			    &fault);
	tdp_lookup(&g->pgt, p->addr, &res);
	e->fault = fault;
	e->level = res.last_level;
	if (ret == 0) {
		e->vector = VEC_DONE;
		e->pa = out;
		e->page_size = res.page_size;
		if (op == OP_EXEC) {
			e->value = out & ~0xfffull;
		} else if (op == OP_WRITE && g->word == 4) {
			e->value = probe_marker(g, i);
			wr32(g->shadow + out, (uint32_t)e->value);
		} else if (op == OP_WRITE) {
			e->value = probe_marker(g, i);
			wr64(g->shadow + out, e->value);
		} else {
			e->value = g->word == 4 ? rd32(g->shadow + out) :
						  rd64(g->shadow + out);
		}
		return 0;
	}
	if (ret != -TDP_ERR_FAULT)
		return fail_tdp("tdp_translate", ret);
	switch (fault) {
	case TDP_FAULT_NON_CANONICAL:
		e->vector = 13;
		return 0;
	case TDP_FAULT_NOT_PRESENT:
	case TDP_FAULT_PERMISSION:
	case TDP_FAULT_RESERVED:
		e->vector = 14;
		e->error = (fault != TDP_FAULT_NOT_PRESENT ? PF_P : 0) |
			   (op == OP_WRITE ? PF_W : 0) |
			   ((p->kind & OP_USER) ? PF_U : 0) |
			   (fault == TDP_FAULT_RESERVED ? PF_RSVD : 0) |
			   (op == OP_EXEC && g->format != TDP_FMT_LEGACY32 ?
				    PF_I : 0);
		return 0;
	default:
		fprintf(stderr, "kvm-guest: probe %u: unexpected fault %s\n",
			i, tdp_fault_name((int)fault));
		return -1;
	}
}

static const char *const op_names[] = { "read", "write", "exec" };

/* The SDM's name of the entry at an engine level. */
static const char *entry_name(const struct guest *g, int level)
{
	static const char *const names[] = {
		"?", "PTE", "PDE", "PDPTE", "PML4E", "PML5E",
	};
	int arch = tdp_format_arch_level(&g->pgt.fmt, level);

	return arch >= 1 && arch <= 5 ? names[arch] : names[0];
}

static void describe_expect(const struct guest *g, const struct expect *e,
			    char *buf, size_t len)
{
	if (e->vector == VEC_DONE)
		snprintf(buf, len, "-> 0x%06" PRIx64 " (%s page)", e->pa,
			 e->page_size >= GiB ? "1G" :
			 e->page_size >= 4 * MiB ? "4M" :
			 e->page_size >= 2 * MiB ? "2M" : "4K");
	else if (e->vector == 13)
		snprintf(buf, len, "%s -> #GP 0",
			 tdp_fault_name((int)e->fault));
	else
		snprintf(buf, len, "%s %s -> #PF 0x%" PRIx64,
			 tdp_fault_name((int)e->fault), entry_name(g, e->level),
			 e->error);
}

static void describe_seen(uint32_t op, const uint8_t *rec, char *buf,
			  size_t len)
{
	static const char *const verbs[] = { "read", "wrote", "ran" };
	uint64_t vector = rd64(rec + R_VECTOR);

	if (vector == VEC_DONE)
		snprintf(buf, len, "%s 0x%" PRIx64, verbs[op],
			 rd64(rec + R_VALUE));
	else if (vector == 14 || vector == 13)
		snprintf(buf, len, "%s 0x%" PRIx64, vector == 14 ? "#PF" : "#GP",
			 rd64(rec + R_ERROR));
	else
		snprintf(buf, len, "vector %" PRIu64 " err 0x%" PRIx64, vector,
			 rd64(rec + R_ERROR));
}

/*
 * Check the accessed/dirty bits the CPU wrote: after a completed probe
 * every entry of its walk has A (bit 5) and a written leaf has D (bit 6);
 * a read-only leaf can never have become dirty.
 */
static int check_ad(struct guest *g, unsigned int i)
{
	uint32_t op = g->probes[i].kind & OP_MASK;
	struct tdp_lookup res;
	int l, bad = 0;

	if (tdp_lookup(&g->pgt, g->probes[i].addr, &res)) {
		printf("     after the run libtdp finds a %s fault at the %s"
		       " (0x%" PRIx64 ")\n", tdp_fault_name((int)res.fault),
		       entry_name(g, res.last_level),
		       res.entry[res.last_level]);
		return 1;
	}
	for (l = res.root_level; l >= res.last_level; l--) {
		/* PAE PDPTEs sit in registers and have no A bit. */
		if (g->format == TDP_FMT_PAE && l == 2)
			continue;
		if (!(res.entry[l] & (1ull << 5)))
			bad = 1;
	}
	if (op == OP_WRITE && !(res.entry[res.last_level] & (1ull << 6)))
		bad = 1;
	if (!(res.perms & TDP_PERM_W) &&
	    (res.entry[res.last_level] & (1ull << 6)))
		bad = 1;
	if (bad) {
		printf("     A/D bits wrong:");
		for (l = res.root_level; l >= res.last_level; l--)
			printf(" %s=0x%" PRIx64, entry_name(g, l),
			       res.entry[l]);
		printf("\n");
	}
	return bad;
}

/* Compare what the guest saw with libtdp; print the table. */
static int check_results(struct guest *g)
{
	const uint8_t *hdr = g->ram + RESULTS_PA;
	unsigned int i, bad = 0, ad_bad = 0, quirks = 0;
	uint64_t pa, stray = 0;

	if (rd64(hdr + H_STATUS) != STATUS_DONE) {
		printf("  FAIL: guest did not finish: status 0x%" PRIx64
		       ", %" PRIu64 " probes done, vector %" PRIu64
		       " error 0x%" PRIx64 " at rip 0x%" PRIx64 "\n",
		       rd64(hdr + H_STATUS), rd64(hdr + H_DONE),
		       rd64(hdr + H_VECTOR), rd64(hdr + H_ERROR),
		       rd64(hdr + H_RIP));
		return 1;
	}
	if (g->format == TDP_FMT_PAE) {
		unsigned int pdpte_a = 0;

		for (i = 0; i < 4; i++) {
			uint8_t *e = g->ram + g->pgt.root_pa + 8 * i;

			if (rd64(e) & (1ull << 5)) {
				pdpte_a++;
				wr64(e, rd64(e) & ~(1ull << 5));
			}
		}
		if (pdpte_a)
			printf("  (*) %s %u PAE PDPTEs: the CPU set reserved "
			       "bit 5 (accessed)%s\n",
			       g->pdpte_accessed ? "cleared" : "FAIL:",
			       pdpte_a, g->pdpte_accessed ?
			       "; QEMU's TCG does, hardware does not" : "");
		bad += pdpte_a && !g->pdpte_accessed;
	}
	if (rd64(hdr + H_MAXPHY) != g->pa_bits) {
		printf("  FAIL: guest MAXPHYADDR %" PRIu64 ", tables built "
		       "for %u\n", rd64(hdr + H_MAXPHY), g->pa_bits);
		bad++;
	}
	printf("  %2s %-4s %-5s %-18s %-32s %-26s %s\n", "#", "ring", "op",
	       "linear address", "libtdp predicts", "guest saw", "probe");
	for (i = 0; i < g->n_probes; i++) {
		const uint8_t *rec = hdr + R_RECS + ((size_t)i << R_SHIFT);
		const struct expect *e = &g->exp[i];
		uint32_t op = g->probes[i].kind & OP_MASK;
		char want[64], seen[64];
		bool ok, quirk = false;

		ok = rd64(rec + R_VECTOR) == e->vector;
		if (ok && e->vector == VEC_DONE)
			ok = rd64(rec + R_VALUE) == e->value;
		if (ok && e->vector != VEC_DONE) {
			uint64_t err = rd64(rec + R_ERROR);

			quirk = g->rsvd_without_p && (e->error & PF_RSVD) &&
				err == (e->error & ~(uint64_t)PF_P);
			ok = err == e->error || quirk;
		}
		if (ok && e->vector == 14)
			ok = rd64(rec + R_CR2) == g->probes[i].addr;
		describe_expect(g, e, want, sizeof(want));
		describe_seen(op, rec, seen, sizeof(seen));
		printf("  %2u %-4s %-5s %016" PRIx64 "   %-32s %-26s %s%s\n",
		       i + 1, (g->probes[i].kind & OP_USER) ? "3" : "0",
		       op_names[op], g->probes[i].addr, want, seen,
		       g->probes[i].what, !ok ? "   <-- MISMATCH" :
		       quirk ? " (*)" : "");
		if (!ok && e->vector == VEC_DONE && op != OP_EXEC)
			printf("     expected value 0x%" PRIx64 "\n", e->value);
		if (!ok && e->vector == 14)
			printf("     cr2 0x%" PRIx64 ", expected 0x%" PRIx64
			       "\n", rd64(rec + R_CR2), g->probes[i].addr);
		bad += !ok;
		quirks += quirk;
		if (ok && e->vector == VEC_DONE)
			ad_bad += (unsigned int)check_ad(g, i);
	}
	if (quirks)
		printf("  (*) %u reserved-bit faults without P: QEMU's TCG "
		       "omits P when it sets RSVD (the SDM sets both)\n",
		       quirks);
	/* Every write landed where libtdp said, and nowhere else. */
	for (pa = DATA_PA; pa < DATA_PA + DATA_SIZE; pa += 8)
		stray += rd64(g->ram + pa) != rd64(g->shadow + pa);
	printf("  data region: %s\n", stray ? "WRONG" :
	       "every word as libtdp's translations predict");
	printf("  accessed/dirty bits set by the CPU: %s\n",
	       ad_bad ? "WRONG" : "as every completed probe requires");
	return (int)(bad + ad_bad + (stray != 0));
}

static int prepare(struct guest *g)
{
	unsigned int i;

	memset(g->ram, 0, RAM_SIZE);
	fill_data_region(g);
	if (build_tables(g) ||
	    (g->is32 ? setup_guest32(g) : setup_guest64(g)))
		return -1;
	memcpy(g->shadow, g->ram, RAM_SIZE);
	for (i = 0; i < g->n_probes; i++)
		if (predict(g, i))
			return -1;
	return 0;
}

static void release(struct guest *g)
{
	if (g->pgt_live)
		tdp_pgt_destroy(&g->pgt);
	g->pgt_live = false;
}

/* ---- KVM ---------------------------------------------------------------- */

struct kvm_host {
	int fd;
	struct kvm_cpuid2 *cpuid;
	bool la57;
	bool gbpages;
	unsigned int pa_bits;
};

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	timed_out = sig;
}

static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c,
					   uint32_t leaf, uint32_t sub)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == leaf &&
		    c->entries[i].index == sub)
			return &c->entries[i];
	return NULL;
}

static int kvm_probe_host(struct kvm_host *h)
{
	struct kvm_cpuid_entry2 *e;
	uint32_t nent = 64;

	for (;;) {
		h->cpuid = calloc(1, sizeof(*h->cpuid) +
					     nent * sizeof(h->cpuid->entries[0]));
		if (!h->cpuid)
			return -1;
		h->cpuid->nent = nent;
		if (ioctl(h->fd, KVM_GET_SUPPORTED_CPUID, h->cpuid) == 0)
			break;
		free(h->cpuid);
		h->cpuid = NULL;
		if (errno != E2BIG || nent >= 4096) {
			perror("kvm-guest: KVM_GET_SUPPORTED_CPUID");
			return -1;
		}
		nent *= 2;
	}
	e = cpuid_find(h->cpuid, 7, 0);
	h->la57 = e && (e->ecx & (1u << 16));
	e = cpuid_find(h->cpuid, 0x80000001, 0);
	h->gbpages = e && (e->edx & (1u << 26));
	e = cpuid_find(h->cpuid, 0x80000008, 0);
	h->pa_bits = e ? (e->eax & 0xff) : 36;
	return 0;
}

static void kvm_seg(struct kvm_segment *s, uint16_t sel, uint8_t type,
		    bool code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

/*
 * Run the guest on a fresh KVM VM. Returns 0 when the guest reached its
 * exit port, 1 on a guest or KVM failure, or 2 when KVM refused the
 * paging mode (*why says how).
 */
static int kvm_run_guest(struct kvm_host *h, struct guest *g,
			 const char **why)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = RAM_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)g->ram,
	};
	struct sigaction sa = { .sa_handler = on_alarm };
	int vm = -1, vcpu = -1, ret = 1;
	struct kvm_run *run = MAP_FAILED;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	long run_size = -1;

	vm = ioctl(h->fd, KVM_CREATE_VM, 0);
	if (vm < 0) {
		perror("kvm-guest: KVM_CREATE_VM");
		goto out;
	}
	/* Intel needs a TSS area outside RAM; other hosts ignore it. */
	ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000ul);
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region)) {
		perror("kvm-guest: KVM_SET_USER_MEMORY_REGION");
		goto out;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	run_size = ioctl(h->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || run_size <= 0) {
		perror("kvm-guest: KVM_CREATE_VCPU");
		goto out;
	}
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu, 0);
	if (run == MAP_FAILED) {
		perror("kvm-guest: mmap kvm_run");
		goto out;
	}
	/* The guest CPUID decides which EFER and CR4 bits KVM accepts. */
	if (ioctl(vcpu, KVM_SET_CPUID2, h->cpuid)) {
		perror("kvm-guest: KVM_SET_CPUID2");
		goto out;
	}
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs)) {
		perror("kvm-guest: KVM_GET_SREGS");
		goto out;
	}
	/* What the QEMU entry stubs load, set directly. */
	kvm_seg(&sregs.cs, SEL_KCODE, 0xb, !g->is32);
	kvm_seg(&sregs.ss, SEL_KDATA, 0x3, false);
	kvm_seg(&sregs.ds, g->is32 ? SEL_UDATA : SEL_KDATA, 0x3, false);
	sregs.ds.dpl = g->is32 ? 3 : 0;
	sregs.es = sregs.fs = sregs.gs = sregs.ds;
	memset(&sregs.tr, 0, sizeof(sregs.tr));
	sregs.tr.selector = SEL_TSS;
	sregs.tr.base = (g->is32 ? SYS32_VA : SYS_VA) + TSS_OFF;
	sregs.tr.limit = 0x67;
	sregs.tr.type = 0xb; /* busy 32-bit or 64-bit TSS */
	sregs.tr.present = 1;
	sregs.cr0 = GUEST_CR0;
	sregs.cr3 = g->pgt.root_pa;
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;
	if (g->is32) {
		sregs.gdt.base = BOOT_INFO_PA + BI_GDT;
		sregs.gdt.limit = 6 * 8 - 1;
		sregs.idt.base = SYS32_VA + IDT_OFF;
		sregs.idt.limit = 32 * 8 - 1;
		sregs.cr4 = g->format == TDP_FMT_PAE ? X86_CR4_PAE :
						       X86_CR4_PSE;
		sregs.efer = g->format == TDP_FMT_PAE ? X86_EFER_NXE : 0;
		regs.rip = code32_va(guest32_entry);
		regs.rsp = STACK32_TOP;
		regs.rsi = PARAMS32_VA;
		regs.rdi = RESULTS32_VA;
	} else {
		sregs.gdt.base = SYS_VA + GDT_OFF;
		sregs.gdt.limit = 7 * 8 - 1;
		sregs.idt.base = SYS_VA + IDT_OFF;
		sregs.idt.limit = IDT_VECTORS * 16 - 1;
		sregs.cr4 = X86_CR4_PAE | (g->la57 ? X86_CR4_LA57 : 0);
		sregs.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
		regs.rip = code_va(guest_entry);
		regs.rsp = STACK_TOP;
		regs.rdi = PARAMS_VA;
		regs.rsi = RESULTS_VA;
	}
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs)) {
		*why = g->la57 ? "this KVM lists LA57 in its CPUID but "
				 "KVM_SET_SREGS refuses CR4.LA57" :
		       g->is32 ? "KVM_SET_SREGS refuses 32-bit paging" :
				 "KVM_SET_SREGS refuses long mode";
		ret = 2;
		goto out;
	}
	if (ioctl(vcpu, KVM_SET_REGS, &regs)) {
		perror("kvm-guest: KVM_SET_REGS");
		goto out;
	}

	/* The guest needs far less than a second; don't hang CI if not. */
	timed_out = 0;
	sigaction(SIGALRM, &sa, NULL);
	alarm(10);
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR && !timed_out)
				continue;
			printf("  FAIL: KVM_RUN: %s\n", timed_out ?
			       "guest did not finish in 10 s" : strerror(errno));
			break;
		}
		if (run->exit_reason == KVM_EXIT_IO &&
		    run->io.direction == KVM_EXIT_IO_OUT &&
		    run->io.port == EXIT_PORT) {
			ret = 0;
			break;
		}
		if (run->exit_reason == KVM_EXIT_INTR)
			continue;
		ioctl(vcpu, KVM_GET_REGS, &regs);
		/*
		 * The KVM on the development machines accepts the registers
		 * of a 32-bit paging guest, then shuts it down on its very
		 * first instruction fetch: it runs 64-bit paging only.
		 */
		if (g->is32 && run->exit_reason == KVM_EXIT_SHUTDOWN &&
		    regs.rip == code32_va(guest32_entry) &&
		    rd64(g->ram + RESULTS_PA + H_MAXPHY) == 0) {
			*why = "this KVM takes the registers, then shuts the "
			       "guest down at its first instruction fetch";
			ret = 2;
			break;
		}
		printf("  FAIL: KVM exit reason %u at rip 0x%llx%s\n",
		       run->exit_reason, regs.rip,
		       run->exit_reason == KVM_EXIT_SHUTDOWN ?
			       " (triple fault)" : "");
		if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
			printf("  KVM internal error, suberror %u\n",
			       run->internal.suberror);
		if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
			printf("  hardware entry failure reason 0x%llx\n",
			       run->fail_entry.hardware_entry_failure_reason);
		break;
	}
	alarm(0);
out:
	if (run != MAP_FAILED)
		munmap(run, (size_t)run_size);
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	return ret;
}

/* ---- QEMU --------------------------------------------------------------- */

static int write_file(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_file(int fd, uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Wait for @pid at most @secs seconds; kill it after that. */
static int wait_child(pid_t pid, int secs, int *status)
{
	struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < secs * 100; i++) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0)
			return -1;
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return -1;
}

/*
 * Boot the image under QEMU's TCG CPU. Guest RAM is a file QEMU maps
 * shared, so after the guest exits the VMM reads back exactly what the
 * guest's CPU left in memory: results, data, and the A/D bits it set in
 * the tables.
 */
static int qemu_run_guest(const char *qemu, struct guest *g)
{
	char img[] = "/tmp/tdp-kvm-guest-image-XXXXXX";
	char ramf[] = "/tmp/tdp-kvm-guest-ram-XXXXXX";
	char ram_obj[128];
	int img_fd, ram_fd = -1, status = 0, ret = 1;
	pid_t pid;

	img_fd = mkstemp(img);
	if (img_fd < 0)
		return 1;
	ram_fd = mkstemp(ramf);
	if (ram_fd < 0)
		goto out;
	if (write_file(img_fd, g->ram + IMG_BASE, DATA_PA + DATA_SIZE -
						      IMG_BASE) ||
	    ftruncate(ram_fd, 16 * MiB)) {
		perror("kvm-guest: writing the image");
		goto out;
	}
	snprintf(ram_obj, sizeof(ram_obj),
		 "memory-backend-file,id=ram0,size=16M,mem-path=%s,share=on",
		 ramf);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, 0);
		execlp(qemu, qemu, "-accel", "tcg", "-cpu", "max,+la57",
		       "-m", "16M", "-object", ram_obj, "-machine",
		       "pc,memory-backend=ram0", "-nodefaults", "-display",
		       "none", "-no-reboot", "-device",
		       "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel",
		       img, (char *)NULL);
		fprintf(stderr, "kvm-guest: exec %s: %s\n", qemu,
			strerror(errno));
		_exit(127);
	}
	/* Four runs must fit in ctest's 120 s even when each one hangs. */
	if (wait_child(pid, 25, &status)) {
		printf("  FAIL: QEMU did not finish in 25 s\n");
		goto out;
	}
	/* isa-debug-exit: the guest's "out 0" makes QEMU exit with 1. */
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 1) {
		printf("  FAIL: QEMU exited with status 0x%x (guest did not "
		       "reach its exit port)\n", status);
		goto out;
	}
	if (lseek(ram_fd, 0, SEEK_SET) != 0 ||
	    read_file(ram_fd, g->ram, RAM_SIZE)) {
		perror("kvm-guest: reading guest RAM back");
		goto out;
	}
	ret = 0;
out:
	if (ram_fd >= 0) {
		close(ram_fd);
		unlink(ramf);
	}
	close(img_fd);
	unlink(img);
	return ret;
}

/* ---- main --------------------------------------------------------------- */

struct mode {
	const char *name;
	uint32_t format;
	uint32_t features;
	bool la57;
	bool is32;
};

static const struct mode modes[] = {
	{ "ia32e4", TDP_FMT_IA32E4, 0, false, false },
	{ "ia32e5", TDP_FMT_IA32E5, 0, true, false },
	{ "pae", TDP_FMT_PAE, 0, false, true },
	{ "legacy32", TDP_FMT_LEGACY32, TDP_FEAT_PSE, false, true },
};

/* Can this libtdp build the mode's tables at all? */
static bool libtdp_has(const struct mode *m, const char *engine)
{
	struct tdp_format_config cfg = { .format = m->format };
	struct tdp_format fmt;
	int ret = tdp_format_init(&fmt, &cfg);

	if (ret)
		printf("%s under %s: SKIPPED (libtdp cannot build %s tables: "
		       "%s)\n", m->name, engine, m->name, tdp_strerror(ret));
	return ret == 0;
}

static const char *find_qemu(const char *arg)
{
	static char buf[4096];
	const char *path = getenv("PATH");
	const char *name = arg ? arg : "qemu-system-x86_64";

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? name : NULL;
	while (path && *path) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path, name);
		if (access(buf, X_OK) == 0)
			return buf;
		path = end ? end + 1 : NULL;
	}
	return NULL;
}

/* Run one paging mode: 0 agreed, 1 disagreed or failed, 77 skipped. */
static int run_mode(struct guest *g, const struct mode *m,
		    struct kvm_host *kvm, const char *qemu)
{
	const char *why = NULL;
	int ret;

	g->format = m->format;
	g->la57 = m->la57;
	g->is32 = m->is32;
	g->word = m->is32 ? 4 : 8;
	g->features = m->features;
	if (!m->is32 && g->no_1g)
		g->features |= TDP_FEAT_NO_1G;
	if (prepare(g)) {
		release(g);
		printf("%s under %s: FAIL (could not build the guest)\n",
		       m->name, g->engine);
		return 1;
	}
	printf("%s under %s: %u probes, CR3 0x%" PRIx64 ", MAXPHYADDR %u%s\n",
	       m->name, g->engine, g->n_probes, g->pgt.root_pa,
	       g->pa_bits, (g->features & TDP_FEAT_NO_1G) ?
		       ", no 1G pages (2M leaves instead)" : "");
	ret = kvm ? kvm_run_guest(kvm, g, &why) : qemu_run_guest(qemu, g);
	if (ret == 2) {
		printf("%s under %s: SKIPPED (%s)\n", m->name, g->engine, why);
		release(g);
		return 77;
	}
	if (ret == 0)
		ret = check_results(g) ? 1 : 0;
	printf("%s under %s: %s\n", m->name, g->engine,
	       ret ? "FAIL" : "PASS");
	release(g);
	return ret;
}

int main(int argc, char **argv)
{
	struct kvm_host kvm = { .fd = -1 };
	const char *qemu = NULL;
	bool use_qemu = false;
	struct guest *g;
	unsigned int m;
	int failed = 0, ran = 0, ret;

	if (argc > 1 && strncmp(argv[1], "--qemu", 6) == 0) {
		use_qemu = true;
		qemu = find_qemu(argv[1][6] == '=' ? argv[1] + 7 : NULL);
		if (!qemu) {
			printf("SKIPPED: qemu-system-x86_64 not found\n");
			return 77;
		}
	} else if (argc > 1) {
		fprintf(stderr, "usage: %s [--qemu[=PATH]]\n", argv[0]);
		return 2;
	} else {
		kvm.fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (kvm.fd < 0) {
			printf("SKIPPED: /dev/kvm unavailable (%s)\n",
			       strerror(errno));
			return 77;
		}
		if (ioctl(kvm.fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION ||
		    kvm_probe_host(&kvm)) {
			printf("SKIPPED: /dev/kvm unusable (no KVM API %d)\n",
			       KVM_API_VERSION);
			close(kvm.fd);
			return 77;
		}
	}

	g = calloc(1, sizeof(*g));
	if (!g)
		return 1;
	g->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g->shadow = malloc(RAM_SIZE);
	if (g->ram == MAP_FAILED || !g->shadow)
		return 1;
	if (use_qemu) {
		/* QEMU's TCG CPU: MAXPHYADDR 40, 1 GiB pages, LA57. */
		g->engine = "QEMU TCG";
		g->pa_bits = 40;
		g->rsvd_without_p = true;
		g->pdpte_accessed = true;
	} else {
		g->engine = "KVM";
		g->pa_bits = kvm.pa_bits;
		g->no_1g = !kvm.gbpages;
	}

	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		if (!libtdp_has(&modes[m], g->engine))
			continue;
		if (!use_qemu && modes[m].la57 && !kvm.la57) {
			printf("%s under KVM: SKIPPED (KVM_GET_SUPPORTED_CPUID "
			       "has no LA57)\n", modes[m].name);
			continue;
		}
		ret = run_mode(g, &modes[m], use_qemu ? NULL : &kvm, qemu);
		if (ret != 77) {
			failed |= ret;
			ran++;
		}
	}

	munmap(g->ram, RAM_SIZE);
	free(g->shadow);
	free(g);
	free(kvm.cpuid);
	if (kvm.fd >= 0)
		close(kvm.fd);
	if (!ran) {
		printf("SKIPPED: %s ran no paging mode\n",
		       use_qemu ? "QEMU" : "KVM");
		return 77;
	}
	printf("%s\n", failed ? "kvm-guest: FAILED" :
	       "kvm-guest: every probe agrees with libtdp");
	return failed ? 1 : 0;
}
