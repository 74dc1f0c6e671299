//! `leadguard import`: customers from a CSV (UTF-8, UTF-8 with BOM, GB18030/GBK) or XLSX file,
//! each row checked against the database and the rows before it, owned by one rep. Every row
//! is saved in its own transaction (the same use case as an entry in the UI), so a crash leaves
//! whole rows or nothing, and running the file again creates nothing twice: rows already in
//! are reported as duplicates of themselves.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use leadguard_domain::keys::MatchKey;
use leadguard_matching::{Matcher, Profile, Verdict, WeightedMatcher};
use leadguard_service::{Service, ServiceError};
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
    for (i, cells) in table.rows.iter().enumerate() {
        // Rows count from 1 at the first data row; the spreadsheet shows it one lower (the
        // header is its row 1).
        let row = i + 1;
        let fields = mapping.record(cells);
        let outcome = if args.dry_run {
            match service.check_customer(&owner, fields.clone()).await {
                Err(e) => describe_error(e, &mapping, cells, &table.headers, row)?,
                Ok(check) => {
                    let in_db = check.matches.first();
                    let profile = matcher.profile(&fields.clone().tidy()).ok();
                    let in_file = profile.as_ref().and_then(|p| index.best_match(&matcher, p));
                    match (in_db, in_file) {
                        (Some(m), _) if m.verdict == Verdict::Duplicate => Outcome {
                            status: Status::Duplicate,
                            customer_id: None,
                            matched: Some(m.customer_id),
                            owner: m
                                .owner
                                .as_ref()
                                .map(|o| o.username.clone())
                                .unwrap_or_default(),
                            message: format!(
                                "duplicate of customer #{} ({})",
                                m.customer_id, m.name
                            ),
                        },
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
                                .map(|m| {
                                    format!("looks like customer #{} ({})", m.customer_id, m.name)
                                })
                                .or_else(|| {
                                    in_file.map(|(r, _)| format!("looks like row {r} of this file"))
                                });
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
                    }
                }
            }
        } else {
            match service.create_customer(&owner, fields).await {
                Ok(created) => match created.suspected.first() {
                    Some(m) => Outcome {
                        status: Status::Suspected,
                        customer_id: Some(created.customer.id),
                        matched: Some(m.customer_id),
                        owner: owner.username.clone(),
                        message: format!(
                            "created; looks like customer #{} ({})",
                            m.customer_id, m.name
                        ),
                    },
                    None => Outcome {
                        status: Status::Created,
                        customer_id: Some(created.customer.id),
                        matched: None,
                        owner: owner.username.clone(),
                        message: String::new(),
                    },
                },
                Err(ServiceError::Duplicate { matches }) => {
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
                Err(e) => describe_error(e, &mapping, cells, &table.headers, row)?,
            }
        };
        *counts.entry(outcome.status).or_default() += 1;
        out.write_record([
            row.to_string(),
            outcome.status.as_str().to_string(),
            outcome
                .customer_id
                .map(|x| x.to_string())
                .unwrap_or_default(),
            outcome.matched.map(|x| x.to_string()).unwrap_or_default(),
            outcome.owner,
            outcome.message,
        ])?;
        bar.inc(1);
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
        ServiceError::Invalid(fields) => Ok(Outcome::error(
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
                .join("; "),
        )),
        ServiceError::OwnerCapReached { username, cap, .. } => Ok(Outcome::error(format!(
            "row {row}: {username} already owns {cap} customers, the most allowed"
        ))),
        e @ (ServiceError::Unavailable(_) | ServiceError::Internal(_)) => Err(anyhow::anyhow!(
            "row {row}: {e}; rows before it are saved, run the import again to finish"
        )),
        e => Ok(Outcome::error(format!("row {row}: {e}"))),
    }
}
