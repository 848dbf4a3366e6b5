#!/usr/bin/env bash
# The delivery fault-injection run at full size (see docs/notify.md "Fault
# injection"): 1,000 messages (CVERUN_FAULT_MESSAGES) over webhook, Slack
# (incoming webhook), Teams, PagerDuty and Slack bot (a stateful Web API fake)
# receivers on loopback that fail at random (CVERUN_FAULT_SEED), while
# `cverun notify run --follow` workers are killed with SIGKILL and restarted.
# Prints the figures (per channel: messages, requests, repeats, duplicates by
# cause, dead, unknown replayed); fails if a message was lost, sent out of
# order, given up without a permanent refusal, posted twice by the Slack bot,
# or duplicated without a kill, a replay or a receiver that drops copies.
set -euo pipefail
cd "$(dirname "$0")/.."
export CVERUN_FAULT_MESSAGES="${CVERUN_FAULT_MESSAGES:-1000}"
export CVERUN_FAULT_SEED="${CVERUN_FAULT_SEED:-20261123}"
cargo test --release -p cverun --test notify_faults -- --nocapture
