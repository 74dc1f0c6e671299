#!/usr/bin/env bash
# Times `leadguard import` of a generated file into a fresh database (the whole process, with
# the full duplicate check of every row).
#
#   bash bench/import.sh [ENTITIES] [extra import flags…]     # SQLite (a temporary file)
#   PG=1 bash bench/import.sh [ENTITIES] [flags…]              # PostgreSQL on 127.0.0.1:5432
#
# 20,000 entities make about 31,000 rows; 650,000 make about 1,000,000.
# Needs: cargo build --release -p leadguard -p leadguard-datagen
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/target/release"
entities="${1:-20000}"
shift || true
work="$(mktemp -d)"
if [ -n "${PG:-}" ]; then
    db="lg_bench_import_$$"
    psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $db" postgres
    url="postgres://postgres@127.0.0.1:5432/$db"
    trap 'rm -rf "$work"; psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db" postgres' EXIT
else
    url="sqlite://$work/i.db"
    trap 'rm -rf "$work"' EXIT
fi
"$bin/leadguard-datagen" generate --entities "$entities" --out "$work/b2b.csv" >/dev/null
rows=$(($(wc -l < "$work/b2b.csv") - 1))
"$bin/leadguard" user add importer --role rep --cap 100000000 --password s3cret-pass \
    --database-url "$url" >/dev/null 2>&1
start=$(date +%s.%N)
/usr/bin/time -f "cpu: %U s user, %S s system; peak %M KB" \
    "$bin/leadguard" import "$work/b2b.csv" --owner importer --result "$work/r.csv" \
    --database-url "$url" "$@" | tail -1
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v n="$rows" \
    'BEGIN { printf "%d rows in %.1f s: %.0f rows/s\n", n, e - s, n / (e - s) }'
