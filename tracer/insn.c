/*
 * insn.c - a deliberately small x86-64 length decoder.
 *
 * The ptrace tracer executes the instruction under an entry breakpoint
 * out of line (a copy followed by a jump back), so that other threads
 * never see the original byte restored.  Function prologues use a small
 * set of encodings: legacy prefixes, REX, one- and two-byte opcodes with
 * ModRM, SIB, displacements and immediates, and VEX.  Anything else is
 * refused.
 *
 * The injected mode (ptrace.c) also moves the first instructions of an
 * entry point to a trampoline: there, relative branches become absolute
 * jumps and RIP-relative operands get their displacement adjusted
 * (opc_insn_relocate); calls, and branches into the moved bytes, are
 * refused.
 */
#include <string.h>

#include "insn.h"

enum { INSN_PLAIN, INSN_RET, INSN_JCC8, INSN_JCC32, INSN_JMP8, INSN_JMP32, INSN_CALL32 };

struct dec {
	int kind;
	int cc;			/* condition of a jcc */
	int riprel;		/* a RIP-relative operand: its disp32 is at modrm_off + 1 */
	int modrm_off;
};

/* Does the ModRM byte at p[0] (with the bytes after it) fit, and how many
 * bytes do ModRM, SIB and displacement take?  *riprel is set for a
 * RIP-relative operand (its disp32 follows the ModRM byte). */
