//! `leadguard-datagen`: make labelled test files and score a clustering of them.
//!
//! ```sh
//! leadguard-datagen generate --kind company --entities 20000 --seed 1 --out b2b.csv
//! leadguard dedup --input b2b.csv --out clusters.csv
//! leadguard-datagen eval --truth b2b.csv --clusters clusters.csv
//! leadguard-datagen names-eval --names names.tsv --shortforms shortforms.txt
//! ```

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use leadguard_datagen::dataset::{self, Config, Kind};
use leadguard_datagen::eval;
use leadguard_datagen::names_eval;

#[derive(Parser)]
#[command(
    name = "leadguard-datagen",
    about = "Labelled customer files for measuring duplicate detection"
)]
enum Cli {
    /// Write a CSV of customers with known duplicates (column entity_id is the truth).
    Generate {
        #[arg(long, value_enum, default_value_t = KindArg::Company)]
        kind: KindArg,
        #[arg(long, default_value_t = 20_000)]
        entities: usize,
        /// Share of customers entered more than once.
        #[arg(long, default_value_t = 0.3)]
        dup_rate: f64,
        /// Share of customers given a different look-alike customer.
        #[arg(long, default_value_t = 0.1)]
        hard_negatives: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Print pairwise precision, recall and F1 of clusters (id,cluster) against a file's truth.
    Eval {
        /// A generated file (id and entity_id columns), or any CSV with `--truth-column`.
        #[arg(long)]
        truth: PathBuf,
        #[arg(long, default_value = "entity_id")]
        truth_column: String,
        /// Output of `leadguard dedup`: id,cluster.
        #[arg(long)]
        clusters: PathBuf,
    },
    /// How often the live duplicate check finds a stored company from part of its name (brand
    /// alone, region + brand, brand + industry start, no region, every keystroke).
    NamesEval(names_eval::Options),
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Company,
    Person,
}

fn column_map(path: &PathBuf, key: &str, value: &str) -> Result<HashMap<String, String>> {
    let mut rdr =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let headers = rdr.headers()?.clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
    };
    let (Some(k), Some(v)) = (find(key), find(value)) else {
        bail!(
            "{} needs the columns {key} and {value}; it has {:?}",
            path.display(),
            headers
        );
    };
    let mut out = HashMap::new();
    for (n, rec) in rdr.records().enumerate() {
        let rec = rec.with_context(|| format!("{} row {}", path.display(), n + 2))?;
        out.insert(
            rec.get(k).unwrap_or_default().to_string(),
            rec.get(v).unwrap_or_default().to_string(),
        );
    }
    Ok(out)
}

fn main() -> Result<()> {
    match Cli::parse() {
        Cli::Generate {
            kind,
            entities,
            dup_rate,
            hard_negatives,
            seed,
            out,
        } => {
            let kind = match kind {
                KindArg::Company => Kind::Company,
                KindArg::Person => Kind::Person,
            };
            let mut cfg = Config::new(kind, entities, seed);
            cfg.dup_rate = dup_rate;
            cfg.hard_negative_rate = hard_negatives;
            let rows = dataset::generate(&cfg);
            let mut w = csv::Writer::from_path(&out)
                .with_context(|| format!("cannot write {}", out.display()))?;
            w.write_record(dataset::headers(kind))?;
            for r in &rows {
                w.write_record(dataset::record(kind, r))?;
            }
            w.flush()?;
            eprintln!(
                "wrote {} rows for {entities} customers to {}",
                rows.len(),
                out.display()
            );
        }
        Cli::Eval {
            truth,
            truth_column,
            clusters,
        } => {
            let truth = column_map(&truth, "id", &truth_column)?;
            let predicted = column_map(&clusters, "id", "cluster")?;
            let s = eval::pairwise(&truth, &predicted);
            println!(
                "records {}  true pairs {}  predicted pairs {}  correct {}",
                truth.len(),
                s.true_pairs,
                s.predicted_pairs,
                s.correct_pairs
            );
            println!(
                "precision {:.4}  recall {:.4}  F1 {:.4}",
                s.precision, s.recall, s.f1
            );
        }
        Cli::NamesEval(opts) => names_eval::run(&opts)?,
    }
    Ok(())
}
