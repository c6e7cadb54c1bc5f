"""Replace the source of VBA modules in a ``vbaProject.bin``, as [MS-OVBA] allows.

A VBA project ([MS-OVBA], Microsoft, "Office VBA File Format Structure") keeps each module in
a stream of the ``VBA`` storage: an optional performance cache (compiled p-code) followed, at
``MODULEOFFSET`` (recorded in the ``VBA/dir`` stream), by the module's source compressed with
the algorithm of §2.4.1. The ``_VBA_PROJECT`` stream's version 0xFFFF tells Office that no
cache is valid, so it compiles every module from its source on load (§2.3.4.1: "MUST be
ignored on read"; writers set 0xFFFF and no cache).

The xlwings add-in template is already written that way (``_VBA_PROJECT`` is the 7-byte header
with version 0xFFFF; its ``xlwings`` module has offset 0). :func:`replace_modules` keeps that
contract: a replaced module's stream becomes its compressed source alone, its ``MODULEOFFSET``
becomes 0, and every other stream and record is kept byte for byte.
"""

from __future__ import annotations

import struct

from addin.excel import cfb

CHUNK = 4096
_DIR_MODULE_NAME = 0x0019
_DIR_MODULE_STREAM = 0x001A
_DIR_MODULE_OFFSET = 0x0031
_DIR_PROJECT_VERSION = 0x0009
_VBA_PROJECT_HEADER = b"\xcc\x61\xff\xff\x00\x01\x00"  # Reserved1, Version 0xFFFF, Reserved2/3


def _copy_token_help(position: int) -> tuple[int, int]:
    """(length bits mask, offset bit count) at ``position`` bytes into a chunk (§2.4.1.3.19.1)."""
    bit_count = max((position - 1).bit_length(), 4)
    length_mask = 0xFFFF >> bit_count
    return length_mask, bit_count


