#!/usr/bin/env bash
# Times `leadguard import` of a generated file into a fresh database (the whole process, with
# the full duplicate check of every row).
#
#   bash bench/import.sh [ENTITIES] [extra import flags…]     # SQLite (a temporary file)
#   PG=1 bash bench/import.sh [ENTITIES] [flags…]              # PostgreSQL on 127.0.0.1:5432
#   MIGRATION=1 bash bench/import.sh [ENTITIES] [flags…]       # a CRM export: every row names
#       its owner (负责人, one of 20 reps by display name) and its entry time (创建时间), so rows
#       are entered earliest first, each with its owner's cap and its original time
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
owner=(--owner importer)
if [ -n "${MIGRATION:-}" ]; then
    "$bin/leadguard" user add admin --role admin --password s3cret-pass \
        --database-url "$url" >/dev/null 2>&1
    for i in $(seq 1 20); do
        "$bin/leadguard" user add "rep$i" --role rep --display-name "销售$i" --cap 100000000 \
            --password s3cret-pass --database-url "$url" >/dev/null 2>&1
    done
    # Owner and entry time appended to every row, spread over ten years in no order.
    awk 'NR == 1 { print $0 ",负责人,创建时间"; next }
         { printf "%s,销售%d,%d-%02d-%02d %02d:%02d\n", $0, NR % 20 + 1, 2015 + (NR * 7919) % 10,
                  (NR * 31) % 12 + 1, (NR * 17) % 28 + 1, (NR * 13) % 24, (NR * 7) % 60 }' \
        "$work/b2b.csv" > "$work/export.csv"
    mv "$work/export.csv" "$work/b2b.csv"
    owner=()
fi
start=$(date +%s.%N)
/usr/bin/time -f "cpu: %U s user, %S s system; peak %M KB" \
    "$bin/leadguard" import "$work/b2b.csv" "${owner[@]}" --result "$work/r.csv" \
    --database-url "$url" "$@" | tail -1
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v n="$rows" \
    'BEGIN { printf "%d rows in %.1f s: %.0f rows/s\n", n, e - s, n / (e - s) }'
