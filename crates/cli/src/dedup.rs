//! `leadguard dedup`: duplicate groups in a CSV/XLSX file (no database needed) or in the whole
//! customer database.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use leadguard_domain::customer::CustomerKind;
use leadguard_matching::batch::{self, Stage};
use leadguard_matching::compare;
use leadguard_matching::{Model, Profile};
use leadguard_service::Service;
use leadguard_tabular::{Mapping, read_path};
use rayon::prelude::*;

#[derive(Args)]
pub struct DedupArgs {
    /// CSV (UTF-8 or GB18030/GBK) or XLSX file; without it, the customer database is scanned.
    #[arg(long)]
    input: Option<PathBuf>,
    /// Where to write `id,cluster` (the input's id column, or the row number counting data rows
    /// from 1; the cluster is named by its first record's id).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Column types where the header is not recognized: `col=type,…` (col: header or 1-based
    /// number; types: id, name, phone, email, website, credit_code, address, contact,
    /// first_name, last_name, birth_date, postcode, id_number, province, city, industry,
    /// source, size, ignore).
    #[arg(long, value_delimiter = ',')]
    fields: Vec<String>,
    /// Also write the matching pairs: `id_a,id_b,probability` (and `reasons` with --explain).
    #[arg(long)]
    pairs: Option<PathBuf>,
    /// Explain every match field by field (in the pairs file; on the terminal without one).
    #[arg(long)]
    explain: bool,
    /// Records are companies or people; guessed from the columns when not given.
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    /// Pairs at or above this probability are the same customer.
    #[arg(long, default_value_t = 0.5)]
    threshold: f64,
    /// Use the model as given instead of estimating it from the records (EM).
    #[arg(long)]
    no_train: bool,
    /// Start from this model (JSON written by --save-model) instead of the defaults.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Write the model used (estimated or given) as JSON.
    #[arg(long)]
    save_model: Option<PathBuf>,
    /// Instead of the engine, group records that share an exact normalized phone, e-mail,
    /// credit code, identity number or stripped name (a baseline for comparisons).
    #[arg(long)]
    rules_only: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Company,
    Person,
}

/// A progress bar on a terminal; nothing otherwise.
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:<22} [{bar:30}] {pos}/{len} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn stage_name(s: Stage) -> &'static str {
    match s {
        Stage::Blocking => "finding candidates",
        Stage::Training => "estimating the model",
        Stage::Scoring => "scoring pairs",
        Stage::Clustering => "grouping",
    }
}

fn load_model(args: &DedupArgs) -> Result<Model> {
    match &args.model {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let model: Model = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a model file", path.display()))?;
            model
                .validate()
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            Ok(model)
        }
        None => Ok(Model::default()),
    }
}

fn check_threshold(t: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&t) || t == 0.0 {
        bail!("--threshold must be a probability above 0 and at most 1, not {t}");
    }
    Ok(())
}

struct Run {
    outcome: batch::Outcome,
    elapsed: Duration,
}

