#!/usr/bin/env bash
# Accuracy and speed of leadguard dedup against Splink (DuckDB) and a plain rules baseline, on
# the generated Chinese B2B and person files and the public FEBRL person benchmarks. Not part
# of CI. Prints a Markdown table for docs/benchmarks.md.
#
#   bash bench/compare.sh            # 20k-customer files + FEBRL 1-3
#   LARGE=1 bash bench/compare.sh    # also the 1,000,000-record speed run
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out
mkdir -p "$out"

if [ ! -x bench/.venv/bin/python ]; then
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install -q --disable-pip-version-check -r bench/requirements.txt
fi
py=bench/.venv/bin/python

cargo build -q --release -p leadguard -p leadguard-datagen
lg=target/release/leadguard
gen=target/release/leadguard-datagen

$gen generate --kind company --entities 20000 --seed 11 --out $out/b2b.csv 2>/dev/null
$gen generate --kind person --entities 20000 --seed 12 --out $out/person.csv 2>/dev/null
$py bench/prepare_febrl.py $out >/dev/null
for f in febrl1 febrl2 febrl3; do
    # The generated files call the record id "id"; FEBRL calls it rec_id.
    $py - "$out/$f.csv" <<'PY'
import csv, sys
src = sys.argv[1]
rows = list(csv.DictReader(open(src)))
with open(src.replace(".csv", ".truth.csv"), "w", newline="") as f:
    w = csv.writer(f); w.writerow(["id", "entity_id"])
    for r in rows: w.writerow([r["rec_id"], r["entity_id"]])
PY
done

seconds() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1; printf "%.2f" "$(echo "$(date +%s.%N) - $s" | bc)"; }
score() { $gen eval --truth "$1" --clusters "$2" | awk '/precision/ {print $2, $4, $6}'; }

echo "| dataset | records | tool | precision | recall | F1 | wall time |"
echo "|---|---|---|---|---|---|---|"
for ds in b2b:company person:person febrl1:febrl febrl2:febrl febrl3:febrl; do
    name=${ds%%:*}; kind=${ds##*:}
    input=$out/$name.csv
    truth=$input; [ "$kind" = febrl ] && truth=$out/$name.truth.csv
    n=$(( $(wc -l < "$input") - 1 ))
    t=$(seconds $lg dedup --input "$input" --out $out/$name.lg.csv)
    read -r p r f1 < <(score "$truth" $out/$name.lg.csv)
    echo "| $name | $n | leadguard | $p | $r | $f1 | ${t}s |"
    t=$(seconds $lg dedup --input "$input" --out $out/$name.rules.csv --rules-only)
    read -r p r f1 < <(score "$truth" $out/$name.rules.csv)
    echo "| $name | $n | exact rules | $p | $r | $f1 | ${t}s |"
    t=$(seconds $py bench/splink_dedup.py --kind "$kind" --input "$input" --out $out/$name.splink.csv)
    read -r p r f1 < <(score "$truth" $out/$name.splink.csv)
    echo "| $name | $n | Splink 5 | $p | $r | $f1 | ${t}s |"
done

if [ "${LARGE:-0}" = 1 ]; then
    $gen generate --kind company --entities 650000 --seed 21 --out $out/b2b_1m.csv 2>/dev/null
    n=$(( $(wc -l < $out/b2b_1m.csv) - 1 ))
    /usr/bin/time -f "%e %M" -o $out/lg.time $lg dedup --input $out/b2b_1m.csv --out $out/b2b_1m.lg.csv >/dev/null 2>&1
    read -r t mem < $out/lg.time
    read -r p r f1 < <(score $out/b2b_1m.csv $out/b2b_1m.lg.csv)
    echo "| b2b_1m | $n | leadguard | $p | $r | $f1 | ${t}s, peak $((mem / 1024)) MiB |"
    /usr/bin/time -f "%e %M" -o $out/splink.time $py bench/splink_dedup.py --kind company --input $out/b2b_1m.csv --out $out/b2b_1m.splink.csv >/dev/null 2>&1
    read -r t mem < $out/splink.time
    read -r p r f1 < <(score $out/b2b_1m.csv $out/b2b_1m.splink.csv)
    echo "| b2b_1m | $n | Splink 5 | $p | $r | $f1 | ${t}s, peak $((mem / 1024)) MiB |"
fi
