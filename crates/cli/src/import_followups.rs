//! `leadguard import-followups`: follow-up history (跟进记录) from another CRM or a spreadsheet,
//! CSV (UTF-8, UTF-8 with BOM, GB18030/GBK) or XLSX, attached to customers already imported.
//! Each row's customer is found by its record id in the old CRM (the id column of `leadguard
//! import`), credit code, phone or exact name. A batch of rows is one transaction, and its
//! result lines are written once it is committed; running the file again creates nothing
//! (rows already in are duplicates).

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use leadguard_service::followup_import::{
    FOLLOWUP_BATCH_ROWS, FOLLOWUP_RESULT_HEADER, FollowupFile, FollowupImporter, FollowupSummary,
};
use leadguard_service::{Service, ServiceError};
use leadguard_tabular::read_path;

#[derive(Args)]
pub struct ImportFollowupsArgs {
    /// The file: .csv (UTF-8 or GB18030/GBK) or .xlsx (first sheet).
    file: PathBuf,
    /// Where to write the result of every row (default: FILE.result.csv beside the input).
    #[arg(long)]
    result: Option<PathBuf>,
    /// Match every row and write the result, but save nothing.
    #[arg(long)]
    dry_run: bool,
    /// Column meanings where the header is not recognized: `col=field,…` (col: header or
    /// 1-based number; fields: customer_id, customer, phone, credit_code, time, author,
    /// kind, note, ignore).
    #[arg(long, value_delimiter = ',')]
    mapping: Vec<String>,
    /// Username that writes the rows whose author (跟进人, Assigned To) is no Leadguard user;
    /// the name from the file is kept at the start of the note. Default: the first active
    /// admin.
    #[arg(long)]
    author: Option<String>,
    /// Rows per transaction.
    #[arg(long, default_value_t = FOLLOWUP_BATCH_ROWS as u32, value_parser = clap::value_parser!(u32).range(1..=50_000))]
    batch_rows: u32,
}

/// An `Invalid` error as the options it is about.
fn option_error(e: ServiceError) -> anyhow::Error {
    match e {
        ServiceError::Invalid(errs) => anyhow::anyhow!(
            errs.iter()
                .map(|e| format!("--{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        e => e.into(),
    }
}

pub async fn import_followups(service: &Service, args: &ImportFollowupsArgs) -> Result<()> {
    let table = read_path(&args.file)?;
    let file = FollowupFile::new(table, &args.mapping).map_err(option_error)?;
    let mut importer = FollowupImporter::new(service, &file, args.author.as_deref(), args.dry_run)
        .await
        .map_err(option_error)?;
    let result_path = args.result.clone().unwrap_or_else(|| {
        let mut p = args.file.clone().into_os_string();
        p.push(".result.csv");
        PathBuf::from(p)
    });
    let mut out = csv::Writer::from_path(&result_path)
        .with_context(|| format!("cannot write {}", result_path.display()))?;
    out.write_record(FOLLOWUP_RESULT_HEADER)?;

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
    let mut summary = FollowupSummary::default();
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
    println!("{summary}");
    Ok(())
}