fn run_batch(profiles: &[Profile], args: &DedupArgs, base: &Model) -> Run {
    let bar = progress_bar();
    let started = Instant::now();
    let opts = batch::Options {
        threshold: args.threshold,
        train: !args.no_train,
        ..Default::default()
    };
    let last = std::sync::Mutex::new((None::<Stage>, Instant::now()));
    let outcome = batch::dedup(profiles, base, &opts, &|stage, done, total| {
        if let Ok(mut l) = last.lock()
            && l.0 != Some(stage)
        {
            if let Some(prev) = l.0 {
                tracing::debug!(
                    stage = stage_name(prev),
                    seconds = l.1.elapsed().as_secs_f64(),
                    "dedup stage done"
                );
            }
            *l = (Some(stage), Instant::now());
        }
        bar.set_message(stage_name(stage));
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    Run {
        outcome,
        elapsed: started.elapsed(),
    }
}

fn write_model(args: &DedupArgs, model: &Model) -> Result<()> {
    if let Some(path) = &args.save_model {
        std::fs::write(path, serde_json::to_string_pretty(model)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn explanation(model: &Model, a: &Profile, b: &Profile) -> String {
    let c = compare::compare(model, 1.0, 1.0, a, b);
    c.reasons
        .iter()
        .map(|r| r.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

fn write_pairs(
    path: &Path,
    ids: &[String],
    profiles: &[Profile],
    outcome: &batch::Outcome,
    explain: bool,
) -> Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    if explain {
        w.write_record(["id_a", "id_b", "probability", "reasons"])?;
    } else {
        w.write_record(["id_a", "id_b", "probability"])?;
    }
    for p in &outcome.pairs {
        let (a, b) = (p.a as usize, p.b as usize);
        let prob = format!("{:.4}", p.probability);
        if explain {
            w.write_record([
                &ids[a],
                &ids[b],
                &prob,
                &explanation(&outcome.model, &profiles[a], &profiles[b]),
            ])?;
        } else {
            w.write_record([&ids[a], &ids[b], &prob])?;
        }
    }
    w.flush()?;
    Ok(())
}

/// Groups of more than one record, largest first, members in input order.
fn groups(clusters: &[u32]) -> Vec<Vec<usize>> {
    let mut by_label: std::collections::BTreeMap<u32, Vec<usize>> =
        std::collections::BTreeMap::new();
    for (i, &c) in clusters.iter().enumerate() {
        by_label.entry(c).or_default().push(i);
    }
    let mut out: Vec<Vec<usize>> = by_label.into_values().filter(|g| g.len() > 1).collect();
    out.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
    out
}

fn print_groups_explained(
    names: &[String],
    ids: &[String],
    profiles: &[Profile],
    outcome: &batch::Outcome,
    limit: usize,
) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for g in groups(&outcome.clusters).into_iter().take(limit) {
        let head = g[0];
        writeln!(out, "{} {}", ids[head], names[head])?;
        for &m in &g[1..] {
            writeln!(
                out,
                "  = {} {}  ({})",
                ids[m],
                names[m],
                explanation(&outcome.model, &profiles[head], &profiles[m])
            )?;
        }
    }
    Ok(())
}

fn summary(records: usize, run: &Run) {
    let g = groups(&run.outcome.clusters);
    let in_groups: usize = g.iter().map(Vec::len).sum();
    let s = &run.outcome.stats;
    eprintln!(
        "{records} records, {} candidate pairs, {} matching pairs, {} duplicate groups covering {in_groups} records ({:.1?})",
        s.candidate_pairs,
        run.outcome.pairs.len(),
        g.len(),
        run.elapsed
    );
    match &run.outcome.training {
        Some(t) if t.sessions > 0 => eprintln!(
            "model: estimated from the data (EM, {} sessions, {} iterations, {} candidate and {} random pairs; about {:.0} duplicate pairs expected)",
            t.sessions,
            t.iterations,
            t.candidate_pairs_used,
            t.random_pairs_used,
            t.expected_matches
        ),
        Some(_) => eprintln!(
            "model: defaults (too few records or candidate pairs to estimate it from the data)"
        ),
        None => eprintln!("model: as given ({})", run.outcome.model.trained_on),
    }
}

/// Rows profiled at a time.
const PROFILE_CHUNK: usize = 50_000;

fn write_clusters(out: &Path, ids: &[String], clusters: &[u32]) -> Result<()> {
    let mut w =
        csv::Writer::from_path(out).with_context(|| format!("cannot write {}", out.display()))?;
    w.write_record(["id", "cluster"])?;
    for (i, &c) in clusters.iter().enumerate() {
        w.write_record([&ids[i], &ids[c as usize]])?;
    }
    w.flush()?;
    Ok(())
}

pub fn dedup_file(input: &Path, args: &DedupArgs) -> Result<()> {
    check_threshold(args.threshold)?;
    let out = args
        .out
        .as_ref()
        .context("--out is required with --input")?;
    let base = load_model(args)?;
    let mut table = read_path(input)?;
    let kind = args.kind.map(|k| match k {
        KindArg::Company => CustomerKind::Company,
        KindArg::Person => CustomerKind::Person,
    });
    let mapping = Mapping::new(&table.headers, &args.fields, kind)?;
    let id_col = mapping.id_column();
    let ids: Vec<String> = table
        .rows
        .iter()
        .enumerate()
        .map(
            |(i, row)| match id_col.and_then(|c| row.get(c)).filter(|v| !v.is_empty()) {
                Some(v) => v.clone(),
                None => (i + 1).to_string(),
            },
        )
        .collect();
    tracing::debug!(rows = table.rows.len(), "file read");
    let names: Option<Vec<String>> = (args.explain && args.pairs.is_none())
        .then(|| table.rows.iter().map(|r| mapping.record(r).name).collect());
    // Profiles a chunk of rows at a time, each chunk's cells freed once profiled: a million
    // rows of cells are a gigabyte that the profiles need not share the memory with.
    let mut profiles: Vec<Profile> = Vec::with_capacity(table.rows.len());
    let mut rows = std::mem::take(&mut table.rows).into_iter();
    let mut invalid = 0;
    loop {
        let chunk: Vec<Vec<String>> = rows.by_ref().take(PROFILE_CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        let first_row = profiles.len();
        let built: Vec<(Profile, Vec<leadguard_domain::FieldError>)> = chunk
            .par_iter()
            .map(|row| Profile::build_lenient(&mapping.record(row)))
            .collect();
        for (i, (profile, errors)) in built.into_iter().enumerate() {
            for e in errors {
                invalid += 1;
                if invalid <= 10 {
                    let column = mapping
                        .column_of(&chunk[i], &e.field)
                        .map(|c| {
                            format!(
                                "column {} ({})",
                                c + 1,
                                table.headers.get(c).map(String::as_str).unwrap_or("")
                            )
                        })
                        .unwrap_or_else(|| e.field.clone());
                    eprintln!(
                        "{}: row {}, {column}: {} — ignored",
                        input.display(),
                        first_row + i + 2,
                        e.message
                    );
                }
            }
            profiles.push(profile);
        }
    }
    if invalid > 10 {
        eprintln!("… {} more invalid values ignored", invalid - 10);
    }
    drop(rows);
    tracing::debug!("profiles built");
    if args.rules_only {
        let started = Instant::now();
        let clusters = batch::rules_baseline(&profiles);
        write_clusters(out, &ids, &clusters)?;
        eprintln!(
            "{} records, {} duplicate groups by exact rules ({:.1?})",
            profiles.len(),
            groups(&clusters).len(),
            started.elapsed()
        );
        return Ok(());
    }
    let run = run_batch(&profiles, args, &base);
    write_clusters(out, &ids, &run.outcome.clusters)?;
    if let Some(pairs) = &args.pairs {
        write_pairs(pairs, &ids, &profiles, &run.outcome, args.explain)?;
    } else if let Some(names) = &names {
        print_groups_explained(names, &ids, &profiles, &run.outcome, 200)?;
    }
    write_model(args, &run.outcome.model)?;
    summary(profiles.len(), &run);
    Ok(())
}

pub async fn dedup_database(service: &Service, args: &DedupArgs) -> Result<()> {
    check_threshold(args.threshold)?;
    let base = load_model(args)?;
    service
        .reindex()
        .await
        .context("rebuilding match profiles")?;
    let mut ids: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut owners: Vec<String> = Vec::new();
    let mut profiles: Vec<Profile> = Vec::new();
    let mut after = 0;
    loop {
        let mut conn = service.store().read().await?;
        let page = conn.exec().match_profiles(after, 10_000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for p in page {
            let profile: Profile = serde_json::from_str(&p.profile)
                .with_context(|| format!("customer {}: unreadable match profile", p.id))?;
            ids.push(p.id.to_string());
            names.push(p.name);
            owners.push(p.owner.unwrap_or_default());
            profiles.push(profile);
        }
    }
    let run = run_batch(&profiles, args, &base);
    if let Some(out) = &args.out {
        let mut w = csv::Writer::from_path(out)
            .with_context(|| format!("cannot write {}", out.display()))?;
        w.write_record(["customer_id", "group", "name", "owner"])?;
        for g in groups(&run.outcome.clusters) {
            for &m in &g {
                w.write_record([&ids[m], &ids[g[0]], &names[m], &owners[m]])?;
            }
        }
        w.flush()?;
    }
    if let Some(pairs) = &args.pairs {
        write_pairs(pairs, &ids, &profiles, &run.outcome, args.explain)?;
    }
    if args.out.is_none() || args.explain {
        print_groups_explained(&names, &ids, &profiles, &run.outcome, 200)?;
    }
    write_model(args, &run.outcome.model)?;
    summary(profiles.len(), &run);
    Ok(())
}

impl DedupArgs {
    pub fn input(&self) -> Option<&Path> {
        self.input.as_deref()
    }
}
