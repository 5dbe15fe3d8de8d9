"""Remove EXIF, XMP, IPTC and text metadata from JPEG, PNG and WebP files without re-encoding.

Pure module: bytes in, bytes out. The pixels are untouched (segments and chunks are dropped,
never decoded), so stripping is lossless and fast. A JPEG's EXIF orientation is the one fact
worth keeping (the browser needs it to show the photo upright): it survives as a minimal
EXIF block holding nothing else. A file whose structure cannot be followed comes back as
it is when no metadata marker appears anywhere in it (browsers show many slightly broken
files), else raises :class:`MetadataError`, so the caller can refuse it rather than publish
a location.
"""

from __future__ import annotations

import struct

_JPEG_DROP = {0xE1, 0xED, 0xFE}  # APP1 (EXIF, XMP), APP13 (Photoshop IPTC), COM
_PNG_DROP = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}
_WEBP_DROP = {b"EXIF", b"XMP "}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MARKERS = (b"Exif\x00\x00", b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"XMP", b"xmpmeta", b"Photoshop")


class MetadataError(ValueError):
    """The file is damaged in a way that stops its metadata from being removed safely."""


def strip_metadata(data: bytes, content_type: str) -> bytes:
    """``data`` without its metadata for JPEG, PNG and WebP; other types come back as they are.

    :raises MetadataError: a JPEG, PNG or WebP whose structure cannot be followed and that
        holds something that looks like metadata.
    """
    strip = _STRIPPERS.get(content_type)
    if strip is None:
        return data
    try:
        return strip(data)
    except MetadataError:
        if any(marker in data for marker in _MARKERS):
            raise
        return data


def _orientation_exif(segment: bytes) -> int:
    """The orientation tag (1-8) of an EXIF APP1 payload, 1 when absent or unreadable."""
    if not segment.startswith(b"Exif\x00\x00") or len(segment) < 14:
        return 1
    tiff = segment[6:]
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return 1
    try:
        (ifd,) = struct.unpack_from(order + "I", tiff, 4)
        (count,) = struct.unpack_from(order + "H", tiff, ifd)
        for n in range(count):
            tag, kind, _, value = struct.unpack_from(order + "HHI4s", tiff, ifd + 2 + 12 * n)
            if tag == 0x0112 and kind == 3:
                orientation = struct.unpack_from(order + "H", value)[0]
                return orientation if 1 <= orientation <= 8 else 1
    except struct.error:
        return 1
    return 1


def _minimal_exif(orientation: int) -> bytes:
    """An APP1 segment whose EXIF holds only the orientation."""
    tiff = b"MM\x00\x2a\x00\x00\x00\x08" + struct.pack(
        ">HHHIHHI", 1, 0x0112, 3, 1, orientation, 0, 0
    )
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _strip_jpeg(data: bytes) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        raise MetadataError("not a JPEG")
    view = memoryview(data)  # slices of a view copy nothing: a clean file costs no memory
    out: list[bytes | memoryview] = [b"\xff\xd8"]
    orientation = 1
    dropped = False
    pos = 2
    while True:
        if pos + 4 > len(data) or data[pos] != 0xFF:
            raise MetadataError("damaged JPEG header")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA or 0xD0 <= marker <= 0xD9:  # start of scan: pixels follow
            out.append(view[pos:])
            break
        (length,) = struct.unpack_from(">H", data, pos + 2)
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise MetadataError("damaged JPEG segment")
        if marker in _JPEG_DROP:
            dropped = True
            if marker == 0xE1 and orientation == 1:
                orientation = _orientation_exif(data[pos + 4 : end])
        else:
            out.append(view[pos:end])
        pos = end
    if not dropped:
        return data  # nothing to remove: no copy of a large file
    if orientation != 1:
        out.insert(1, _minimal_exif(orientation))
    return b"".join(out)


def _strip_png(data: bytes) -> bytes:
    if not data.startswith(_PNG_SIGNATURE):
        raise MetadataError("not a PNG")
    view = memoryview(data)
    out: list[bytes | memoryview] = [_PNG_SIGNATURE]
    dropped = False
    pos = len(_PNG_SIGNATURE)
    while pos < len(data):
        if pos + 12 > len(data):
            raise MetadataError("damaged PNG chunk")
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise MetadataError("damaged PNG chunk")
        if kind in _PNG_DROP:
            dropped = True
        else:
            out.append(view[pos:end])
        pos = end
        if kind == b"IEND":
            break
    return b"".join(out) if dropped else data


def _strip_webp(data: bytes) -> bytes:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise MetadataError("not a WebP")
    view = memoryview(data)
    chunks: list[bytes | memoryview] = []
    dropped = False
    pos = 12
    while pos + 8 <= len(data):
        kind = data[pos : pos + 4]
        (length,) = struct.unpack_from("<I", data, pos + 4)
        end = pos + 8 + length + (length & 1)
        if end > len(data) + 1:  # (a final odd chunk may lack its pad byte)
            raise MetadataError("damaged WebP chunk")
        chunk: bytes | memoryview = view[pos:end]
        if kind == b"VP8X" and length >= 10:
            flags = chunk[8] & ~0x0C  # the EXIF and XMP flags
            chunk = bytes(chunk[:8]) + bytes([flags]) + bytes(chunk[9:])
        if kind in _WEBP_DROP:
            dropped = True
        else:
            chunks.append(chunk)
        pos = end
    if not dropped:
        return data
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


_STRIPPERS = {"image/jpeg": _strip_jpeg, "image/png": _strip_png, "image/webp": _strip_webp}
STRIPPABLE_TYPES = tuple(sorted(_STRIPPERS))  # what strip_metadata changes; others pass
