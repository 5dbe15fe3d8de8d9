"""Pure text functions: titles, diffs, merges, conflicts, blame, links, Atom, file types.

Nothing here imports Flask, the database or any other part of ``wiki`` (checked by
import-linter in ``make lint``).
"""
