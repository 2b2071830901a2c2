#!/usr/bin/env python3
"""Count copies of an ed25519 host key's secret in a process's memory.

    keyscan.py KEYFILE PID

KEYFILE is an unencrypted OpenSSH private key file. The secret searched
for is the key's 32-byte seed, from which the whole private key derives.
Prints "PID COUNT" and exits 0, or exits 1 when the key or the process
cannot be read. Needs root, because it reads /proc/PID/mem.

Mappings larger than MAPPING_MAX_BYTES are skipped: AddressSanitizer
reserves terabytes of shadow memory, which holds only its own metadata.
"""
import base64
import struct
import sys

MAGIC = b"openssh-key-v1\0"
CHUNK_BYTES = 1 << 20
MAPPING_MAX_BYTES = 64 << 30
SKIPPED_MAPPINGS = ("[vvar]", "[vvar_vclock]", "[vsyscall]")


class KeyFormatError(Exception):
    pass


class Reader:
    """Reads the big-endian length-prefixed fields of the key format."""

    def __init__(self, data):
        self.data = data
        self.offset = 0

    def u32(self):
        if self.offset + 4 > len(self.data):
            raise KeyFormatError("truncated key")
        (value,) = struct.unpack_from(">I", self.data, self.offset)
        self.offset += 4
        return value

    def string(self):
        length = self.u32()
        if self.offset + length > len(self.data):
            raise KeyFormatError("truncated key")
        value = self.data[self.offset : self.offset + length]
        self.offset += length
        return value


def ed25519_seed(path):
    with open(path, encoding="ascii") as f:
        lines = [line.strip() for line in f if line.strip() and not line.startswith("-----")]
    data = base64.b64decode("".join(lines))
    if not data.startswith(MAGIC):
        raise KeyFormatError("not an OpenSSH private key")
    outer = Reader(data)
    outer.offset = len(MAGIC)
    cipher, kdf = outer.string(), outer.string()
    outer.string()  # kdf options
    if cipher != b"none" or kdf != b"none":
        raise KeyFormatError("the key is encrypted")
    for _ in range(outer.u32()):
        outer.string()  # public keys

    inner = Reader(outer.string())
    if inner.u32() != inner.u32():
        raise KeyFormatError("check bytes differ")
    if inner.string() != b"ssh-ed25519":
        raise KeyFormatError("not an ed25519 key")
    public = inner.string()
    private = inner.string()  # the 32-byte seed, then the public key again
    if len(private) != 64 or private[32:] != public:
        raise KeyFormatError("unexpected ed25519 private key layout")
    return private[:32]


def readable_mappings(pid):
    with open(f"/proc/{pid}/maps", encoding="ascii", errors="replace") as f:
        for line in f:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            name = fields[5] if len(fields) > 5 else ""
            if "r" not in fields[1] or name in SKIPPED_MAPPINGS:
                continue
            if end - start > MAPPING_MAX_BYTES:
                continue
            yield start, end


def count_in_memory(pid, needle):
    """Counts needle in every readable mapping, across chunk borders too."""
    count = 0
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for start, end in readable_mappings(pid):
            tail = b""
            for offset in range(start, end, CHUNK_BYTES):
                try:
                    mem.seek(offset)
                    chunk = mem.read(min(CHUNK_BYTES, end - offset))
                except OSError:
                    tail = b""
                    continue
                data = tail + chunk
                count += data.count(needle)
                # Keep the last len-1 bytes, which cannot hold a whole copy.
                tail = data[-(len(needle) - 1) :]
    return count


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        seed = ed25519_seed(sys.argv[1])
        count = count_in_memory(int(sys.argv[2]), seed)
    except (OSError, ValueError, KeyFormatError) as e:
        print(f"keyscan: {e}", file=sys.stderr)
        return 1
    print(sys.argv[2], count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
