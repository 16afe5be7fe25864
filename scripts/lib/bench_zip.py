#!/usr/bin/env python3
"""The `zip` step of scripts/bench.sh: each function's arm64 package size.

  bench_zip.py from-cdk-out OUT NAME...   OUT.paths: NAME -> the aarch64
      bootstrap of its asset in cdk.out (exit 3 when cdk.out has none)
  bench_zip.py report OUT ORIGIN          OUT: each bootstrap of OUT.paths
      zipped as `cdk deploy` zips it
"""
import glob
import json
import os
import re
import subprocess
import sys

EM_AARCH64 = 183
MACHINES = {EM_AARCH64: "aarch64", 62: "x86_64"}

# The zip `cdk deploy` uploads: cdk-assets' packager adds each file to its
# yazl with these options, deflated by Node's zlib at yazl's default level.
# That zlib compresses an aarch64 binary about 5% less than CPython's at the
# same level, so the figure is the CLI's own, not a stand-in's.
ZIP_AS_CDK = """
const yazl = require(require.resolve('yazl', { paths: [require.resolve('@aws-cdk/cdk-assets-lib')] }));
const data = require('fs').readFileSync(process.argv[1]);
const zip = new yazl.ZipFile();
let size = 0;
zip.outputStream.on('data', (c) => { size += c.length; }).on('end', () => console.log(size));
zip.addBuffer(data, 'bootstrap', { mtime: new Date(1980, 0, 1), mode: 0o100755, forceDosTimestamp: true });
zip.end();
"""


def machine(path):
    with open(path, "rb") as f:
        head = f.read(20)
    if head[:4] != b"\x7fELF":
        return None
    return int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")


def from_cdk_out(out, names):
    assets = {}
    for boot in glob.glob("cdk.out/**/asset.*/bootstrap", recursive=True):
        if machine(boot) == EM_AARCH64:
            assets[os.path.basename(os.path.dirname(boot))] = boot
    if not assets:
        return 3

    def norm(s):
        return re.sub(r"[^a-z0-9]", "", s.lower())

    found = {}
    # Newest first: a synth of one stage leaves the other stages' templates,
    # and the older assets they name, in cdk.out.
    templates = glob.glob("cdk.out/**/*.template.json", recursive=True)
    for tpl in sorted(templates, key=os.path.getmtime, reverse=True):
        try:
            resources = json.load(open(tpl)).get("Resources", {})
        except (OSError, ValueError):
            continue
        for logical, res in resources.items():
            if res.get("Type") != "AWS::Lambda::Function":
                continue
            meta = res.get("Metadata", {})
            asset = os.path.basename(str(meta.get("aws:asset:path", "")))
            if asset not in assets:
                continue
            where = norm(str(meta.get("aws:cdk:path", "")) + logical)
            for n in names:
                if norm(n) in where:
                    found.setdefault(n, assets[asset])
    missing = [n for n in names if n not in found]
    if missing:
        print("cdk.out: no aarch64 asset found for " + ", ".join(missing), file=sys.stderr)
        return 3
    json.dump({n: found[n] for n in names}, open(out + ".paths", "w"))
    return 0


def report(out, origin):
    paths = json.load(open(out + ".paths"))
    funcs = []
    for name, boot in paths.items():
        size = os.path.getsize(boot)
        zipped = int(subprocess.run(["node", "-e", ZIP_AS_CDK, boot], check=True,
                                    capture_output=True, text=True).stdout)
        em = machine(boot)
        funcs.append({
            "name": name,
            "bootstrap": boot,
            "bootstrap_bytes": size,
            "zip_bytes": zipped,
            "machine": MACHINES.get(em, f"e_machine {em}"),
        })
        print(f"{name:<14} bootstrap {size:>10} B  zip {zipped:>10} B  ({zipped/1e6:.2f} MB)  {boot}")
    json.dump({"origin": origin, "functions": funcs}, open(out, "w"), indent=2)
    os.remove(out + ".paths")
    return 0


if __name__ == "__main__":
    command, out, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    if command == "from-cdk-out":
        sys.exit(from_cdk_out(out, rest))
    if command == "report":
        sys.exit(report(out, rest[0]))
    sys.exit(f"bench_zip.py: unknown command {command}")
