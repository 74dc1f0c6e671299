//! Hostile text (SQL injection, LIKE wildcards, quotes, backslashes, placeholders, astral
//! characters) through every text field and search parameter of the API, on SQLite and on
//! PostgreSQL: stored and read back exactly as sent, searches answer 200 with only what
//! matches, bad identifiers are a 4xx naming the field, and nothing else in the database moves.

mod common;

use common::{Backend, PASSWORD, TestApp};
use leadguard_domain::user::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(
    hostile_text_is_stored_verbatim_and_harms_nothing,
    nul_characters_are_refused_with_a_4xx,
);

const HOSTILE: &[&str] = &[
    "'; DROP TABLE customers; --",
    "\" OR 1=1 --",
    "Robert'); DELETE FROM users;--",
    "%' OR '1'='1",
    "\\'",
    "\\",
    "‘单’“双”＇全角＂〝〞",
    "$1",
    "?",
    "%",
    "_",
    "' UNION SELECT password_hash FROM users --",
    "1; UPDATE users SET role='admin'; --",
    "'||(SELECT token_hash FROM sessions LIMIT 1)||'",
    "*/ /* -- # ;",
    "<script>alert('x')</script>",
    "tab\there\nnewline 😀 𠀋",
];

/// Percent-encodes everything but unreserved characters (for paths and queries).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A distinct tag for round `i`, so that no two customers' names are alike.
fn tag(i: usize) -> String {
    const CHARS: &[char] = &['甲', '乙', '丙', '丁', '戊', '己', '庚', '辛', '壬', '癸'];
    format!(
        "{}{}{}号",
        CHARS[i % 10],
        CHARS[(i / 10) % 10],
        ["松", "竹", "梅", "兰", "菊"][i % 5]
    )
}

/// The tables of the schema, from the database's own catalogue.
async fn tables(app: &TestApp) -> Vec<String> {
    let mut conn = app.store.read().await.expect("conn");
    let mut names = match conn.exec() {
        leadguard_store::Exec::Sqlite(c) => sqlx::query_scalar::<_, String>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&mut *c)
        .await
        .expect("tables"),
        leadguard_store::Exec::Postgres(c) => sqlx::query_scalar::<_, String>(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
        )
        .fetch_all(&mut *c)
        .await
        .expect("tables"),
    };
    names.sort();
    names
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    let mut conn = app.store.read().await.expect("conn");
    let res = match conn.exec() {
        leadguard_store::Exec::Sqlite(c) => {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut *c)
                .await
        }
        leadguard_store::Exec::Postgres(c) => {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut *c)
                .await
        }
    };
    res.unwrap_or_else(|e| panic!("table {table}: {e}"))
}

async fn ok(res: (StatusCode, Value), expect: StatusCode, what: &str) -> Value {
    assert_eq!(res.0, expect, "{what}: {}", res.1);
    res.1
}

