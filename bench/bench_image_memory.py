"""Peak memory and time of processing an image upload, per format, near the pixel budget.

Each case runs in a fresh child process: it builds a noisy image, encodes it, frees the
building buffers, resets the kernel's peak-RSS mark (``/proc/self/clear_refs``), then runs
what an upload runs outside the database (metadata strip + :func:`inspect_image`, which
makes the display copy) and reads the new peak (``VmHWM``). Prints: format, megapixels,
encoded MB, RSS before (MB), peak RSS during (MB), growth (MB), seconds.
Run: ``.venv/bin/python -m bench.bench_image_memory`` (Linux only).
"""

from __future__ import annotations

import gc
import io
import json
import subprocess
import sys
import time

CASES = [("JPEG", 8000, 5000), ("PNG", 8000, 5000), ("WEBP", 8000, 5000), ("WEBP", 4000, 3000)]
TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(field)


def _child(fmt: str, width: int, height: int) -> dict:
    from PIL import Image

    from wiki.text.filetypes import inspect_image
    from wiki.text.image_metadata import strip_metadata

    # Noise at a quarter size, scaled up: a realistic compressed size, cheap to build.
    small = Image.effect_noise((width // 4, height // 4), 64).convert("RGB")
    out = io.BytesIO()
    big = small.resize((width, height))
    big.save(out, fmt, **({"quality": 90} if fmt != "PNG" else {}))
    data = out.getvalue()
    del small, big, out
    gc.collect()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset VmHWM to the current RSS
    before = _status_mb("VmRSS")
    start = time.perf_counter()
    stripped = strip_metadata(data, TYPES[fmt])
    facts = inspect_image(stripped, TYPES[fmt], max_pixels=40_000_000)
    seconds = time.perf_counter() - start
    return {
        "copy": facts.display is not None,
        "fmt": fmt,
        "mp": width * height / 1e6,
        "mb": len(data) / 1e6,
        "before": before,
        "peak": _status_mb("VmHWM"),
        "seconds": seconds,
    }


def main() -> None:
    if len(sys.argv) == 4:
        print(json.dumps(_child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
        return
    print("format    MP  file MB  RSS before  peak RSS  growth  seconds  display copy")
    for fmt, width, height in CASES:
        out = subprocess.run(
            [sys.executable, "-m", "bench.bench_image_memory", fmt, str(width), str(height)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout)
        print(
            f"{r['fmt']:<6} {r['mp']:5.1f} {r['mb']:8.1f} {r['before']:11.0f} {r['peak']:9.0f}"
            f" {r['peak'] - r['before']:7.0f} {r['seconds']:8.2f}  {r['copy']}"
        )


if __name__ == "__main__":
    main()
