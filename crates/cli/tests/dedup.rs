//! `leadguard dedup` as a user runs it: files in every encoding and format, header
//! recognition, explicit mappings, clear errors, explanations, and the database scan.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

use leadguard_datagen::dataset::{self, Config, Kind};
use leadguard_datagen::eval;
use leadguard_domain::customer::CustomerFields;
use leadguard_matching::Profile;
use leadguard_store::{MatchData, NewCustomer, Store, StoreOptions};
use leadguard_testkit::{Backend, TestDb};

const BIN: &str = env!("CARGO_BIN_EXE_leadguard");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run leadguard")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).expect("csv");
    let mut rows = vec![
        r.headers()
            .expect("headers")
            .iter()
            .map(str::to_string)
            .collect(),
    ];
    rows.extend(
        r.records()
            .map(|rec| rec.expect("row").iter().map(str::to_string).collect()),
    );
    rows
}

fn clusters(path: &Path) -> HashMap<String, String> {
    let rows = read_csv(path);
    assert_eq!(rows[0], vec!["id", "cluster"]);
    rows[1..]
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

/// A generated company file and its truth (id → entity).
fn company_file(dir: &Path, entities: usize) -> (Vec<dataset::Row>, HashMap<String, String>) {
    let rows = dataset::generate(&Config::new(Kind::Company, entities, 42));
    let truth = rows
        .iter()
        .map(|r| (r.id.clone(), r.entity.to_string()))
        .collect();
    let mut w = csv::Writer::from_path(dir.join("b2b.csv")).expect("write");
    w.write_record(dataset::headers(Kind::Company))
        .expect("header");
    for r in &rows {
        w.write_record(dataset::record(Kind::Company, r))
            .expect("row");
    }
    w.flush().expect("flush");
    (rows, truth)
}

#[test]
fn finds_the_duplicates_in_a_csv_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_, truth) = company_file(dir.path(), 600);
    let out = dir.path().join("clusters.csv");
    let pairs = dir.path().join("pairs.csv");
    let stderr = ok(&run(&[
        "dedup",
        "--input",
        dir.path().join("b2b.csv").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--pairs",
        pairs.to_str().unwrap(),
        "--explain",
    ]));
    assert!(stderr.contains("duplicate groups"), "{stderr}");
    let predicted = clusters(&out);
    assert_eq!(
        predicted.len(),
        truth.len(),
        "one row per input row, keyed by the id column"
    );
    let s = eval::pairwise(&truth, &predicted);
    assert!(
        s.f1 > 0.93,
        "F1 {:.3} (precision {:.3}, recall {:.3})",
        s.f1,
        s.precision,
        s.recall
    );
    let p = read_csv(&pairs);
    assert_eq!(p[0], vec!["id_a", "id_b", "probability", "reasons"]);
    assert!(p.len() > 50);
    assert!(
        p[1][3].contains("一致") || p[1][3].contains("相同"),
        "{:?}",
        p[1]
    );
}