def compress(data: bytes) -> bytes:
    """[MS-OVBA] §2.4.1.3.6 compression: a 0x01 signature, then chunks of up to 4,096 source
    bytes, each a header and tokens (literals, or copy tokens pointing back into the chunk).
    Matches are found through an index of 3-byte prefixes, longest (then nearest) first."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        chunk = data[start:start + CHUNK]
        body = bytearray()
        seen: dict[bytes, list[int]] = {}
        indexed = 0
        pos = 0
        while pos < len(chunk):
            flag_at = len(body)
            body.append(0)
            flags = 0
            for bit in range(8):
                if pos >= len(chunk):
                    break
                while indexed < pos:  # index every earlier position by its next 3 bytes
                    seen.setdefault(chunk[indexed:indexed + 3], []).append(indexed)
                    indexed += 1
                length_mask, _ = _copy_token_help(pos)
                max_length = length_mask + 3
                best_len, best_off = 0, 0
                for cand in reversed(seen.get(chunk[pos:pos + 3], ())):
                    n = 0
                    while (n < max_length and pos + n < len(chunk)
                           and chunk[cand + n] == chunk[pos + n]):
                        n += 1
                    if n > best_len:
                        best_len, best_off = n, pos - cand
                        if n == max_length:
                            break
                if best_len >= 3:
                    _, bit_count = _copy_token_help(pos)
                    token = ((best_off - 1) << (16 - bit_count)) | (best_len - 3)
                    body += struct.pack("<H", token)
                    flags |= 1 << bit
                    pos += best_len
                else:
                    body.append(chunk[pos])
                    pos += 1
            body[flag_at] = flags
        if len(body) > CHUNK and len(chunk) == CHUNK:
            out += struct.pack("<H", 0x3000 | (CHUNK + 2 - 3)) + chunk  # raw: 4,096 bytes
        elif len(body) + 2 > CHUNK + 2:
            raise ValueError("a final chunk of incompressible data cannot be stored")
        else:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body  # compressed
    return bytes(out)


def decompress(data: bytes) -> bytes:
    """[MS-OVBA] §2.4.1.3.1 decompression of a compressed container."""
    if not data or data[0] != 1:
        raise ValueError("not an MS-OVBA compressed container")
    out = bytearray()
    pos = 1
    while pos < len(data):
        header = struct.unpack_from("<H", data, pos)[0]
        size = (header & 0x0FFF) + 3
        end = min(pos + size, len(data))
        pos += 2
        start = len(out)
        if not header & 0x8000:
            out += data[pos:pos + CHUNK]
            pos += CHUNK
            continue
        while pos < end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= end:
                    break
                if flags >> bit & 1:
                    token = struct.unpack_from("<H", data, pos)[0]
                    pos += 2
                    length_mask, bit_count = _copy_token_help(len(out) - start)
                    length = (token & length_mask) + 3
                    offset = (token >> (16 - bit_count)) + 1
                    for _ in range(length):
                        out.append(out[-offset])
                else:
                    out.append(data[pos])
                    pos += 1
    return bytes(out)


def _records(dir_stream: bytes) -> list[tuple[int, bytes]]:
    """The records of the decompressed ``dir`` stream as (id, payload)."""
    records = []
    pos = 0
    while pos < len(dir_stream):
        rid, size = struct.unpack_from("<HI", dir_stream, pos)
        if rid == _DIR_PROJECT_VERSION:
            size = 6  # §2.3.4.2.1.11: Reserved = 4, then 4 + 2 bytes of version
        records.append((rid, dir_stream[pos + 6:pos + 6 + size]))
        pos += 6 + size
    return records


def _serialise(records: list[tuple[int, bytes]]) -> bytes:
    out = bytearray()
    for rid, payload in records:
        size = 4 if rid == _DIR_PROJECT_VERSION else len(payload)
        out += struct.pack("<HI", rid, size) + payload
    return bytes(out)


def _modules(records: list[tuple[int, bytes]], codepage: int) -> list[tuple[str, str, int]]:
    """(module name, stream name, index of its MODULEOFFSET record) for every module."""
    out = []
    name = stream = None
    for i, (rid, payload) in enumerate(records):
        if rid == _DIR_MODULE_NAME:
            name = payload.decode(f"cp{codepage}")
        elif rid == _DIR_MODULE_STREAM:
            stream = payload.decode(f"cp{codepage}")
        elif rid == _DIR_MODULE_OFFSET and name is not None:
            out.append((name, stream or name, i))
            name = stream = None
    return out


def _codepage(records: list[tuple[int, bytes]]) -> int:
    return next(struct.unpack("<H", p)[0] for r, p in records if r == 0x0003)


def module_sources(project: bytes) -> dict[str, str]:
    """Every module's source (decoded with the project's code page) by module name."""
    vba = cfb.read(project).child("VBA")
    records = _records(decompress(vba.child("dir").data))
    codepage = _codepage(records)
    sources = {}
    for name, stream, i in _modules(records, codepage):
        offset = struct.unpack("<I", records[i][1])[0]
        sources[name] = decompress(vba.child(stream).data[offset:]).decode(f"cp{codepage}")
    return sources


def replace_modules(project: bytes, sources: dict[str, str]) -> bytes:
    """``project`` with the named modules' source replaced (offset 0, no p-code), the dir
    stream's offsets updated and ``_VBA_PROJECT`` set to 'compile from source'."""
    root = cfb.read(project)
    vba = root.child("VBA")
    dir_node = vba.child("dir")
    records = _records(decompress(dir_node.data))
    codepage = _codepage(records)
    modules = {name: (stream, i) for name, stream, i in _modules(records, codepage)}
    unknown = set(sources) - set(modules)
    if unknown:
        raise KeyError(f"no module {sorted(unknown)} in the project (it has {sorted(modules)})")
    for name, text in sources.items():
        stream, i = modules[name]
        records[i] = (_DIR_MODULE_OFFSET, struct.pack("<I", 0))
        source = text.replace("\r\n", "\n").replace("\n", "\r\n").encode(f"cp{codepage}")
        vba.child(stream).data = compress(source)
    dir_node.data = compress(_serialise(records))
    vba.child("_VBA_PROJECT").data = _VBA_PROJECT_HEADER
    return cfb.write(root)


__all__ = ["compress", "decompress", "module_sources", "replace_modules"]
