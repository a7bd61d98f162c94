"""Files that are hard to come by and are built in code: an encrypted PDF (unit and sync tests)."""

from __future__ import annotations

import hashlib

# An RC4-40 (Standard security handler, R2) PDF with user password "secret", built by hand
# because pypdf is not installed; when it is, pypdf builds one too.
_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s, j = list(range(256)), 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    i = j = 0
    out = bytearray()
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def encrypted_pdf(user_password: bytes = b"secret") -> bytes:
    def pad(pw: bytes) -> bytes:
        return (pw + _PAD)[:32]

    permissions, file_id = -44, bytes(range(16))
    owner = _rc4(hashlib.md5(pad(b"owner-" + user_password)).digest()[:5], pad(user_password))
    p_bytes = (permissions & 0xFFFFFFFF).to_bytes(4, "little")
    key = hashlib.md5(pad(user_password) + owner + p_bytes + file_id).digest()[:5]
    user = _rc4(key, _PAD)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << >> >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
        % (owner.hex().encode(), user.hex().encode(), permissions),
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    fid = file_id.hex().encode()
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        fid,
        fid,
        xref,
    )
    return bytes(out)
