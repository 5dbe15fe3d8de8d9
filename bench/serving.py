"""What the server benchmarks share: a gunicorn on a free loopback port, and a `wrk` run
parsed to figures."""

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(app: str, env: dict, cwd: str, ready_path: str) -> tuple[subprocess.Popen, str]:
    """gunicorn (2 workers) serving ``app`` in its own process group; returns the process and
    its base URL once ``ready_path`` answers. :raises SystemExit: it did not start in 30 s."""
    port = free_port()
    server = subprocess.Popen(
        ["gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", app],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + ready_path, timeout=2).read()
            return server, base
        except OSError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGTERM)
    raise SystemExit(f"gunicorn did not start serving {app}")


def wrk(url: str, duration: int, script: str | None = None, headers: tuple = ()) -> dict:
    """Run wrk (2 threads, 8 connections); requests/s, p50/p99 in ms, non-2xx/3xx count."""
    cmd = ["wrk", "-t2", "-c8", f"-d{duration}s", "--latency"]
    if script:
        cmd += ["-s", script]
    for header in headers:
        cmd += ["-H", header]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout

    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": pct(50),
        "p99": pct(99),
        "non2xx": int(errors.group(1)) if errors else 0,
    }
