#!/usr/bin/env bash
# Runs cverun's benchmarks and prints their figures (see docs/benchmarks.md).
# cargo-audit is compared when CVERUN_CARGO_AUDIT names it or it is on the PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p cverun --bench advisory
cargo bench -p cverun --bench fleet
cargo bench -p cverun --bench parsers
cargo bench -p cverun --bench fix
cargo bench -p cverun-notify --bench outbox
