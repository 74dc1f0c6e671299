//! `leadguard import`: customers from a CSV (UTF-8, UTF-8 with BOM, GB18030/GBK) or XLSX file,
//! each row checked against the database and the rows before it, owned by one rep. Rows are
//! saved in batches, each batch one transaction with the same check and records as an entry in
//! the UI; a result line is written only once its batch is committed, so a crash leaves
//! the rows reported as done (or nothing), and running the file again creates nothing twice: rows
//! already in are reported as duplicates of themselves.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use leadguard_domain::user::Role;
use leadguard_service::import::{ImportFile, ImportSummary, Importer, RESULT_HEADER};
use leadguard_service::migration::{DefaultOwner, ImportOptions};
use leadguard_service::{Service, ServiceError};
use leadguard_tabular::read_path;

#[derive(Args)]
pub struct ImportArgs {
    /// The file: .csv (UTF-8 or GB18030/GBK) or .xlsx (first sheet).
    file: PathBuf,
    /// Username of the rep who owns the rows the file gives no owner (all rows, if it has no
    /// owner column: 负责人, 销售, Account Owner, …).
    #[arg(long)]
    owner: Option<String>,
    /// Put the rows the file gives no owner (all rows, if it has no owner column) in the
    /// public pool.
    #[arg(long, conflicts_with_all = ["owner", "assign"])]
    to_pool: bool,
    /// Give each new customer the file gives no owner to a rep by the assignment rules, as
    /// an inbound lead would be (the pool when no rule applies).
    #[arg(long, conflicts_with = "owner")]
    assign: bool,
    /// Let a migration give reps more customers than their cap; the summary lists every
    /// owner left over it. Without it a row over its owner's cap is an error.
    #[arg(long)]
    ignore_cap: bool,
    /// Where to write the result of every row (default: FILE.result.csv beside the input).
    #[arg(long)]
    result: Option<PathBuf>,
    /// Check every row and write the result, but save nothing.
    #[arg(long)]
    dry_run: bool,
    /// Column meanings where the header is not recognized: `col=field,…` (col: header or
    /// 1-based number; fields: name, phone, email, website, credit_code, address, contact,
    /// province, city, industry, source, size, note, owner, created_at, team, ignore, …).
    #[arg(long, value_delimiter = ',')]
    mapping: Vec<String>,
    /// Rows per transaction. Larger batches import faster (fewer index pages written per
    /// row); on SQLite other writers (reps entering customers meanwhile) wait for the batch
    /// being saved, about a second for 5,000 rows.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..=50_000))]
    batch_rows: u32,
}

pub async fn import(service: &Service, args: &ImportArgs) -> Result<()> {
    let table = read_path(&args.file)?;
    let file = ImportFile::new(table, &args.mapping).map_err(|e| match e {
        ServiceError::Invalid(errs) => anyhow::anyhow!(
            "--mapping: {}",
            errs.iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        e => e.into(),
    })?;
    let options = options(service, args, &file).await?;
    service.refresh_population().await?;
    let result_path = args.result.clone().unwrap_or_else(|| {
        let mut p = args.file.clone().into_os_string();
        p.push(".result.csv");
        PathBuf::from(p)
    });
    let mut out = csv::Writer::from_path(&result_path)
        .with_context(|| format!("cannot write {}", result_path.display()))?;
    out.write_record(RESULT_HEADER)?;

    let total = file.rows.len();
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::new(total as u64);
        b.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} rows {per_sec} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let mut importer = Importer::migrate(service, options, &file, args.dry_run).await?;
    let mut summary = ImportSummary::default();
    let mut start = 0;
    while start < total {
        let end = (start + args.batch_rows as usize).min(total);
        let outcomes = importer.batch(start, end).await.map_err(|e| {
            anyhow::anyhow!(
                "rows {}–{end}: {e}; the rows before them are saved, run the import again to finish",
                start + 1
            )
        })?;
        // Written after the batch committed: every line reported is saved.
        for o in &outcomes {
            out.write_record(o.record())?;
        }
        out.flush()?;
        summary.add(&outcomes);
        bar.inc((end - start) as u64);
        start = end;
    }
    bar.finish_and_clear();
    eprintln!("results: {}", result_path.display());
    if args.ignore_cap && !args.dry_run {
        for (username, owned, cap) in importer.owners_over_cap().await? {
            println!("over cap: {username} owns {owned} customers, cap {cap}");
        }
    }
    println!("{summary}");
    Ok(())
}

/// Who gets the rows, from the options and the file's columns.
async fn options(service: &Service, args: &ImportArgs, file: &ImportFile) -> Result<ImportOptions> {
    let mut conn = service.store().read().await?;
    let owner = match &args.owner {
        Some(name) => {
            let u = conn
                .exec()
                .user_by_username(name.trim())
                .await?
                .with_context(|| format!("--owner: there is no user named {}", name.trim()))?;
            if !u.active {
                bail!(
                    "--owner: {} is deactivated and cannot own customers",
                    u.username
                );
            }
            Some(u)
        }
        None => None,
    };
    let default = match (owner.clone(), args.to_pool, args.assign) {
        (Some(u), _, _) => DefaultOwner::Rep(u),
        (None, true, _) => DefaultOwner::Pool,
        (None, _, true) => DefaultOwner::Assign,
        (None, false, false) if file.has_owners() => DefaultOwner::Pool,
        (None, false, false) => bail!(
            "say who owns the rows: --owner USER, --to-pool or --assign (or give the file an owner column: 负责人, 销售, owner)"
        ),
    };
    // Who runs the import: the default owner, or else an administrator, or else the built-in
    // system user (the creator of the rows that go to the pool or the rules).
    let actor = match owner {
        Some(u) => u,
        None => {
            let admin = conn
                .exec()
                .list_users(None)
                .await?
                .into_iter()
                .find(|u| u.active && u.role == Role::Admin);
            match admin {
                Some(a) => a,
                None => conn
                    .exec()
                    .user_by_username("_system")
                    .await?
                    .context("the database has no administrator and no _system user: run `leadguard migrate`")?,
            }
        }
    };
    Ok(ImportOptions {
        actor,
        default,
        ignore_cap: args.ignore_cap,
        // Whoever runs the binary has the database's own access.
        migration: true,
    })
}
