#!/usr/bin/env bash
# Schemathesis (every check) against both services and through an edge, each from the service's
# own OpenAPI document. Usage: .ci/fuzz.sh MOVIE_URL CUSTOMER_URL EDGE_URL
# Fails on any finding, or when a run generated fewer than MIN_CASES cases.
set -euo pipefail
movie=$1 customer=$2 edge=$3
seed=${FUZZ_SEED:-20261126}
min_cases=${MIN_CASES:-300}
echo "schemathesis seed: $seed (FUZZ_SEED=$seed reproduces it)"

fuzz() {
    local label=$1 schema=$2; shift 2
    local log
    log=$(mktemp)
    uv run --frozen schemathesis run "$schema" --checks all -n 100 --seed "$seed" \
        --request-timeout 5 "$@" > "$log" 2>&1 || { cat "$log"; echo "FAIL $label"; return 1; }
    local cases
    cases=$(grep -oE '[0-9]+ generated' "$log" | tail -1 | cut -d' ' -f1)
    echo "  ok  $label: ${cases:-0} cases, no finding"
    [ "${cases:-0}" -ge "$min_cases" ] || { echo "FAIL $label: fewer than $min_cases cases"; return 1; }
}

for service in movie customer; do
    url=$movie; [ "$service" = customer ] && url=$customer
    fuzz "$service-service direct" "$url/openapi.json"
    fuzz "$service-service through the edge" "$url/openapi.json" \
        --url "$edge" --exclude-path-regex '^/actuator'
done
