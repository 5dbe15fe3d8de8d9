"""An import-linter contract type of our own: services never touch the request.

``lint-imports`` loads it (``contract_types`` in pyproject.toml). A "service" is every module
of the checked packages except the HTTP layer named in ``http_modules`` (views, forms and the
few helpers that exist to answer requests). A service that imports ``request``, ``g``,
``session``, ``abort`` or ``flash`` from Flask breaks the contract: such code could not run
from the CLI, a job or the API.
"""

from __future__ import annotations

import fnmatch

from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck

REQUEST_BOUND = frozenset({"request", "g", "session", "abort", "flash"})


def _imported_names(line: str) -> set[str]:
    """Names bound by a ``from flask import a, b as c`` line (as written in the source)."""
    if " import " not in line:
        return set()
    names = line.split(" import ", 1)[1].strip().strip("()")
    return {part.split(" as ")[0].strip() for part in names.split(",") if part.strip()}


class RequestFreeContract(Contract):
    type_name = "request_free"

    packages = fields.ListField(subfield=fields.StringField())
    http_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph, verbose: bool) -> ContractCheck:
        offenders = []
        for package in self.packages:  # type: ignore[attr-defined]
            for module in sorted(graph.find_descendants(package) | {package}):
                if any(fnmatch.fnmatchcase(module, pat) for pat in self.http_modules):  # type: ignore[attr-defined]
                    continue
                for details in graph.get_import_details(importer=module, imported="flask"):
                    bad = _imported_names(details["line_contents"]) & REQUEST_BOUND
                    if bad:
                        offenders.append((module, details["line_number"], sorted(bad)))
        return ContractCheck(kept=not offenders, metadata={"offenders": offenders})

    def render_broken_contract(self, check: ContractCheck) -> None:
        from importlinter.application import output

        for module, line, names in check.metadata["offenders"]:
            output.print_error(f"{module}:{line} imports {', '.join(names)} from flask")
