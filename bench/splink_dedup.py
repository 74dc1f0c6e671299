"""Deduplicate a file with Splink (DuckDB backend) the way a careful analyst would: light
cleaning in pandas, a Fellegi-Sunter model with u from random sampling and m by EM, clustering
at the same probability threshold as leadguard. Writes id,cluster and prints the wall time.

    python splink_dedup.py --kind company|person|febrl --input FILE --out clusters.csv [--threshold 0.5]
"""
import argparse
import re
import time

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on


def digits(s):
    return re.sub(r"\D", "", str(s or ""))


def phone(s):
    d = digits(s)
    for p in ("0086", "86"):
        if d.startswith(p) and len(d) - len(p) >= 10:
            d = d[len(p):]
    return d.lstrip("0") or None


def lower(s):
    s = str(s or "").strip().lower()
    return s or None


def name_clean(s):
    s = re.sub(r"[\s()（）,.，。·-]", "", str(s or "").lower())
    return s or None


def domain(s):
    s = str(s or "").lower()
    s = re.sub(r"^[a-z]+://", "", s).split("/")[0].split(":")[0]
    s = s[4:] if s.startswith("www.") else s
    return s or None


def dob(s):
    d = pd.to_datetime(str(s or ""), errors="coerce", format="mixed")
    return None if pd.isna(d) else d.strftime("%Y-%m-%d")


def prepare(kind, df):
    if kind == "company":
        out = pd.DataFrame({
            "unique_id": df["id"],
            "name": df["客户名称"].map(name_clean),
            "phone": df["电话"].map(phone),
            "mobile": df["手机"].map(phone),
            "email": df["邮箱"].map(lower),
            "website": df["网址"].map(domain),
            "credit_code": df["统一社会信用代码"].map(lower),
            "address": df["地址"].map(name_clean),
            "contact": df["联系人"].map(name_clean),
        })
        comparisons = [
            cl.JaroWinklerAtThresholds("name", [0.95, 0.88, 0.8]),
            cl.ExactMatch("phone"),
            cl.ExactMatch("mobile"),
            cl.ExactMatch("email"),
            cl.ExactMatch("website"),
            cl.ExactMatch("credit_code"),
            cl.JaroWinklerAtThresholds("address", [0.95, 0.85]),
            cl.ExactMatch("contact"),
        ]
        blocking = [block_on("name"), block_on("phone"), block_on("mobile"), block_on("email"),
                    block_on("website"), block_on("credit_code"), block_on("substr(name, 1, 4)")]
        deterministic = [block_on("phone"), block_on("mobile"), block_on("email"), block_on("credit_code")]
        em_rules = [block_on("name"), block_on("phone"), block_on("mobile")]
    elif kind == "person":
        out = pd.DataFrame({
            "unique_id": df["id"],
            "name": df["姓名"].map(name_clean),
            "mobile": df["手机"].map(phone),
            "id_number": df["身份证号"].map(lower),
            "dob": df["出生日期"].map(dob),
            "address": df["地址"].map(name_clean),
            "email": df["邮箱"].map(lower),
        })
        comparisons = [
            cl.JaroWinklerAtThresholds("name", [0.95, 0.88, 0.8]),
            cl.ExactMatch("mobile"),
            cl.LevenshteinAtThresholds("id_number", [1, 2]),
            cl.ExactMatch("dob"),
            cl.JaroWinklerAtThresholds("address", [0.95, 0.85]),
            cl.ExactMatch("email"),
        ]
        blocking = [block_on("name"), block_on("mobile"), block_on("id_number"), block_on("dob"), block_on("email")]
        deterministic = [block_on("mobile"), block_on("id_number")]
        em_rules = [block_on("name"), block_on("dob"), block_on("mobile")]
    else:  # febrl
        out = pd.DataFrame({
            "unique_id": df["rec_id"],
            "given_name": df["given_name"].map(lower),
            "surname": df["surname"].map(lower),
            "dob": df["date_of_birth"].map(lambda s: lower(digits(s))),
            "soc_sec_id": df["soc_sec_id"].map(lambda s: lower(digits(s))),
            "postcode": df["postcode"].map(lambda s: lower(digits(s))),
            "street_number": df["street_number"].map(lambda s: lower(digits(s))),
            "address_1": df["address_1"].map(lower),
            "suburb": df["suburb"].map(lower),
        })
        comparisons = [
            cl.JaroWinklerAtThresholds("given_name", [0.95, 0.88]),
            cl.JaroWinklerAtThresholds("surname", [0.95, 0.88]),
            cl.LevenshteinAtThresholds("dob", [1, 2]),
            cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.LevenshteinAtThresholds("postcode", [1]),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1", [0.95, 0.88]),
            cl.JaroWinklerAtThresholds("suburb", [0.95, 0.88]),
        ]
        blocking = [block_on("given_name", "surname"), block_on("dob"), block_on("soc_sec_id"),
                    block_on("postcode", "street_number"), block_on("surname", "postcode")]
        deterministic = [block_on("soc_sec_id", "dob")]
        em_rules = [block_on("given_name", "surname"), block_on("dob"), block_on("soc_sec_id")]
    return out, comparisons, blocking, deterministic, em_rules


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", required=True, choices=["company", "person", "febrl"])
    ap.add_argument("--input", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threshold", type=float, default=0.5)
    args = ap.parse_args()

    df = pd.read_csv(args.input, dtype=str, keep_default_na=False)
    started = time.time()
    data, comparisons, blocking, deterministic, em_rules = prepare(args.kind, df)
    db_api = DuckDBAPI()
    settings = SettingsCreator(link_type="dedupe_only", comparisons=comparisons,
                               blocking_rules_to_generate_predictions=blocking)
    linker = Linker(db_api.register(data), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for rule in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=args.threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, args.threshold)
    result = clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    elapsed = time.time() - started
    result.columns = ["id", "cluster"]
    result.to_csv(args.out, index=False)
    print(f"splink: {len(data)} records in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
