//! Imports through the API (upload → progress → result), on SQLite and on PostgreSQL: every
//! row checked against the database and the rest of the file, the same result lines as
//! `leadguard import`, idempotent reruns, bad uploads refused, and a job whose server died
//! taken over by another.

mod common;

use std::time::Duration;

use common::{Backend, TestApp};
use leadguard_domain::user::Role;
use leadguard_server::Background;
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(
    uploaded_file_is_checked_row_by_row_with_progress_and_results,
    bad_uploads_are_refused_before_anything_is_queued,
    job_of_a_server_that_died_is_taken_over,
    row_holding_a_stored_identifier_is_that_customer,
    owner_column_pool_and_caps_through_the_api,
);

const CSV: &str = "客户名称,电话,邮箱,地址
杭州云栖数据科技有限公司,0571-88886666,info@yunqi.cn,浙江省杭州市西湖区文三路90号
杭州云栖数据科技,+86 571 8888 6666,,
北京星河互联科技有限公司,+86 10 6234 5678,,
深圳前海微众贸易有限公司,12,,
成都天府软件园开发有限公司,028-85556666,,四川省成都市高新区天府大道
,13812345678,,
";

/// A server that works import jobs every 20 ms (the one under test answers the uploads).
async fn worker(app: &TestApp) -> TestApp {
    app.sibling(Background {
        import_every: Some(Duration::from_millis(20)),
        ..Background::NONE
    })
    .await
}

async fn upload(
    app: &TestApp,
    token: &str,
    query: &str,
    body: Vec<u8>,
) -> (StatusCode, Value, Option<String>) {
    let resp = app
        .http
        .post(format!("{}/api/v1/imports?{query}", app.base))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .expect("upload");
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let text = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        location,
    )
}

