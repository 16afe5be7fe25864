#!/usr/bin/env python3
"""Checks contracts/openapi.yaml beyond what openapi-spec-validator does alone.

openapi-spec-validator validates the document but does not follow external
`$ref`s (a reference to a missing schema file passes). The spec shares its
JSON Schemas with the Rust validation and the CDK request models
(`./schemas/*.json`, one file, two readers), so this script:

1. bundles the spec: every external `$ref` is loaded (relative to the file that
   holds it), placed under `components/schemas`, and the reference rewritten,
   failing on a missing file or JSON pointer;
2. validates the bundled document with openapi-spec-validator (OpenAPI 3.1);
3. validates every example of every request/response body against its schema,
   so the documented examples cannot drift from the contract;
4. checks that every error code used in an example is in the error model.

Usage: .venv/bin/python scripts/check-openapi.py contracts/openapi.yaml [--bundle-out FILE]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


class Problem(Exception):
    pass


def load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Problem(f"referenced file {path} does not exist") from None
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def pointer(doc: Any, frag: str, where: str) -> Any:
    node = doc
    if frag in ("", "/"):
        return node
    for part in frag.lstrip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise Problem(f"{where}: JSON pointer #{frag} does not resolve")
    return node


class Bundler:
    def __init__(self, root: Path):
        self.root = root.resolve()
        self.doc = load(self.root)
        self.original = copy.deepcopy(self.doc)
        self.names: dict[tuple[Path, str], str] = {}
        self.schemas = self.doc.setdefault("components", {}).setdefault("schemas", {})

    def name_for(self, path: Path, frag: str, target: Any) -> str:
        key = (path, frag)
        if key in self.names:
            return self.names[key]
        base = (target.get("title") if isinstance(target, dict) else None) or path.name.split(".")[0]
        base = "".join(ch for ch in base.title() if ch.isalnum())
        name, n = base, 2
        while name in self.schemas or name in self.names.values():
            name, n = f"{base}{n}", n + 1
        self.names[key] = name
        return name

    def external(self, ref: str, base: Path) -> str:
        file_part, _, frag = ref.partition("#")
        path = (base.parent / file_part).resolve()
        target = pointer(load(path), frag, f"{ref} (from {base})")
        key = (path, frag)
        fresh = key not in self.names
        name = self.name_for(path, frag, target)
        if fresh:
            bundled = copy.deepcopy(target)
            # The shared files declare draft-04 for API Gateway; inside an
            # OpenAPI 3.1 document they are read as 2020-12 (their common subset).
            if isinstance(bundled, dict):
                bundled.pop("$schema", None)
            self.schemas[name] = None  # reserve the name before recursing
            self.schemas[name] = self.walk(bundled, path, in_external=True)
        return f"#/components/schemas/{name}"

    def walk(self, node: Any, base: Path, in_external: bool = False) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k == "$ref" and isinstance(v, str):
                    if v.startswith("#"):
                        if in_external:
                            raise Problem(f"{base}: local $ref {v} inside a shared schema is not supported")
                        pointer(self.original, v[1:], f"$ref {v}")
                        out[k] = v
                    else:
                        out[k] = self.external(v, base)
                else:
                    out[k] = self.walk(v, base, in_external)
            return out
        if isinstance(node, list):
            return [self.walk(v, base, in_external) for v in node]
        return node

    def bundle(self) -> dict:
        components = self.doc.pop("components")
        schemas = components.pop("schemas")
        walked_rest = self.walk(self.doc, self.root)
        walked_components = self.walk(components, self.root)
        walked_schemas = {k: self.walk(v, self.root) for k, v in schemas.items()}
        # External schemas were added to self.schemas while walking.
        for k, v in self.schemas.items():
            if k not in walked_schemas:
                walked_schemas[k] = v
        walked_components["schemas"] = walked_schemas
        walked_rest["components"] = walked_components
        return walked_rest


def deref(node: Any, doc: dict, seen: tuple[str, ...] = ()) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise Problem(f"recursive $ref {ref} is not supported by the example check")
            return deref(pointer(doc, ref[1:], ref), doc, seen + (ref,))
        return {k: deref(v, doc, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [deref(v, doc, seen) for v in node]
    return node


def check_examples(doc: dict) -> tuple[int, set[str]]:
    checked = 0
    codes: set[str] = set()
    errors: list[str] = []
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            bodies = []
            if "requestBody" in op:
                bodies.append(("request", deref(op["requestBody"], doc)))
            for status, resp in op.get("responses", {}).items():
                bodies.append((status, deref(resp, doc)))
            for label, body in bodies:
                for media, content in body.get("content", {}).items():
                    schema = content.get("schema")
                    if schema is None:
                        continue
                    validator = Draft202012Validator(deref(schema, doc))
                    examples = dict(content.get("examples", {}))
                    if "example" in content:
                        examples["example"] = {"value": content["example"]}
                    if label != "request" and not examples and str(label)[0] in "45":
                        errors.append(f"{method.upper()} {path} {label}: error response has no example")
                    for name, ex in examples.items():
                        value = deref(ex, doc).get("value")
                        where = f"{method.upper()} {path} {label} {media} example {name!r}"
                        for err in validator.iter_errors(value):
                            errors.append(f"{where}: {err.message} at {list(err.absolute_path)}")
                        checked += 1
                        if isinstance(value, dict) and isinstance(value.get("error"), dict):
                            code = value["error"].get("code")
                            codes.add(code)
                            if str(label)[0] not in "45":
                                errors.append(f"{where}: error example on a {label} response")
    if errors:
        raise Problem("\n".join(errors))
    return checked, codes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("spec", type=Path)
    ap.add_argument("--bundle-out", type=Path, help="write the bundled spec (JSON) here")
    args = ap.parse_args()
    try:
        bundled = Bundler(args.spec).bundle()
        validate(bundled)
        if args.bundle_out:
            args.bundle_out.write_text(json.dumps(bundled, indent=2) + "\n", encoding="utf-8")
        checked, codes = check_examples(bundled)
    except Problem as e:
        print(f"check-openapi: {args.spec}: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # validation errors of openapi-spec-validator
        print(f"check-openapi: {args.spec}: bundled document is invalid: {e}", file=sys.stderr)
        return 1
    print(
        f"check-openapi: {args.spec}: OK (bundled {len(bundled['components']['schemas'])} schemas, "
        f"{checked} examples valid, error codes {sorted(codes)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
