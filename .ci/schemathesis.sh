#!/usr/bin/env bash
# Drives every operation of the OpenAPI document with schemathesis (generated valid and
# invalid requests, as an admin) against a real `leadguard serve --demo`, on a fresh SQLite
# file and on a fresh PostgreSQL database, and fails on any 5xx answer: bad input must be a
# 4xx with a code and a message, on both backends.
#
#   .ci/schemathesis.sh                        # 30 examples per operation and pass
#   SCHEMATHESIS_EXAMPLES=200 .ci/schemathesis.sh
#   SCHEMATHESIS_BACKENDS=sqlite .ci/schemathesis.sh
#   LEADGUARD_BIN=target/release/leadguard .ci/schemathesis.sh
#
# Two passes per backend: path parameters generated freely (mostly unknown ids: 404s and
# malformed paths), then fixed to demo objects so that bodies reach real customers, users
# and teams. Left out: POST /auth/logout (it would end the session the run uses) and
# GET /events (a stream that never ends). Reports (JUnit, and a pytest file reproducing each
# failure) go to target/schemathesis/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

EXAMPLES="${SCHEMATHESIS_EXAMPLES:-30}"
SEED="${SCHEMATHESIS_SEED:-20261123}"
BACKENDS="${SCHEMATHESIS_BACKENDS:-sqlite postgres}"
PG_URL="${LEADGUARD_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
VERSION=4.32.5
VENV="$ROOT/target/schemathesis-venv"
OUT="$ROOT/target/schemathesis"

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$VERSION"; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$VERSION"
fi

# LEADGUARD_BIN: test that binary instead of building one.
BIN="${LEADGUARD_BIN:-}"
if [ -z "$BIN" ]; then
    cargo build -q -p leadguard
    BIN="$ROOT/target/debug/leadguard"
fi

work=$(mktemp -d)
pid=
pg_db=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    [ -n "$pg_db" ] && psql "$PG_URL" -qAtc "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$OUT"
failed=0

# run LABEL DATABASE_URL: one server on that database, both passes.
run() {
    local label=$1 db=$2
    local port base token
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    base="http://127.0.0.1:$port"
    "$BIN" serve --demo --database-url "$db" --listen "127.0.0.1:$port" \
        --recycle-interval 0 --webhook-poll 0 >"$work/$label.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 150); do
        curl -sf "$base/healthz" >/dev/null && break
        kill -0 "$pid" 2>/dev/null || { cat "$work/$label.log"; echo "FATAL: leadguard serve exited"; exit 1; }
        sleep 0.2
    done
    token=$(curl -sf -X POST "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d '{"username":"admin","password":"leadguard-demo"}' |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
    # Demo objects for the second pass: a customer (and case, rule … with the same id if
    # there is one), a rep, a team.
    local team
    team=$(curl -sf "$base/api/v1/teams" -H "Authorization: Bearer $token" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["name"])')
    cat >"$work/fixed.toml" <<EOF
[parameters]
"path.id" = 1
"path.username" = "zhangsan"
"path.team" = "$team"
EOF
    for pass in free fixed; do
        local config=()
        [ "$pass" = fixed ] && config=(--config-file "$work/fixed.toml")
        echo "== schemathesis: $label, path parameters $pass ($(date +%T))"
        mkdir -p "$OUT/$label-$pass"
        # From the report directory: schemathesis keeps its example database in the working
        # directory.
        (cd "$OUT/$label-$pass" && "$VENV/bin/schemathesis" --no-color "${config[@]}" \
            run "$base/api/openapi.json" \
            --checks not_a_server_error \
            --header "Authorization: Bearer $token" \
            --exclude-operation-id logout --exclude-operation-id events \
            --phases examples,coverage,fuzzing \
            --max-examples "$EXAMPLES" --seed "$SEED" \
            --workers 2 --request-timeout 30 \
            --suppress-health-check all \
            --generation-with-security-parameters false \
            --output-truncate false \
            --report junit,pytest --report-dir .) || failed=1
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
    # A 5xx is logged by the server too: keep the log, and show the errors to whoever reads
    # the failure.
    sed 's/\x1b\[[0-9;]*m//g' "$work/$label.log" >"$OUT/$label-server.log"
    if grep -q ' ERROR ' "$OUT/$label-server.log"; then
        echo "== server errors ($label)"
        grep ' ERROR ' "$OUT/$label-server.log" | tail -50
    fi
}

for backend in $BACKENDS; do
    case $backend in
        sqlite) run sqlite "sqlite://$work/leadguard.db" ;;
        postgres)
            pg_db="lg_schemathesis_$$"
            psql "$PG_URL" -qAtc "CREATE DATABASE $pg_db" >/dev/null
            run postgres "${PG_URL%/*}/$pg_db"
            psql "$PG_URL" -qAtc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
            pg_db=
            ;;
        *) echo "unknown backend $backend"; exit 2 ;;
    esac
done

[ "$failed" -eq 0 ] || { echo "FATAL: schemathesis found server errors (see above and $OUT)"; exit 1; }
echo "schemathesis: no server errors"
