#!/usr/bin/env python3
"""Counts the packages each corpus snapshot declares, per ecosystem, independently of
cverun (standard-library readers: json, tomllib, xml, regular expressions).

It applies the same file selection as `cverun scan`: a manifest is skipped when a
lockfile beside it locks it (package.json beside package-lock.json, Gemfile beside
Gemfile.lock, mix.exs beside mix.lock, Cargo.toml beside Cargo.lock,
requirements.in beside requirements.txt). The pinned counts of cverun's scan tests
are this script's output.

Usage: python3 corpus_counts.py SHARED_DIR  (prints: snapshot <tab> ecosystem <tab> count)
"""

import json
import re
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path


def requirements(p):
    n = 0
    for line in p.read_text().splitlines():
        line = line.split(" #")[0].strip()
        if line and not line.startswith(("#", "-")):
            n += 1
    return n


def go_mod(p):
    n = 0
    in_block = False
    for line in p.read_text().splitlines():
        code = line.split("//")[0].strip()
        if code.startswith("go "):
            n += 1  # the standard library
        elif code == "require (":
            in_block = True
        elif in_block and code == ")":
            in_block = False
        elif in_block and len(code.split()) == 2:
            n += 1
        elif code.startswith("require ") and len(code.split()) == 3:
            n += 1
    return n


def cargo_lock(p):
    lock = tomllib.loads(p.read_text())
    pkgs = lock.get("package", [])
    depended = {d.split()[0] for q in pkgs for d in q.get("dependencies", [])}
    # Crates without a source that nothing depends on are the project itself.
    return sum(1 for q in pkgs if q.get("source") or q["name"] in depended)


def package_lock(p):
    d = json.loads(p.read_text())
    if "packages" in d:
        return len(d["packages"]) - 1  # minus the root project

    def walk(m):
        return sum(1 + walk(v.get("dependencies", {})) for v in m.values())

    return walk(d.get("dependencies", {}))


def package_json(p):
    d = json.loads(p.read_text())
    return sum(len(d.get(g) or {}) for g in ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"])


def gemfile_lock(p):
    specs = re.findall(r"^    (\S+) \(([^)]*)\)$", p.read_text(), re.M)
    # Platform variants (1.0.0-x86_64-linux) of one version are one package.
    return len({(name, version.split("-")[0]) for name, version in specs})


def mix_lock(p):
    return len(re.findall(r'^\s+"[^"]+":\s*\{', p.read_text(), re.M))


def gradle_blocks(text):
    """The bodies of every `dependencies { ... }` block (braces matched)."""
    for m in re.finditer(r"\bdependencies\s*\{", text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        yield text[m.end():i - 1]


def gradle(p):
    n = 0
    for block in gradle_blocks(p.read_text()):
        for line in block.splitlines():
            line = line.split("//")[0]
            # "group:artifact" or "group:artifact:version" coordinates.
            n += len(re.findall(r"[\"']([\w.\-]+):([\w.\-]+)(:[^\"']+)?[\"']", line))
            # Kotlin DSL shorthand kotlin("x").
            n += len(re.findall(r"\bkotlin\(\"[^\"]+\"\)", line))
    return n


def csproj(p):
    root = ET.parse(p).getroot()
    kinds = ("PackageReference", "DotNetCliToolReference", "GlobalPackageReference")
    return sum(1 for e in root.iter() if e.tag.split("}")[-1] in kinds and e.get("Include"))


READERS = [
    (lambda n: n.startswith("requirements") and n.endswith(".txt"), "PyPI", requirements),
    (lambda n: n.startswith("requirements") and n.endswith(".in"), "PyPI", requirements),
    (lambda n: n == "go.mod", "Go", go_mod),
    (lambda n: n == "Cargo.lock", "crates.io", cargo_lock),
    (lambda n: n == "package-lock.json", "npm", package_lock),
    (lambda n: n == "package.json", "npm", package_json),
    (lambda n: n == "Gemfile.lock", "RubyGems", gemfile_lock),
    (lambda n: n == "mix.lock", "Hex", mix_lock),
    (lambda n: n in ("build.gradle", "build.gradle.kts"), "Maven", gradle),
    (lambda n: n.endswith(".csproj"), "NuGet", csproj),
]

LOCKED_BY = {
    "package.json": ["package-lock.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock"],
    "Gemfile": ["Gemfile.lock"],
    "mix.exs": ["mix.lock"],
    "Cargo.toml": ["Cargo.lock"],
}


def skipped(p):
    siblings = {q.name for q in p.parent.iterdir()}
    if any(lock in siblings for lock in LOCKED_BY.get(p.name, [])):
        return True
    return p.suffix == ".in" and p.with_suffix(".txt").name in siblings


def main():
    shared = Path(sys.argv[1])
    for snap in sorted(d for d in (shared / "corpus").iterdir() if d.is_dir()):
        counts = Counter()
        for p in sorted(snap.rglob("*")):
            if not p.is_file() or skipped(p):
                continue
            for match, eco, reader in READERS:
                if match(p.name):
                    counts[eco] += reader(p)
        for eco, n in sorted(counts.items()):
            print(f"{snap.name}\t{eco}\t{n}")


if __name__ == "__main__":
    main()