#[test]
fn reads_gb18030_and_xlsx_and_numbers_rows_without_an_id() {
    let dir = tempfile::tempdir().unwrap();
    let text = "客户名称,电话\n北京星河互联科技有限公司,010-62345678\n星河互联科技（北京）有限公司,+86 10 6234 5678\n深圳市恒通物流有限公司,0755-88886666\n";
    let (gbk, _, _) = encoding_rs::GB18030.encode(text);
    let csv_path = dir.path().join("gbk.csv");
    std::fs::write(&csv_path, &gbk).unwrap();
    let out = dir.path().join("c1.csv");
    ok(&run(&[
        "dedup",
        "--input",
        csv_path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    let c = clusters(&out);
    assert_eq!(c["1"], c["2"], "row numbers count data rows from 1: {c:?}");
    assert_ne!(c["1"], c["3"]);

    let xlsx = dir.path().join("c.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, line) in text.lines().enumerate() {
        for (col, cell) in line.split(',').enumerate() {
            ws.write_string(r as u32, col as u16, cell).unwrap();
        }
    }
    // A phone stored as a number, as Excel does.
    ws.write_number(4, 0, 0.0).unwrap();
    ws.write_string(4, 0, "杭州青禾电子商务有限公司").unwrap();
    ws.write_number(4, 1, 13757112345.0).unwrap();
    wb.save(&xlsx).unwrap();
    let out = dir.path().join("c2.csv");
    ok(&run(&[
        "dedup",
        "--input",
        xlsx.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    let c = clusters(&out);
    assert_eq!(c.len(), 4);
    assert_eq!(c["1"], c["2"]);
}

#[test]
fn unrecognized_headers_are_mapped_with_fields() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("odd.csv");
    std::fs::write(&input, "key,A,B\nk1,北京星河互联科技有限公司,13812345678\nk2,星河互联,+86 138 1234 5678\nk3,上海云帆数据服务有限公司,13916012345\n").unwrap();
    let out = dir.path().join("c.csv");
    let failed = run(&[
        "dedup",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!failed.status.success());
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(
        err.contains("--fields") && err.contains("key, A, B"),
        "{err}"
    );
    ok(&run(&[
        "dedup",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--fields",
        "key=id,A=name,3=phone",
    ]));
    let c = clusters(&out);
    assert_eq!(c["k1"], c["k2"]);
    assert_ne!(c["k1"], c["k3"]);
}

#[test]
fn bad_files_and_values_get_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c.csv");
    let missing = run(&[
        "dedup",
        "--input",
        "/nonexistent/file.csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/file.csv"));

    let input = dir.path().join("bad.csv");
    std::fs::write(
        &input,
        "客户名称,电话,邮箱\n星河互联,12345,ok@xinghe.cn\n云帆,13916012345,not-an-email\n",
    )
    .unwrap();
    let stderr = ok(&run(&[
        "dedup",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    assert!(stderr.contains("row 2, column 2 (电话)"), "{stderr}");
    assert!(stderr.contains("row 3, column 3 (邮箱)"), "{stderr}");
    assert_eq!(
        clusters(&out).len(),
        2,
        "rows with bad values are still deduplicated"
    );

    let broken = dir.path().join("broken.xlsx");
    std::fs::write(&broken, b"PK not really a zip").unwrap();
    let e = run(&[
        "dedup",
        "--input",
        broken.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!e.status.success());
    assert!(String::from_utf8_lossy(&e.stderr).contains("broken.xlsx"));
}

/// Customers stored before a rule change (inserted here without the entry check) are found
/// by scanning the database.
#[tokio::test]
async fn scans_the_database_for_duplicate_groups() {
    let db = TestDb::create(Backend::Sqlite).await;
    let store = Store::open(db.url(), &StoreOptions::default())
        .await
        .unwrap();
    let mut tx = store.begin().await.unwrap();
    let admin = tx
        .exec()
        .insert_user(
            &leadguard_store::NewUser {
                username: "legacy".into(),
                display_name: "迁移".into(),
                role: leadguard_domain::user::Role::Admin,
                team_id: None,
                owner_cap: None,
                password_hash: "x".into(),
                active: true,
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    for name in [
        "北京星河互联科技有限公司",
        "星河互联科技（北京）有限公司",
        "上海云帆数据服务有限公司",
    ] {
        let fields = CustomerFields {
            name: name.into(),
            phones: vec![if name.contains("云帆") {
                "13916012345".into()
            } else {
                "13812345678".into()
            }],
            ..Default::default()
        };
        let p = Profile::build(&fields).unwrap();
        let json = serde_json::to_string(&p).unwrap();
        tx.exec()
            .insert_customer(&NewCustomer {
                fields: &fields,
                matching: MatchData {
                    name_search: &p.name.folded,
                    profile: &json,
                    version: 1, // an old profile: the scan rebuilds it first
                    keys: &p.index_keys(),
                    identities: &[],
                },
                created_by: admin.id,
                owner_id: Some(admin.id),
                now: chrono::Utc::now(),
                entered_at: None,
                protected_until: None,
            })
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    store.close().await;

    let out = db.dir().unwrap().join("groups.csv");
    let url = db.url().to_string();
    ok(&run(&[
        "dedup",
        "--database-url",
        &url,
        "--out",
        out.to_str().unwrap(),
    ]));
    let rows = read_csv(&out);
    assert_eq!(rows[0], vec!["customer_id", "group", "name", "owner"]);
    assert_eq!(rows.len(), 3, "one group of two: {rows:?}");
    assert_eq!(rows[1][1], rows[2][1]);
    assert_eq!(rows[1][3], "legacy");
}
