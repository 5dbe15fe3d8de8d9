"""Display copies of large images, made by libvips in bands so a worker's memory stays small.

Pure module: bytes in, bytes out. No Flask, no database.

Pillow decodes a whole frame before it can resize it (a 40 MP PNG is 120 MB of pixels, more
while it is reduced), and it has no band-wise PNG or WebP decoder. libvips streams instead:
``thumbnail_source`` shrinks JPEG and WebP while decoding them, and reads a non-interlaced PNG
a few rows at a time, so a 40 MP image costs tens of MB whatever its format. Two kinds of file
cannot be streamed by any decoder; the caller bounds them (``filetypes.FULL_FRAME_BUDGET``): an
interlaced (Adam7) PNG needs every pass in memory, a progressive JPEG every DCT coefficient.

libvips is set up for a web worker on first use, not at import: no operation cache (each
upload is different, a cache only holds memory), one thread per image (the per-worker image
slot already serialises uploads, and the CPU belongs to the other requests), and only the
PNG, JPEG and WebP loaders (libvips ships loaders for dozens of formats nobody fuzzed for
hostile input; the content type was already sniffed, so nothing else is ever needed).
"""

from __future__ import annotations

from functools import cache
from typing import Any

_SAVE = {
    "image/png": (".png", {}),
    "image/jpeg": (".jpg", {"Q": 85}),
    "image/webp": (".webp", {"Q": 85}),
}
_LOADERS = ("VipsForeignLoadPngSource", "VipsForeignLoadJpegSource", "VipsForeignLoadWebpSource")
# PNG colour type -> samples per pixel once decoded (a palette expands to RGBA at worst).
_PNG_SAMPLES = {0: 1, 2: 3, 3: 4, 4: 2, 6: 4}


class DisplayCopyError(ValueError):
    """libvips could not decode the image (damaged, truncated, or not what it claimed)."""


@cache
def _vips() -> Any:
    """pyvips, imported and tuned for a web worker the first time an image is resized."""
    import pyvips

    pyvips.cache_set_max(0)
    pyvips.cache_set_max_mem(0)
    pyvips.cache_set_max_files(0)
    pyvips.concurrency_set(1)
    pyvips.operation_block_set("VipsForeignLoad", True)
    for loader in _LOADERS:
        pyvips.operation_block_set(loader, False)
    return pyvips


def png_header(data: bytes) -> tuple[int, int]:
    """Bit depth and samples per decoded pixel from a PNG's IHDR (8, 4 when unreadable)."""
    if len(data) < 29 or data[12:16] != b"IHDR":
        return 8, 4
    return data[24], _PNG_SAMPLES.get(data[25], 4)


def make_display_copy(
    data: bytes, content_type: str, box: tuple[int, int], *, rotate: bool, convert_to_srgb: bool
) -> bytes:
    """``data`` shrunk to fit ``box`` (width, height as displayed), upright, same format.

    With ``rotate`` the EXIF orientation is applied, so the copy needs none (without it the
    pixels stay as stored, matching the caller's measurements). The copy carries no metadata
    at all (no EXIF, XMP, ICC profile or text chunks). With ``convert_to_srgb`` (the image
    embeds an ICC profile) the pixels are converted to sRGB first, so colours survive the
    profile being dropped. A JPEG copy is quality 85, like a WebP one; a PNG copy is lossless.

    :raises DisplayCopyError: libvips could not decode ``data``.
    """
    pyvips = _vips()
    suffix, options = _SAVE[content_type]
    extra = {"output_profile": "srgb"} if convert_to_srgb else {}
    try:
        source = pyvips.Source.new_from_memory(data)  # no copy of the upload
        if content_type == "image/png":
            image = _shrunk_png(pyvips, source, box, rotate)
            image = image.thumbnail_image(box[0], height=box[1], no_rotate=not rotate, **extra)
        else:  # JPEG and WebP shrink while decoding
            image = pyvips.Image.thumbnail_source(
                source,
                box[0],
                height=box[1],
                size="down",
                no_rotate=not rotate,
                fail_on="truncated",
                **extra,
            )
        return image.write_to_buffer(suffix, keep=0, **options)  # keep=0: VIPS_FOREIGN_KEEP_NONE
    except pyvips.Error as error:
        raise DisplayCopyError(str(error).strip().splitlines()[-1]) from None


def _shrunk_png(pyvips: Any, source: Any, box: tuple[int, int], rotate: bool) -> Any:
    """A PNG read in bands and box-shrunk by the largest whole factor that stays above
    ``box``, so the final Lanczos resize works on a small image: 20 MB less at 40 MP than
    letting ``thumbnail`` resize the full-size stream."""
    image = pyvips.Image.new_from_source(source, "", access="sequential", fail_on="truncated")
    turned = rotate and image.get_typeof("orientation") and image.get("orientation") in (5, 6, 7, 8)
    wide, high = (box[1], box[0]) if turned else box
    factor = max(1, int(max(image.width / wide, image.height / high)))
    return image.shrink(factor, factor) if factor > 1 else image
