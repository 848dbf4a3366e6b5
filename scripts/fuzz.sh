#!/usr/bin/env bash
# Builds the seed corpora and runs the fuzz targets under fuzz/ (see docs/fuzzing.md).
#
#   scripts/fuzz.sh [TARGET...] [--time SECONDS] [--seeds-only]
#
# No TARGET: every target, one after the other. Each runs for SECONDS (default 120;
# 600 for osv_record, inv_requirements, inv_package_lock, inv_pom_xml, inv_cargo_lock
# and inv_go_mod) and stops at its first crash, leaving the input in
# fuzz/artifacts/TARGET/. Prints one summary line per target and exits 1 when any
# target crashed. Needs cargo-fuzz (`cargo install cargo-fuzz`); stable Rust is
# enough, as no sanitizer is used (Rust code is memory safe: we look for panics,
# hangs over 10 s and memory use over 2 GiB).
set -euo pipefail
cd "$(dirname "$0")/.."

time_override=""
seeds_only=0
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --time) time_override="${2:?--time needs a number of seconds}"; shift 2 ;;
        --time=*) time_override="${1#--time=}"; shift ;;
        --seeds-only) seeds_only=1; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done

all_targets=$(cargo fuzz list)
if [ ${#targets[@]} -eq 0 ]; then
    read -r -d '' -a targets <<<"$all_targets" || true
fi
for t in "${targets[@]}"; do
    if ! grep -qx "$t" <<<"$all_targets"; then
        echo "fuzz.sh: no fuzz target $t (see fuzz/fuzz_targets/)" >&2
        exit 2
    fi
done

# Seeds: the shared fixtures and corpus (../shared, when present), the examples,
# the documentation's TOML snippets and the multi-line raw strings of each
# reader's own tests. Files are named by their SHA-1, as libFuzzer names its own,
# so re-running adds nothing twice.
python3 - "$(pwd)" "${targets[@]}" <<'PY'
import hashlib, os, re, sys, zipfile, json

root, wanted = sys.argv[1], set(sys.argv[2:])
shared = os.path.normpath(os.path.join(root, "..", "shared"))
corpus = os.path.join(root, "fuzz", "corpus")
counts = {}

def add(target, data):
    if target not in wanted or not data:
        return
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, hashlib.sha1(data).hexdigest())
    if not os.path.exists(p):
        with open(p, "wb") as f:
            f.write(data)
    counts[target] = counts.get(target, 0) + 1

# File names as the scanner recognises them (FileKind::detect).
NAMES = {
    "Pipfile.lock": "pipfile_lock", "poetry.lock": "poetry_lock", "uv.lock": "uv_lock",
    "pdm.lock": "pdm_lock", "pyproject.toml": "pyproject", "Pipfile": "pipfile",
    "Cargo.lock": "cargo_lock", "Cargo.toml": "cargo_toml", "go.mod": "go_mod",
    "package-lock.json": "package_lock", "npm-shrinkwrap.json": "package_lock",
    "yarn.lock": "yarn_lock", "pnpm-lock.yaml": "pnpm_lock", "bun.lock": "bun_lock",
    "package.json": "package_json", "Gemfile.lock": "gemfile_lock",
    "gems.locked": "gemfile_lock", "Gemfile": "gemfile", "gems.rb": "gemfile",
    "composer.lock": "composer_lock", "composer.json": "composer_json",
    "mix.lock": "mix_lock", "mix.exs": "mix_exs", "gradle.lockfile": "gradle_lockfile",
    "build.gradle": "build_gradle", "build.gradle.kts": "build_gradle",
    "pom.xml": "pom_xml", "packages.lock.json": "nuget_lock", "bom.json": "cyclonedx",
}

def by_name(name):
    lower = name.lower()
    if name in NAMES:
        return NAMES[name]
    if lower == "packages.config":
        return "packages_config"
    if lower.startswith("pylock.") and lower.endswith(".toml"):
        return "pylock"
    if lower.endswith(".cdx.json"):
        return "cyclonedx"
    if lower.endswith(".spdx.json"):
        return "spdx"
    if lower.endswith((".csproj", ".fsproj", ".vbproj")):
        return "msbuild"
    if lower.startswith("requirements") and lower.endswith((".txt", ".in")):
        return "requirements"
    return None

# Fixture directories whose files are named for the case they test.
FIXTURE_DIRS = {
    "python/requirements": "requirements", "python/pipfilelock": "pipfile_lock",
    "python/poetrylock": "poetry_lock", "python/uvlock": "uv_lock",
    "python/pdmlock": "pdm_lock", "python/pylock": "pylock",
    "rust/cargolock": "cargo_lock", "golang/gomod": "go_mod",
    "javascript/packagelockjson": "package_lock", "javascript/yarnlock": "yarn_lock",
    "javascript/pnpmlock": "pnpm_lock", "javascript/bunlock": "bun_lock",
    "ruby/gemfilelock": "gemfile_lock", "php/composerlock": "composer_lock",
    "elixir/mixlock": "mix_lock", "erlang/mixlock": "mix_lock",
    "java/gradlelockfile": "gradle_lockfile", "java/pomxml": "pom_xml",
    "dotnet/packageslockjson": "nuget_lock", "dotnet/packagesconfig": "packages_config",
}

def read(p):
    with open(p, "rb") as f:
        return f.read()

def walk(d):
    for dirpath, _, files in os.walk(d):
        for f in sorted(files):
            yield os.path.join(dirpath, f)

fixtures = os.path.join(shared, "fixtures", "lockfiles")
if os.path.isdir(shared):
    for p in walk(fixtures):
        rel = os.path.relpath(p, fixtures)
        kind = by_name(os.path.basename(p))
        if kind is None:
            kind = next((k for d, k in FIXTURE_DIRS.items() if rel.startswith(d + "/")), None)
        if kind:
            add("inv_" + kind, read(p))
    for p in walk(os.path.join(shared, "corpus")):
        kind = by_name(os.path.basename(p))
        if kind:
            add("inv_" + kind, read(p))
else:
    print(f"fuzz.sh: no {shared}: seeds from the repository only", file=sys.stderr)
for p in walk(os.path.join(root, "examples", "fleet")):
    kind = by_name(os.path.basename(p))
    if kind:
        add("inv_" + kind, read(p))

RAW = re.compile(r'r(#*)"(.*?)"\1', re.S)

def raw_strings(paths):
    for p in paths:
        for m in RAW.finditer(read(p).decode()):
            s = m.group(2)
            if "\n" in s and len(s) >= 10:
                yield s

def rust_files(base):
    out = [base + ".rs"] if os.path.isfile(base + ".rs") else []
    if os.path.isdir(base):
        out += [p for p in walk(base) if p.endswith(".rs")]
    return out

formats = os.path.join(root, "crates", "inventory", "src", "formats")
for t in wanted:
    if t.startswith("inv_"):
        for s in raw_strings(rust_files(os.path.join(formats, t[4:]))):
            add(t, s)

FENCE = re.compile(r"```toml\n(.*?)```", re.S)

def toml_blocks(path):
    text = read(path).decode()
    if path.endswith(".rs"):  # doc comments
        text = "\n".join(re.sub(r"^\s*//[/!] ?", "", l) for l in text.splitlines()
                         if re.match(r"^\s*//[/!]", l))
    return FENCE.findall(text)

CONFIG = {
    "scan_config": ["docs/configuration.md", "crates/scan/src/config.rs", "examples/fleet/cverun.toml"],
    "policy": ["docs/policy.md", "crates/triage/src/policy.rs"],
    "exceptions": ["docs/exceptions.md", "crates/triage/src/exceptions.rs"],
    "runbook": ["docs/incident.md", "crates/incident/src/runbook.rs"],
}
for t, paths in CONFIG.items():
    for rel in paths:
        p = os.path.join(root, rel)
        if rel.endswith(".toml"):
            add(t, read(p))
            continue
        for b in toml_blocks(p):
            add(t, b)
        if rel.endswith(".rs"):
            for s in raw_strings([p]):
                add(t, s)

# OSV records: the examples and an even sample of each shared database; versions:
# pairs of event versions from the same records.
records = [read(p) for p in walk(os.path.join(root, "examples", "advisories")) if p.endswith(".json")]
for z in ["PyPI-all.zip", "crates.io-all.zip", "Go-all.zip"]:
    zp = os.path.join(shared, "osv", z)
    if not os.path.isfile(zp):
        continue
    with zipfile.ZipFile(zp) as zf:
        names = sorted(n for n in zf.namelist() if n.endswith(".json"))
        step = max(1, len(names) // 120)
        records += [zf.read(n) for n in names[::step]]
for r in records:
    add("osv_record", r)
    try:
        rec = json.loads(r)
    except ValueError:
        continue
    for a in rec.get("affected", []) if isinstance(rec, dict) else []:
        vs = [e2 for rg in a.get("ranges", []) for e in rg.get("events", []) for e2 in e.values()]
        vs += a.get("versions", [])[:4]
        for x, y in zip(vs, vs[1:]):
            if isinstance(x, str) and isinstance(y, str):
                add("versions", f"{x}\n{y}")

for t in sorted(wanted):
    n = counts.get(t, 0)
    print(f"seeds {t}: {n}")
    if n == 0:
        print(f"fuzz.sh: no seeds for {t}", file=sys.stderr)
PY

[ "$seeds_only" = 1 ] && exit 0

mkdir -p fuzz/logs
summary=fuzz/logs/summary.txt
crashed=0
for t in "${targets[@]}"; do
    case "$t" in
        osv_record|inv_requirements|inv_package_lock|inv_pom_xml|inv_cargo_lock|inv_go_mod) secs=600 ;;
        *) secs=120 ;;
    esac
    [ -n "$time_override" ] && secs=$time_override
    log="fuzz/logs/$t.log"
    rc=0
    cargo fuzz run "$t" --sanitizer none -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[^ ]*' "$log" | tail -1)
    crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    if [ "$rc" = 0 ]; then
        result="no crash"
    else
        crashed=1
        result="CRASH (exit $rc) ${crash:-see $log}"
    fi
    line="$(date -u +%F) $t ${secs}s runs=${runs:-?} ${cov:-cov: ?} $result"
    echo "$line" | tee -a "$summary"
done
exit $crashed