/// Polls a job until it is done (or failed), at most 30 s.
async fn finished(app: &TestApp, token: &str, id: i64) -> Value {
    for _ in 0..600 {
        let (status, job) = app.get(&format!("/api/v1/imports/{id}"), token).await;
        assert_eq!(status, StatusCode::OK, "{job}");
        if job["status"] == "done" || job["status"] == "failed" {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("import job {id} did not finish");
}

async fn result_rows(app: &TestApp, token: &str, id: i64) -> Vec<Vec<String>> {
    let resp = app
        .http
        .get(format!("{}/api/v1/imports/{id}/result", app.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("result");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    let bytes = resp.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    rdr.records()
        .map(|r| r.expect("csv").iter().map(String::from).collect())
        .collect()
}

fn counts(job: &Value) -> (i64, i64, i64, i64) {
    (
        job["created"].as_i64().unwrap_or(-1),
        job["duplicate"].as_i64().unwrap_or(-1),
        job["suspected"].as_i64().unwrap_or(-1),
        job["errors"].as_i64().unwrap_or(-1),
    )
}

async fn uploaded_file_is_checked_row_by_row_with_progress_and_results(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let zhangsan = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let lisi = app.user("lisi", Role::Rep, Some("east"), None).await;
    let manager = app
        .user("wangfang", Role::Manager, Some("east"), None)
        .await;
    let outsider = app.user("zhaoliu", Role::Rep, Some("south"), None).await;
    let lisis = app
        .create(
            &lisi,
            json!({"name": "北京星河互联科技有限公司", "phones": ["010-62345678"]}),
        )
        .await;
    let _worker = worker(&app).await;

    let (status, job, location) = upload(
        &app,
        &zhangsan,
        "filename=客户.csv",
        CSV.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_i64().expect("id");
    assert_eq!(
        location.as_deref(),
        Some(format!("/api/v1/imports/{id}").as_str())
    );
    assert_eq!(job["total_rows"], 6);
    assert_eq!(job["owner"], "zhangsan");
    assert_eq!(job["submitted_by"], "zhangsan");

    let job = finished(&app, &zhangsan, id).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["rows_done"], 6);
    assert_eq!(counts(&job), (3, 2, 0, 1), "{job}");

    let rows = result_rows(&app, &zhangsan, id).await;
    assert_eq!(
        rows[0],
        [
            "row",
            "status",
            "customer_id",
            "matched_customer_id",
            "owner",
            "message",
            "warnings"
        ]
    );
    assert_eq!(rows.len(), 7, "one line per input row: {rows:?}");
    let first: i64 = rows[1][2].parse().expect("row 1 created with an id");
    assert_eq!((rows[1][0].as_str(), rows[1][1].as_str()), ("1", "created"));
    // Row 2 repeats row 1 (short name, phone in another format): the file's own duplicate.
    assert_eq!(rows[2][1], "duplicate");
    assert_eq!(rows[2][3], first.to_string());
    assert_eq!(rows[2][4], "zhangsan");
    // Row 3 is lisi's customer: refused, naming the owner.
    assert_eq!(rows[3][1], "duplicate");
    assert_eq!(rows[3][3], lisis.to_string());
    assert_eq!(rows[3][4], "lisi");
    assert!(rows[3][5].contains("owned by lisi"), "{:?}", rows[3]);
    // Row 4's phone cannot be one: the customer is saved all the same, the value kept in its
    // note, and the warning names the row and the column, by number and header.
    assert_eq!(rows[4][1], "created", "{:?}", rows[4]);
    assert!(
        rows[4][6].contains("row 4, column 2 (电话)"),
        "{:?}",
        rows[4]
    );
    let (_, c) = app
        .get(&format!("/api/v1/customers/{}", rows[4][2]), &zhangsan)
        .await;
    assert!(c["phones"].as_array().is_some_and(Vec::is_empty), "{c}");
    assert!(c["note"].as_str().is_some_and(|n| n.contains("12")), "{c}");
    assert_eq!(rows[5][1], "created");
    // Only a row with no name at all is refused.
    assert_eq!(rows[6][1], "error");
    assert!(rows[6][5].contains("row 6"), "{:?}", rows[6]);

    // The customers are zhangsan's, like any entered in the UI.
    let (status, c) = app
        .get(&format!("/api/v1/customers/{first}"), &zhangsan)
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["owner"]["username"], "zhangsan");
    // lisi learns that someone tried to enter her customer.
    assert_eq!(app.events_of("duplicate.blocked", lisis).await.len(), 1);

    // The same file again creates nothing.
    let (status, again, _) = upload(
        &app,
        &zhangsan,
        "filename=客户.csv",
        CSV.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    let again = finished(&app, &zhangsan, again["id"].as_i64().expect("id")).await;
    assert_eq!(counts(&again), (0, 5, 0, 1), "{again}");
    assert_eq!(app.customer_count().await, 4);

    // Who sees the jobs: the uploader, their manager; not a rep of another team.
    let (_, mine) = app.get("/api/v1/imports", &zhangsan).await;
    assert_eq!(mine.as_array().map(Vec::len), Some(2), "{mine}");
    let (status, _) = app.get(&format!("/api/v1/imports/{id}"), &manager).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.get(&format!("/api/v1/imports/{id}"), &outsider).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (_, theirs) = app.get("/api/v1/imports", &outsider).await;
    assert_eq!(theirs, json!([]));

    // A manager imports for a rep of the team; the same rows as XLSX give the same verdicts
    // (all duplicates now, but the nameless row stays an error).
    let mut rdr = csv::Reader::from_reader(CSV.as_bytes());
    let sheet = leadguard_tabular::Sheet {
        name: "客户".into(),
        header: rdr
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect(),
        rows: rdr
            .records()
            .map(|r| {
                r.expect("row")
                    .iter()
                    .map(leadguard_tabular::Cell::from)
                    .collect()
            })
            .collect(),
    };
    let xlsx = leadguard_tabular::xlsx_bytes(&[sheet]).expect("xlsx");
    let (status, job, _) = upload(
        &app,
        &manager,
        "filename=customers.xlsx&owner=zhangsan",
        xlsx,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = finished(&app, &manager, job["id"].as_i64().expect("id")).await;
    assert_eq!(job["owner"], "zhangsan");
    assert_eq!(job["submitted_by"], "wangfang");
    assert_eq!(counts(&job), (0, 5, 0, 1), "{job}");

    // A dry run reports what would happen and saves nothing.
    let fresh = "公司名称,手机\n南京紫金山数据有限公司,13912345678\n南京紫金山数据,139 1234 5678\n";
    let (status, job, _) = upload(
        &app,
        &lisi,
        "filename=new.csv&dry_run=true",
        fresh.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_i64().expect("id");
    let job = finished(&app, &lisi, id).await;
    assert_eq!(job["dry_run"], true);
    assert_eq!(counts(&job), (1, 1, 0, 0), "{job}");
    let rows = result_rows(&app, &lisi, id).await;
    assert!(
        rows[1][5].starts_with("dry run: would be created"),
        "{rows:?}"
    );
    assert_eq!(rows[2][5], "duplicate of row 1 of this file");
    assert_eq!(app.customer_count().await, 4);
    app.assert_owner_counts_kept().await;
}

/// A row whose mobile number a stored customer already holds is that customer, even under a
/// name the matcher alone would not call the same: it is reported as a duplicate within the
/// batch. (It used to make the whole batch fail on the identity's unique key and be entered
/// again row by row, which at a million customers took minutes per batch and sent the owner
/// a `duplicate.blocked` event for every row of a rerun.)
async fn row_holding_a_stored_identifier_is_that_customer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let zhangsan = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let lisi = app.user("lisi", Role::Rep, Some("east"), None).await;
    let mine = app
        .create(
            &zhangsan,
            json!({"name": "杭州云栖数据科技有限公司", "phones": ["13805710001"]}),
        )
        .await;
    let lisis = app
        .create(
            &lisi,
            json!({"name": "北京星河互联科技有限公司", "phones": ["13901010002"]}),
        )
        .await;
    let _worker = worker(&app).await;
    let file = "客户名称,手机
杭州云栖数据科技有限公司,13805710001
成都锦江火锅餐饮管理有限公司,138 0571 0001
广州白云物流运输有限公司,+86 139 0101 0002
南京紫金山软件有限公司,13912345678
";
    let (status, job, _) =
        upload(&app, &zhangsan, "filename=a.csv", file.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_i64().expect("id");
    let job = finished(&app, &zhangsan, id).await;
    assert_eq!(counts(&job), (1, 3, 0, 0), "{job}");
    let rows = result_rows(&app, &zhangsan, id).await;
    assert_eq!(
        rows[1][1..5],
        ["duplicate", "", &mine.to_string(), "zhangsan"]
    );
    assert_eq!(
        rows[2][1..5],
        ["duplicate", "", &mine.to_string(), "zhangsan"]
    );
    assert_eq!(rows[3][1..5], ["duplicate", "", &lisis.to_string(), "lisi"]);
    assert_eq!(rows[4][1], "created");
    assert_eq!(app.customer_count().await, 3);
    // Only the attempt on another rep's customer is news to anyone.
    assert_eq!(app.events_of("duplicate.blocked", mine).await.len(), 0);
    assert_eq!(app.events_of("duplicate.blocked", lisis).await.len(), 1);
    app.assert_owner_counts_kept().await;
}

async fn bad_uploads_are_refused_before_anything_is_queued(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let rep = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    app.user("lisi", Role::Rep, Some("east"), None).await;
    app.user("gone", Role::Rep, Some("east"), None).await;
    let admin = app.user("root", Role::Admin, None, None).await;
    let (status, _) = app
        .patch("/api/v1/users/gone", &admin, json!({"active": false}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let csv = CSV.as_bytes().to_vec();

    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        ("", csv.clone(), StatusCode::BAD_REQUEST, "filename"),
        (
            "filename=x.pdf",
            csv.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "file",
        ),
        (
            "filename=x.xlsx",
            b"PK\x03\x04 not really a workbook".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "file",
        ),
        (
            "filename=x.csv",
            "客户名称,电话\n".as_bytes().to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "file",
        ),
        (
            "filename=x.csv",
            vec![0xff, 0xfe, 0xfd, b'\n', 0x81, 0x20],
            StatusCode::UNPROCESSABLE_ENTITY,
            "file",
        ),
        (
            "filename=x.csv&mapping=电话%3Dbogus",
            csv.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "mapping",
        ),
        (
            "filename=x.csv&owner=nobody",
            csv.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "owner",
        ),
        (
            "filename=x.csv&owner=gone",
            csv.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "owner",
        ),
        (
            "filename=x.csv&owner=lisi",
            csv.clone(),
            StatusCode::FORBIDDEN,
            "",
        ),
    ];
    for (query, body, expected, field) in cases {
        let (status, err, _) = upload(&app, &rep, query, body).await;
        assert_eq!(status, expected, "{query}: {err}");
        assert!(
            err["error"].is_string(),
            "{query}: machine-readable code: {err}"
        );
        assert!(err["message"].is_string(), "{query}: human message: {err}");
        if expected == StatusCode::UNPROCESSABLE_ENTITY {
            assert!(
                err.to_string().contains(&format!("\"{field}\"")),
                "{query}: names the field {field}: {err}"
            );
        }
    }
    // Without a token: 401.
    let resp = app
        .http
        .post(format!("{}/api/v1/imports?filename=x.csv", app.base))
        .body(csv)
        .send()
        .await
        .expect("upload");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let (_, jobs) = app.get("/api/v1/imports", &admin).await;
    assert_eq!(jobs, json!([]), "nothing was queued");
    let (status, _) = app.get("/api/v1/imports/1", &admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn job_of_a_server_that_died_is_taken_over(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let rep = app
        .user("zhangsan", Role::Rep, Some("east"), Some(100_000))
        .await;
    // A generated CRM export: 1,000 companies, some entered two to four times.
    use leadguard_datagen::dataset::{Config, Kind, generate, headers, record};
    let rows = generate(&Config::new(Kind::Company, 1000, 7));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(headers(Kind::Company)).expect("header");
    for r in &rows {
        w.write_record(record(Kind::Company, r)).expect("row");
    }
    let body = w.into_inner().expect("csv");
    let total = rows.len();
    assert!(total > 1000, "more than one batch: {total}");
    let (status, job, _) = upload(&app, &rep, "filename=big.csv", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_i64().expect("id");

    // A server takes the job and dies before its first batch commits: its lease holds the
    // job for a while.
    let now = app.service.now();
    {
        let mut tx = app.store.begin().await.expect("tx");
        let claimed = tx
            .exec()
            .claim_import_job(now, now + chrono::Duration::seconds(30))
            .await
            .expect("claim");
        assert_eq!(claimed, Some(id));
        tx.commit().await.expect("commit");
    }
    let survivor = worker(&app).await;
    survivor.clock.set(now + chrono::Duration::seconds(10));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, job) = app.get(&format!("/api/v1/imports/{id}"), &rep).await;
    assert_eq!(job["status"], "running");
    assert_eq!(job["rows_done"], 0, "the lease still holds: {job}");

    // After the lease, another server carries on and finishes it, each row once.
    survivor.clock.set(now + chrono::Duration::seconds(31));
    let job = finished(&app, &rep, id).await;
    assert_eq!(job["status"], "done", "{job}");
    let (created, duplicate, suspected, errors) = counts(&job);
    assert_eq!(
        created + duplicate + suspected + errors,
        total as i64,
        "{job}"
    );
    assert_eq!(errors, 0, "{job}");
    assert!(duplicate > 200, "the file's repeats are found: {job}");
    assert_eq!(app.customer_count().await, created + suspected);
    let results = result_rows(&app, &rep, id).await;
    assert_eq!(results.len(), total + 1);
    assert!(
        results[1..]
            .iter()
            .enumerate()
            .all(|(i, r)| r[0] == (i + 1).to_string()),
        "each row once, in order"
    );
}

/// A CRM export with an owner column through the API: a manager's upload gives rows to their
/// own reps (others go where rows without an owner go, the name kept), keeps the entry times
/// in the note; an admin's upload is a migration, its entry times the first-come evidence.
/// Reps may not import into the pool, and only admins past a cap.
async fn owner_column_pool_and_caps_through_the_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.user("root2", Role::Admin, None, None).await;
    let manager = app
        .user("wangfang", Role::Manager, Some("east"), None)
        .await;
    let zhangsan = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let _zhaoliu = app.user("zhaoliu", Role::Rep, Some("south"), None).await;
    let _worker = worker(&app).await;
    let file = "客户名称,电话,负责人,创建时间
华为技术有限公司,0755-28780808,zhangsan,2020-01-08 09:00
小米科技有限责任公司,010-60606666,zhaoliu 显示名,2018-05-01
京东集团,010-89118888,,2019-03-03
";

    // A rep may neither pool nor assign; only an admin passes caps.
    let (s, v, _) = upload(&app, &zhangsan, "filename=a.csv&to_pool=true", file.into()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v, _) = upload(
        &app,
        &manager,
        "filename=a.csv&ignore_cap=true",
        file.into(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v, _) = upload(
        &app,
        &manager,
        "filename=a.csv&to_pool=true&assign=true",
        file.into(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    let (s, job, _) = upload(&app, &manager, "filename=a.csv&to_pool=true", file.into()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["placement"], "pool");
    let id = job["id"].as_i64().expect("id");
    let job = finished(&app, &manager, id).await;
    assert_eq!(counts(&job), (3, 0, 0, 0), "{job}");
    let rows = result_rows(&app, &manager, id).await;
    assert_eq!(rows[1][4], "zhangsan", "{rows:?}");
    // zhaoliu is in another team: the row goes to the pool, the name kept and reported.
    assert_eq!(rows[2][4], "", "{rows:?}");
    assert!(rows[2][6].contains("zhaoliu 显示名"), "{rows:?}");
    assert_eq!(rows[3][4], "", "{rows:?}");
    let huawei: i64 = rows[1][2].parse().expect("id");
    let (_, c) = app
        .get(&format!("/api/v1/customers/{huawei}"), &admin)
        .await;
    // A manager's upload does not date entries back: the time is kept in the note.
    assert_ne!(c["owned_since"], "2020-01-08T01:00:00Z", "{c}");
    assert!(
        c["note"]
            .as_str()
            .unwrap_or_default()
            .contains("原创建时间：2020-01-08 09:00"),
        "{c}"
    );

    // The admin's migration keeps the entry time as owned-since.
    let migration = "客户名称,电话,负责人,创建时间
网易（杭州）网络有限公司,0571-89852163,zhaoliu 显示名,2017-06-01 08:30
";
    let (s, job, _) = upload(&app, &admin, "filename=b.csv", migration.into()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_i64().expect("id");
    let job = finished(&app, &admin, id).await;
    assert_eq!(counts(&job), (1, 0, 0, 0), "{job}");
    let rows = result_rows(&app, &admin, id).await;
    assert_eq!(rows[1][4], "zhaoliu", "{rows:?}");
    let netease: i64 = rows[1][2].parse().expect("id");
    let (_, c) = app
        .get(&format!("/api/v1/customers/{netease}"), &admin)
        .await;
    assert_eq!(c["owner"]["username"], "zhaoliu", "{c}");
    let since = c["owned_since"].as_str().unwrap_or_default();
    assert!(since.starts_with("2017-06-01T00:30:00"), "{c}");
}
