//! `leadguard import`: customers from a CSV (UTF-8, UTF-8 with BOM, GB18030/GBK) or XLSX file,
//! each row checked against the database and the rows before it, owned by one rep. Rows are
//! saved in batches, each batch one transaction with the same check and records as an entry in
//! the UI; a result line is written only once its batch is committed, so a crash leaves
//! the rows reported as done (or nothing), and running the file again creates nothing twice: rows
//! already in are reported as duplicates of themselves.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use leadguard_domain::keys::MatchKey;
use leadguard_matching::{Matcher, Profile, Verdict, WeightedMatcher};
use leadguard_service::{RowResult, Service, ServiceError};
use leadguard_tabular::{Mapping, read_path};

#[derive(Args)]
pub struct ImportArgs {
    /// The file: .csv (UTF-8 or GB18030/GBK) or .xlsx (first sheet).
    file: PathBuf,
    /// Username of the rep who will own the imported customers.
    #[arg(long)]
    owner: String,
    /// Where to write the result of every row (default: FILE.result.csv beside the input).
    #[arg(long)]
    result: Option<PathBuf>,
    /// Check every row and write the result, but save nothing.
    #[arg(long)]
    dry_run: bool,
    /// Column meanings where the header is not recognized: `col=field,…` (col: header or
    /// 1-based number; fields: name, phone, email, website, credit_code, address, contact,
    /// province, city, industry, source, size, ignore, …).
    #[arg(long, value_delimiter = ',')]
    mapping: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Status {
    Created,
    Duplicate,
    Suspected,
    Error,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Duplicate => "duplicate",
            Status::Suspected => "suspected",
            Status::Error => "error",
        }
    }
}

/// One line of the result file.
struct Outcome {
    status: Status,
    customer_id: Option<i64>,
    matched: Option<i64>,
    owner: String,
    message: String,
}

impl Outcome {
    fn error(message: String) -> Outcome {
        Outcome {
            status: Status::Error,
            customer_id: None,
            matched: None,
            owner: String::new(),
            message,
        }
    }
}

/// Rows of the file that a dry run would create, to check later rows against.
#[derive(Default)]
struct FileIndex {
    profiles: Vec<(usize, Profile)>,
    by_key: HashMap<MatchKey, Vec<usize>>,
}

impl FileIndex {
    fn best_match(&self, matcher: &WeightedMatcher, p: &Profile) -> Option<(usize, Verdict)> {
        let mut seen = std::collections::HashSet::new();
        let mut best: Option<(usize, Verdict, f64)> = None;
        for k in p.query_keys() {
            for &i in self.by_key.get(&k).into_iter().flatten() {
                if !seen.insert(i) {
                    continue;
                }
                let (row, other) = &self.profiles[i];
                let c = matcher.compare(p, other);
                if c.verdict != Verdict::Distinct
                    && best
                        .as_ref()
                        .is_none_or(|b| (c.verdict, c.score) > (b.1, b.2))
                {
                    best = Some((*row, c.verdict, c.score));
                }
            }
        }
        best.map(|(r, v, _)| (r, v))
    }

    fn add(&mut self, row: usize, p: Profile) {
        let i = self.profiles.len();
        for k in p.index_keys() {
            self.by_key.entry(k).or_default().push(i);
        }
        self.profiles.push((row, p));
    }
}

