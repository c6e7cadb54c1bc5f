"""Write a Compound File Binary (OLE2) file, the container of ``vbaProject.bin``.

olefile reads these files but only rewrites a stream in place at its old size; changing a VBA
module's source changes its size, so the add-in build writes the whole container anew. The
format is [MS-CFB] (Microsoft, "Compound File Binary File Format", v3 with 512-byte sectors):

* a 512-byte header, then sectors of 512 bytes; the FAT chains the sectors of each stream;
* streams under 4,096 bytes live in the mini stream (64-byte mini sectors, chained by the
  mini FAT), which is itself a regular stream owned by the root entry;
* a directory of 128-byte entries; the children of each storage form a red-black tree ordered
  by name length, then by upper-cased name (§2.6.4).

Output is deterministic: no timestamps, entries in a fixed order, so two builds are byte-identical.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT, ENDOFCHAIN, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
RED, BLACK = 0, 1
STORAGE, STREAM, ROOT = 1, 2, 5


@dataclass
class Node:
    """A storage (with children) or a stream (with data) of the compound file."""

    name: str
    data: bytes | None = None  # None for a storage
    clsid: bytes = b"\0" * 16
    children: list[Node] = field(default_factory=list)

    def child(self, name: str) -> Node:
        for c in self.children:
            if c.name.upper() == name.upper():
                return c
        raise KeyError(name)


def _order(name: str) -> tuple[int, str]:
    return (len(name.encode("utf-16-le")), name.upper())


def read(path_or_bytes) -> Node:
    """The tree of a compound file (storages, streams and their CLSIDs), read with olefile."""
    import olefile

    ole = olefile.OleFileIO(path_or_bytes)
    try:
        root = Node("Root Entry", None, bytes.fromhex(ole.root.clsid.replace("-", ""))
                    if ole.root.clsid else b"\0" * 16)

        def walk(entry, node: Node) -> None:
            for kid in entry.kids:
                if kid.entry_type == olefile.STGTY_STREAM:
                    data = ole._open(kid.isectStart, kid.size).read()  # noqa: SLF001
                    node.children.append(Node(kid.name, data))
                elif kid.entry_type == olefile.STGTY_STORAGE:
                    clsid = bytes.fromhex(kid.clsid.replace("-", "")) if kid.clsid else b"\0" * 16
                    sub = Node(kid.name, None, clsid)
                    node.children.append(sub)
                    walk(kid, sub)

        walk(ole.direntries[0], root)
        return root
    finally:
        ole.close()


def _tree(ids: list[int]) -> tuple[int, dict[int, tuple[int, int, int]]]:
    """A red-black tree over ``ids`` (already in sort order): the root id and, per id, (left,
    right, colour). Median splits fill every level but the last; colouring the last level red
    gives every path the same number of black nodes, which is a valid red-black tree."""
    links: dict[int, tuple[int, int, int]] = {}

    def depth(n: int) -> int:
        return n.bit_length()  # levels of a median-split tree of n nodes

    full = depth(len(ids))

    def build(lo: int, hi: int, level: int) -> int:
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        left = build(lo, mid, level + 1)
        right = build(mid + 1, hi, level + 1)
        colour = RED if level == full and (full > 1 and len(ids) != 2 ** full - 1) else BLACK
        links[ids[mid]] = (left, right, colour)
        return ids[mid]

    return build(0, len(ids), 1), links


def write(root: Node) -> bytes:
    """The compound file of ``root`` as bytes."""
    entries: list[Node] = []
    index: dict[int, int] = {}

    def number(node: Node) -> None:
        index[id(node)] = len(entries)
        entries.append(node)
        for kid in sorted(node.children, key=lambda k: _order(k.name)):
            number(kid)

    number(root)

    # mini stream: small streams packed in 64-byte mini sectors
    mini = bytearray()
    minifat: list[int] = []
    start: dict[int, int] = {}
    big: list[Node] = []
    for node in entries[1:]:
        if node.data is None:
            continue
        if len(node.data) < MINI_CUTOFF:
            if not node.data:
                start[id(node)] = ENDOFCHAIN
                continue
            first = len(mini) // MINI_SECTOR
            count = -(-len(node.data) // MINI_SECTOR)
            minifat.extend(range(first + 1, first + count))
            minifat.append(ENDOFCHAIN)
            mini += node.data + b"\0" * (count * MINI_SECTOR - len(node.data))
            start[id(node)] = first
        else:
            big.append(node)

    def sectors(size: int) -> int:
        return -(-size // SECTOR)

    blobs: list[tuple[str, bytes]] = []  # (what, data) in file order, each sector-padded
    if mini:
        blobs.append(("mini", bytes(mini)))
    for node in big:
        blobs.append((f"s{id(node)}", node.data))  # type: ignore[arg-type]
    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat) if minifat else b""
    if minifat_bytes:
        minifat_bytes += struct.pack("<I", FREESECT) * ((-len(minifat)) % (SECTOR // 4))
        blobs.append(("minifat", minifat_bytes))
    dir_count = -(-len(entries) // (SECTOR // 128))
    blobs.append(("dir", b"\0" * dir_count * SECTOR))  # placeholder, filled below

    data_sectors = sum(sectors(len(b)) for _, b in blobs)
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < data_sectors + fat_sectors:
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("compound file too large for a header-only DIFAT")

    fat: list[int] = []
    first_sector: dict[str, int] = {}
    for what, blob in blobs:
        n = sectors(len(blob))
        first_sector[what] = len(fat)
        fat.extend(range(len(fat) + 1, len(fat) + n))
        fat.append(ENDOFCHAIN)
    fat_start = len(fat)
    fat.extend([FATSECT] * fat_sectors)
    fat.extend([FREESECT] * (fat_sectors * (SECTOR // 4) - len(fat)))

    # directory entries
    def entry(node: Node) -> bytes:
        name = node.name.encode("utf-16-le")
        if len(name) > 62:
            raise ValueError(f"entry name too long: {node.name!r}")
        kind = ROOT if node is root else (STORAGE if node.data is None else STREAM)
        left, right, colour = links.get(index[id(node)], (NOSTREAM, NOSTREAM, BLACK))
        kids = sorted(node.children, key=lambda k: _order(k.name))
        child = NOSTREAM
        if kids:
            child = roots[id(node)]
        if node is root:
            sect = first_sector["mini"] if mini else ENDOFCHAIN
            size = len(mini)
        elif node.data is None:
            sect, size = 0, 0
        elif len(node.data) < MINI_CUTOFF:
            sect, size = start[id(node)], len(node.data)
        else:
            sect, size = first_sector[f"s{id(node)}"], len(node.data)
        return (name + b"\0" * (64 - len(name))
                + struct.pack("<HBBIII", len(name) + 2, kind, colour, left, right, child)
                + node.clsid + struct.pack("<I", 0) + b"\0" * 16
                + struct.pack("<IQ", sect, size))

    links: dict[int, tuple[int, int, int]] = {}
    roots: dict[int, int] = {}
    for node in entries:
        if node.children:
            ids = [index[id(k)] for k in sorted(node.children, key=lambda k: _order(k.name))]
            top, sub = _tree(ids)
            roots[id(node)] = top
            links.update(sub)
    directory = b"".join(entry(n) for n in entries)
    free = (b"\0" * 64 + struct.pack("<HBBIII", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM)
            + b"\0" * 16 + b"\0" * 4 + b"\0" * 16 + struct.pack("<IQ", 0, 0))
    directory += free * (dir_count * (SECTOR // 128) - len(entries))
    blobs[-1] = ("dir", directory)

    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        bytes.fromhex("D0CF11E0A1B11AE1"), b"\0" * 16, 0x003E, 0x0003, 0xFFFE, 9, 6,
        b"\0" * 6, 0, fat_sectors, first_sector["dir"], 0, MINI_CUTOFF,
        first_sector["minifat"] if minifat else ENDOFCHAIN, len(minifat_bytes) // SECTOR,
        ENDOFCHAIN, 0,
    )
    difat = list(range(fat_start, fat_start + fat_sectors)) + [FREESECT] * (109 - fat_sectors)
    header += struct.pack("<109I", *difat)
    out = bytearray(header)
    for _, blob in blobs:
        out += blob + b"\0" * ((-len(blob)) % SECTOR)
    out += struct.pack(f"<{len(fat)}I", *fat)
    return bytes(out)


__all__ = ["Node", "read", "write"]
