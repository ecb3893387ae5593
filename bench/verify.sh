#!/usr/bin/env bash
# Verification throughput benchmark (issue 4): 1,000 distinct keys against the
# fake Misar API (tests/support/fake_api.rs) with 20 ms latency per request,
# through the real release binary. Writes bench/RESULTS-verify.md.
# Fails if the default concurrency takes 3 s or more, or if the server ever
# sees more requests in flight than the configured concurrency.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/RESULTS-verify.md
table=$(cargo bench --bench verify --quiet 2>&1 | grep '^|' || true)
if [ -z "$table" ]; then
    cargo bench --bench verify
    exit 1
fi
{
    echo "# Verification throughput"
    echo
    echo "\`bench/verify.sh\`: \`misar-scan verify --stdin\` (release build) checks 1,000 distinct"
    echo "keys against the fake Misar API on 127.0.0.1 answering each request after 20 ms"
    echo "(half 200 with a list, half 403 FORBIDDEN). Wall time includes process start."
    echo "\"max in flight\" is the most requests the server saw at once."
    echo
    echo "Machine: $(nproc) cores, $(uname -sm); $(rustc --version); $(date -u +%Y-%m-%d)."
    echo
    echo "$table"
    echo
    echo "Goal: under 3 s with the default concurrency (16); never more in flight than configured."
    echo "Lower bound for 1,000 requests at 20 ms with 16 in flight: 1000 / 16 x 20 ms = 1.25 s."
} > "$out"
cat "$out"