async fn hostile_text_is_stored_verbatim_and_harms_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.user("root", Role::Admin, None, None).await;
    let mgr = app
        .user("wangfang", Role::Manager, Some("east"), None)
        .await;
    let rep = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let rival = app.user("lisi", Role::Rep, Some("east"), None).await;
    let s = StatusCode::OK;

    // A bystander: nothing hostile may touch it.
    let bystander = app
        .create(
            &rival,
            json!({"name": "北京星河互联科技有限公司", "phones": ["13812345678"],
                   "address": "北京市海淀区中关村大街 1 号"}),
        )
        .await;
    ok(
        app.post(
            &format!("/api/v1/customers/{bystander}/followups"),
            &rival,
            json!({"note": "老客户，季度回访"}),
        )
        .await,
        StatusCode::CREATED,
        "bystander follow-up",
    )
    .await;
    let bystander_before = (
        app.get(&format!("/api/v1/customers/{bystander}"), &admin)
            .await
            .1,
        app.get(&format!("/api/v1/customers/{bystander}/followups"), &admin)
            .await
            .1,
    );
    let tables_before = tables(&app).await;
    for t in [
        "customers",
        "users",
        "sessions",
        "followups",
        "audit_log",
        "teams",
    ] {
        assert!(tables_before.iter().any(|x| x == t), "{tables_before:?}");
    }
    let users_before = count(&app, "users").await;
    let teams_before = count(&app, "teams").await;

    for (i, h) in HOSTILE.iter().copied().enumerate() {
        let h = h.to_string();
        // The tag first: names that begin alike are shown as look-alikes while typed.
        let name = format!("{}{h}有限公司", tag(i));
        let what = |w: &str| format!("{w} with {h:?}");

        // Customer text fields, read back verbatim.
        let entry = json!({
            "name": name, "address": h, "industry": h, "source": h, "size": h,
            "postcode": h, "province": h, "city": h,
            "contacts": [{"name": h, "title": h}],
        });
        let v = ok(
            app.post("/api/v1/customers", &rep, entry).await,
            StatusCode::CREATED,
            &what("create"),
        )
        .await;
        let id = v["id"].as_i64().expect("id");
        let v = ok(
            app.get(&format!("/api/v1/customers/{id}"), &rep).await,
            s,
            &what("read"),
        )
        .await;
        assert_eq!(v["name"], name.as_str());
        for f in [
            "address", "industry", "source", "size", "postcode", "province", "city",
        ] {
            assert_eq!(v[f], h.as_str(), "{f}: {v}");
        }
        assert_eq!(v["contacts"][0]["name"], h.as_str(), "{v}");
        assert_eq!(v["contacts"][0]["title"], h.as_str(), "{v}");
        let changed = format!("{h}|改");
        let v = ok(
            app.patch(
                &format!("/api/v1/customers/{id}"),
                &rep,
                json!({"address": changed}),
            )
            .await,
            s,
            &what("patch"),
        )
        .await;
        assert_eq!(v["address"], changed.as_str());

        // Identifiers are validated: a 422 naming the field, never a 500.
        for (field, body) in [
            (
                "phones[0]",
                json!({"name": format!("{}乙", name), "phones": [h]}),
            ),
            (
                "emails[0]",
                json!({"name": format!("{}乙", name), "emails": [h]}),
            ),
            (
                "credit_code",
                json!({"name": format!("{}乙", name), "credit_code": h}),
            ),
        ] {
            let (st, v) = app.post("/api/v1/customers/check", &rep, body).await;
            assert!(
                st == StatusCode::UNPROCESSABLE_ENTITY || st == s,
                "check {field} {h:?}: {st} {v}"
            );
            if st == StatusCode::UNPROCESSABLE_ENTITY {
                assert_eq!(v["error"], "invalid_input", "{v}");
                assert_eq!(v["fields"][0]["field"], field, "{v}");
            }
        }

        // Follow-ups and deals.
        let path = format!("/api/v1/customers/{id}/followups");
        ok(
            app.post(&path, &rep, json!({"note": h})).await,
            StatusCode::CREATED,
            &what("follow-up"),
        )
        .await;
        let v = ok(app.get(&path, &rep).await, s, &what("follow-ups")).await;
        assert_eq!(v["items"][0]["note"], h.as_str(), "{v}");
        let path = format!("/api/v1/customers/{id}/deals");
        let v = ok(
            app.post(&path, &rep, json!({"title": h})).await,
            StatusCode::CREATED,
            &what("deal"),
        )
        .await;
        assert_eq!(v["title"], h.as_str());
        let deal = v["id"].as_i64().expect("deal id");
        let v = ok(
            app.put(
                &format!("/api/v1/deals/{deal}"),
                &rep,
                json!({"title": changed, "stage": "won"}),
            )
            .await,
            s,
            &what("deal update"),
        )
        .await;
        assert_eq!(v["title"], changed.as_str());

        // Searches: 200, and only what matches (never "everything", never the bystander).
        let q = enc(&h);
        for (path, token) in [
            (format!("/api/v1/customers?q={q}"), &rep),
            (format!("/api/v1/customers?scope=all&q={q}"), &admin),
            (format!("/api/v1/customers?scope=team&q={q}"), &mgr),
            (format!("/api/v1/pool?q={q}"), &rep),
            (format!("/api/v1/customers?scope=all&industry={q}"), &admin),
            (format!("/api/v1/customers?scope=all&source={q}"), &admin),
        ] {
            let v = ok(app.get(&path, token).await, s, &path).await;
            let ids: Vec<i64> = v["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter_map(|c| c["id"].as_i64())
                .collect();
            assert!(!ids.contains(&bystander), "{path} found the bystander: {v}");
            if path.contains("industry=") || path.contains("source=") {
                assert_eq!(ids, vec![id], "{path}: exactly the customer with it: {v}");
            }
        }
        let (st, v) = app
            .get(&format!("/api/v1/customers?owner={q}"), &admin)
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "owner={h:?}: {v}");
        assert_eq!(v["fields"][0]["code"], "unknown_user");
        for path in [
            format!("/api/v1/audit?customer_id={q}"),
            format!("/api/v1/collisions?status={q}"),
            format!("/api/v1/customers?sort={q}"),
            format!("/api/v1/customers?limit={q}"),
        ] {
            let (st, v) = app.get(&path, &admin).await;
            assert_eq!(st, StatusCode::BAD_REQUEST, "{path}: {v}");
            assert_eq!(v["error"], "invalid_query", "{v}");
        }

        // Reasons of release, transfer, appeal and decision, read back from the audit log and
        // the case.
        ok(
            app.post(
                &format!("/api/v1/customers/{id}/release"),
                &mgr,
                json!({"reason": h}),
            )
            .await,
            s,
            &what("release"),
        )
        .await;
        ok(
            app.post(
                &format!("/api/v1/customers/{id}/transfer"),
                &mgr,
                json!({"to": "zhangsan", "reason": changed}),
            )
            .await,
            s,
            &what("transfer"),
        )
        .await;
        let v = ok(
            app.get(&format!("/api/v1/audit?customer_id={id}"), &rep)
                .await,
            s,
            &what("audit"),
        )
        .await;
        let reasons: Vec<&str> = v["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|e| e["reason"].as_str())
            .collect();
        assert_eq!(reasons, vec![h.as_str(), changed.as_str()], "{v}");
        let v = ok(
            app.post(
                "/api/v1/collisions",
                &rival,
                json!({"customer_id": id, "reason": h, "entry": {"name": format!("{name}申诉")}}),
            )
            .await,
            StatusCode::CREATED,
            &what("appeal"),
        )
        .await;
        assert_eq!(v["reason"], h.as_str(), "{v}");
        assert_eq!(v["second"]["name"], format!("{name}申诉").as_str(), "{v}");
        let case = v["id"].as_i64().expect("case id");
        let v = ok(
            app.post(
                &format!("/api/v1/collisions/{case}/decide"),
                &mgr,
                json!({"winner": "lisi", "reason": changed}),
            )
            .await,
            s,
            &what("decide"),
        )
        .await;
        assert_eq!(v["decision"]["reason"], changed.as_str(), "{v}");
        let (st, v) = app
            .post(
                &format!("/api/v1/collisions/{case}/decide"),
                &mgr,
                json!({"winner": h}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{v}");

        // Teams, their pool policy and reports by team name (in the path and the query).
        let v = ok(
            app.post("/api/v1/teams", &admin, json!({"name": h})).await,
            StatusCode::CREATED,
            &what("team"),
        )
        .await;
        assert_eq!(v["name"], h.as_str());
        let path = format!("/api/v1/teams/{}/pool/policy", enc(&h));
        let v = ok(
            app.put(&path, &admin, json!({"protection_days": 5})).await,
            s,
            &path,
        )
        .await;
        assert_eq!(v["scope"], h.as_str(), "{v}");
        let v = ok(app.get(&path, &rep).await, s, &path).await;
        assert_eq!(v["effective"]["protection_days"], 5, "{v}");
        let path = format!("/api/v1/reports?team={q}");
        ok(app.get(&path, &admin).await, s, &path).await;

        // Users: a hostile username is refused; a hostile display name, team and password
        // are kept exactly.
        let handle = h
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
        if !handle {
            let (st, v) = app
                .post(
                    "/api/v1/users",
                    &admin,
                    json!({"username": h, "password": PASSWORD, "role": "rep"}),
                )
                .await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert_eq!(v["fields"][0]["field"], "username", "{v}");
        }
        let username = format!("user{i}");
        let password = format!("{h}-pass-{i}-long");
        let v = ok(
            app.post(
                "/api/v1/users",
                &admin,
                json!({"username": username, "password": password, "role": "rep",
                       "display_name": h, "team": h}),
            )
            .await,
            StatusCode::CREATED,
            &what("user"),
        )
        .await;
        assert_eq!(v["display_name"], h.as_str(), "{v}");
        assert_eq!(v["team"], h.as_str(), "{v}");
        let (st, v) = app
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(st, s, "login with a hostile password: {v}");
        let v = ok(
            app.patch(
                &format!("/api/v1/users/{username}"),
                &admin,
                json!({"display_name": changed}),
            )
            .await,
            s,
            &what("user update"),
        )
        .await;
        assert_eq!(v["display_name"], changed.as_str());
        let (st, v) = app.get(&format!("/api/v1/users/{}", enc(&h)), &admin).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
        let (st, v) = app
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": h, "password": h})),
            )
            .await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
        assert_eq!(v["error"], "invalid_credentials");

        // Assignment rules: name and conditions kept, and compared as text.
        let v = ok(
            app.post(
                "/api/v1/assignment/rules",
                &admin,
                json!({"name": h, "team": "east", "strategy": "round_robin",
                       "when": {"source": [h], "tags": [h], "industry": [h]}}),
            )
            .await,
            StatusCode::CREATED,
            &what("rule"),
        )
        .await;
        let rule = v["id"].as_i64().expect("rule id");
        assert_eq!(v["name"], h.as_str(), "{v}");
        assert_eq!(v["when"]["source"], json!([h]), "{v}");
        let lead = json!({"name": format!("{name}线索"), "source": h, "industry": h, "tags": [h]});
        let v = ok(
            app.post("/api/v1/assignment/dry-run", &rep, lead.clone())
                .await,
            s,
            &what("dry run"),
        )
        .await;
        assert_eq!(
            v["decision"]["rule"], rule,
            "only its own rule matches: {v}"
        );
        let v = ok(
            app.post("/api/v1/leads", &admin, lead).await,
            StatusCode::CREATED,
            &what("lead"),
        )
        .await;
        assert_eq!(v["decision"]["rule"], rule, "{v}");
        let v = ok(
            app.get(&format!("/api/v1/assignment/rules/{rule}/versions"), &rep)
                .await,
            s,
            &what("versions"),
        )
        .await;
        assert_eq!(v[0]["rule"]["name"], h.as_str(), "{v}");

        // Webhooks.
        let v = ok(
            app.post(
                "/api/v1/webhooks",
                &admin,
                json!({"name": h, "url": "http://127.0.0.1:9/hook", "secret": h, "active": false}),
            )
            .await,
            StatusCode::CREATED,
            &what("webhook"),
        )
        .await;
        assert_eq!(v["name"], h.as_str(), "{v}");
        let hook = v["id"].as_i64().expect("webhook id");
        let v = ok(
            app.put(
                &format!("/api/v1/webhooks/{hook}"),
                &admin,
                json!({"name": changed, "url": "http://127.0.0.1:9/hook", "active": false}),
            )
            .await,
            s,
            &what("webhook update"),
        )
        .await;
        assert_eq!(v["name"], changed.as_str(), "{v}");
    }

    // Every table is still there and readable; only what the rounds added was added.
    assert_eq!(tables(&app).await, tables_before);
    for t in &tables_before {
        count(&app, t).await;
    }
    let n = HOSTILE.len() as i64;
    assert_eq!(count(&app, "users").await, users_before + n);
    assert_eq!(count(&app, "teams").await, teams_before + n);
    // The bystander plus, per round, the entry and the lead.
    assert_eq!(app.customer_count().await, 1 + 2 * n);
    assert_eq!(count(&app, "deals").await, n);
    assert_eq!(count(&app, "webhooks").await, n);
    assert_eq!(count(&app, "assignment_rules").await, n);
    assert_eq!(count(&app, "collision_cases").await, n);
    let bystander_after = (
        app.get(&format!("/api/v1/customers/{bystander}"), &admin)
            .await
            .1,
        app.get(&format!("/api/v1/customers/{bystander}/followups"), &admin)
            .await
            .1,
    );
    assert_eq!(bystander_before, bystander_after);
    // Nobody was promoted, and the original logins still work.
    let (_, v) = app.get("/api/v1/users", &admin).await;
    let admins: Vec<&str> = v
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| u["role"] == "admin")
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert_eq!(admins, vec!["root"]);
    for u in ["root", "wangfang", "zhangsan", "lisi"] {
        app.login(u).await;
    }
}