pub async fn import(service: &Service, args: &ImportArgs) -> Result<()> {
    let table = read_path(&args.file)?;
    let mapping = Mapping::new(&table.headers, &args.mapping, None)
        .map_err(|e| anyhow::anyhow!("{}", e.to_string().replace("--fields", "--mapping")))?;
    let owner = {
        let mut conn = service.store().read().await?;
        conn.exec()
            .user_by_username(args.owner.trim())
            .await?
            .with_context(|| format!("--owner: there is no user named {}", args.owner.trim()))?
    };
    if !owner.active {
        bail!(
            "--owner: {} is deactivated and cannot own customers",
            owner.username
        );
    }
    service.refresh_population().await?;
    let result_path = args.result.clone().unwrap_or_else(|| {
        let mut p = args.file.clone().into_os_string();
        p.push(".result.csv");
        PathBuf::from(p)
    });
    let mut out = csv::Writer::from_path(&result_path)
        .with_context(|| format!("cannot write {}", result_path.display()))?;
    out.write_record([
        "row",
        "status",
        "customer_id",
        "matched_customer_id",
        "owner",
        "message",
    ])?;

    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::new(table.rows.len() as u64);
        b.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} rows {per_sec} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let matcher = WeightedMatcher::default();
    let mut index = FileIndex::default();
    let mut counts: HashMap<Status, usize> = HashMap::new();
    // Rows count from 1 at the first data row (the spreadsheet shows it as row 2, under the
    // header).
    for (chunk_no, chunk) in table.rows.chunks(BATCH).enumerate() {
        let first_row = chunk_no * BATCH + 1;
        let outcomes: Vec<Outcome> = if args.dry_run {
            let mut v = Vec::with_capacity(chunk.len());
            for (i, cells) in chunk.iter().enumerate() {
                v.push(
                    dry_run_row(
                        service,
                        &owner,
                        &mapping,
                        &table.headers,
                        &matcher,
                        &mut index,
                        cells,
                        first_row + i,
                    )
                    .await?,
                );
            }
            v
        } else {
            let fields: Vec<_> = chunk.iter().map(|c| mapping.record(c)).collect();
            match service.create_customers_batch(&owner, fields).await {
                Ok(results) => results
                    .into_iter()
                    .zip(chunk)
                    .enumerate()
                    .map(|(i, (r, cells))| {
                        row_outcome(
                            r,
                            &owner.username,
                            &mapping,
                            cells,
                            &table.headers,
                            first_row + i,
                        )
                    })
                    .collect(),
                // Someone took an identifier of this batch meanwhile: nothing of it was saved;
                // enter its rows one at a time instead.
                Err(ServiceError::Conflict {
                    code: "batch_conflict",
                    ..
                }) => {
                    let mut v = Vec::with_capacity(chunk.len());
                    for (i, cells) in chunk.iter().enumerate() {
                        v.push(
                            single_row(
                                service,
                                &owner,
                                &mapping,
                                &table.headers,
                                cells,
                                first_row + i,
                            )
                            .await?,
                        );
                    }
                    v
                }
                Err(e) => bail!(
                    "rows {first_row}–{}: {e}; the rows before them are saved, run the import again to finish",
                    first_row + chunk.len() - 1
                ),
            }
        };
        // Written after the batch committed: every line reported is saved.
        for (i, o) in outcomes.into_iter().enumerate() {
            *counts.entry(o.status).or_default() += 1;
            out.write_record([
                (first_row + i).to_string(),
                o.status.as_str().to_string(),
                o.customer_id.map(|x| x.to_string()).unwrap_or_default(),
                o.matched.map(|x| x.to_string()).unwrap_or_default(),
                o.owner,
                o.message,
            ])?;
        }
        out.flush()?;
        bar.inc(chunk.len() as u64);
    }
    out.flush()?;
    bar.finish_and_clear();
    let n = |s: Status| counts.get(&s).copied().unwrap_or(0);
    eprintln!("results: {}", result_path.display());
    println!(
        "created {}, duplicate {}, suspected {}, error {}",
        n(Status::Created),
        n(Status::Duplicate),
        n(Status::Suspected),
        n(Status::Error)
    );
    Ok(())
}

/// Rows entered per transaction: large enough to spread the cost of a commit, small enough
/// that other writers wait only briefly for the keys it locks.
const BATCH: usize = 500;

fn duplicate_outcome(matches: &[leadguard_service::views::MatchView]) -> Outcome {
    let m = matches.first();
    let holder = m
        .and_then(|m| m.owner.as_ref().map(|o| o.username.clone()))
        .unwrap_or_default();
    Outcome {
        status: Status::Duplicate,
        customer_id: None,
        matched: m.map(|m| m.customer_id),
        message: match m {
            Some(m) if holder.is_empty() => {
                format!(
                    "duplicate of customer #{} ({}), in the public pool",
                    m.customer_id, m.name
                )
            }
            Some(m) => format!(
                "duplicate of customer #{} ({}) owned by {holder}",
                m.customer_id, m.name
            ),
            None => "duplicate".into(),
        },
        owner: holder,
    }
}

fn created_outcome(
    id: i64,
    suspected: Option<&leadguard_service::views::MatchView>,
    owner: &str,
) -> Outcome {
    match suspected {
        Some(m) => Outcome {
            status: Status::Suspected,
            customer_id: Some(id),
            matched: Some(m.customer_id),
            owner: owner.to_string(),
            message: format!(
                "created; looks like customer #{} ({})",
                m.customer_id, m.name
            ),
        },
        None => Outcome {
            status: Status::Created,
            customer_id: Some(id),
            matched: None,
            owner: owner.to_string(),
            message: String::new(),
        },
    }
}

