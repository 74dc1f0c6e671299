//! `leadguard export`: every customer, with the fields a rep sees (not the engine's keys), to
//! CSV (UTF-8 with BOM, for Excel) or XLSX.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use leadguard_domain::Id;
use leadguard_service::Service;
use leadguard_store::{CustomerQuery, CustomerScope, CustomerSort};
use leadguard_tabular::{Cell, Sheet, csv_bytes, xlsx_bytes};

#[derive(Args)]
pub struct ExportArgs {
    /// FILE.csv or FILE.xlsx.
    #[arg(long)]
    out: PathBuf,
}

const PAGE: i64 = 1000;

pub async fn export(service: &Service, args: &ExportArgs) -> Result<()> {
    let ext = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_lowercase)
        .unwrap_or_default();
    if ext != "csv" && ext != "xlsx" {
        bail!("--out must end in .csv or .xlsx: {}", args.out.display());
    }
    let mut conn = service.store().read().await?;
    let mut exec = conn.exec();
    let users: HashMap<Id, (String, String)> = exec
        .list_users(None)
        .await?
        .into_iter()
        .map(|u| (u.id, (u.username, u.team.unwrap_or_default())))
        .collect();
    let user = |id: Option<Id>, team: bool| -> String {
        id.and_then(|i| users.get(&i))
            .map(|(u, t)| if team { t.clone() } else { u.clone() })
            .unwrap_or_default()
    };
    let header = [
        "id",
        "kind",
        "name",
        "phones",
        "emails",
        "website",
        "credit_code",
        "address",
        "province",
        "city",
        "industry",
        "size",
        "source",
        "contacts",
        "owner",
        "team",
        "owned_since",
        "created_by",
        "created_at",
        "last_followup_at",
        "note",
        "external_id",
    ];
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let (page, _) = exec
            .list_customers(&CustomerQuery {
                scope: CustomerScope::All,
                name_contains: None,
                keys: Vec::new(),
                owner_id: None,
                industry: None,
                source: None,
                sort: CustomerSort::CreatedAsc,
                limit: PAGE,
                offset,
            })
            .await?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as i64;
        for c in page {
            let f = &c.fields;
            let opt = |v: &Option<String>| Cell::from(v.clone().unwrap_or_default());
            let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
                Cell::from(t.map(|t| t.to_rfc3339()).unwrap_or_default())
            };
            rows.push(vec![
                Cell::from(c.id),
                Cell::from(f.kind.as_str()),
                Cell::from(f.name.clone()),
                Cell::from(f.phones.join("; ")),
                Cell::from(f.emails.join("; ")),
                opt(&f.website),
                opt(&f.credit_code),
                opt(&f.address),
                opt(&f.province),
                opt(&f.city),
                opt(&f.industry),
                opt(&f.size),
                opt(&f.source),
                Cell::from(
                    f.contacts
                        .iter()
                        .map(|k| {
                            let mut s = k.name.clone();
                            for p in k.phones.iter().chain(&k.emails) {
                                s.push(' ');
                                s.push_str(p);
                            }
                            s
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                Cell::from(user(c.owner_id, false)),
                Cell::from(user(c.owner_id, true)),
                time(c.owned_since),
                Cell::from(user(Some(c.created_by), false)),
                time(Some(c.created_at)),
                time(c.last_followup_at),
                opt(&f.note),
                opt(&f.external_id),
            ]);
        }
    }
    let n = rows.len();
    let sheet = Sheet {
        name: "customers 客户".into(),
        header: header.iter().map(|h| h.to_string()).collect(),
        rows,
    };
    let bytes = if ext == "csv" {
        csv_bytes(std::slice::from_ref(&sheet))?
    } else {
        xlsx_bytes(std::slice::from_ref(&sheet))?
    };
    std::fs::write(&args.out, bytes)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    println!("exported {n} customers to {}", args.out.display());
    Ok(())
}
