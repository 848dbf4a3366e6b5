#!/usr/bin/env python3
"""Independent reference for cverun's matching tests.

Computes, for every pinned Python, Go and Rust package of the corpus snapshots, which
OSV records affect it, by the "Evaluation" pseudocode of the OSV schema, with its own
parsers and version orders:

- PyPI: `packaging.version.Version` (PEP 440), names normalised per PEP 503;
- Go and crates.io (SEMVER ranges): a SemVer 2.0 precedence comparison written here
  from the SemVer specification (section 11); Go's leading "v" removed, the `go`
  directive's version completed to three parts (1.17 -> 1.17.0) as the Go
  vulnerability database does.

It shares no code with cverun. The pinned expectations of cverun's tests are this
script's output, so a disagreement between the two is a bug in one of them.

Choices the schema leaves open, made as cverun documents them (docs/matching.md):
events with equal versions keep the record's order; a listed version matches by
string or by PEP 440 equality; a version or event that cannot be parsed makes the
record "unverifiable" for that package unless another range or listed version
matches it.

Usage: python3 osv_reference.py SHARED_DIR [SNAPSHOT...] > expected.tsv
Output: one line per (file, package version, record) with a verdict, tab-separated:
snapshot, file, ecosystem, package, version, record, verdict; sorted.
Needs: pip install packaging
"""

import json
import re
import sys
import tomllib
import zipfile
from pathlib import Path

from packaging.version import InvalidVersion, Version

# --- SemVer 2.0 -----------------------------------------------------------------

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


class SemverError(ValueError):
    pass


def semver_key(text):
    """A sort key implementing SemVer 2.0 precedence (build metadata ignored)."""
    m = SEMVER.match(text)
    if not m:
        raise SemverError(text)
    major, minor, patch, pre, _build = m.groups()
    core = (int(major), int(minor), int(patch))
    if pre is None:
        # A release sorts after every pre-release of the same core.
        return (core, 1, ())
    ids = []
    for ident in pre.split("."):
        if ident.isdigit():
            ids.append((0, int(ident), ""))
        else:
            ids.append((1, 0, ident))
    return (core, 0, tuple(ids))


def go_version(text):
    t = text
    if t.startswith("go"):
        t = t[2:]
    if t.startswith("v"):
        t = t[1:]
    if re.fullmatch(r"\d+(\.\d+)?", t):
        parts = t.split(".")
        while len(parts) < 3:
            parts.append("0")
        t = ".".join(parts)
    return semver_key(t)


# --- schemes --------------------------------------------------------------------


