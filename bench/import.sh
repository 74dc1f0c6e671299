#!/usr/bin/env bash
# Times `leadguard import` of a generated file into a fresh SQLite database (the whole process,
# with the full duplicate check of every row). Usage: bash bench/import.sh [ENTITIES]
# Needs: cargo build --release -p leadguard -p leadguard-datagen
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/target/release"
entities="${1:-20000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin/leadguard-datagen" generate --entities "$entities" --out "$work/b2b.csv" >/dev/null
rows=$(($(wc -l < "$work/b2b.csv") - 1))
"$bin/leadguard" user add importer --role rep --cap 100000000 --password s3cret-pass \
    --database-url "sqlite://$work/i.db" >/dev/null 2>&1
start=$(date +%s.%N)
"$bin/leadguard" import "$work/b2b.csv" --owner importer --result "$work/r.csv" \
    --database-url "sqlite://$work/i.db" | tail -1
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v n="$rows" 'BEGIN { printf "%d rows in %.1f s: %.0f rows/s\n", n, e - s, n / (e - s) }'
