"""EventBridge Pipes' filtering and input transformation, as the pipe runner
applies them to DynamoDB stream records (scripts/emulator/emu.py pipes).

Standard library only, so the unit test (test_pipe_rules.py) runs anywhere. The
same cases (pipe-cases.json) pin cdk/test/stream-records.ts, a second,
independent implementation, to the same answers (cdk/test/pipe-cases.test.ts).
"""

from __future__ import annotations

import json
import re

PLACEHOLDER = re.compile(r"<\$\.([A-Za-z0-9_.]+)>")


class PipeError(Exception):
    """A pattern or template the runner does not implement, or a record a template cannot render."""


def _value_matches(rule, value) -> bool:
    """One element of a pattern's array against one event value."""
    if isinstance(rule, dict):
        if set(rule) == {"exists"}:
            # Handled by the caller (it needs to know whether the key is there).
            raise PipeError("exists outside a field position")
        if set(rule) == {"prefix"}:
            return isinstance(value, str) and value.startswith(rule["prefix"])
        if set(rule) == {"anything-but"}:
            excluded = rule["anything-but"]
            excluded = excluded if isinstance(excluded, list) else [excluded]
            return value is not None and not isinstance(value, (dict, list)) and value not in excluded
        raise PipeError(f"pattern operator {json.dumps(rule)} is not implemented")
    if isinstance(value, list):
        return any(rule == v for v in value if not isinstance(v, (dict, list)))
    return rule == value


def matches(pattern: dict, event) -> bool:
    """EventBridge event-pattern matching: every field of the pattern must
    match; a field's array lists alternatives (exact values, `exists`,
    `prefix`, `anything-but`); a nested object descends."""
    if not isinstance(pattern, dict):
        raise PipeError(f"a pattern is an object, not {json.dumps(pattern)}")
    for key, rule in pattern.items():
        present = isinstance(event, dict) and key in event
        value = event.get(key) if present else None
        if isinstance(rule, dict):
            if not (present and isinstance(value, dict) and matches(rule, value)):
                return False
            continue
        if not isinstance(rule, list):
            raise PipeError(f"pattern field {key}: expected an array or an object, not {json.dumps(rule)}")
        ok = False
        for alt in rule:
            if isinstance(alt, dict) and set(alt) == {"exists"}:
                # `exists` is about leaf values: an object is not a match.
                leaf = present and not isinstance(value, dict)
                ok = leaf == bool(alt["exists"])
            elif present:
                ok = _value_matches(alt, value)
            if ok:
                break
        if not ok:
            return False
    return True


def passes(filters: list[dict], event) -> bool:
    """A pipe's FilterCriteria: a record passes if any filter matches; no filters pass everything."""
    return not filters or any(matches(f, event) for f in filters)


def value_at(event, path: str):
    v = event
    for key in path.split("."):
        if not isinstance(v, dict) or key not in v:
            raise PipeError(f"the record has no $.{path}")
        v = v[key]
    return v


def render(template: str | None, event) -> str:
    """Pipes' input transformation: each `<$.path>` becomes the value at that
    path, a string as its bare text (inside quotes it becomes part of the
    string; unquoted, the N string "3" becomes the number 3), anything else
    as JSON. No template: the record itself, as JSON."""
    if template is None:
        return json.dumps(event, separators=(",", ":"))

    def one(m: re.Match) -> str:
        v = value_at(event, m.group(1))
        return v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))

    return PLACEHOLDER.sub(one, template)
