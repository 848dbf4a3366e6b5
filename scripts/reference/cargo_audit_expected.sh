#!/usr/bin/env bash
# Writes what cargo-audit reports for every Cargo.lock of the corpus, using the RustSec
# database of ../shared (cargo-audit's own layout), as tab-separated lines:
#   lockfile (relative to the corpus)  kind  advisory  package  version
# kind is "vulnerability" or the warning kind (unmaintained, unsound, notice).
# Usage: scripts/reference/cargo_audit_expected.sh SHARED_DIR [CARGO_AUDIT] > expected.tsv
set -euo pipefail
shared="$1"
audit="${2:-cargo-audit}"
echo -e "# lockfile\tkind\tadvisory\tpackage\tversion"
cd "$shared/corpus"
find . -name Cargo.lock | sort | while read -r lock; do
  # cargo-audit exits 1 when it finds vulnerabilities.
  "$audit" audit --db "$shared/rustsec-advisory-db" --no-fetch --stale --no-yanked --json -f "$lock" 2>/dev/null \
    | python3 -c '
import json, sys
lock = sys.argv[1][2:]
d = json.load(sys.stdin)
rows = set()
for v in d["vulnerabilities"]["list"]:
    rows.add((lock, "vulnerability", v["advisory"]["id"], v["package"]["name"], v["package"]["version"]))
for kind, items in d["warnings"].items():
    for w in items:
        if w.get("advisory"):
            rows.add((lock, kind, w["advisory"]["id"], w["package"]["name"], w["package"]["version"]))
for r in sorted(rows):
    print("\t".join(r))
' "$lock" || true
done
