#!/usr/bin/env python3
"""Lists the GPU code embedded in a binary or object: one line per (kind, architecture) with
its count, like `cuobjdump --list-elf --list-ptx | sort | uniq -c`, for machines whose CUDA
toolkit lacks cuobjdump (this one's does).

    scripts/cuda_archs.py build/tests/momenta_gpu_tests [--expect sm_80,sm_90]

It reads the ELF section .nv_fatbin: a run of fatbin containers (magic 0xBA55ED50, a 16-byte
header whose last field is the payload size), each a run of entries whose header gives the kind
(1 PTX, 2 ELF machine code), the header and payload sizes and the SM number. With --expect,
exits 1 unless machine code (ELF) for every listed architecture is present.
"""
import collections
import struct
import sys

FATBIN_MAGIC = 0xBA55ED50
KINDS = {1: "PTX", 2: "ELF"}


def section(path, wanted):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        sys.exit(f"cuda_archs: {path} is not a 64-bit ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    def header(i):
        return struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
    names_off = header(shstrndx)[4]
    for i in range(shnum):
        h = header(i)
        name_end = data.index(b"\0", names_off + h[0])
        if data[names_off + h[0]:name_end].decode() == wanted:
            return data[h[4]:h[4] + h[5]]
    return b""


def entries(blob):
    pos = 0
    while pos + 16 <= len(blob):
        magic, _version, header_size, fat_size = struct.unpack_from("<IHHQ", blob, pos)
        if magic != FATBIN_MAGIC:
            pos += 8  # containers are 8-byte aligned; skip padding
            continue
        at, end = pos + header_size, pos + header_size + fat_size
        while at + 32 <= end:
            kind, _unknown, entry_header, size = struct.unpack_from("<HHIQ", blob, at)
            arch, = struct.unpack_from("<I", blob, at + 28)
            if entry_header == 0:
                break
            yield KINDS.get(kind, f"kind{kind}"), f"sm_{arch}"
            at += entry_header + size
        pos = end


def main():
    args = sys.argv[1:]
    expect = []
    if "--expect" in args:
        i = args.index("--expect")
        expect = args[i + 1].split(",")
        del args[i:i + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    counts = collections.Counter(entries(section(args[0], ".nv_fatbin")))
    if not counts:
        print(f"{args[0]}: no .nv_fatbin section (no GPU code)")
    for (kind, arch), n in sorted(counts.items()):
        print(f"{n:6d} {kind} {arch}")
    missing = [a for a in expect if counts[("ELF", a)] == 0]
    if missing:
        print(f"cuda_archs: no machine code for {', '.join(missing)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
