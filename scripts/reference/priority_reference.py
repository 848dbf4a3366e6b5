#!/usr/bin/env python3
"""Independent reference for cverun's runbook priorities on the shared corpus.

For every (snapshot, file, ecosystem, package, version, record) line of the matching
expectations (crates/db/tests/data/corpus-expected.tsv, itself the output of
osv_reference.py), computes the runbook priority cverun gives the finding the record
belongs to, under the default policy and without service context (the corpus has no
cverun.toml). It shares no code with cverun: CVSS vectors are scored by the `cvss`
package, everything else is written here. The pinned expectations of cverun's priority
tests are this script's output, so a disagreement between the two is a bug in one of
them.

What it computes, for one (snapshot, file, ecosystem, package, version):

- Findings: the records listed for it are grouped with a union-find; two records are in
  the same finding when they share an id (a record's `id` or one of its `aliases`),
  transitively. The ids of a finding are the union of its records' ids and aliases.
- Informational: a RustSec record is informational when the `affected[]` entry for the
  package (any entry if none names it) has `database_specific.informational` set to a
  non-empty value ("unmaintained", "unsound", "notice"...; null counts as unset). A
  finding whose records are all informational gets no priority (level `none`).
- Severity: the severity vectors of every record of the three OSV zips (PyPI,
  crates.io, Go) whose id or one of whose aliases is among the finding's ids, plus the
  finding's own records (one step, not transitive). Each CVSS_V2 / CVSS_V3 / CVSS_V4
  vector is scored with `cvss` (base score); a CVSS v3 vector is scored on its base
  metrics only (temporal and environmental metrics dropped); a vector that cannot be
  scored is ignored (listed on stderr). The best score prefers CVSS 3.1, then 3.0, then
  4.0, then 2.0, and within one version the highest score. Without any scored vector:
  the most severe qualitative rating (`database_specific.severity`, GHSA style: LOW,
  MODERATE = MEDIUM, HIGH, CRITICAL) of the same records, standing for a score of
  0.1 / 4.0 / 7.0 / 9.0. Without either, the severity is unknown.
- Known exploit: a CVE id among the finding's ids listed in the CISA KEV catalog
  (the smallest in sort order when several are); else a CVE id that one of the
  finding's records lists in its OSV `related` field (and that is none of the
  finding's ids) listed in KEV (the smallest in sort order), written
  `related:CVE-...` in the kev column (cverun's default `related_signals = true`).
- Level:
    score >= 9.0 and KEV: P0;  score >= 7.0 and KEV: P1;  score < 7.0 and KEV: P2;
    unknown severity and KEV: P1;
    score >= 7.0, no KEV: P2;  score < 7.0, no KEV: routine;
    unknown severity, no KEV: P2 (unknown is never low).
  A finding whose records are all `unverifiable` gets the priority it would have if
  affected.

Choices made here: withdrawn records of the zips are not used as severity sources (a
withdrawn record asserts nothing); a qualitative rating MODERATE is written `MEDIUM`;
a finding at level `none` carries `-` as score and as KEV; the KEV lookup uses the
finding's own ids only (those of the severity sources are not added).

Usage: python3 priority_reference.py SHARED_DIR > crates/cverun/tests/data/corpus-priorities.tsv
Output: a `#` header line, then one line per input line, in sorted order, tab-separated:
snapshot, file, ecosystem, package, version, record, level, score, kev
(score: the best CVSS base score with one decimal, `rating:LEVEL`, `unknown`, or `-`
for level none; kev: the CVE id listed in KEV, `related:CVE-...` for a related one,
or `-`).
Needs: pip install cvss==3.6
"""

import json
import re
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

from cvss import CVSS2, CVSS3, CVSS4

EXPECTED = Path(__file__).resolve().parent / "../../crates/db/tests/data/corpus-expected.tsv"
ZIPS = ["PyPI-all.zip", "crates.io-all.zip", "Go-all.zip"]
KEYS = ["snapshot", "file", "ecosystem", "package", "version", "record"]

# --- OSV records ----------------------------------------------------------------


def load_records(shared):
    """All records of the three zips, by id, and the ids of those naming each alias."""
    by_id = {}
    by_alias = {}
    for z in ZIPS:
        with zipfile.ZipFile(shared / "osv" / z) as zf:
            for name in zf.namelist():
                if not name.endswith(".json"):
                    continue
                rec = json.loads(zf.read(name))
                by_id[rec["id"]] = rec
                for alias in rec.get("aliases") or []:
                    by_alias.setdefault(alias, set()).add(rec["id"])
    return by_id, by_alias


def record_ids(rec):
    return {rec["id"], *(rec.get("aliases") or [])}


def norm_name(ecosystem, name):
    if ecosystem == "PyPI":
        return re.sub(r"[-_.]+", "-", name).lower()
    if ecosystem == "crates.io":
        return name.lower().replace("_", "-")
    return name


def is_informational(rec, ecosystem, package):
    entries = rec.get("affected") or []
    own = [
        a
        for a in entries
        if (a.get("package") or {}).get("ecosystem") == ecosystem
        and norm_name(ecosystem, (a.get("package") or {}).get("name", "")) == norm_name(ecosystem, package)
    ]
    for a in own or entries:
        if (a.get("database_specific") or {}).get("informational"):
            return True
    return False


# --- severity -------------------------------------------------------------------

V3_BASE = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"]
# Preference between vector versions: lower is preferred.
VERSION_RANK = {"3.1": 0, "3.0": 1, "4.0": 2, "2.0": 3}
RATINGS = {"LOW": Decimal("0.1"), "MEDIUM": Decimal("4.0"), "HIGH": Decimal("7.0"), "CRITICAL": Decimal("9.0")}
UNSCORED = []


