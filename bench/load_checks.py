"""What bench_load.py checks after a run, straight in the database, and its summary row."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text

from bench.load_users import Record


@dataclass
class HistoryCheck:
    acked_ok: int = 0
    merged: int = 0  # acknowledged saves the wiki merged with a newer revision
    lost: int = 0  # acknowledged but not in the history, or its line gone from the page
    duplicated: int = 0  # one save in more than one revision
    leaked: int = 0  # refused (409/429) yet in the history
    unknown_committed: int = 0  # no answer (fault), committed anyway: allowed
    gapless: bool = True
    problems: list[str] = field(default_factory=list)


def _engine(url: str):
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url)


def _load(url: str):
    engine = _engine(url)
    with engine.connect() as conn:
        pages = conn.execute(text("SELECT id, title, current_rev FROM pages")).all()
        revisions = conn.execute(
            text(
                "SELECT page_id, number, summary, body, kind FROM revisions"
                " ORDER BY page_id, number"
            )
        ).all()
    engine.dispose()
    return pages, revisions


def check_history(url: str, record: Record) -> HistoryCheck:
    """Every acknowledged save in exactly one revision, which introduced its line, and the
    line still in the current text; no refused save anywhere; numbers 1..current_rev."""
    pages, revisions = _load(url)
    result = HistoryCheck()
    by_page: dict[int, list] = defaultdict(list)
    for row in revisions:
        by_page[row.page_id].append(row)
    title_of = {p.id: p.title for p in pages}
    for page in pages:
        numbers = [r.number for r in by_page[page.id]]
        if numbers != list(range(1, page.current_rev + 1)):
            result.gapless = False
            result.problems.append(f"{page.title}: revisions {numbers[:5]}… vs {page.current_rev}")
    by_summary: dict[tuple[str, str], list] = defaultdict(list)
    for page_id, rows in by_page.items():
        for row in rows:
            by_summary[(title_of[page_id], row.summary)].append(row)
    for save in record.saves:
        found = by_summary.get((save.title, save.marker), [])
        line = f"\nmarker {save.marker}\n"
        if save.outcome == "acked":
            _check_acked(result, save, found, by_page, line)
        elif len(found) > 1:
            result.duplicated += 1
        elif found and save.outcome in ("conflict", "limited"):
            result.leaked += 1
            result.problems.append(f"refused save {save.marker} is revision {found[0].number}")
        elif found:
            result.unknown_committed += 1
    return result


def _check_acked(result: HistoryCheck, save, found: list, by_page: dict, line: str) -> None:
    if len(found) != 1:
        if found:
            result.duplicated += 1
        else:
            result.lost += 1
        result.problems.append(f"acknowledged {save.marker}: {len(found)} revisions")
        return
    revision = found[0]
    rows = by_page[revision.page_id]
    before = rows[revision.number - 2].body if revision.number > 1 else ""
    introduced = line in f"\n{revision.body}\n" and line not in f"\n{before}\n"
    kept = line in f"\n{rows[-1].body}\n"
    if introduced and kept:
        result.acked_ok += 1
        result.merged += revision.kind == "merge"
    else:
        result.lost += 1
        result.problems.append(f"{save.marker}: introduced={introduced} kept={kept}")


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


# Every GET: page views, raw text, search, history, recent changes, edit forms.
READS = {"view", "raw", "search", "history", "recent", "edit form"}


def summarize(kind, scenario, record: Record, elapsed, events, grace, history) -> dict:
    """One row of the summary table; ``verdict`` is filled in by :func:`verdict`."""
    windows = [(began - 0.5, ended + grace) for _, began, ended in events]

    def in_outage(sample) -> bool:
        end = sample.start + sample.seconds
        return any(sample.start <= w_end and end >= w_start for w_start, w_end in windows)

    timed = [s for s in record.samples if s.kind != "login"]  # log-ins come before the clock
    answered = [s.seconds * 1000 for s in timed if s.status]
    reads = [s.seconds * 1000 for s in timed if s.status and s.kind in READS]
    bad = [s for s in record.samples if s.status == 0 or s.status >= 500]
    outage = [s for s in bad if in_outage(s)]
    saves = defaultdict(int)
    for save in record.saves:
        saves[save.outcome] += 1
    return {
        "db": kind,
        "run": scenario + (f" ({', '.join(e[0] for e in events)})" if events else ""),
        "requests": len(timed),
        "req/s": f"{len(timed) / elapsed:.0f}",
        "p50 ms": f"{_percentile(answered, 50):.0f}",
        "p95 ms": f"{_percentile(answered, 95):.0f}",
        "reads p95": f"{_percentile(reads, 95):.0f}",
        "saves acked": saves["acked"],
        "merged": history.merged,
        "conflicts": saves["conflict"],
        "429": sum(1 for s in record.samples if s.status == 429),
        "5xx": sum(1 for s in bad if s.status >= 500 and not in_outage(s)),
        "dropped": sum(1 for s in bad if s.status == 0 and not in_outage(s)),
        "during outage": len(outage),
        "acked lost/dup": f"{history.lost}/{history.duplicated}",
        "refused leaked": history.leaked,
        "gapless": "yes" if history.gapless else "NO",
        "history ok": history.acked_ok,
        "errors by kind": _errors_by_kind(bad),
        "p50 ms by kind": _median_by_kind(timed),
        "problems": history.problems[:5],
    }


def _median_by_kind(samples) -> dict[str, int]:
    by_kind: dict[str, list[float]] = defaultdict(list)
    for sample in samples:
        if sample.status:
            by_kind[sample.kind].append(sample.seconds * 1000)
    return {kind: round(_percentile(values, 50)) for kind, values in sorted(by_kind.items())}


def _errors_by_kind(samples) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for sample in samples:
        counts[f"{sample.kind} {sample.status or 'no answer'}"] += 1
    return dict(counts)


def verdict(row: dict) -> str:
    """'ok', or what went wrong."""
    wrong = [
        name
        for name, bad in (
            ("5xx outside a fault", row["5xx"]),
            ("dropped requests outside a fault", row["dropped"]),
            ("acknowledged saves lost or duplicated", row["acked lost/dup"] != "0/0"),
            ("refused saves in the history", row["refused leaked"]),
            ("revision numbers with gaps", row["gapless"] != "yes"),
            ("search index inconsistent", row["search check"] != "pass"),
            ("no save acknowledged", not row["saves acked"]),
        )
        if bad
    ]
    return "ok" if not wrong else "; ".join(wrong)
