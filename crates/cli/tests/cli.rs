//! The `leadguard` binary as a user runs it: create users, serve on SQLite (relative and
//! absolute paths) and PostgreSQL, the demo, and clear errors for bad arguments.

mod common;

both_backends!(
    users_and_serve,
    recycle_processes_on_one_database,
    import_and_export,
    legacy_values_cost_no_row,
);

use std::process::{Child, Command, Output, Stdio};

use common::{BIN, Server, last_line, login, result_rows, run, run_ok};
use leadguard_store::DatabaseUrl;
use leadguard_testkit::{Backend, TestDb};
use serde_json::{Value, json};

async fn users_and_serve(backend: Backend) {
    let db = TestDb::create(backend).await;
    let work = tempfile::tempdir().unwrap();
    let url = match &db {
        // An absolute path: sqlite:///…
        TestDb::Sqlite { .. } => format!(
            "sqlite://{}",
            db.dir().unwrap().join("data/lg.db").display()
        ),
        TestDb::Postgres { .. } => db.url().to_string(),
    };
    assert!(
        url.starts_with("sqlite:///") || url.starts_with("postgres://"),
        "{url}"
    );
    let out = run(
        work.path(),
        &[
            "user",
            "add",
            "zhangsan",
            "--role",
            "rep",
            "--team",
            "华东销售部",
            "--display-name",
            "张三",
            "--cap",
            "5",
            "--password",
            "s3cret-pass",
            "--database-url",
            &url,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("zhangsan"));
    let out = run(
        work.path(),
        &[
            "user",
            "add",
            "zhangsan",
            "--role",
            "rep",
            "--password",
            "s3cret-pass",
            "--database-url",
            &url,
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already exists"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let server = Server::start(work.path(), &["--database-url", &url]);
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = login(&http, &server.base, "zhangsan", "s3cret-pass").await;
    let r = http
        .post(format!("{}/api/v1/customers", server.base))
        .bearer_auth(&token)
        .json(&json!({"name": "北京星河互联科技有限公司", "phones": ["13812345678"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["owner"]["display_name"], "张三");
    assert_eq!(v["owner"]["team"], "华东销售部");
}

#[tokio::test]
async fn demo_on_the_default_sqlite_file() {
    let work = tempfile::tempdir().unwrap();
    let server = Server::start(work.path(), &["--demo"]);
    assert!(
        work.path().join("leadguard.db").exists(),
        "the default database is ./leadguard.db"
    );
    let printed = server.stdout.join("\n");
    assert!(printed.contains("leadguard-demo"), "{printed}");
    assert!(printed.contains("zhangsan"), "{printed}");
    let http = reqwest::Client::new();
    let a = login(&http, &server.base, "zhangsan", "leadguard-demo").await;
    let r = http
        .get(format!("{}/api/v1/customers", server.base))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert!(v["total"].as_i64().unwrap() >= 3, "{v}");
    // Another rep re-entering a demo customer is told who owns it.
    let b = login(&http, &server.base, "zhaolei", "leadguard-demo").await;
    let r = http
        .post(format!("{}/api/v1/customers/check", server.base))
        .bearer_auth(&b)
        .json(&json!({"name": "星河互联科技（北京）有限公司"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["matches"][0]["owner"]["username"], "zhangsan");
    drop(server);

    // A second --demo start leaves the data as it is.
    let again = Server::start(work.path(), &["--demo"]);
    assert!(again.stdout.join("\n").contains("already present"));
}

#[test]
fn bad_arguments_get_clear_errors() {
    let work = tempfile::tempdir().unwrap();
    let out = run(
        work.path(),
        &["migrate", "--database-url", "mysql://localhost/x"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sqlite://") && err.contains("postgres://"),
        "{err}"
    );

    let out = run(
        work.path(),
        &[
            "user",
            "add",
            "x",
            "--role",
            "boss",
            "--password",
            "long-enough",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("rep, manager or admin"));

    let out = run(
        work.path(),
        &["user", "add", "x", "--role", "rep", "--password", "short"],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--password"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `leadguard recycle`: a dry run previews next month without changing anything; two processes
/// run at once on one database recycle each customer once.
async fn recycle_processes_on_one_database(backend: Backend) {
    const BRANDS: [&str; 12] = [
        "星河", "蓝鲸", "青松", "金桥", "华彩", "瑞丰", "博远", "东升", "天合", "众诚", "鼎盛",
        "恒通",
    ];
    let db = TestDb::create(backend).await;
    let work = tempfile::tempdir().unwrap();
    let url = db.url().to_string();
    let out = run(
        work.path(),
        &[
            "user",
            "add",
            "zhangsan",
            "--role",
            "rep",
            "--password",
            "s3cret-pass",
            "--database-url",
            &url,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = Server::start(
        work.path(),
        &["--database-url", &url, "--recycle-interval", "0"],
    );
    let http = reqwest::Client::new();
    let token = login(&http, &server.base, "zhangsan", "s3cret-pass").await;
    for (i, brand) in BRANDS.iter().enumerate() {
        let r = http
            .post(format!("{}/api/v1/customers", server.base))
            .bearer_auth(&token)
            .json(&json!({"name": format!("{brand}科技有限公司"), "phones": [format!("1380000{i:04}")]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    drop(server);

    // Default policy: 30 days without a follow-up. Forty days on, all are due.
    let later = (chrono::Utc::now() + chrono::Duration::days(40)).to_rfc3339();
    let report = |out: &Output| -> Value {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON report")
    };
    let preview = report(&run(
        work.path(),
        &[
            "recycle",
            "--dry-run",
            "--now",
            &later,
            "--json",
            "--database-url",
            &url,
        ],
    ));
    assert_eq!(preview["dry_run"], true);
    assert_eq!(preview["recycled"].as_array().unwrap().len(), BRANDS.len());
    let now = report(&run(
        work.path(),
        &["recycle", "--json", "--database-url", &url],
    ));
    assert_eq!(now["recycled"], json!([]), "nothing is due today: {now}");

    let children: Vec<Child> = (0..2)
        .map(|_| {
            Command::new(BIN)
                .args(["recycle", "--now", &later, "--json", "--database-url", &url])
                .current_dir(work.path())
                .env("RUST_LOG", "warn")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn recycle")
        })
        .collect();
    let mut recycled: Vec<i64> = Vec::new();
    for c in children {
        let out = c.wait_with_output().expect("recycle");
        for item in report(&out)["recycled"].as_array().unwrap() {
            recycled.push(item["customer_id"].as_i64().unwrap());
        }
    }
    recycled.sort();
    let expected: Vec<i64> = (1..=BRANDS.len() as i64).collect();
    assert_eq!(
        recycled, expected,
        "each customer recycled by exactly one process"
    );
    let again = report(&run(
        work.path(),
        &["recycle", "--now", &later, "--json", "--database-url", &url],
    ));
    assert_eq!(again["recycled"], json!([]));

    let out = run(
        work.path(),
        &["recycle", "--now", "next tuesday", "--database-url", &url],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("RFC 3339"));
}

/// `leadguard import` and `export`: every row checked against the database and the rows
/// before it, a result per row, a dry run that saves nothing, a rerun that creates nothing,
/// GB18030 and XLSX input, and an export that opens as a spreadsheet.
async fn import_and_export(backend: Backend) {
    let db = TestDb::create(backend).await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let url = db.url().to_string();
    for user in ["zhangsan", "lisi"] {
        run_ok(
            dir,
            &[
                "user",
                "add",
                user,
                "--role",
                "rep",
                "--password",
                "s3cret-pass",
                "--database-url",
                &url,
            ],
        );
    }
    // lisi already has 上海蓝鲸 (imported from a one-row file).
    std::fs::write(
        dir.join("lisi.csv"),
        "客户名称,电话\n上海蓝鲸贸易有限公司,13800138000\n",
    )
    .unwrap();
    let out = run(
        dir,
        &[
            "import",
            "lisi.csv",
            "--owner",
            "lisi",
            "--database-url",
            &url,
        ],
    );
    assert_eq!(
        last_line(&out),
        "created 1, duplicate 0, suspected 0, error 0"
    );
    // The import leaves its rows in the database file, not in a write-ahead log on the side.
    if let DatabaseUrl::Sqlite { path } = db.url() {
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        let left = std::fs::metadata(&wal).map_or(0, |m| m.len());
        assert_eq!(
            left, 0,
            "the import left a {left}-byte log beside the database"
        );
    }

    let text = "客户名称,电话,邮箱,备注\n\
                北京星河互联科技有限公司,010-62345678,,老客户\n\
                星河互联科技（北京）有限公司,+86 10 6234 5678,,\n\
                上海蓝鲸贸易,138 0013 8000,,\n\
                坏电话公司,12,,\n\
                广州远洋物流有限公司,13900139000,ops@yuanyang-wl.com,\n\
                ,13700137000,,无名\n";
    std::fs::write(dir.join("book.csv"), format!("\u{feff}{text}")).unwrap();

    // Dry run: the same verdicts, nothing saved.
    let out = run(
        dir,
        &[
            "import",
            "book.csv",
            "--owner",
            "zhangsan",
            "--dry-run",
            "--result",
            "dry.csv",
            "--database-url",
            &url,
        ],
    );
    assert_eq!(
        last_line(&out),
        "created 3, duplicate 2, suspected 0, error 1"
    );
    let dry = result_rows(&dir.join("dry.csv"));
    let statuses: Vec<&str> = dry.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        statuses,
        [
            "created",
            "duplicate",
            "duplicate",
            "created",
            "created",
            "error"
        ]
    );
    assert!(dry[3][6].contains("row 4, column 2 (电话)"), "{:?}", dry[3]);
    assert!(dry[1][5].contains("row 1"), "{:?}", dry[1]);
    let out = run(
        dir,
        &["export", "--out", "after-dry.csv", "--database-url", &url],
    );
    assert!(
        last_line(&out).starts_with("exported 1 customers"),
        "dry run saved nothing"
    );

    // The import: row numbers count data rows from 1; the bad cell is named by row and column.
    let out = run(
        dir,
        &[
            "import",
            "book.csv",
            "--owner",
            "zhangsan",
            "--result",
            "res.csv",
            "--database-url",
            &url,
        ],
    );
    assert_eq!(
        last_line(&out),
        "created 3, duplicate 2, suspected 0, error 1"
    );
    let rows = result_rows(&dir.join("res.csv"));
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0][..2], ["1", "created"]);
    let first_id = rows[0][2].clone();
    assert!(!first_id.is_empty());
    assert_eq!(rows[1][1], "duplicate");
    assert_eq!(rows[1][3], first_id, "a duplicate of the row above it");
    assert_eq!(rows[1][4], "zhangsan");
    assert_eq!(rows[2][1], "duplicate");
    assert_eq!(
        rows[2][4], "lisi",
        "a duplicate of lisi's customer names lisi"
    );
    // A phone that cannot be one costs nothing: the row is saved, the value kept in the
    // note, and the warnings column names the row and the column.
    assert_eq!(rows[3][1], "created");
    assert!(
        rows[3][6].contains("row 4, column 2 (电话)"),
        "{:?}",
        rows[3]
    );
    assert_eq!(rows[4][1], "created");
    // Only a row without a name is refused, named by its row.
    assert_eq!(rows[5][1], "error");
    assert!(rows[5][5].contains("row 6"), "{:?}", rows[5]);

    // Again: nothing new.
    let out = run(
        dir,
        &[
            "import",
            "book.csv",
            "--owner",
            "zhangsan",
            "--result",
            "again.csv",
            "--database-url",
            &url,
        ],
    );
    assert_eq!(
        last_line(&out),
        "created 0, duplicate 5, suspected 0, error 1"
    );

    // GB18030 CSV and XLSX read the same.
    let (gbk, _, _) = encoding_rs::GB18030.encode(text);
    std::fs::write(dir.join("gbk.csv"), gbk.as_ref()).unwrap();
    let out = run(
        dir,
        &[
            "import",
            "gbk.csv",
            "--owner",
            "zhangsan",
            "--dry-run",
            "--database-url",
            &url,
        ],
    );
    assert_eq!(
        last_line(&out),
        "created 0, duplicate 5, suspected 0, error 1"
    );
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, line) in text.lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            ws.write_string(r as u32, c as u16, cell).unwrap();
        }
    }
    wb.save(dir.join("book.xlsx")).unwrap();
    let out = run(
        dir,
        &[
            "import",
            "book.xlsx",
            "--owner",
            "zhangsan",
            "--dry-run",
            "--database-url",
            &url,
        ],
    );
    assert_eq!(
        last_line(&out),
        "created 0, duplicate 5, suspected 0, error 1"
    );

    // Bad arguments are named.
    let out = run(
        dir,
        &[
            "import",
            "book.csv",
            "--owner",
            "nobody",
            "--database-url",
            &url,
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody"));
    let out = run(
        dir,
        &[
            "import",
            "book.csv",
            "--owner",
            "zhangsan",
            "--mapping",
            "phone",
            "--database-url",
            &url,
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--mapping"));

    // Export: a real spreadsheet with the three customers.
    let out = run(
        dir,
        &["export", "--out", "all.xlsx", "--database-url", &url],
    );
    assert_eq!(last_line(&out), format!("exported 4 customers to all.xlsx"));
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(dir.join("all.xlsx")).unwrap();
    let sheet = wb.worksheet_range("customers 客户").unwrap();
    let names: Vec<String> = sheet.rows().skip(1).map(|r| r[2].to_string()).collect();
    assert_eq!(
        names,
        [
            "上海蓝鲸贸易有限公司",
            "北京星河互联科技有限公司",
            "坏电话公司",
            "广州远洋物流有限公司"
        ]
    );
    let owners: Vec<String> = sheet.rows().skip(1).map(|r| r[14].to_string()).collect();
    assert_eq!(owners, ["lisi", "zhangsan", "zhangsan", "zhangsan"]);
    let notes: Vec<String> = sheet.rows().skip(1).map(|r| r[20].to_string()).collect();
    assert_eq!(notes[1], "老客户");
    assert!(notes[2].contains("12"), "{notes:?}");
    let out = run(dir, &["export", "--out", "all.txt", "--database-url", &url]);
    assert!(!out.status.success());
}

/// A legacy export as reps typed it over the years: the 310 real listed companies of the
/// matching crate's test data, with old seven-digit landlines (possible, no longer valid),
/// local numbers without an area code, "暂无" and stray digits in the phone column, and
/// e-mails with typos in their domain. No row is refused, every value is kept (as an unverified
/// identifier, or in the note), and running the file again creates nothing.
async fn legacy_values_cost_no_row(backend: Backend) {
    let db = TestDb::create(backend).await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let url = db.url().to_string();
    run_ok(
        dir,
        &[
            "user",
            "add",
            "zhangsan",
            "--role",
            "rep",
            "--password",
            "s3cret-pass",
            "--cap",
            "1000",
            "--database-url",
            &url,
        ],
    );

    let names: Vec<String> = include_str!("../../matching/tests/data/real_names.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("full_name"))
        .filter_map(|l| l.split('\t').next().map(str::to_string))
        .collect();
    assert!(names.len() >= 300);
    let mut csv = String::from("客户名称,电话,邮箱,备注\n");
    for (i, name) in names.iter().enumerate() {
        let phone = match i % 6 {
            0 => format!("138{i:08}"),
            // Seven-digit numbers of cities that went to eight.
            1 => format!("0531 {}", 8_000_000 + i),
            2 => format!("(0755){}", 2_000_000 + i),
            // A local number without its area code.
            3 => format!("{}", 80_000_000 + i),
            4 => "暂无".to_string(),
            _ => format!("0{}", i % 100),
        };
        let email = match i % 3 {
            0 => format!("info{i}@qq.con"),
            1 => format!("sales{i}@gmial.com"),
            _ => String::new(),
        };
        csv.push_str(&format!("{name},{phone},{email},第{i}行\n"));
    }
    std::fs::write(dir.join("legacy.csv"), &csv).unwrap();
    let import = |result: &str| {
        run(
            dir,
            &[
                "import",
                "legacy.csv",
                "--owner",
                "zhangsan",
                "--result",
                result,
                "--database-url",
                &url,
            ],
        )
    };
    let out = import("first.csv");
    let rows = result_rows(&dir.join("first.csv"));
    assert_eq!(rows.len(), names.len());
    let errors: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == "error").collect();
    assert!(errors.is_empty(), "no row may be refused: {errors:?}");
    let saved = rows
        .iter()
        .filter(|r| r[1] == "created" || r[1] == "suspected")
        .count();
    assert_eq!(saved, names.len(), "{}", last_line(&out));
    // Every row carries an imperfect value, and its row says so.
    for r in &rows {
        assert!(!r[6].is_empty(), "{r:?}");
    }
    // And a rerun creates nothing: each row is the customer it created.
    let out = import("second.csv");
    assert_eq!(
        last_line(&out),
        format!("created 0, duplicate {}, suspected 0, error 0", names.len())
    );
    let again = result_rows(&dir.join("second.csv"));
    for (a, b) in rows.iter().zip(&again) {
        assert_eq!(
            b[3], a[2],
            "row {} is a duplicate of its own customer",
            a[0]
        );
    }
}
