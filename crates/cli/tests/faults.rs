//! Faults, with the real `leadguard` binary on SQLite and on PostgreSQL: SIGKILL during an
//! import (`leadguard import`, and a job uploaded to `leadguard serve`), during merges and
//! during webhook delivery. After a restart nothing acknowledged is lost, nothing is
//! half-done, and no event is lost; an event reaches a receiver twice only when the kill fell
//! between the receiver getting it and the sender recording the answer (at-least-once;
//! `X-Leadguard-Event-Id` names the repeat). PostgreSQL restarted under load is in
//! `pg_restart.rs`.

mod common;

both_backends!(
    import_killed_midway,
    merges_killed_midway,
    webhook_delivery_killed_midway,
    api_import_killed_midway,
);

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{
    BIN, PASSWORD, Server, add_user, last_line, login, open_store, result_rows, rows, run, scalar,
};
use leadguard_datagen::Generator;
use leadguard_datagen::dataset::{self, Config, Kind};
use leadguard_store::Store;
use leadguard_testkit::{Backend, TestDb};
use reqwest::StatusCode;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// 1. Kill during an import.

/// Distinct companies in the import file (about a third more rows: retyped duplicates, look-alike
/// different companies, and exact repeats).
const IMPORT_ENTITIES: usize = 1500;

/// Writes an import file of `entities` companies; returns its data rows (客户名称, 电话, 手机,
/// 邮箱, 网址, 统一社会信用代码, 地址, 联系人, 行业).
fn write_import_file(path: &Path, entities: usize) -> Vec<Vec<String>> {
    let rows = dataset::generate(&Config::new(Kind::Company, entities, 20_261_123));
    let mut w = csv::Writer::from_path(path).expect("create the file");
    // Without the generator's own id columns: what a CRM export looks like.
    w.write_record(&dataset::headers(Kind::Company)[2..])
        .expect("write");
    let mut written = Vec::new();
    // Some rows again, verbatim, at the end: certain in-file duplicates.
    for r in rows.iter().chain(rows.iter().step_by(40)) {
        let record = dataset::record(Kind::Company, r)[2..].to_vec();
        w.write_record(&record).expect("write");
        written.push(record);
    }
    w.flush().expect("flush");
    written
}

/// Everything stored about each customer except its id (ids differ between databases): fields,
/// owner, match profile and keys, identities, contacts and audit trail. Keyed by id.
async fn customer_records(store: &Store) -> BTreeMap<i64, CustomerRecord> {
    type Row = (
        i64,
        String,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
        i64,
        i64,
    );
    let base: Vec<Row> = rows(
        store,
        "SELECT c.id, c.name, c.phones, c.emails,
                COALESCE(c.website, '') || '|' || COALESCE(c.credit_code, '') || '|' ||
                COALESCE(c.address, '') || '|' || COALESCE(c.industry, ''),
                c.profile, creator.username, owner.username,
                CASE WHEN c.owned_since IS NULL THEN 'unowned' ELSE 'owned' END,
                (SELECT COUNT(*) FROM customer_keys k WHERE k.customer_id = c.id),
                (SELECT COUNT(*) FROM contacts t WHERE t.customer_id = c.id)
         FROM customers c JOIN users creator ON creator.id = c.created_by
              LEFT JOIN users owner ON owner.id = c.owner_id",
    )
    .await;
    let mut identities: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for (id, key) in rows::<(i64, String)>(
        store,
        "SELECT customer_id, kind || ':' || value FROM customer_identities",
    )
    .await
    {
        identities.entry(id).or_default().push(key);
    }
    let mut audit: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for (id, entry) in rows::<(i64, String)>(
        store,
        "SELECT a.customer_id, a.action || ':' || COALESCE(u.username, '-')
         FROM audit_log a LEFT JOIN users u ON u.id = a.after_owner_id ORDER BY a.id",
    )
    .await
    {
        audit.entry(id).or_default().push(entry);
    }
    base.into_iter()
        .map(
            |(id, name, phones, emails, other, profile, creator, owner, owned, keys, contacts)| {
                let mut ids = identities.remove(&id).unwrap_or_default();
                ids.sort();
                let record = CustomerRecord {
                    name,
                    fields: format!("phones={phones} emails={emails} {other} profile={profile}"),
                    creator,
                    owner,
                    owned,
                    keys,
                    contacts,
                    identities: ids,
                    audit: audit.remove(&id).unwrap_or_default(),
                };
                (id, record)
            },
        )
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct CustomerRecord {
    name: String,
    fields: String,
    creator: String,
    owner: Option<String>,
    owned: String,
    keys: i64,
    contacts: i64,
    identities: Vec<String>,
    audit: Vec<String>,
}

/// An imported customer is whole: owned by the importing rep since its entry, with its match
/// keys, its one `created` audit entry, and one `evidence_added` entry for each later row that
/// duplicated it and brought a phone, e-mail or contact it lacked.
fn assert_whole(id: i64, c: &CustomerRecord, owner: &str) {
    assert_eq!(c.owner.as_deref(), Some(owner), "#{id} {c:?}");
    assert_eq!(c.creator, owner, "#{id} {c:?}");
    assert_eq!(c.owned, "owned", "#{id} {c:?}");
    assert!(c.keys > 0, "#{id} has no match keys: {c:?}");
    assert_eq!(
        c.audit.first(),
        Some(&format!("created:{owner}")),
        "#{id} {c:?}"
    );
    for later in &c.audit[1..] {
        assert_eq!(later, &format!("evidence_added:{owner}"), "#{id} {c:?}");
    }
}

/// Whether `partial`, saved by an import killed part way, is `reference` as an uninterrupted
/// import saved it, before later rows of the file added their evidence to it.
fn grows_into(partial: &CustomerRecord, reference: &CustomerRecord) -> bool {
    partial.name == reference.name
        && partial.creator == reference.creator
        && partial.owner == reference.owner
        && partial.owned == reference.owned
        && partial
            .identities
            .iter()
            .all(|i| reference.identities.contains(i))
        && reference.audit.starts_with(&partial.audit)
}

/// A customer created from a row of the import file has its name and its identifiers.
fn assert_from_row(row_no: usize, row: &[String], c: &CustomerRecord) {
    assert_eq!(c.name, row[0].trim(), "row {row_no}: {c:?}");
    for (col, kind) in [
        (1, "phone:"),
        (2, "phone:"),
        (3, "email:"),
        (5, "credit_code:"),
    ] {
        if !row[col].trim().is_empty() {
            assert!(
                c.identities.iter().any(|i| i.starts_with(kind)),
                "row {row_no}: {kind} {:?} is missing from {c:?}",
                row[col]
            );
        }
    }
}

fn sorted<T: Ord + Clone>(v: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = v.into_iter().collect();
    v.sort();
    v
}

fn is_created(status: &str) -> bool {
    status == "created" || status == "suspected"
}

/// The complete lines of a result file that a killed import may have left half-written.
fn complete_result_rows(path: &Path) -> Vec<Vec<String>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(complete.as_bytes())
        .records()
        .filter_map(Result::ok)
        .map(|r| r.iter().map(str::to_string).collect())
        .collect()
}