/// PostgreSQL cannot store U+0000 in text; SQLite can. Both refuse it up front with a 4xx
/// naming where it was, rather than a 500 from one backend only.
async fn nul_characters_are_refused_with_a_4xx(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.user("root", Role::Admin, None, None).await;
    let rep = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let id = app
        .create(&rep, json!({"name": "星河互联科技有限公司"}))
        .await;
    for (path, body, field) in [
        ("/api/v1/customers", json!({"name": "a\u{0}b"}), "name"),
        (
            "/api/v1/customers",
            json!({"name": "甲乙有限公司", "contacts": [{"name": "x\u{0}"}]}),
            "contacts[0].name",
        ),
        ("/api/v1/customers/check", json!({"name": "\u{0}"}), "name"),
        ("/api/v1/teams", json!({"name": "t\u{0}"}), "name"),
        (
            "/api/v1/auth/login",
            json!({"username": "root\u{0}", "password": PASSWORD}),
            "username",
        ),
    ] {
        let (st, v) = app.post(path, &admin, body).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {v}");
        assert_eq!(v["error"], "invalid_body", "{v}");
        assert!(
            v["message"].as_str().unwrap_or_default().contains(field),
            "{path}: names {field}: {v}"
        );
    }
    let (st, v) = app
        .post(
            &format!("/api/v1/customers/{id}/followups"),
            &rep,
            json!({"note": "\u{0}"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    for path in [
        "/api/v1/customers?q=%00",
        "/api/v1/customers?scope=all&industry=a%00b",
        "/api/v1/reports?team=%00",
    ] {
        let (st, v) = app.get(path, &admin).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{path}: {v}");
        assert_eq!(v["error"], "invalid_query", "{v}");
    }
    for path in ["/api/v1/users/a%00b", "/api/v1/teams/a%00/pool/policy"] {
        let (st, v) = app.get(path, &admin).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{path}: {v}");
        assert_eq!(v["error"], "invalid_path", "{v}");
    }
    assert_eq!(app.customer_count().await, 1);
}
