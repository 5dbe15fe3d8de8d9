"""Where the shared Markdown corpus is: ``../shared/corpus`` beside the checkout (/work/main)
or beside a worktree (/work/wt/x), with its ``1k`` and ``10k`` folders."""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = next(
    (
        p
        for p in (os.path.join(ROOT, *[".."] * n, "shared", "corpus") for n in (1, 2))
        if os.path.isdir(p)
    ),
    os.path.join(ROOT, "..", "shared", "corpus"),
)