static int modrm_len(const unsigned char *p, size_t n, int *riprel)
{
	int mod, rm, len = 1;

	if (n < 1)
		return -1;
	mod = p[0] >> 6;
	rm = p[0] & 7;
	if (mod == 3)
		return 1;
	if (rm == 4) {
		if (n < 2)
			return -1;
		len++;
		if (mod == 0 && (p[1] & 7) == 5)
			len += 4;
	} else if (mod == 0 && rm == 5) {
		*riprel = 1;
		return 5;
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return len;
}

static int decode(const unsigned char *p, size_t n, struct dec *d)
{
	size_t i = 0;
	int opsize16 = 0, rexw = 0, m, imm = 0;
	unsigned char op;

	d->kind = INSN_PLAIN;

	for (; i < n && i < 4; i++) {
		unsigned char b = p[i];

		if (b == 0x66)
			opsize16 = 1;
		else if (b != 0x67 && b != 0xf2 && b != 0xf3 && b != 0xf0 && b != 0x2e &&
			 b != 0x3e && b != 0x26 && b != 0x36 && b != 0x64 && b != 0x65)
			break;
	}
	if (i < n && (p[i] & 0xf0) == 0x40) {
		rexw = (p[i] & 8) != 0;
		i++;
	}
	if (i >= n)
		return 0;
	op = p[i++];
	if (op == 0xc5 || op == 0xc4) {		/* VEX */
		int map = 1;

		if (op == 0xc4) {
			if (i + 1 >= n)
				return 0;
			map = p[i] & 0x1f;
			i += 2;
		} else {
			i += 1;
		}
		if (map < 1 || map > 3 || i + 1 >= n)
			return 0;
		i++;	/* opcode */
		d->modrm_off = (int)i;
		m = modrm_len(p + i, n - i, &d->riprel);
		if (m < 0)
			return 0;
		i += m + (map == 3);
		return i <= 15 && i <= n ? (int)i : 0;
	}
	if (op == 0x0f) {
		if (i >= n)
			return 0;
		unsigned char op2 = p[i++];

		if (op2 >= 0x80 && op2 <= 0x8f) {
			d->kind = INSN_JCC32;
			d->cc = op2 & 0xf;
			i += 4;
			return i <= n ? (int)i : 0;
		}
		if (op2 == 0x38 || op2 == 0x3a) {
			i++;	/* opcode */
			imm = op2 == 0x3a;
		} else if (op2 == 0x05 || op2 == 0x0b || op2 == 0x34 || op2 == 0x35 ||
			   op2 == 0x07 || op2 == 0x01) {
			return 0;	/* syscall, ud2, sysenter, system */
		} else if (op2 == 0x31 || op2 == 0xa2 || (op2 >= 0xc8 && op2 <= 0xcf)) {
			return (int)i;	/* rdtsc, cpuid, bswap: no ModRM */
		} else if ((op2 >= 0x70 && op2 <= 0x73) || op2 == 0xa4 || op2 == 0xac ||
			   op2 == 0xba || op2 == 0xc2 || (op2 >= 0xc4 && op2 <= 0xc6)) {
			imm = 1;
		}
		if (i >= n)
			return 0;
		d->modrm_off = (int)i;
		m = modrm_len(p + i, n - i, &d->riprel);
		if (m < 0)
			return 0;
		i += m + imm;
		return i <= 15 && i <= n ? (int)i : 0;
	}

	int has_modrm = 0, z = opsize16 ? 2 : 4;

	if (op < 0x40) {
		int lo = op & 7;

		if ((op & 0xe7) == 0x26 || lo == 6 || lo == 7)
			return 0;	/* prefixes seen late, or invalid in 64-bit */
		if (lo < 4)
			has_modrm = 1;
		else if (lo == 4)
			imm = 1;
		else
			imm = z;
	} else if (op >= 0x50 && op <= 0x5f) {
		/* push/pop register */
	} else if (opsize16 && (op == 0xe8 || op == 0xe9)) {
		return 0;	/* rel16: never in 64-bit code that compilers emit */
	} else if (op >= 0x70 && op <= 0x7f) {
		d->kind = INSN_JCC8;
		d->cc = op & 0xf;
		imm = 1;
	} else if (op == 0xeb) {
		d->kind = INSN_JMP8;
		imm = 1;
	} else if (op == 0xe9) {
		d->kind = INSN_JMP32;
		imm = 4;
	} else if (op == 0xe8) {
		d->kind = INSN_CALL32;
		imm = 4;
	} else if (op == 0x63 || (op >= 0x84 && op <= 0x8f) ||
		   (op >= 0xd0 && op <= 0xd3) || op == 0xfe || (op >= 0xd8 && op <= 0xdf)) {
		/* ... and the x87 escapes (d8-df: ModRM, no immediate) */
		has_modrm = 1;
		if (op == 0x8f && i < n && ((p[i] >> 3) & 7) != 0)
			return 0;	/* XOP */
	} else if (op == 0x68) {
		imm = z;
	} else if (op == 0x69) {
		has_modrm = 1;
		imm = z;
	} else if (op == 0x6a) {
		imm = 1;
	} else if (op == 0x6b || op == 0x80 || op == 0x83 || op == 0xc0 || op == 0xc1 ||
		   op == 0xc6) {
		has_modrm = 1;
		imm = 1;
	} else if (op == 0x81 || op == 0xc7) {
		has_modrm = 1;
		imm = z;
	} else if ((op >= 0x90 && op <= 0x99) || op == 0x9c || op == 0x9d || op == 0xc9 ||
		   op == 0xf5 || op == 0xf8 || op == 0xf9 || op == 0xfc || op == 0xfd) {
		/* xchg/nop, cwde/cdq, pushf/popf, leave, flag ops */
	} else if (op == 0xc3) {
		/* ret: goes where the stack says, wherever it runs */
		d->kind = INSN_RET;
	} else if (op == 0xc2) {
		imm = 2;
	} else if (op == 0xa8 || (op >= 0xb0 && op <= 0xb7)) {
		imm = 1;
	} else if (op == 0xa9) {
		imm = z;
	} else if (op >= 0xb8 && op <= 0xbf) {
		imm = rexw ? 8 : z;
	} else if (op == 0xf6 || op == 0xf7) {
		has_modrm = 1;
		if (i < n && ((p[i] >> 3) & 7) < 2)
			imm = op == 0xf6 ? 1 : z;
	} else if (op == 0xff) {
		int reg = i < n ? (p[i] >> 3) & 7 : 7;

		if (reg >= 2)
			return 0;	/* call, jmp, push m: push is fine but rare */
		has_modrm = 1;
	} else {
		return 0;
	}
	if (has_modrm) {
		d->modrm_off = (int)i;
		m = modrm_len(p + i, n - i, &d->riprel);
		if (m < 0)
			return 0;
		i += m;
	}
	i += imm;
	return i <= 15 && i <= n ? (int)i : 0;
}

int opc_insn_relocatable_len(const unsigned char *p, size_t n)
{
	struct dec d = { 0 };
	int len = decode(p, n, &d);

	if (len <= 0 || d.riprel || (d.kind != INSN_PLAIN && d.kind != INSN_RET))
		return 0;
	return len;
}

static int fits32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

/* An absolute jump that clobbers nothing: jmp *0(%rip); .quad target */
static size_t emit_abs_jmp(unsigned char *out, uint64_t target)
{
	memcpy(out, "\xff\x25\0\0\0\0", 6);
	memcpy(out + 6, &target, 8);
	return 14;
}

int opc_insn_relocate(const unsigned char *p, size_t n, uint64_t from, size_t need,
		      unsigned char *out, size_t cap, uint64_t to, size_t *covered)
{
	uint64_t targets[16];
	size_t i = 0, o = 0, ntargets = 0;

	while (i < need) {
		struct dec d = { 0 };
		int len = decode(p + i, n - i, &d);
		uint64_t pc = from + i, next = pc + (uint64_t)len;

		if (len <= 0 || o + 32 > cap || ntargets == 16)
			return 0;
		if (d.kind == INSN_PLAIN || d.kind == INSN_RET) {
			memcpy(out + o, p + i, len);
			if (d.riprel) {
				/* the same operand from the new place: disp32 adjusted */
				int32_t disp;
				int off = d.modrm_off + 1;
				int64_t nd;

				memcpy(&disp, p + i + off, 4);
				nd = (int64_t)(pc + len + disp) - (int64_t)(to + o + len);
				if (!fits32(nd))
					return 0;
				disp = (int32_t)nd;
				memcpy(out + o + off, &disp, 4);
			}
			o += len;
			/* the function ends here: what follows is not its code */
			if (d.kind == INSN_RET && i + len < need)
				return 0;
		} else if (d.kind == INSN_CALL32) {
			/* its return address would be the original one, inside
			 * the bytes the patch replaces */
			return 0;
		} else {
			int64_t rel;

			if (d.kind == INSN_JCC8 || d.kind == INSN_JMP8)
				rel = (int8_t)p[i + len - 1];
			else {
				int32_t r32;

				memcpy(&r32, p + i + len - 4, 4);
				rel = r32;
			}
			uint64_t target = next + rel;

			targets[ntargets++] = target;
			if (d.kind == INSN_JCC8 || d.kind == INSN_JCC32) {
				/* j!cc over an absolute jump to the target */
				out[o++] = (unsigned char)(0x70 | (d.cc ^ 1));
				out[o++] = 14;
				o += emit_abs_jmp(out + o, target);
			} else {
				o += emit_abs_jmp(out + o, target);
				if (i + len < need)
					return 0;	/* the function goes on elsewhere */
			}
		}
		i += len;
	}
	/* a branch into the bytes the patch replaces cannot be followed */
	for (size_t k = 0; k < ntargets; k++)
		if (targets[k] >= from && targets[k] < from + i)
			return 0;
	*covered = i;
	return (int)o;
}
