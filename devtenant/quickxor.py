"""QuickXorHash, the content hash OneDrive/SharePoint report in ``file.hashes``.

The algorithm XORs every byte, rotated left by ``11 * index`` bits, into a
160-bit circular register, then XORs the little-endian 64-bit length into the
last 8 bytes. The result is base64 encoded.
"""

from __future__ import annotations

import base64

_WIDTH_BITS = 160
_WIDTH_BYTES = _WIDTH_BITS // 8
_SHIFT = 11
_MASK = (1 << _WIDTH_BITS) - 1


def _rotl(value: int, bits: int) -> int:
    bits %= _WIDTH_BITS
    return ((value << bits) | (value >> (_WIDTH_BITS - bits))) & _MASK


def quickxorhash(data: bytes) -> str:
    """Base64 QuickXorHash of `data`."""
    # Bytes whose index is congruent modulo 160 land on the same bit offset,
    # so XOR them together first (fast, via big integers) and rotate 160 values.
    folded = 0
    block = _WIDTH_BITS  # 160 bytes per fold block
    for start in range(0, len(data), block):
        chunk = data[start : start + block].ljust(block, b"\0")
        folded ^= int.from_bytes(chunk, "little")
    column = folded.to_bytes(block, "little")
    register = 0
    for index, byte in enumerate(column):
        if byte:
            register ^= _rotl(byte, index * _SHIFT)
    digest = bytearray(register.to_bytes(_WIDTH_BYTES, "little"))
    for offset, byte in enumerate(len(data).to_bytes(8, "little")):
        digest[_WIDTH_BYTES - 8 + offset] ^= byte
    return base64.b64encode(bytes(digest)).decode("ascii")
