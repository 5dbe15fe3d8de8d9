"""Checking a document against the OpenAPI 3.0 / 3.1 specification (openapi-spec-validator).

Pure module. The validator can fetch ``$ref`` targets over HTTP or from local files; here it
is given no handlers at all, and references that leave the document are refused before it
runs, so a page can never make the server read a file or call a URL.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jsonschema.exceptions import ValidationError
from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

from wiki.rendering.openapi.loading import OpenAPIError
from wiki.rendering.openapi.refs import Resolver, iter_refs


class _V30(OpenAPIV30SpecValidator):
    resolver_handlers: dict = {}  # no http, https or file look-ups


class _V31(OpenAPIV31SpecValidator):
    resolver_handlers: dict = {}


_VALIDATORS = {"3.0": _V30, "3.1": _V31}


def location(path: Iterable[Any]) -> str:
    """``paths › /books › get`` for a path of keys; empty for the document itself."""
    return " › ".join(str(part) for part in path)


def _version(document: dict[str, Any]) -> str:
    version = document.get("openapi")
    if version is None:
        if "swagger" in document:
            raise OpenAPIError(
                "this is a Swagger 2.0 document; only OpenAPI 3.0 and 3.1 are shown"
                " (convert it, e.g. with swagger2openapi)",
                "swagger",
            )
        raise OpenAPIError("the document has no `openapi:` version field", "openapi")
    text = str(version)
    for prefix in _VALIDATORS:
        if text.startswith(prefix + "."):
            return prefix
    raise OpenAPIError(f"OpenAPI version {text} is not supported (3.0.x or 3.1.x)", "openapi")


def check_refs(document: dict[str, Any]) -> None:
    """:raises OpenAPIError: a ``$ref`` that leaves the document or points at nothing."""
    resolver = Resolver(document)
    for path, ref in iter_refs(document):
        if not ref.startswith("#"):
            raise OpenAPIError(
                f"the reference “{ref}” points outside this document; only references"
                " inside it (#/components/…) are followed",
                location(path),
            )
        try:
            resolver.lookup(ref)
        except OpenAPIError as error:
            raise OpenAPIError(error.message, location(path)) from None


def validate(document: dict[str, Any], *, thorough: bool = True) -> None:
    """Check ``document`` against its OpenAPI version's specification.

    ``thorough`` adds the validator's semantic checks (unique operation ids, declared path
    parameters, defaults that fit their schema…), which cost about 2 ms per operation; without
    it only the document's shape is checked against the specification's JSON Schema.

    :raises OpenAPIError: the first problem found, with where it is.
    """
    validator_cls = _VALIDATORS[_version(document)]
    check_refs(document)
    try:
        validator = validator_cls(document)
        if thorough:
            error = next(iter(validator.iter_errors()), None)
        else:
            error = next(iter(validator.schema_validator.iter_errors(document)), None)
    except RecursionError:
        raise OpenAPIError("schemas are nested too deeply to check") from None
    except Exception as failure:  # noqa: BLE001 - the validator's internals on odd input
        # (unresolvable references, unexpected types): a page must still save and show why.
        raise OpenAPIError(f"the document could not be checked: {failure}") from None
    if error is None:
        return
    if isinstance(error, ValidationError):
        message = error.message.split("\n\n", 1)[0]  # the rest repeats the schema
        if len(message) > 300:
            message = message[:300] + "…"
        raise OpenAPIError(message, location(error.absolute_path))
    raise OpenAPIError(str(error))
