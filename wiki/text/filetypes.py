"""What a file is, judged by its bytes; safe file names; image sizes and display copies.

Pure module: bytes and strings in, values out. No Flask, no database.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass, replace

from PIL import Image

from wiki.text.display_copy import DisplayCopyError, make_display_copy, png_header

MAX_NAME = 255
DISPLAY_WIDTH = 1600  # wider images get a resized copy for pages; the original stays a click away
MAX_DECODE_PIXELS = 40_000_000  # bounds the memory a resize may take (a 10 MB PNG can hide GBs)
# Interlaced PNGs and progressive JPEGs cannot be decoded in bands: above this much
# whole-frame memory (~21 MP of interlaced RGB, ~10 MP of progressive colour JPEG) they
# are served as they are, without a display copy, so a worker stays under ~200 MB.
FULL_FRAME_BUDGET = 64 * 1024 * 1024
RASTER_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
INLINE_TYPES = RASTER_TYPES | {"application/pdf"}
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
_COPY_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})  # GIFs stay as they are
# Characters that would change a Markdown URL's meaning (query, fragment, escapes, brackets).
_URL_UNSAFE = re.compile(r"""[#?%\\/<>"\[\]{}()|^`*:]""")
_WHITESPACE = re.compile(r"\s+")


class FileNameError(ValueError):
    """A file name with nothing usable left once sanitized."""


def sniff_type(data: bytes) -> str:
    """The content type of ``data`` judged from its bytes alone.

    PNG, JPEG, GIF, WebP and PDF by their magic numbers; otherwise ``text/plain`` for valid
    UTF-8 without NUL bytes, else ``application/octet-stream``. SVG and HTML are text here,
    so they are never served as something a browser would render.
    """
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if b"\x00" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return "text/plain"
    return "application/octet-stream"


def sanitize_name(raw: str) -> str:
    """A safe file name from a user-supplied one.

    Guarantees: the last path component only (no ``/`` or ``\\``), NFC, no control, format
    (bidi, zero-width) or URL-significant characters (they become ``_``), whitespace as ``_``
    so the name works unescaped in ``![](name)``, no leading dots, at most :data:`MAX_NAME`
    characters with the extension kept.

    :raises FileNameError: nothing usable is left (``..``, only control characters…).
    """
    name = re.split(r"[/\\]", raw or "")[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co"))
    name = _URL_UNSAFE.sub("_", _WHITESPACE.sub("_", name.strip()))
    name = name.lstrip(".").rstrip(". ")
    if len(name) > MAX_NAME:
        _stem, dot, ext = name.rpartition(".")
        keep = dot + ext if dot and len(ext) <= 16 else ""
        name = name[: MAX_NAME - len(keep)] + keep
    if not name.strip("_"):
        raise FileNameError("The file needs a name made of letters or digits.")
    return name


@dataclass(frozen=True)
class ImageFacts:
    """Dimensions of an image (as displayed, after EXIF rotation) and an optional smaller copy."""

    width: int | None = None
    height: int | None = None
    display: bytes | None = None


class ImageTooLarge(ValueError):
    """An image whose header declares more pixels than the budget allows."""

    def __init__(self, width: int, height: int, budget: int) -> None:
        size = f"{width} × {height} pixels ({width * height / 1e6:.0f} MP)" if width else "huge"
        super().__init__(f"The image is {size}; images up to {budget / 1e6:g} MP are accepted.")


def inspect_image(
    data: bytes, content_type: str, *, max_pixels: int = MAX_DECODE_PIXELS
) -> ImageFacts:
    """Measure a raster image and, when it is wider than :data:`DISPLAY_WIDTH`, resize a copy.

    The size is read from the header (Pillow, nothing decoded) before anything else: over
    ``max_pixels`` raises :class:`ImageTooLarge`. The copy keeps the format (PNG, JPEG, WebP;
    GIFs and animated images are left alone), is upright, fits :data:`DISPLAY_WIDTH` wide by
    four times that high, and has no metadata at all. libvips makes it in bands
    (:mod:`wiki.text.display_copy`), so memory stays near the copy's size; an interlaced PNG
    or progressive JPEG whose whole-frame buffers would pass :data:`FULL_FRAME_BUDGET` gets
    no copy (it is shown as it is). Undecodable images yield no dimensions and no copy,
    never an error.
    """
    if content_type not in RASTER_TYPES:
        return ImageFacts()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
                if width * height > max_pixels:
                    raise ImageTooLarge(width, height, max_pixels)
                header = _read_header(img, data, content_type)
    except ImageTooLarge:
        raise
    except Image.DecompressionBombError:
        raise ImageTooLarge(0, 0, max_pixels) from None
    except Exception:  # Pillow raises many kinds on hostile files; a bad image is just a file
        return ImageFacts()
    facts = ImageFacts(header.width, header.height)
    if not header.wants_copy:
        return facts
    try:
        display = make_display_copy(
            data,
            content_type,
            (DISPLAY_WIDTH, DISPLAY_WIDTH * 4),
            rotate=header.orientation != 1,
            convert_to_srgb=header.icc,
        )
    except DisplayCopyError:
        return ImageFacts()  # as Pillow did: a file that does not decode is not an image
    return replace(facts, display=display)


@dataclass(frozen=True)
class _Header:
    width: int  # as displayed: after the EXIF rotation
    height: int
    wants_copy: bool
    orientation: int
    icc: bool


def _read_header(img: Image.Image, data: bytes, content_type: str) -> _Header:
    """What the header says, without decoding pixels (GIFs are never scanned for frames)."""
    width, height = img.size
    orientation = _orientation(img, content_type)
    if orientation in (5, 6, 7, 8):  # rotated by 90°: shown the other way round
        width, height = height, width
    wants_copy = (
        width > DISPLAY_WIDTH
        and content_type in _COPY_TYPES
        and not getattr(img, "is_animated", False)
        and _full_frame_bytes(img, data, content_type) <= FULL_FRAME_BUDGET
    )
    return _Header(width, height, wants_copy, orientation, bool(img.info.get("icc_profile")))


def _orientation(img: Image.Image, content_type: str) -> int:
    """The EXIF orientation (1-8) from the header. Pillow's ``getexif`` on a PNG without an
    eXIf chunk before its pixels decodes the whole image looking for one after them (120 MB
    at 40 MP): such a PNG counts as upright, and its copy is made without rotating it."""
    if content_type == "image/png" and "exif" not in img.info:
        return 1
    return img.getexif().get(0x0112, 1)


def _full_frame_bytes(img: Image.Image, data: bytes, content_type: str) -> int:
    """Bytes a decoder must hold for the whole frame at once: 0 for the formats that stream.

    An interlaced PNG holds every decoded pixel; a progressive JPEG two bytes of DCT
    coefficients per sample (before any scaling: libjpeg cannot shrink those).
    """
    pixels = img.size[0] * img.size[1]
    if content_type == "image/png" and img.info.get("interlace"):
        bit_depth, samples = png_header(data)
        return pixels * samples * (2 if bit_depth > 8 else 1)
    if content_type == "image/jpeg" and img.info.get("progressive"):
        return pixels * len(img.getbands()) * 2
    return 0