async fn import_killed_midway(backend: Backend) {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let file = write_import_file(&dir.join("customers.csv"), IMPORT_ENTITIES);
    let rows_in_file = file.len();
    let import = |result: &str, url: &str| {
        run(
            dir,
            &[
                "import",
                "customers.csv",
                "--owner",
                "zhangsan",
                "--result",
                result,
                "--database-url",
                url,
            ],
        )
    };

    // The reference: the same file imported without interruption into a fresh database.
    let reference_db = TestDb::create(backend).await;
    let ref_url = reference_db.url().to_string();
    add_user(dir, &ref_url, "zhangsan", "rep", &["--cap", "100000"]);
    let started = Instant::now();
    let out = import("reference.csv", &ref_url);
    let ref_summary = last_line(&out);
    let ref_time = started.elapsed();
    let reference = result_rows(&dir.join("reference.csv"));
    assert_eq!(reference.len(), rows_in_file, "{ref_summary}");
    let ref_created: Vec<i64> = reference
        .iter()
        .filter(|r| is_created(&r[1]))
        .map(|r| r[2].parse().expect("customer id"))
        .collect();
    let ref_dups = reference.iter().filter(|r| r[1] == "duplicate").count();
    assert!(
        ref_created.len() >= 1000 && ref_dups >= 100,
        "the file has enough customers and in-file duplicates: {ref_summary}"
    );
    let ref_store = open_store(reference_db.url()).await;
    let ref_records = customer_records(&ref_store).await;
    assert_eq!(ref_records.len(), ref_created.len());
    for (id, c) in &ref_records {
        assert_whole(*id, c, "zhangsan");
    }
    // ... with the identifiers of its row.
    for r in reference.iter().filter(|r| is_created(&r[1])) {
        let row_no: usize = r[0].parse().expect("row");
        assert_from_row(
            row_no,
            &file[row_no - 1],
            &ref_records[&r[2].parse::<i64>().expect("id")],
        );
    }

    // The same import, killed once some customers are in.
    let db = TestDb::create(backend).await;
    let url = db.url().to_string();
    add_user(dir, &url, "zhangsan", "rep", &["--cap", "100000"]);
    let store = open_store(db.url()).await;
    let mut child = Command::new(BIN)
        .args([
            "import",
            "customers.csv",
            "--owner",
            "zhangsan",
            "--result",
            "killed.csv",
            "--database-url",
            &url,
            // Small transactions, so that the kill lands between and inside them.
            "--batch-rows",
            "200",
        ])
        .current_dir(dir)
        .env_remove("LEADGUARD_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn import");
    // Kill once at least a third of the customers are visible (the import commits in batches).
    let goal = (ref_created.len() / 3).max(1) as i64;
    let deadline = Instant::now() + Duration::from_secs(120);
    let seen = loop {
        let n = scalar(&store, "SELECT COUNT(*) FROM customers").await;
        assert!(
            matches!(child.try_wait(), Ok(None)),
            "the import ended before it could be killed ({n} customers seen; uninterrupted it took {ref_time:?})"
        );
        if n >= goal {
            break n;
        }
        assert!(Instant::now() < deadline, "the import is stuck at {n}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    child.kill().expect("SIGKILL the import");
    let status = child.wait().expect("reap");
    assert!(!status.success(), "killed: {status}");

    // Nothing half-done: exactly the customers of the file's first rows, each whole.
    let partial = customer_records(&store).await;
    let m = partial.len();
    assert!(
        m as i64 >= seen && m < ref_created.len(),
        "killed part way: {m} of {}",
        ref_created.len()
    );
    for (id, c) in &partial {
        assert_whole(*id, c, "zhangsan");
    }
    // Each is one of the file's first m customers as the uninterrupted import saved it,
    // short of the evidence later rows would have added.
    let mut own: BTreeMap<i64, i64> = BTreeMap::new();
    for ref_id in &ref_created[..m] {
        let r = &ref_records[ref_id];
        let found: Vec<i64> = partial
            .iter()
            .filter(|(id, c)| !own.values().any(|x| x == *id) && grows_into(c, r))
            .map(|(id, _)| *id)
            .collect();
        assert!(
            !found.is_empty(),
            "the killed import saved whole rows, the file's first {m} customers, each once: \
             #{ref_id} {r:?} is missing"
        );
        own.insert(*ref_id, found[0]);
    }
    assert_eq!(own.len(), m);
    // The result lines it managed to write name only saved customers.
    let killed_lines = complete_result_rows(&dir.join("killed.csv"));
    for r in killed_lines
        .iter()
        .filter(|r| r.len() >= 3 && is_created(&r[1]))
    {
        let id: i64 = r[2].parse().expect("customer id");
        assert!(partial.contains_key(&id), "reported but not saved: {r:?}");
    }

    // Run again to the end: the rows already in are duplicates of themselves, the rest as if
    // never interrupted.
    let out = import("rerun.csv", &url);
    let rerun_summary = last_line(&out);
    let rerun = result_rows(&dir.join("rerun.csv"));
    assert_eq!(rerun.len(), rows_in_file);
    let saved_first: BTreeSet<i64> = ref_created[..m].iter().copied().collect();
    let (mut created, mut duplicate, mut suspected, mut error) = (0, 0, 0, 0);
    for (r, f) in rerun.iter().zip(&reference) {
        assert_eq!(r[0], f[0]);
        let was_saved = is_created(&f[1]) && saved_first.contains(&f[2].parse().unwrap_or(-1));
        if was_saved {
            assert_eq!(
                r[1], "duplicate",
                "row {} was saved before the kill: {r:?}",
                r[0]
            );
            let own = own[&f[2].parse::<i64>().unwrap()];
            assert_eq!(
                r[3],
                own.to_string(),
                "row {} is a duplicate of itself: {r:?}",
                r[0]
            );
        } else {
            assert_eq!(r[1], f[1], "row {}: {r:?} uninterrupted: {f:?}", r[0]);
        }
        match r[1].as_str() {
            "created" => created += 1,
            "duplicate" => duplicate += 1,
            "suspected" => suspected += 1,
            _ => error += 1,
        }
    }
    assert_eq!(
        rerun_summary,
        format!("created {created}, duplicate {duplicate}, suspected {suspected}, error {error}")
    );
    assert!(created + suspected > 0, "the kill came before the end");
    let fin = customer_records(&store).await;
    for (id, c) in &fin {
        assert_whole(*id, c, "zhangsan");
    }
    assert_eq!(
        sorted(fin.values().cloned()),
        sorted(ref_records.values().cloned()),
        "killed and rerun ends where an uninterrupted import does"
    );
    let counted = scalar(&store, "SELECT COUNT(*) FROM customers").await;
    assert_eq!(counted as usize, ref_created.len());
    eprintln!(
        "{backend:?}: {rows_in_file} rows; uninterrupted ({ref_time:?}): {ref_summary}; killed after {m} customers; rerun: {rerun_summary}"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Kill during merges.

const PAIRS: usize = 60;

struct Pair {
    a: i64,
    b: i64,
    a_phone: String,
    b_phone: String,
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

async fn post(
    http: &reqwest::Client,
    url: String,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    let r = http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn create_customer(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    name: &str,
    phone: &str,
) -> i64 {
    let (s, v) = post(
        http,
        format!("{base}/api/v1/customers"),
        token,
        json!({"name": name, "phones": [phone]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{name}: {v}");
    v["id"].as_i64().expect("id")
}

/// Follow-ups as stored: note → the customers holding it.
async fn stored_notes(store: &Store) -> BTreeMap<String, Vec<i64>> {
    let mut m: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (id, note) in rows::<(i64, String)>(store, "SELECT customer_id, note FROM followups").await
    {
        m.entry(note).or_default().push(id);
    }
    m
}

async fn merges_killed_midway(backend: Backend) {
    let db = TestDb::create(backend).await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let url = db.url().to_string();
    add_user(dir, &url, "zhangsan", "rep", &["--cap", "1000"]);
    let serve_args = [
        "--database-url",
        &url,
        "--recycle-interval",
        "0",
        "--webhook-poll",
        "0",
    ];
    let mut server = Server::start(dir, &serve_args);
    let base = server.base.clone();
    let http = no_redirects();
    let token = login(&http, &base, "zhangsan", PASSWORD).await;
    let g = Generator::new(11);
    let mut pairs = Vec::new();
    for k in 0..PAIRS {
        let (fa, fb) = (g.company(2 * k), g.company(2 * k + 1));
        let a = create_customer(&http, &base, &token, &fa.name, &fa.phones[0]).await;
        let b = create_customer(&http, &base, &token, &fb.name, &fb.phones[0]).await;
        for (id, side) in [(a, "a"), (b, "b")] {
            let (s, v) = post(
                &http,
                format!("{base}/api/v1/customers/{id}/followups"),
                &token,
                json!({"note": format!("pair {k} {side} before")}),
            )
            .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        pairs.push(Pair {
            a,
            b,
            a_phone: fa.phones[0].clone(),
            b_phone: fb.phones[0].clone(),
        });
    }
    let pairs = Arc::new(pairs);

    // Merges (four at a time, paced) and follow-ups on both sides of every pair, until the kill.
    let next_pair = Arc::new(AtomicUsize::new(0));
    let merge_sent: Arc<Mutex<BTreeSet<usize>>> = Arc::default();
    let merge_acked: Arc<Mutex<BTreeSet<usize>>> = Arc::default();
    // (pair, side, note) of every follow-up sent, and of those answered 201.
    type Note = (usize, &'static str, String);
    let notes_sent: Arc<Mutex<Vec<Note>>> = Arc::default();
    let notes_acked: Arc<Mutex<Vec<Note>>> = Arc::default();
    let anomalies: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (pairs, next, sent, acked, anomalies) = (
            pairs.clone(),
            next_pair.clone(),
            merge_sent.clone(),
            merge_acked.clone(),
            anomalies.clone(),
        );
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(p) = pairs.get(k) else { break };
                sent.lock().unwrap().insert(k);
                let r = http
                    .post(format!("{base}/api/v1/customers/{}/merge", p.a))
                    .bearer_auth(&token)
                    .json(&json!({"duplicate_id": p.b}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == StatusCode::OK => {
                        acked.lock().unwrap().insert(k);
                    }
                    Ok(r) => {
                        let s = r.status();
                        let text = r.text().await.unwrap_or_default();
                        anomalies
                            .lock()
                            .unwrap()
                            .push(format!("merge {k}: {s} {text}"));
                    }
                    // The server is gone.
                    Err(_) => break,
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }));
    }
    for w in 0..4usize {
        let (pairs, sent, acked, anomalies) = (
            pairs.clone(),
            notes_sent.clone(),
            notes_acked.clone(),
            anomalies.clone(),
        );
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0usize.. {
                let k = (i * 7 + w * 13) % pairs.len();
                let (side, id) = if (i + w) % 2 == 0 {
                    ("a", pairs[k].a)
                } else {
                    ("b", pairs[k].b)
                };
                let note = format!("pair {k} {side} writer {w} note {i}");
                sent.lock().unwrap().push((k, side, note.clone()));
                let r = http
                    .post(format!("{base}/api/v1/customers/{id}/followups"))
                    .bearer_auth(&token)
                    .json(&json!({"note": note}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        acked.lock().unwrap().push((k, side, note));
                    }
                    Ok(r) => {
                        let s = r.status();
                        let text = r.text().await.unwrap_or_default();
                        anomalies
                            .lock()
                            .unwrap()
                            .push(format!("follow-up {note}: {s} {text}"));
                    }
                    Err(_) => break,
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while merge_acked.lock().unwrap().len() < PAIRS / 2 {
        assert!(Instant::now() < deadline, "merges do not progress");
        assert!(
            anomalies.lock().unwrap().is_empty(),
            "{:?}",
            anomalies.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    server.kill();
    for t in tasks {
        t.await.expect("client task");
    }
    let anomalies = anomalies.lock().unwrap().clone();
    assert!(anomalies.is_empty(), "{anomalies:?}");
    let merge_sent = merge_sent.lock().unwrap().clone();
    let merge_acked = merge_acked.lock().unwrap().clone();
    let notes_sent = notes_sent.lock().unwrap().clone();
    let notes_acked = notes_acked.lock().unwrap().clone();
    assert!(
        merge_sent.len() < PAIRS,
        "the kill came before every merge was sent"
    );
    assert!(
        notes_acked.len() > PAIRS,
        "follow-ups during the merges: {}",
        notes_acked.len()
    );

    // Restarted on the same database: each pair merged entirely or not at all.
    let server = Server::start(dir, &serve_args);
    let base = server.base.clone();
    let token = login(&http, &base, "zhangsan", PASSWORD).await;
    let store = open_store(db.url()).await;
    let notes = stored_notes(&store).await;
    let merged_events: Vec<(i64, String)> = rows(
        &store,
        "SELECT customer_id, data FROM events WHERE type = 'customer.merged'",
    )
    .await;
    let mut merged = BTreeSet::new();
    for (k, p) in pairs.iter().enumerate() {
        let r = http
            .get(format!("{base}/api/v1/customers/{}", p.b))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get");
        let is_merged = match r.status() {
            StatusCode::PERMANENT_REDIRECT => {
                assert_eq!(
                    r.headers()["location"].to_str().unwrap(),
                    format!("/api/v1/customers/{}", p.a)
                );
                true
            }
            StatusCode::OK => false,
            s => panic!("pair {k}: {s} {}", r.text().await.unwrap_or_default()),
        };
        if merge_acked.contains(&k) {
            assert!(is_merged, "pair {k}: the merge was acknowledged");
        }
        if !merge_sent.contains(&k) {
            assert!(!is_merged, "pair {k}: never asked to merge");
        }
        let (s, a) = get(&http, &base, &token, p.a).await;
        assert_eq!(s, StatusCode::OK, "{a}");
        let phones: Vec<&str> = a["phones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        let events = merged_events
            .iter()
            .filter(|(_, d)| {
                serde_json::from_str::<Value>(d).unwrap()["duplicate_id"] == json!(p.b)
            })
            .count();
        let merge_rows = scalar(
            &store,
            &format!("SELECT COUNT(*) FROM merges WHERE duplicate_id = {}", p.b),
        )
        .await;
        let merged_into: Vec<(Option<i64>,)> = rows(
            &store,
            &format!("SELECT merged_into FROM customers WHERE id = {}", p.b),
        )
        .await;
        let audit = scalar(
            &store,
            &format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'merged' AND customer_id IN ({}, {})",
                p.a, p.b
            ),
        )
        .await;
        if is_merged {
            merged.insert(k);
            assert_eq!(phones, [p.a_phone.as_str(), p.b_phone.as_str()], "pair {k}");
            assert_eq!(
                (events, merge_rows, audit),
                (1, 1, 2),
                "pair {k}: merged once"
            );
            assert_eq!(merged_into, [(Some(p.a),)]);
        } else {
            assert_eq!(phones, [p.a_phone.as_str()], "pair {k}");
            let (s, b) = get(&http, &base, &token, p.b).await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(b["phones"], json!([p.b_phone]), "pair {k}");
            assert_eq!(
                (events, merge_rows, audit),
                (0, 0, 0),
                "pair {k}: not merged"
            );
            assert_eq!(merged_into, [(None,)]);
        }
        // Follow-ups: on the survivor when merged, each on its own side otherwise.
        for side in ["a", "b"] {
            let before = format!("pair {k} {side} before");
            let home = if is_merged || side == "a" { p.a } else { p.b };
            assert_eq!(notes.get(&before), Some(&vec![home]), "{before}");
        }
        for (_, side, note) in notes_sent.iter().filter(|(pk, _, _)| *pk == k) {
            let home = if is_merged || *side == "a" { p.a } else { p.b };
            match notes.get(note) {
                Some(at) => assert_eq!(at, &vec![home], "{note}: once, on its customer"),
                None => assert!(
                    !notes_acked.iter().any(|(_, _, n)| n == note),
                    "{note} was acknowledged and is lost"
                ),
            }
        }
    }
    assert!(
        merged.len() >= merge_acked.len() && merged.len() < PAIRS,
        "{} merged, {} acknowledged",
        merged.len(),
        merge_acked.len()
    );
    for (_, _, note) in &notes_acked {
        assert!(notes.contains_key(note), "{note} lost");
    }
    eprintln!(
        "{backend:?}: {} merges sent, {} acknowledged, {} done at the kill; {} follow-ups sent, {} acknowledged, {} stored",
        merge_sent.len(),
        merge_acked.len(),
        merged.len(),
        notes_sent.len(),
        notes_acked.len(),
        notes_sent
            .iter()
            .filter(|(_, _, n)| notes.contains_key(n))
            .count()
    );

    // The rest merge after the restart, taking their follow-ups along.
    for (k, p) in pairs
        .iter()
        .enumerate()
        .filter(|(k, _)| !merged.contains(k))
    {
        let (s, v) = post(
            &http,
            format!("{base}/api/v1/customers/{}/merge", p.a),
            &token,
            json!({"duplicate_id": p.b}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "pair {k}: {v}");
        let (s, _) = get(&http, &base, &token, p.b).await;
        assert_eq!(s, StatusCode::PERMANENT_REDIRECT);
    }
    let notes = stored_notes(&store).await;
    for (k, p) in pairs.iter().enumerate() {
        for side in ["a", "b"] {
            assert_eq!(notes[&format!("pair {k} {side} before")], [p.a]);
        }
    }
    for (k, _, note) in &notes_sent {
        if let Some(at) = notes.get(note) {
            assert_eq!(at, &vec![pairs[*k].a], "{note}");
        }
    }
    let events = scalar(
        &store,
        "SELECT COUNT(*) FROM events WHERE type = 'customer.merged'",
    )
    .await;
    assert_eq!(events as usize, PAIRS, "one customer.merged event per pair");
    drop(server);
}

async fn get(http: &reqwest::Client, base: &str, token: &str, id: i64) -> (StatusCode, Value) {
    let r = http
        .get(format!("{base}/api/v1/customers/{id}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

// ---------------------------------------------------------------------------------------------
// 3. Kill during webhook delivery.

/// A sender claims one delivery at a time, just before sending it: at most this many can be
/// in flight when it is killed, and sent again afterwards.
const IN_FLIGHT_PER_SENDER: usize = 1;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Hit {
    event_id: i64,
    body_id: i64,
    delivery: String,
    signed: bool,
    at: Instant,
}

/// A webhook receiver that records every request on arrival and answers 200 after a delay, so
/// that deliveries are in flight when the sender is killed.
#[derive(Clone, Default)]
struct Receiver {
    hits: Arc<Mutex<Vec<Hit>>>,
    in_flight: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start(delay: Duration) -> (Receiver, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let rx = Receiver::default();
        let app = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(
                    move |axum::extract::State(rx): axum::extract::State<Receiver>,
                          headers: axum::http::HeaderMap,
                          body: axum::body::Bytes| async move {
                        let header = |name: &str| {
                            headers
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_string()
                        };
                        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        rx.hits.lock().unwrap().push(Hit {
                            event_id: header("x-leadguard-event-id").parse().unwrap_or(-1),
                            body_id: body["id"].as_i64().unwrap_or(-2),
                            delivery: header("x-leadguard-delivery"),
                            signed: header("x-leadguard-signature").starts_with("sha256="),
                            at: Instant::now(),
                        });
                        rx.in_flight.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(delay).await;
                        rx.in_flight.fetch_sub(1, Ordering::SeqCst);
                        axum::http::StatusCode::OK
                    },
                ),
            )
            .with_state(rx.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("receiver");
        });
        (rx, url)
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}

async fn webhook_delivery_killed_midway(backend: Backend) {
    const CUSTOMERS: usize = 10;
    const ROUNDS: usize = 30;
    let db = TestDb::create(backend).await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let url = db.url().to_string();
    add_user(dir, &url, "root", "admin", &[]);
    add_user(dir, &url, "zhangsan", "rep", &[]);
    add_user(dir, &url, "lisi", "rep", &[]);
    let (receiver, hook_url) = Receiver::start(Duration::from_millis(20)).await;
    let serve_args = [
        "--database-url",
        &url,
        "--recycle-interval",
        "0",
        "--webhook-poll",
        "1",
    ];
    let mut server = Server::start(dir, &serve_args);
    let base = server.base.clone();
    let http = no_redirects();
    let admin = login(&http, &base, "root", PASSWORD).await;
    let (s, v) = post(
        &http,
        format!("{base}/api/v1/webhooks"),
        &admin,
        json!({"name": "CRM 集成", "url": hook_url, "secret": "s3cret-key"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let webhook = v["id"].as_i64().unwrap();

    // Events: lisi runs into zhangsan's customers again and again (duplicate.blocked).
    let a = login(&http, &base, "zhangsan", PASSWORD).await;
    let b = login(&http, &base, "lisi", PASSWORD).await;
    let g = Generator::new(5);
    let companies: Vec<_> = (0..CUSTOMERS).map(|i| g.company(i)).collect();
    for c in &companies {
        create_customer(&http, &base, &a, &c.name, &c.phones[0]).await;
    }
    let mut producers = Vec::new();
    for w in 0..4 {
        let (http, base, b, companies) = (http.clone(), base.clone(), b.clone(), companies.clone());
        producers.push(tokio::spawn(async move {
            for i in (w..CUSTOMERS * ROUNDS).step_by(4) {
                let c = &companies[i % CUSTOMERS];
                let (s, v) = post(
                    &http,
                    format!("{base}/api/v1/customers"),
                    &b,
                    json!({"name": c.name, "phones": c.phones}),
                )
                .await;
                assert_eq!(s, StatusCode::CONFLICT, "{v}");
            }
        }));
    }
    for p in producers {
        p.await.expect("producer");
    }
    let store = open_store(db.url()).await;
    let events: BTreeSet<i64> = rows::<(i64,)>(&store, "SELECT id FROM events")
        .await
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert!(events.len() >= CUSTOMERS * ROUNDS, "{}", events.len());

    // Kill while deliveries are in flight, a third of the way through.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n = receiver.hits.lock().unwrap().len();
        if n >= events.len() / 3 && receiver.in_flight.load(Ordering::SeqCst) > 0 {
            break;
        }
        assert!(n < events.len(), "everything was delivered before the kill");
        assert!(Instant::now() < deadline, "deliveries do not progress: {n}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    server.kill();
    let killed_at = Instant::now();
    let before_kill = receiver.hits().len();

    // Restarted: the outbox drains (the dead sender's batch after its lease).
    let server = Server::start(dir, &serve_args);
    let restarted_at = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(50);
    loop {
        let pending = scalar(
            &store,
            "SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'delivered'",
        )
        .await;
        if pending == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} deliveries still pending {:?} after the restart",
            restarted_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A few more polls: nothing else is sent.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    drop(server);

    let hits = receiver.hits();
    let deliveries = scalar(
        &store,
        &format!("SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = {webhook}"),
    )
    .await;
    assert_eq!(deliveries as usize, events.len(), "one delivery per event");
    for h in &hits {
        assert_eq!(
            h.event_id, h.body_id,
            "the header names the event in the body: {h:?}"
        );
        assert!(!h.delivery.is_empty() && h.signed, "{h:?}");
    }
    let mut by_event: BTreeMap<i64, Vec<&Hit>> = BTreeMap::new();
    for h in &hits {
        by_event.entry(h.event_id).or_default().push(h);
    }
    let received: BTreeSet<i64> = by_event.keys().copied().collect();
    assert_eq!(
        received, events,
        "every event received (and nothing else), once repeats are dropped by id"
    );
    let repeats: Vec<(&i64, &Vec<&Hit>)> = by_event.iter().filter(|(_, v)| v.len() > 1).collect();
    assert!(
        repeats.len() <= IN_FLIGHT_PER_SENDER,
        "repeats only for the delivery in flight at the kill: {} ({before_kill} received before the kill)",
        repeats.len()
    );
    for (id, v) in &repeats {
        assert_eq!(v.len(), 2, "event {id} sent {} times", v.len());
        assert!(
            v[0].at < killed_at && v[1].at > killed_at,
            "event {id}: sent again only because the kill came mid-send"
        );
        assert_eq!(v[0].delivery, v[1].delivery, "same delivery, resent");
    }
    assert_eq!(hits.len(), events.len() + repeats.len());
    eprintln!(
        "{backend:?}: {} events, {before_kill} received before the kill, {} sent again after it; drained {:?} after the restart",
        events.len(),
        repeats.len(),
        restarted_at.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Kill during an import through the API.

/// Distinct companies in the file uploaded: about 6,000 rows, so that the job works through
/// several batches.
const API_IMPORT_ENTITIES: usize = 4400;

/// A stored result line: row, status, customer, matched customer, owner, message.
type StoredResult = (
    i64,
    String,
    Option<i64>,
    Option<i64>,
    String,
    String,
    String,
);

/// A job's result lines as stored, in row order.
async fn stored_results(store: &Store, job: i64) -> Vec<StoredResult> {
    rows(
        store,
        &format!(
            "SELECT row_no, status, customer_id, matched_customer_id, owner, message, warnings
             FROM import_results WHERE job_id = {job} ORDER BY row_no"
        ),
    )
    .await
}

/// Uploads `file` as `customers.csv` for the caller; returns the job's id.
async fn upload_import(http: &reqwest::Client, base: &str, token: &str, file: Vec<u8>) -> i64 {
    let r = http
        .post(format!("{base}/api/v1/imports?filename=customers.csv"))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(file)
        .send()
        .await
        .expect("upload");
    let s = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    v["id"].as_i64().expect("job id")
}

async fn import_job(http: &reqwest::Client, base: &str, token: &str, id: i64) -> Value {
    let r = http
        .get(format!("{base}/api/v1/imports/{id}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("progress");
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.expect("job")
}

/// Polls a job until it is done; panics if it fails or takes longer than `within`.
async fn import_done(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    id: i64,
    within: Duration,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let job = import_job(http, base, token, id).await;
        match job["status"].as_str() {
            Some("done") => return job,
            Some("queued" | "running") => {}
            _ => panic!("import job {id}: {job}"),
        }
        assert!(Instant::now() < deadline, "not done in {within:?}: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `[created, duplicate, suspected, errors]` of a job.
fn job_counts(job: &Value) -> [i64; 4] {
    ["created", "duplicate", "suspected", "errors"].map(|k| job[k].as_i64().expect(k))
}

/// The same counts, tallied from result lines.
fn result_counts(results: &[StoredResult]) -> [i64; 4] {
    let mut c = [0; 4];
    for r in results {
        let i = match r.1.as_str() {
            "created" => 0,
            "duplicate" => 1,
            "suspected" => 2,
            "error" => 3,
            s => panic!("row {}: status {s}", r.0),
        };
        c[i] += 1;
    }
    c
}

/// The result file as downloaded (UTF-8 with a BOM), checked against the stored lines.
async fn check_result_file(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    id: i64,
    stored: &[StoredResult],
) {
    let r = http
        .get(format!("{base}/api/v1/imports/{id}/result"))
        .bearer_auth(token)
        .send()
        .await
        .expect("result");
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.expect("result file");
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").expect("a BOM");
    let mut reader = csv::Reader::from_reader(text);
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        leadguard_service::import::RESULT_HEADER
    );
    let lines: Vec<Vec<String>> = reader
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    let id_text = |x: Option<i64>| x.map(|x| x.to_string()).unwrap_or_default();
    let expected: Vec<Vec<String>> = stored
        .iter()
        .map(|r| {
            vec![
                r.0.to_string(),
                r.1.clone(),
                id_text(r.2),
                id_text(r.3),
                r.4.clone(),
                r.5.clone(),
                r.6.clone(),
            ]
        })
        .collect();
    assert!(lines == expected, "the result file is the stored lines");
}

/// An import job, uploaded through the API and killed (SIGKILL, `leadguard serve`) part way:
/// exactly the batches committed before the kill are in, each row with its result line, and
/// the restarted server takes the job over after the dead one's lease and ends where an
/// uninterrupted import of the same file does.
async fn api_import_killed_midway(backend: Backend) {
    let began = Instant::now();
    let batch = leadguard_service::import::BATCH_ROWS;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let file = write_import_file(&dir.join("customers.csv"), API_IMPORT_ENTITIES);
    let body = std::fs::read(dir.join("customers.csv")).expect("the file");
    let total = file.len();
    assert!(
        (5000..=8000).contains(&total) && !total.is_multiple_of(batch),
        "{total} rows"
    );
    let http = no_redirects();
    let serve_args = |url: &str| -> Vec<String> {
        [
            "--database-url",
            url,
            "--recycle-interval",
            "0",
            "--webhook-poll",
            "0",
            "--import-poll",
            "1",
        ]
        .map(String::from)
        .to_vec()
    };
    let start = |url: &str| {
        let args = serve_args(url);
        Server::start(dir, &args.iter().map(String::as_str).collect::<Vec<_>>())
    };

    // Uploaded, and the server killed once a third of the rows are done.
    let db = TestDb::create(backend).await;
    let url = db.url().to_string();
    add_user(dir, &url, "zhangsan", "rep", &["--cap", "100000"]);
    let mut server = start(&url);
    let base = server.base.clone();
    let token = login(&http, &base, "zhangsan", PASSWORD).await;
    let uploaded = Instant::now();
    let id = upload_import(&http, &base, &token, body.clone()).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let seen = loop {
        let job = import_job(&http, &base, &token, id).await;
        let done = job["rows_done"].as_i64().expect("rows_done") as usize;
        assert!(
            job["status"] == "running" || job["status"] == "queued",
            "the import ended before it could be killed: {job}"
        );
        if done >= total / 3 {
            break done;
        }
        assert!(Instant::now() < deadline, "the import is stuck: {job}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    server.kill();
    let killed_at = Instant::now();
    let to_kill = killed_at - uploaded;

    // Exactly the batches committed before the kill: their result lines, rows 1..n, and
    // their customers, each whole and each named by its line.
    let store = open_store(db.url()).await;
    let partial_results = stored_results(&store, id).await;
    let n = partial_results.len();
    assert!(
        n >= seen && n < total && n.is_multiple_of(batch),
        "whole batches of {batch} rows: {n} result lines ({seen} seen done) of {total}"
    );
    for (i, r) in partial_results.iter().enumerate() {
        assert_eq!(r.0, i as i64 + 1, "rows 1..{n}, each once");
    }
    let job_row: Vec<(String, i64, i64, i64, i64, i64)> = rows(
        &store,
        &format!(
            "SELECT status, rows_done, created, duplicate, suspected, errors
             FROM import_jobs WHERE id = {id}"
        ),
    )
    .await;
    let (status, rows_done, c, d, s, e) = job_row[0].clone();
    assert_eq!(status, "running", "its server died holding it");
    assert_eq!(
        rows_done as usize, n,
        "the progress is that of the committed batches"
    );
    assert_eq!([c, d, s, e], result_counts(&partial_results));
    let partial = customer_records(&store).await;
    let mut named = BTreeSet::new();
    for r in &partial_results {
        match r.2 {
            Some(cid) => {
                assert!(is_created(&r.1), "{r:?}");
                let c = partial
                    .get(&cid)
                    .unwrap_or_else(|| panic!("reported but not saved: {r:?}"));
                assert_whole(cid, c, "zhangsan");
                assert_from_row(r.0 as usize, &file[r.0 as usize - 1], c);
                assert!(named.insert(cid), "#{cid} named twice: {r:?}");
            }
            None => assert!(!is_created(&r.1), "{r:?}"),
        }
    }
    assert_eq!(
        partial.keys().copied().collect::<BTreeSet<_>>(),
        named,
        "no customer without its result line"
    );

    // Restarted on the same database: the dead server's lease holds the job for a while.
    let server = start(&url);
    let base = server.base.clone();
    let token = login(&http, &base, "zhangsan", PASSWORD).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let job = import_job(&http, &base, &token, id).await;
    if killed_at.elapsed() < Duration::from_secs(20) {
        assert_eq!(job["status"], "running", "{job}");
        assert_eq!(job["rows_done"], json!(n), "the lease holds: {job}");
    }

    // Meanwhile, the reference: the same file uploaded to a fresh database and imported
    // without interruption.
    let reference_db = TestDb::create(backend).await;
    let ref_url = reference_db.url().to_string();
    add_user(dir, &ref_url, "zhangsan", "rep", &["--cap", "100000"]);
    let ref_started = Instant::now();
    let (ref_job, ref_results, ref_records) = {
        let ref_server = start(&ref_url);
        let ref_base = ref_server.base.clone();
        let ref_token = login(&http, &ref_base, "zhangsan", PASSWORD).await;
        let ref_id = upload_import(&http, &ref_base, &ref_token, body).await;
        let ref_job = import_done(
            &http,
            &ref_base,
            &ref_token,
            ref_id,
            Duration::from_secs(60),
        )
        .await;
        let ref_store = open_store(reference_db.url()).await;
        let ref_results = stored_results(&ref_store, ref_id).await;
        check_result_file(&http, &ref_base, &ref_token, ref_id, &ref_results).await;
        (ref_job, ref_results, customer_records(&ref_store).await)
    };
    let ref_time = ref_started.elapsed();
    assert_eq!(ref_results.len(), total, "{ref_job}");
    let ref_counts = job_counts(&ref_job);
    assert_eq!(ref_counts, result_counts(&ref_results));
    assert!(
        ref_counts[0] + ref_counts[2] >= 3000 && ref_counts[1] >= 500,
        "the file has enough customers and in-file duplicates: {ref_job}"
    );
    assert_eq!(
        ref_records.len() as i64,
        ref_counts[0] + ref_counts[2],
        "{ref_job}"
    );

    // The job resumes after the lease, from the first row not committed, and ends as the
    // uninterrupted import does.
    let job = import_done(&http, &base, &token, id, Duration::from_secs(60)).await;
    let resumed_in = killed_at.elapsed();
    assert_eq!(job["rows_done"], json!(total), "{job}");
    assert_eq!(
        job_counts(&job),
        ref_counts,
        "{job} uninterrupted: {ref_job}"
    );
    let results = stored_results(&store, id).await;
    assert_eq!(results.len(), total);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.0, i as i64 + 1, "rows 1..{total}, each once");
    }
    assert_eq!(result_counts(&results), ref_counts);
    assert!(
        results[..n] == partial_results[..],
        "the lines committed before the kill stand as they were"
    );
    check_result_file(&http, &base, &token, id, &results).await;
    drop(server);
    let fin = customer_records(&store).await;
    for (id, c) in &fin {
        assert_whole(*id, c, "zhangsan");
    }
    // Row by row as uninterrupted, customer ids aside (PostgreSQL's sequences skip the ids
    // of the batch the kill rolled back).
    let record = |records: &BTreeMap<i64, CustomerRecord>, id: Option<i64>| {
        id.map(|id| records.get(&id).cloned().expect("a saved customer"))
    };
    let mut named = BTreeSet::new();
    for (r, f) in results.iter().zip(&ref_results) {
        assert_eq!(
            (r.0, &r.1, &r.4),
            (f.0, &f.1, &f.4),
            "{r:?} uninterrupted: {f:?}"
        );
        assert_eq!(
            record(&fin, r.2),
            record(&ref_records, f.2),
            "row {}: the same customer created",
            r.0
        );
        assert_eq!(
            record(&fin, r.3),
            record(&ref_records, f.3),
            "row {}: the same customer matched",
            r.0
        );
        let message = match (r.3, f.3) {
            (Some(m), Some(fm)) => f.5.replace(&format!("#{fm} "), &format!("#{m} ")),
            _ => f.5.clone(),
        };
        assert_eq!(r.5, message, "row {}", r.0);
        if let Some(cid) = r.2 {
            assert!(named.insert(cid), "#{cid} named twice");
            assert_from_row(r.0 as usize, &file[r.0 as usize - 1], &fin[&cid]);
        }
    }
    assert_eq!(
        fin.keys().copied().collect::<BTreeSet<_>>(),
        named,
        "every customer has its result line"
    );
    assert_eq!(
        sorted(fin.values().cloned()),
        sorted(ref_records.values().cloned()),
        "killed and taken over ends where an uninterrupted import does"
    );
    let by_record: BTreeSet<&CustomerRecord> = fin.values().collect();
    assert_eq!(by_record.len(), fin.len(), "no two customers alike");
    let counted = scalar(&store, "SELECT COUNT(*) FROM customers").await;
    assert_eq!(counted, ref_counts[0] + ref_counts[2]);
    eprintln!(
        "{backend:?}: {total} rows; killed {to_kill:?} after the upload with {n} rows committed; \
         done {resumed_in:?} after the kill; uninterrupted ({ref_time:?}): {ref_job}; \
         whole test {:?}",
        began.elapsed()
    );
}
