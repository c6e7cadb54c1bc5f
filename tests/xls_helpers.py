"""Old and odd Excel binaries made byte by byte: an Excel 2.x-4.0 worksheet (BIFF2-4, not an
OLE file), and an XOR-obfuscated .xls made from a real BIFF8 one by putting a FILEPASS record
of encryption type 0 (XOR, [MS-XLS] 2.4.117) right after its BOF record."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path


def biff4_worksheet(path: Path, version: int = 4) -> Path:
    """A minimal Excel 2.x/3.0/4.0 worksheet: BOF (0x0009/0x0209/0x0409), one number, EOF."""
    bof_type = {2: 0x0009, 3: 0x0209, 4: 0x0409}[version]
    bof = struct.pack("<HHHHH", bof_type, 6 if version > 2 else 4, 0, 0x0010, 0)
    if version == 2:
        bof = struct.pack("<HHHH", bof_type, 4, 0x0002, 0x0010)
    number = struct.pack("<HHHH3sd", 0x0203, 14, 0, 0, b"\x00\x00\x00", 42.0)[:4 + 14]
    path.write_bytes(bof + number + struct.pack("<HH", 0x000A, 0))
    return path


def xor_protected_xls(source: Path, dest: Path) -> Path:
    """``source`` (a BIFF8 .xls as LibreOffice writes it: BOF, INTERFACEHDR, MMS,
    INTERFACEEND, WRITEACCESS) with FILEPASS (XOR, key 0x1234, verifier 0x5678) put right
    after BOF, where Excel writes it; WRITEACCESS gives up its bytes so that no offset moves."""
    import olefile

    shutil.copyfile(source, dest)
    ole = olefile.OleFileIO(str(dest), write_mode=True)
    try:
        data = bytearray(ole.openstream("Workbook").read())
        bof_end = 4 + struct.unpack("<H", data[2:4])[0]
        pos = bof_end
        while True:
            kind, length = struct.unpack("<HH", data[pos:pos + 4])
            if kind == 0x005C:  # WRITEACCESS
                break
            pos += 4 + length
        between = bytes(data[bof_end:pos])
        end = pos + 4 + length
        filepass = struct.pack("<HHHHH", 0x002F, 6, 0x0000, 0x1234, 0x5678)
        room = end - bof_end - len(filepass) - len(between)
        filler = struct.pack("<HH", 0x01C0, room - 4).ljust(room, b"\x00")
        data[bof_end:end] = filepass + between + filler
        ole.write_stream("Workbook", bytes(data))
    finally:
        ole.close()
    return dest