fn row_outcome(
    r: RowResult,
    owner: &str,
    mapping: &Mapping,
    cells: &[String],
    headers: &[String],
    row: usize,
) -> Outcome {
    match r {
        RowResult::Created { id, suspected } => created_outcome(id, suspected.as_ref(), owner),
        RowResult::Duplicate { matches } => duplicate_outcome(&matches),
        RowResult::Invalid(fields) => {
            Outcome::error(field_errors(&fields, mapping, cells, headers, row))
        }
        RowResult::CapReached { cap } => Outcome::error(format!(
            "row {row}: {owner} already owns {cap} customers, the most allowed"
        )),
    }
}

/// One row through the single-entry use case (the fallback when a batch conflicts).
async fn single_row(
    service: &Service,
    owner: &leadguard_domain::user::User,
    mapping: &Mapping,
    headers: &[String],
    cells: &[String],
    row: usize,
) -> Result<Outcome> {
    match service.create_customer(owner, mapping.record(cells)).await {
        Ok(created) => Ok(created_outcome(
            created.customer.id,
            created.suspected.first(),
            &owner.username,
        )),
        Err(ServiceError::Duplicate { matches }) => Ok(duplicate_outcome(&matches)),
        Err(e) => describe_error(e, mapping, cells, headers, row),
    }
}

#[allow(clippy::too_many_arguments)]
async fn dry_run_row(
    service: &Service,
    owner: &leadguard_domain::user::User,
    mapping: &Mapping,
    headers: &[String],
    matcher: &WeightedMatcher,
    index: &mut FileIndex,
    cells: &[String],
    row: usize,
) -> Result<Outcome> {
    let fields = mapping.record(cells);
    let check = match service.check_customer(owner, fields.clone()).await {
        Ok(c) => c,
        Err(e) => return describe_error(e, mapping, cells, headers, row),
    };
    let in_db = check.matches.first();
    let profile = matcher.profile(&fields.tidy()).ok();
    let in_file = profile.as_ref().and_then(|p| index.best_match(matcher, p));
    Ok(match (in_db, in_file) {
        (Some(m), _) if m.verdict == Verdict::Duplicate => duplicate_outcome(&check.matches),
        (_, Some((r, Verdict::Duplicate))) => Outcome {
            status: Status::Duplicate,
            customer_id: None,
            matched: None,
            owner: owner.username.clone(),
            message: format!("duplicate of row {r} of this file"),
        },
        (in_db, in_file) => {
            if let Some(p) = profile {
                index.add(row, p);
            }
            let suspect = in_db
                .map(|m| format!("looks like customer #{} ({})", m.customer_id, m.name))
                .or_else(|| in_file.map(|(r, _)| format!("looks like row {r} of this file")));
            Outcome {
                status: if suspect.is_some() {
                    Status::Suspected
                } else {
                    Status::Created
                },
                customer_id: None,
                matched: in_db.map(|m| m.customer_id),
                owner: owner.username.clone(),
                message: format!(
                    "dry run: would be created{}",
                    suspect.map(|s| format!("; {s}")).unwrap_or_default()
                ),
            }
        }
    })
}

fn field_errors(
    fields: &[leadguard_domain::customer::FieldError],
    mapping: &Mapping,
    cells: &[String],
    headers: &[String],
    row: usize,
) -> String {
    fields
        .iter()
        .map(|f| match mapping.column_of(cells, &f.field) {
            Some(c) => format!(
                "row {row}, column {} ({}): {}",
                c + 1,
                headers.get(c).map(String::as_str).unwrap_or(""),
                f.message
            ),
            None => format!("row {row}, {}: {}", f.field, f.message),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A row's refusal in words that name the row and the column; errors that are not about the
/// row (the database went away) stop the import.
fn describe_error(
    e: ServiceError,
    mapping: &Mapping,
    cells: &[String],
    headers: &[String],
    row: usize,
) -> Result<Outcome> {
    match e {
        ServiceError::Invalid(fields) => Ok(Outcome::error(field_errors(
            &fields, mapping, cells, headers, row,
        ))),
        ServiceError::OwnerCapReached { username, cap, .. } => Ok(Outcome::error(format!(
            "row {row}: {username} already owns {cap} customers, the most allowed"
        ))),
        e @ (ServiceError::Unavailable(_) | ServiceError::Internal(_)) => Err(anyhow::anyhow!(
            "row {row}: {e}; rows before it are saved, run the import again to finish"
        )),
        e => Ok(Outcome::error(format!("row {row}: {e}"))),
    }
}
