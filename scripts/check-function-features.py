#!/usr/bin/env python3
"""Fail when the Lambda functions link a shared dependency with different features.

  check-function-features.py            the check (a .ci/run step)
  check-function-features.py --groups TARGET
      the functions in groups that one cargo invocation can build together
      and still get each function's own build (scripts/synth.sh), one group
      per line

Each function is built as its own package, so a dependency whose features
differ between two functions is compiled twice, with everything above it.
crates/orders-workspace-hack asks for the union; this check keeps it whole.
Only what is compiled for the target counts (build scripts and proc macros run
on the build machine). Differences in ALLOWED are deliberate (see that
crate's Cargo.toml).
"""
import collections
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGETS = ["aarch64-unknown-linux-gnu", "x86_64-unknown-linux-gnu"]
ALLOWED = {"regex-automata", "regex-syntax", "aws_lambda_events"}


def tree(function: str, target: str, edges: str) -> list[tuple[str, str]]:
    """(`name version`, features) of every package `function` builds."""
    out = subprocess.run(
        ["cargo", "tree", "--locked", "-p", function, "--target", target,
         "-e", edges, "--prefix", "none", "-f", "{p}|{f}"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    result = []
    for line in out.splitlines():
        if "|" not in line:
            continue
        package, feats = line.split("|", 1)
        name, version = package.split()[:2]
        if name != function:
            result.append((f"{name} {version}", feats.removesuffix(" (*)")))
    return result


def features(function: str, target: str) -> dict[str, str]:
    return dict(tree(function, target, "normal,no-proc-macro"))


def groups(functions: list[str], target: str) -> list[list[str]]:
    """Functions whose trees agree on every package they share, build
    scripts and proc macros included (those are built for the host, so a
    package can appear twice): built together, cargo resolves each shared
    package's features as each function's own build does."""
    packages = {}
    for function in functions:
        seen = collections.defaultdict(set)
        for package, feats in tree(function, target, "normal,build"):
            seen[package].add(feats)
        packages[function] = seen
    result: list[tuple[list[str], dict]] = []
    for function in functions:
        mine = packages[function]
        for members, union in result:
            if all(union[p] == f for p, f in mine.items() if p in union):
                members.append(function)
                union.update(mine)
                break
        else:
            result.append(([function], dict(mine)))
    return [members for members, _ in result]


def main() -> int:
    functions = sorted(p.parent.name for p in ROOT.glob("lambdas/*/Cargo.toml"))
    if sys.argv[1:2] == ["--groups"]:
        for members in groups(functions, sys.argv[2]):
            print(" ".join(members))
        return 0
    failed = False
    for target in TARGETS:
        seen: dict[str, dict[str, list[str]]] = collections.defaultdict(
            lambda: collections.defaultdict(list))
        for function in functions:
            for package, feats in features(function, target).items():
                seen[package][feats].append(function)
        for package, sets in sorted(seen.items()):
            if len(sets) < 2 or package.split()[0] in ALLOWED:
                continue
            failed = True
            print(f"{target}: {package} is built with {len(sets)} feature sets:")
            for feats, users in sets.items():
                print(f"  [{feats or 'none'}] for {', '.join(users)}")
    if failed:
        print("Add the union to crates/orders-workspace-hack/Cargo.toml.")
        return 1
    print(f"{len(functions)} functions share one feature set per dependency "
          f"({', '.join(TARGETS)}), apart from {', '.join(sorted(ALLOWED))}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
