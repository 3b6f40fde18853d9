"""The API's one JSON parser, bounded (issue 12 item 1).

A body reaches a view only when it is at most `API_MAX_BODY_BYTES` long (413 otherwise),
nests at most `API_MAX_JSON_DEPTH` arrays and objects (a 5,000-deep body used to exhaust the
interpreter's stack: 500), and holds no NUL character in any key or string (PostgreSQL
cannot store one: 500), and every number is finite (no NaN, Infinity or 1e999). Each
refusal is a 400 in the one error shape, naming where in the body the problem is.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers

NUL = "\x00"
NUL_MESSAGE = "Null characters are not allowed."


class BodyTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "too_large"


def nesting_depth(raw: bytes, limit: int) -> int:
    """How deep `raw` nests, counting brackets outside strings; stops counting past `limit`
    (so a hostile body costs one pass and no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def nul_paths(value: Any, path: str = "") -> list[str]:
    """Where in parsed JSON a key or a string holds a NUL character ("" is the whole body)."""
    if isinstance(value, str):
        return [path or "non_field_errors"] if NUL in value else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, sub in value.items():
            here = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                found.append(path or "non_field_errors")
            else:
                found.extend(nul_paths(sub, here))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            found.extend(nul_paths(sub, f"{path}.{i}" if path else str(i)))
    return found


class BoundedJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise BodyTooLarge(f"The request body is larger than {limit:,} bytes.")
        max_depth = settings.API_MAX_JSON_DEPTH
        if nesting_depth(raw, max_depth) > max_depth:
            raise exceptions.ParseError(f"JSON nested deeper than {max_depth} levels.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(
                raw.decode(encoding), parse_constant=_refuse_constant, parse_float=_finite
            )
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(f"JSON parse error: {_short(exc)}") from None
        if where := nul_paths(data):
            raise exceptions.ValidationError({path: [NUL_MESSAGE] for path in where})
        return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows.")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:20]} is too large a number.")
    return number


def _short(exc: Exception) -> str:
    return str(exc)[:200]