def pep503(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_version(ecosystem, text):
    if ecosystem == "PyPI":
        return Version(text)
    if ecosystem == "Go":
        return go_version(text)
    return semver_key(text)


def norm_name(ecosystem, name):
    if ecosystem == "PyPI":
        return pep503(name)
    if ecosystem == "crates.io":
        return name.lower().replace("_", "-")
    return name


# --- the OSV evaluation ---------------------------------------------------------


def evaluate(record, ecosystem, name, version):
    """'affected', 'unverifiable' or None for one record and one package version."""
    if record.get("withdrawn"):
        return None
    affected = False
    problems = []
    try:
        v = parse_version(ecosystem, version)
    except (InvalidVersion, SemverError):
        v = None
    for entry in record.get("affected") or []:
        pkg = entry.get("package") or {}
        if pkg.get("ecosystem") != ecosystem or norm_name(ecosystem, pkg.get("name", "")) != norm_name(ecosystem, name):
            continue
        listed = entry.get("versions") or []
        if version in listed:
            affected = True
        elif listed:
            if v is None:
                problems.append("version unparseable for listed versions")
            else:
                for x in listed:
                    try:
                        if parse_version(ecosystem, x) == v:
                            affected = True
                    except (InvalidVersion, SemverError):
                        pass
        for rng in entry.get("ranges") or []:
            kind = rng.get("type")
            if kind == "GIT":
                continue
            if kind not in ("ECOSYSTEM", "SEMVER"):
                problems.append(f"range type {kind}")
                continue
            events = rng.get("events") or []
            if any(len([k for k in e if k in ("introduced", "fixed", "last_affected", "limit")]) != 1 for e in events):
                problems.append("malformed event")
                continue
            if not any("introduced" in e for e in events):
                problems.append("no introduced")
                continue
            if v is None:
                problems.append("version unparseable")
                continue
            try:
                parsed = []
                limits = []
                for idx, e in enumerate(events):
                    (key, val), = [(k, e[k]) for k in e if k in ("introduced", "fixed", "last_affected", "limit")]
                    if key == "limit":
                        limits.append(None if "*" in val else parse_version(ecosystem, val))
                        continue
                    if key == "introduced" and val == "0":
                        parsed.append((0, None, idx, key))
                    else:
                        parsed.append((1, parse_version(ecosystem, val), idx, key))
            except (InvalidVersion, SemverError):
                problems.append("event unparseable")
                continue
            if limits and not any(lim is None or v < lim for lim in limits):
                continue
            # Stable sort by version: "0" first, equal versions keep record order.
            parsed.sort(key=lambda t: (t[0], t[1] if t[1] is not None else 0, t[2]) if t[0] else (0, 0, t[2]))
            vulnerable = False
            for _, at, _, key in parsed:
                if key == "introduced":
                    if at is None or v >= at:
                        vulnerable = True
                elif key == "fixed":
                    if v >= at:
                        vulnerable = False
                elif key == "last_affected":
                    if v > at:
                        vulnerable = False
            if vulnerable:
                affected = True
    if affected:
        return "affected"
    if problems:
        return "unverifiable"
    return None


# --- corpus parsers (independent of cverun's) ------------------------------------

REQ = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;#,]+)\s*(?:[;#].*)?$")


def python_packages(path):
    out = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("-"):
            continue
        m = REQ.match(line)
        if m and "*" not in m.group(3):
            out.append((pep503(m.group(1)), m.group(3), n))
    return out


def go_packages(path):
    out = []
    in_block = False
    for n, line in enumerate(path.read_text().splitlines(), 1):
        code = line.split("//")[0].strip()
        if not code:
            continue
        if code.startswith("go "):
            out.append(("stdlib", code.split()[1], n))
            continue
        if code == "require (":
            in_block = True
            continue
        if in_block and code == ")":
            in_block = False
            continue
        words = code.split()
        if in_block and len(words) == 2:
            out.append((words[0], words[1], n))
        elif words[:1] == ["require"] and len(words) == 3:
            out.append((words[1], words[2], n))
    return out


def cargo_packages(path):
    lock = tomllib.loads(path.read_text())
    out = []
    for p in lock.get("package", []):
        src = p.get("source", "")
        if src == "registry+https://github.com/rust-lang/crates.io-index" or src.startswith("sparse+https://index.crates.io"):
            out.append((p["name"], p["version"], None))
    return out


def corpus_files(snapshot_dir):
    for path in sorted(snapshot_dir.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(snapshot_dir).as_posix()
        if path.name.startswith("requirements") and path.suffix == ".txt":
            yield rel, "PyPI", python_packages(path)
        elif path.name == "go.mod":
            yield rel, "Go", go_packages(path)
        elif path.name == "Cargo.lock":
            yield rel, "crates.io", cargo_packages(path)


def load_records(shared):
    by_package = {}
    for z in ["PyPI-all.zip", "crates.io-all.zip", "Go-all.zip"]:
        with zipfile.ZipFile(shared / "osv" / z) as zf:
            for name in zf.namelist():
                if not name.endswith(".json"):
                    continue
                rec = json.loads(zf.read(name))
                for a in rec.get("affected") or []:
                    pkg = a.get("package") or {}
                    key = (pkg.get("ecosystem"), norm_name(pkg.get("ecosystem"), pkg.get("name", "")))
                    by_package.setdefault(key, {})[rec["id"]] = rec
    return by_package


def main():
    shared = Path(sys.argv[1])
    snapshots = sys.argv[2:] or sorted(p.name for p in (shared / "corpus").iterdir() if p.is_dir())
    records = load_records(shared)
    results = []
    for snap in snapshots:
        for rel, eco, packages in corpus_files(shared / "corpus" / snap):
            for name, version, _line in packages:
                for rid, rec in sorted(records.get((eco, norm_name(eco, name)), {}).items()):
                    verdict = evaluate(rec, eco, name, version)
                    if verdict:
                        results.append(
                            {
                                "snapshot": snap,
                                "file": rel,
                                "ecosystem": eco,
                                # PyPI names as pip reports them (PEP 503), others as declared.
                                "package": pep503(name) if eco == "PyPI" else name,
                                "version": version,
                                "record": rid,
                                "verdict": verdict,
                            }
                        )
    keys = ["snapshot", "file", "ecosystem", "package", "version", "record", "verdict"]
    lines = sorted({"\t".join(r[k] for k in keys) for r in results})
    sys.stdout.write("# " + "\t".join(keys) + "\n")
    for line in lines:
        sys.stdout.write(line + "\n")


if __name__ == "__main__":
    main()