def v3_base_only(vector):
    """The vector reduced to its prefix and base metrics (temporal/environmental dropped)."""
    parts = vector.strip().split("/")
    prefix, metrics = parts[0], {}
    for part in parts[1:]:
        key, _, value = part.partition(":")
        if key in V3_BASE:
            if key in metrics:
                raise ValueError(f"metric {key} repeated")
            metrics[key] = value
    return prefix + "".join(f"/{k}:{metrics[k]}" for k in V3_BASE if k in metrics)


def score_vector(kind, vector):
    """(version, base score) of one OSV severity item, or None if it is not scored."""
    if kind == "CVSS_V3":
        text = v3_base_only(vector)
        version = text.split("/")[0].removeprefix("CVSS:")
        if version not in ("3.0", "3.1"):
            raise ValueError(f"CVSS v3 version {version!r}")
        return version, Decimal(str(CVSS3(text).base_score))
    if kind == "CVSS_V4":
        return "4.0", Decimal(str(CVSS4(vector.strip()).base_score))
    if kind == "CVSS_V2":
        text = vector.strip()
        if text.startswith("(") and text.endswith(")"):
            text = text[1:-1]
        return "2.0", Decimal(str(CVSS2(text).base_score))
    return None


def best_severity(sources):
    """('score', Decimal) | ('rating', NAME) | None for the given records."""
    best = None  # (rank, -score)
    for rec in sources:
        for item in rec.get("severity") or []:
            kind, vector = item.get("type"), item.get("score", "")
            if kind not in ("CVSS_V2", "CVSS_V3", "CVSS_V4"):
                continue
            try:
                scored = score_vector(kind, vector)
            except Exception as exc:  # the cvss package raises its own error classes
                UNSCORED.append((rec["id"], kind, vector, f"{type(exc).__name__}: {exc}"))
                continue
            version, score = scored
            key = (VERSION_RANK[version], -score)
            if best is None or key < best:
                best = key
    if best is not None:
        return "score", -best[1]
    rating = None
    for rec in sources:
        value = (rec.get("database_specific") or {}).get("severity")
        if not isinstance(value, str):
            continue
        name = value.strip().upper()
        if name == "MODERATE":
            name = "MEDIUM"
        if name in RATINGS and (rating is None or RATINGS[name] > RATINGS[rating]):
            rating = name
    if rating is not None:
        return "rating", rating
    return None


# --- level ----------------------------------------------------------------------


def level(score, kev):
    if score is None:
        return "P1" if kev else "P2"
    if kev:
        if score >= Decimal("9.0"):
            return "P0"
        if score >= Decimal("7.0"):
            return "P1"
        return "P2"
    return "P2" if score >= Decimal("7.0") else "routine"


# --- findings -------------------------------------------------------------------


def findings(record_list, by_id):
    """Groups of record ids sharing an id or alias, transitively (union-find)."""
    parent = {r: r for r in record_list}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner = {}
    for r in record_list:
        for ident in sorted(record_ids(by_id[r])):
            if ident in owner:
                a, b = find(owner[ident]), find(r)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                owner[ident] = r
    groups = {}
    for r in record_list:
        groups.setdefault(find(r), []).append(r)
    return [sorted(g) for _, g in sorted(groups.items())]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: priority_reference.py SHARED_DIR")
    shared = Path(sys.argv[1])
    by_id, by_alias = load_records(shared)
    kev_catalog = json.loads((shared / "kev" / "known_exploited_vulnerabilities.json").read_text())
    kev = {v["cveID"] for v in kev_catalog["vulnerabilities"]}

    per_package = {}
    for line in EXPECTED.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        key, record = tuple(fields[:5]), fields[5]
        if record not in by_id:
            sys.exit(f"record {record} is not in the OSV zips")
        per_package.setdefault(key, set()).add(record)

    out = []
    for key, records in per_package.items():
        ecosystem, package = key[2], key[3]
        for group in findings(sorted(records), by_id):
            ids = set().union(*(record_ids(by_id[r]) for r in group))
            if all(is_informational(by_id[r], ecosystem, package) for r in group):
                result = ("none", "-", "-")
            else:
                source_ids = set(group)
                for ident in ids:
                    if ident in by_id:
                        source_ids.add(ident)
                    source_ids |= by_alias.get(ident, set())
                sources = [
                    by_id[s] for s in sorted(source_ids) if s in group or not by_id[s].get("withdrawn")
                ]
                severity = best_severity(sources)
                known = sorted(i for i in ids if i.startswith("CVE-") and i in kev)
                related = sorted(
                    i
                    for r in group
                    for i in by_id[r].get("related") or []
                    if i.startswith("CVE-") and i in kev and i not in ids
                )
                if known:
                    kev_id = known[0]
                elif related:
                    kev_id = "related:" + related[0]
                else:
                    kev_id = None
                if severity is None:
                    result = (level(None, kev_id), "unknown", kev_id or "-")
                elif severity[0] == "score":
                    result = (level(severity[1], kev_id), f"{severity[1]:.1f}", kev_id or "-")
                else:
                    result = (level(RATINGS[severity[1]], kev_id), f"rating:{severity[1]}", kev_id or "-")
            for r in group:
                out.append((*key, r, *result))

    out.sort(key=lambda row: row[:6])
    sys.stdout.write("# " + "\t".join(KEYS + ["level", "score", "kev"]) + "\n")
    for row in out:
        sys.stdout.write("\t".join(row) + "\n")
    for rid, kind, vector, why in sorted(set(UNSCORED)):
        print(f"not scored: {rid} {kind} {vector!r}: {why}", file=sys.stderr)


if __name__ == "__main__":
    main()
