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
    """gunicorn (2 workers) serving ``app`` in its own process group, with the settings of
    bin/serve (its search indexer process too); returns the process and its base URL once
    ``ready_path`` answers. :raises SystemExit: it did not start in 30 s."""
    port = free_port()
    config = os.path.join(cwd, "bin", "gunicorn.conf.py")
    server = subprocess.Popen(
        ["gunicorn", "-c", config, "-w", "2", "-b", f"127.0.0.1:{port}", app],
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


DATABASE_SERVER = "PostgreSQL server"


def server_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time (user + system) used so far by the processes of ``server``'s process group
    (gunicorn's master and workers, their render children, the search indexer and the job
    runner), read from /proc."""
    parts = cpu_by_part(server)
    return sum(seconds for part, seconds in parts.items() if part != DATABASE_SERVER)


def cpu_by_part(server: subprocess.Popen) -> dict[str, float]:
    """CPU seconds used so far, by part: the web workers (gunicorn), their render children,
    the search indexer, the job runner (all in ``server``'s process group), and the local
    PostgreSQL server's processes (every database of the cluster: run it on a quiet one)."""
    parts: dict[str, float] = {}
    for group, argv, seconds in _processes():
        if group == server.pid:
            part = _part(argv)
        elif _is_postgres(argv):
            part = DATABASE_SERVER
        else:
            continue
        parts[part] = parts.get(part, 0.0) + seconds
    return parts


def database_server_cpu_seconds() -> float:
    """CPU seconds used so far by the local PostgreSQL server's processes (every database of
    the cluster: run it on a quiet one)."""
    return sum(seconds for _, argv, seconds in _processes() if _is_postgres(argv))


def _is_postgres(argv: list[bytes]) -> bool:
    # The postmaster, and backends named "postgres: …"
    return argv[0].endswith(b"/postgres") or argv[0].startswith(b"postgres:")


def _processes():
    """(process group, argv, CPU seconds) of every process, read from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                argv = fh.read().split(b"\0")
        except OSError:
            continue
        yield int(fields[2]), argv, (int(fields[11]) + int(fields[12])) / tick  # field 5: pgrp


SEARCH_INDEXER, JOB_RUNNER, WEB_WORKERS = "search indexer", "job runner", "web workers"


def part_of(pid: int) -> str | None:
    """Which part of a gunicorn server process ``pid`` is (see :func:`_part`); None when it
    is gone."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return _part(fh.read().split(b"\0"))
    except OSError:
        return None


def _part(argv: list[bytes]) -> str:
    """bin/gunicorn.conf.py starts the indexer and the job runner as ``flask`` commands;
    the workers' render children are multiprocessing's."""
    if b"follow" in argv and b"search" in argv:
        return SEARCH_INDEXER
    if b"work" in argv and b"jobs" in argv:
        return JOB_RUNNER
    if any(b"multiprocessing" in arg or b"pebble" in arg for arg in argv):
        return "render children"
    return WEB_WORKERS


def wrk(
    url: str,
    duration: int,
    script: str | None = None,
    headers: tuple = (),
    server: subprocess.Popen | None = None,
) -> dict:
    """Run wrk (2 threads, 8 connections); requests/s, p50/p99 in ms, non-2xx/3xx count.

    With ``server``, also ``cpu_us``: the server's CPU time per request, in microseconds.
    Unlike requests/s, it hardly moves when other work shares the machine's cores, so a
    comparison of two routes by CPU per request holds on a busy machine too."""
    cpu_before = server_cpu_seconds(server) if server else 0.0
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
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    cpu_us = (server_cpu_seconds(server) - cpu_before) / requests * 1e6 if server else None
    return {
        "cpu_us": cpu_us,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": pct(50),
        "p99": pct(99),
        "non2xx": int(errors.group(1)) if errors else 0,
    }
