"""Peak memory and time of processing an image upload, per format, at the pixel budget.

Each case runs in a fresh child process that stands in for a web worker: it imports and
builds the app (``create_app`` on a throw-away SQLite file: Flask, SQLAlchemy, every wiki
module, Pillow, libvips once used), builds a noisy image, encodes it, frees the building
buffers, resets the kernel's peak-RSS mark (``/proc/self/clear_refs``), then runs what an
upload runs outside the database: the metadata strip of ``store_upload`` and the service's
``_inspect`` (image slot, header check, display copy, its strip). It reads the new peak
(``VmHWM``). The peak is the whole process: interpreter, app, the encoded upload bytes
(as the view holds them) and the image work; not the HTTP parsing or the blob insert.
Prints: case, megapixels, encoded MB, RSS before (MB), peak RSS (MB), growth (MB), seconds,
whether a display copy was made.
Run: ``.venv/bin/python -m bench.bench_image_memory`` (Linux only).
"""

from __future__ import annotations

import gc
import io
import json
import os
import subprocess
import sys
import tempfile
import time

# (case, width, height): "-prog" a progressive JPEG, "-adam7" an interlaced PNG.
CASES = [
    ("JPEG", 8000, 5000),
    ("JPEG-prog", 8000, 5000),
    ("PNG", 8000, 5000),
    ("PNG-adam7", 8000, 5000),
    ("WEBP", 8000, 5000),
    ("WEBP", 4000, 3000),
]
TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(field)


def _encode(case: str, width: int, height: int) -> bytes:
    """A noisy image (a quarter size, scaled up: a realistic compressed size, cheap to build)."""
    from PIL import Image

    fmt, _, variant = case.partition("-")
    small = Image.effect_noise((width // 4, height // 4), 64).convert("RGB")
    big = small.resize((width, height))
    if variant == "adam7":  # Pillow writes no interlaced PNG
        import pyvips

        pixels = pyvips.Image.new_from_memory(big.tobytes(), width, height, 3, "uchar")
        return pixels.pngsave_buffer(interlace=True, keep=0)  # no eXIf chunk
    out = io.BytesIO()
    options = {"quality": 90, "progressive": variant == "prog"} if fmt != "PNG" else {}
    big.save(out, fmt, **options)
    return out.getvalue()


def _child(case: str, path: str) -> dict:
    from wiki import create_app
    from wiki.files import service
    from wiki.text.image_metadata import strip_metadata

    tmp = tempfile.mkdtemp()
    create_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/bench.db", SEARCH_INDEX_DIR=tmp)
    fmt = case.partition("-")[0]
    with open(path, "rb") as fh:  # as the view reads the upload
        data = fh.read()
    gc.collect()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset VmHWM to the current RSS
    before = _status_mb("VmRSS")
    start = time.perf_counter()
    stripped = strip_metadata(data, TYPES[fmt])
    facts = service._inspect(stripped, TYPES[fmt], max_pixels=40_000_000)
    seconds = time.perf_counter() - start
    return {
        "copy": facts.display is not None,
        "fmt": case,
        "mp": facts.width * facts.height / 1e6,
        "mb": len(data) / 1e6,
        "before": before,
        "peak": _status_mb("VmHWM"),
        "seconds": seconds,
    }


def main() -> None:
    if len(sys.argv) == 3:  # a child: measure one prepared file
        print(json.dumps(_child(sys.argv[1], sys.argv[2])))
        return
    print("case          MP  file MB  RSS before  peak RSS  growth  seconds  display copy")
    with tempfile.TemporaryDirectory() as tmp:
        for case, width, height in CASES:
            path = os.path.join(tmp, f"{case}-{width}x{height}")
            with open(path, "wb") as fh:  # built here: the child's heap holds no leftovers
                fh.write(_encode(case, width, height))
            out = subprocess.run(
                [sys.executable, "-m", "bench.bench_image_memory", case, path],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(out.stdout)
            print(
                f"{r['fmt']:<10} {r['mp']:5.1f} {r['mb']:8.1f} {r['before']:11.0f}"
                f" {r['peak']:9.0f} {r['peak'] - r['before']:7.0f} {r['seconds']:8.2f}"
                f"  {r['copy']}"
            )


if __name__ == "__main__":
    main()
