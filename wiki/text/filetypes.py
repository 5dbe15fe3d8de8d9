"""What a file is, judged by its bytes; safe file names; image sizes and display copies.

Pure module: bytes and strings in, values out. No Flask, no database.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

MAX_NAME = 255
DISPLAY_WIDTH = 1600  # wider images get a resized copy for pages; the original stays a click away
MAX_DECODE_PIXELS = 40_000_000  # bounds the memory a resize may take (a 10 MB PNG can hide GBs)
# Pillow decodes WebP at ~15 bytes a pixel (libwebp's canvas, then a copy): larger WebP
# images are measured from the header and served as they are, without a display copy.
WEBP_COPY_PIXELS = 12_000_000
RASTER_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
INLINE_TYPES = RASTER_TYPES | {"application/pdf"}
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
_PIL_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
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

    The size is read from the header before anything is decoded: over ``max_pixels`` raises
    :class:`ImageTooLarge`. The copy keeps the format (PNG, JPEG, WebP; animated GIFs are
    left alone) and drops EXIF metadata; it is made from a reduced image (JPEG decodes
    scaled down, others are reduced right after decoding), so memory stays near one decoded
    frame. Undecodable images yield no dimensions and no copy, never an error.
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
                return _measure_and_resize(img, content_type)
    except ImageTooLarge:
        raise
    except Image.DecompressionBombError:
        raise ImageTooLarge(0, 0, max_pixels) from None
    except Exception:  # Pillow raises many kinds on hostile files; a bad image is just a file
        return ImageFacts()


def _measure_and_resize(img: Image.Image, content_type: str) -> ImageFacts:
    width, height = img.size
    orientation = img.getexif().get(0x0112, 1)
    rotated = orientation in (5, 6, 7, 8)
    if rotated:  # rotated by 90°: the browser shows it the other way round
        width, height = height, width
    fmt = _PIL_FORMATS.get(content_type)
    animated = getattr(img, "is_animated", False)
    if width <= DISPLAY_WIDTH or fmt is None or animated:
        return ImageFacts(width, height)
    if fmt == "WEBP" and width * height > WEBP_COPY_PIXELS:
        return ImageFacts(width, height)
    # The box in stored (unrotated) pixels whose rotation fits the display width.
    box = (DISPLAY_WIDTH * 4, DISPLAY_WIDTH) if rotated else (DISPLAY_WIDTH, DISPLAY_WIDTH * 4)
    img.draft("RGB", (box[0], box[0] * img.size[1] // img.size[0]))  # JPEG: decode scaled
    # Reduce by a whole factor no larger than the final scale, then resample the small image.
    factor = max(1, int(max(img.size[0] / box[0], img.size[1] / box[1])))
    small = img.reduce(factor) if factor > 1 else img  # frees the full frame once reduced
    small.thumbnail(box, Image.Resampling.LANCZOS)
    small.info["exif"] = img.info.get("exif", b"")
    copy = ImageOps.exif_transpose(small)
    if fmt == "JPEG" and copy.mode not in ("RGB", "L", "CMYK"):
        copy = copy.convert("RGB")
    copy.info.pop("exif", None)
    out = io.BytesIO()
    copy.save(out, fmt, **({"quality": 85} if fmt != "PNG" else {}))
    return ImageFacts(width, height, out.getvalue())
