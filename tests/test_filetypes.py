"""filetypes: content sniffing, file-name sanitizing, image measuring and display copies."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from wiki.text import filetypes
from wiki.text.display_copy import _vips
from wiki.text.filetypes import (
    DISPLAY_WIDTH,
    FileNameError,
    ImageTooLarge,
    inspect_image,
    sanitize_name,
    sniff_type,
)


def image_bytes(width: int, height: int, fmt: str = "PNG", color=(200, 40, 40), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, fmt, **save)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (image_bytes(4, 3), "image/png"),
        (image_bytes(4, 3, "JPEG"), "image/jpeg"),
        (image_bytes(4, 3, "GIF"), "image/gif"),
        (image_bytes(4, 3, "WEBP"), "image/webp"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "application/pdf"),
        ("naïve text ✓\n".encode(), "text/plain"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "text/plain"),
        (b"<html><script>alert(1)</script></html>", "text/plain"),
        (b"text with a \x00 NUL", "application/octet-stream"),
        (b"\xff\xfe not utf-8 \x80", "application/octet-stream"),
        (b"PK\x03\x04\x14\x00\x08\x00", "application/octet-stream"),  # zip
        (b"RIFF\x00\x00\x00\x00WAVE", "application/octet-stream"),
    ],
)
def test_sniff_type_goes_by_content(data, expected):
    assert sniff_type(data) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("diagram.png", "diagram.png"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("C:\\Users\\me\\photo.JPG", "photo.JPG"),
        (".htaccess", "htaccess"),
        ("...hidden.txt", "hidden.txt"),
        ("my holiday  photo.png", "my_holiday_photo.png"),
        ("a\x00b\x1fc\x7f.txt", "abc.txt"),
        ("evil\u202egnp.exe", "evilgnp.exe"),
        ("zero\u200bwidth.png", "zerowidth.png"),
        ("q?x#y%z.png", "q_x_y_z.png"),
        ("photo (1).jpg", "photo__1_.jpg"),
        ("report.pdf. ", "report.pdf"),
        ("Straße.txt", "Straße.txt"),
        ("e\u0301.txt", "\u00e9.txt"),  # NFC
    ],
)
def test_sanitize_name(raw, expected):
    assert sanitize_name(raw) == expected


def test_sanitize_name_keeps_extension_within_255_characters():
    name = sanitize_name("x" * 400 + ".png")
    assert len(name) == 255 and name.endswith(".png")


@pytest.mark.parametrize("raw", ["", "..", "/", "../", "\x00\x01", "   ", "___", "a/.."])
def test_sanitize_name_refuses_nothing_usable(raw):
    with pytest.raises(FileNameError):
        sanitize_name(raw)


def test_inspect_image_measures_small_images_without_a_copy():
    facts = inspect_image(image_bytes(640, 480), "image/png")
    assert (facts.width, facts.height, facts.display) == (640, 480, None)


@pytest.mark.parametrize(("fmt", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_inspect_image_resizes_wide_images_in_the_same_format(fmt, content_type):
    facts = inspect_image(image_bytes(3200, 1000, fmt), content_type)
    assert (facts.width, facts.height) == (3200, 1000)
    with Image.open(io.BytesIO(facts.display)) as copy:
        assert copy.format == fmt
        assert copy.size == (DISPLAY_WIDTH, 500)


def test_inspect_image_applies_exif_rotation():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90° clockwise: shown 1000 wide, 2400 high
    facts = inspect_image(image_bytes(2400, 1000, "JPEG", exif=exif), "image/jpeg")
    assert (facts.width, facts.height) == (1000, 2400)
    assert facts.display is None  # not wider than the display width once rotated


def test_inspect_image_ignores_broken_and_non_images():
    assert inspect_image(b"\x89PNG\r\n\x1a\nnot really", "image/png").width is None
    assert inspect_image(b"hello", "text/plain").width is None


def test_inspect_image_refuses_decompression_bombs():
    # 20000 x 20000 pixels of one colour compress to a few hundred KB.
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    with pytest.raises(ImageTooLarge):
        inspect_image(out.getvalue(), "image/png")


def test_inspect_image_refuses_images_over_the_pixel_budget_from_the_header():
    data = image_bytes(2000, 1500, "PNG")  # 3 MP
    with pytest.raises(ImageTooLarge, match="2000 × 1500 pixels"):
        inspect_image(data, "image/png", max_pixels=2_000_000)
    assert inspect_image(data, "image/png", max_pixels=3_000_000).width == 2000


@pytest.mark.parametrize("orientation", [1, 6])
def test_display_copies_are_reduced_and_upright(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    facts = inspect_image(image_bytes(6400, 2000, "JPEG", exif=exif), "image/jpeg")
    with Image.open(io.BytesIO(facts.display)) as copy:
        expected = (1600, 500) if orientation == 1 else (1600, 5120)
        assert copy.size == expected
        assert copy.getexif().get(0x0112) is None


def test_display_copy_of_a_big_png_is_made_in_bands_without_metadata():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at home")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>GPS</x:xmpmeta>")
    data = image_bytes(12000, 3000, "PNG", pnginfo=info)  # 36 MP
    facts = inspect_image(data, "image/png")
    assert (facts.width, facts.height) == (12000, 3000)
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"iCCP", b"taken at home", b"xmpmeta"):
        assert chunk not in facts.display
    with Image.open(io.BytesIO(facts.display)) as copy:
        assert (copy.format, copy.size) == ("PNG", (DISPLAY_WIDTH, 400))
        assert copy.getpixel((10, 10)) == (200, 40, 40)


@pytest.mark.parametrize(("fmt", "save"), [("PNG", {}), ("JPEG", {"progressive": True})])
def test_images_that_cannot_stream_get_a_copy_only_within_the_frame_budget(monkeypatch, fmt, save):
    if fmt == "PNG":  # Pillow writes no interlaced PNG
        data = _vips().Image.black(3200, 1000, bands=3).pngsave_buffer(interlace=True)
    else:
        data = image_bytes(3200, 1000, fmt, **save)
    content_type = f"image/{fmt.lower()}"
    assert inspect_image(data, content_type).display is not None
    monkeypatch.setattr(filetypes, "FULL_FRAME_BUDGET", 3200 * 1000 * 3 - 1)
    facts = inspect_image(data, content_type)
    assert (facts.width, facts.height, facts.display) == (3200, 1000, None)
