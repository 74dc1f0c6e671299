//! Reports against a hand-computed fixture, on SQLite and on PostgreSQL: a week of collisions,
//! arbitration, lead assignment and pool movements played through the API with the clock
//! moved by the test, then every figure checked; the XLSX read back as a spreadsheet.

mod common;

use calamine::Reader;
use common::{Backend, TestApp};
use leadguard_domain::user::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(
    report_matches_the_hand_computed_week,
    weekly_report_is_sent_once_per_week_by_any_number_of_servers,
);

fn hours(h: i64) -> chrono::Duration {
    chrono::Duration::hours(h)
}

fn lead(i: usize, source: &str) -> Value {
    let mut c = serde_json::to_value(leadguard_datagen::Generator::new(11).company(i)).unwrap();
    c["source"] = json!(source);
    c
}

async fn report_matches_the_hand_computed_week(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let b = app.user("lisi", Role::Rep, Some("east"), None).await;
    let c = app.user("wangwu", Role::Rep, Some("east"), None).await;
    let s = app.user("zhaolei", Role::Rep, Some("south"), None).await;
    let m = app
        .user("wangfang", Role::Manager, Some("east"), None)
        .await;
    let root = app.user("root", Role::Admin, None, None).await;
    let ok = |r: (StatusCode, Value), want: StatusCode| {
        assert_eq!(r.0, want, "{}", r.1);
        r.1
    };

    // Monday 2026-03-02 09:00 (Beijing). South recycles after one quiet day.
    ok(
        app.put(
            "/api/v1/teams/south/pool/policy",
            &root,
            json!({"recycle_no_followup_days": 1, "protection_days": 0, "warn_days": 0}),
        )
        .await,
        StatusCode::OK,
    );
    let x = app
        .create(
            &a,
            json!({"name": "北京星河互联科技有限公司", "phones": ["13800138000"], "emails": ["sales@xinghe-hl.com"]}),
        )
        .await;
    // Four entries blocked: three by phone (lisi twice, from a trade fair), one by e-mail.
    for (token, body) in [
        (
            &b,
            json!({"name": "天津蓝鲸贸易有限公司", "phones": ["13800138000"], "source": "展会"}),
        ),
        (&c, json!({"name": "青松物流", "phones": ["138 0013 8000"]})),
        (
            &b,
            json!({"name": "金桥传媒", "phones": ["+86 138 0013 8000"], "source": "展会"}),
        ),
        (
            &s,
            json!({"name": "广州远洋物流", "emails": ["SALES@xinghe-hl.com"], "source": "电话营销"}),
        ),
    ] {
        ok(
            app.post("/api/v1/customers", token, body).await,
            StatusCode::CONFLICT,
        );
    }
    // Two cases: a suspected entry (decided after 3 h, first come) and an appeal (decided after
    // 5 h, overruled).
    let v = ok(
        app.post(
            "/api/v1/customers",
            &b,
            json!({"name": "上海星河互联科技有限公司"}),
        )
        .await,
        StatusCode::CREATED,
    );
    let case1 = v["collision_cases"][0].as_i64().expect("case");
    let v = ok(
        app.post(
            "/api/v1/collisions",
            &c,
            json!({"customer_id": x, "reason": "已有在谈商机"}),
        )
        .await,
        StatusCode::CREATED,
    );
    let case2 = v["id"].as_i64().unwrap();
    ok(
        app.post(
            "/api/v1/assignment/rules",
            &root,
            json!({"name": "官网线索", "when": {"source": ["官网"]}, "team": "east", "strategy": "round_robin"}),
        )
        .await,
        StatusCode::CREATED,
    );
    app.clock.advance(hours(3));
    ok(
        app.post(
            &format!("/api/v1/collisions/{case1}/decide"),
            &m,
            json!({"winner": "zhangsan"}),
        )
        .await,
        StatusCode::OK,
    );
    app.clock.advance(hours(2));
    ok(
        app.post(
            &format!("/api/v1/collisions/{case2}/decide"),
            &m,
            json!({"winner": "wangwu", "reason": "合同在谈"}),
        )
        .await,
        StatusCode::OK,
    );

    // 14:00: six web leads (lisi goes on leave after three), one from a fair, one duplicate.
    let mut owners = Vec::new();
    let mut ids = Vec::new();
    for i in 0..6 {
        if i == 3 {
            ok(
                app.patch("/api/v1/users/lisi", &root, json!({"on_leave": true}))
                    .await,
                StatusCode::OK,
            );
        }
        let v = ok(
            app.post("/api/v1/leads", &root, lead(i, "官网")).await,
            StatusCode::CREATED,
        );
        owners.push(v["owner"]["username"].as_str().unwrap().to_string());
        ids.push(v["customer_id"].as_i64().unwrap());
    }
    assert_eq!(
        owners,
        ["lisi", "wangwu", "zhangsan", "wangwu", "zhangsan", "wangwu"],
        "in turn by username, lisi skipped on leave"
    );
    let v = ok(
        app.post("/api/v1/leads", &root, lead(6, "展会")).await,
        StatusCode::CREATED,
    );
    assert_eq!(v["outcome"], "pool");
    ok(
        app.post(
            "/api/v1/leads",
            &root,
            json!({"name": "星河互联", "phones": ["13800138000"], "source": "官网"}),
        )
        .await,
        StatusCode::CONFLICT,
    );

    // Tuesday 10:00: two releases, one claim by south.
    app.clock.advance(hours(20));
    ok(
        app.post(
            &format!("/api/v1/customers/{}/release", ids[0]),
            &b,
            json!({}),
        )
        .await,
        StatusCode::OK,
    );
    ok(
        app.post(
            &format!("/api/v1/customers/{}/claim", ids[0]),
            &s,
            json!({}),
        )
        .await,
        StatusCode::OK,
    );
    ok(
        app.post(
            &format!("/api/v1/customers/{}/release", ids[3]),
            &c,
            json!({}),
        )
        .await,
        StatusCode::OK,
    );
    // Wednesday 12:00: south's quiet claim is recycled.
    app.clock.advance(hours(26));
    let r = app.recycle(&root).await;
    assert_eq!(r["recycled"].as_array().unwrap().len(), 1, "{r}");
    // Friday 12:00: the report for Monday to Friday.
    app.clock.advance(hours(48));

    let (s_, _) = app.get("/api/v1/reports", &a).await;
    assert_eq!(s_, StatusCode::FORBIDDEN);
    let r = ok(
        app.get("/api/v1/reports?from=2026-03-02&to=2026-03-06", &root)
            .await,
        StatusCode::OK,
    );
    let col = &r["collisions"];
    assert_eq!(col["blocked"], 4, "{col}");
    assert_eq!(
        col["blocked_by_rep"],
        json!([{"key": "lisi", "count": 2}, {"key": "wangwu", "count": 1}, {"key": "zhaolei", "count": 1}])
    );
    assert_eq!(
        col["blocked_by_team"],
        json!([{"key": "east", "count": 3}, {"key": "south", "count": 1}])
    );
    assert_eq!(
        col["blocked_by_channel"],
        json!([{"key": "展会", "count": 2}, {"key": "未填写", "count": 1}, {"key": "电话营销", "count": 1}])
    );
    assert_eq!(
        col["blocked_by_reason"],
        json!([{"key": "phone", "count": 3}, {"key": "email", "count": 1}])
    );
    assert_eq!(
        col["blocked_by_day"],
        json!([
            {"key": "2026-03-02", "count": 4}, {"key": "2026-03-03", "count": 0},
            {"key": "2026-03-04", "count": 0}, {"key": "2026-03-05", "count": 0},
            {"key": "2026-03-06", "count": 0}
        ])
    );
    assert_eq!(
        col["repeat_offenders"],
        json!([{"key": "lisi", "count": 2}])
    );
    assert_eq!(col["cases_opened"], 2);
    assert_eq!(
        col["cases_by_origin"],
        json!([{"key": "appeal", "count": 1}, {"key": "suspected_entry", "count": 1}])
    );
    assert_eq!(col["cases_decided"], 2);
    assert_eq!(col["decided_first_come"], 1);
    assert_eq!(col["decided_overruled"], 1);
    assert_eq!(col["median_hours_to_decide"], 4.0, "median of 3 h and 5 h");

    let fair = &r["fairness"];
    assert_eq!(fair["leads"], 8, "{fair}");
    assert_eq!(fair["assigned"], 6);
    assert_eq!(fair["to_pool"], 1);
    assert_eq!(fair["duplicates"], 1);
    let per_rep: Vec<(String, u64, f64, f64)> = fair["per_rep"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["username"].as_str().unwrap().to_string(),
                p["leads"].as_u64().unwrap(),
                p["target"].as_f64().unwrap(),
                p["deviation"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        per_rep,
        vec![
            ("wangwu".into(), 3, 2.0, 1.0),
            ("zhangsan".into(), 2, 2.0, 0.0),
            ("lisi".into(), 1, 2.0, -1.0),
        ]
    );
    // Gini of 3, 2, 1: sum of |xi - xj| over ordered pairs 8, over 2 * 3 * 6.
    assert_eq!(fair["gini"], 0.2222);

    let pool = &r["pool"];
    // In the pool: the fair lead (since Mon 14:00), the released lead (Tue 10:00) and the
    // recycled one (Wed 12:00); now is Fri 12:00: 3.92, 3.08 and 2.0 days.
    assert_eq!(pool["size"], 3, "{pool}");
    assert_eq!(pool["median_age_days"], 3.1);
    assert_eq!(pool["oldest_age_days"], 3.9);
    assert_eq!(pool["claims"], 1);
    assert_eq!(pool["releases"], 2);
    assert_eq!(pool["recycles"], 1);
    assert_eq!(pool["warnings"], 0);

    // A manager gets their team's figures.
    let r = ok(
        app.get("/api/v1/reports?from=2026-03-02&to=2026-03-06", &m)
            .await,
        StatusCode::OK,
    );
    assert_eq!(r["team"], "east");
    assert_eq!(r["collisions"]["blocked"], 3);
    // A period before any of it is empty; a bad date is explained.
    let r = ok(
        app.get("/api/v1/reports?from=2026-02-01&to=2026-02-07", &root)
            .await,
        StatusCode::OK,
    );
    assert_eq!(r["collisions"]["blocked"], 0);
    assert_eq!(r["fairness"]["gini"], 0.0);
    let (st, v) = app.get("/api/v1/reports?from=2026-13-01", &root).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["fields"][0]["field"], "from");

    // XLSX: a real workbook with the same figures.
    let resp = app
        .http
        .get(format!(
            "{}/api/v1/reports/download?format=xlsx&from=2026-03-02&to=2026-03-06",
            app.base
        ))
        .bearer_auth(&root)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("leadguard-report-2026-03-02-2026-03-06.xlsx")
    );
    let bytes = resp.bytes().await.unwrap();
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    assert_eq!(
        wb.sheet_names(),
        vec!["summary 概览", "collisions 撞单", "fairness 分配公平"]
    );
    let summary = wb.worksheet_range("summary 概览").unwrap();
    let value_of = |metric: &str| {
        summary
            .rows()
            .find(|r| r[0] == calamine::Data::String(metric.to_string()))
            .map(|r| r[1].clone())
            .unwrap_or_else(|| panic!("no {metric}"))
    };
    assert_eq!(value_of("duplicates_blocked"), calamine::Data::Float(4.0));
    assert_eq!(
        value_of("median_hours_to_decide"),
        calamine::Data::Float(4.0)
    );
    assert_eq!(value_of("fairness_gini"), calamine::Data::Float(0.2222));
    let fairness = wb.worksheet_range("fairness 分配公平").unwrap();
    let first: Vec<String> = fairness
        .rows()
        .nth(1)
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(first[0], "wangwu");
    assert_eq!(first[3], "3");

    // CSV: UTF-8 with BOM.
    let resp = app
        .http
        .get(format!(
            "{}/api/v1/reports/download?format=csv&from=2026-03-02&to=2026-03-06",
            app.base
        ))
        .bearer_auth(&root)
        .send()
        .await
        .unwrap();
    let text = resp.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'));
    assert!(text.contains("duplicates_blocked,4"), "{text}");
    assert!(text.contains("blocked_by_rep,lisi,2"));
    let (st, v) = app.get("/api/v1/reports/download?format=pdf", &root).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");

    // Charts: SVG drawn on the server.
    let resp = app
        .http
        .get(format!(
            "{}/api/v1/reports/chart?chart=fairness&from=2026-03-02&to=2026-03-06",
            app.base
        ))
        .bearer_auth(&root)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml")
    );
    let svg = resp.text().await.unwrap();
    assert_eq!(svg.matches("<rect").count(), 3, "{svg}");
    assert_eq!(svg.matches("<line").count(), 3);
    assert!(svg.contains("zhangsan 显示名"));
}

/// Mondays from 09:00 (Beijing), last week's report goes out as a `report.weekly` event, once,
/// however many server processes try.
async fn weekly_report_is_sent_once_per_week_by_any_number_of_servers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let b = app.user("lisi", Role::Rep, Some("east"), None).await;
    let other = app.sibling(leadguard_server::Background::NONE).await;
    // Monday 2026-03-02 08:00: not yet.
    for s in [&app, &other] {
        s.clock.advance(hours(-1));
    }
    assert_eq!(app.service.send_weekly_report().await.unwrap(), None);
    for s in [&app, &other] {
        s.clock.advance(hours(1));
    }
    let (first, second) = tokio::join!(
        app.service.send_weekly_report(),
        other.service.send_weekly_report()
    );
    let sent: Vec<i64> = [first.unwrap(), second.unwrap()]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(sent.len(), 1, "one of the two sends it");
    assert_eq!(app.service.send_weekly_report().await.unwrap(), None);

    // During the week: a blocked entry, then next Monday's report counts it.
    let id = app
        .create(
            &a,
            json!({"name": "北京星河互联科技有限公司", "phones": ["13800138000"]}),
        )
        .await;
    assert!(id > 0);
    let (st, _) = app
        .post(
            "/api/v1/customers",
            &b,
            json!({"name": "星河", "phones": ["13800138000"]}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    for s in [&app, &other] {
        s.clock.advance(chrono::Duration::days(3));
    }
    assert_eq!(
        app.service.send_weekly_report().await.unwrap(),
        None,
        "Thursday"
    );
    for s in [&app, &other] {
        s.clock.advance(chrono::Duration::days(4));
    }
    assert!(other.service.send_weekly_report().await.unwrap().is_some());
    let weekly: Vec<Value> = app
        .all_events()
        .await
        .into_iter()
        .filter(|e| e["type"] == "report.weekly")
        .collect();
    assert_eq!(weekly.len(), 2);
    assert_eq!(weekly[0]["data"]["from"], "2026-02-23");
    assert_eq!(weekly[1]["data"]["from"], "2026-03-02");
    assert_eq!(weekly[1]["data"]["to"], "2026-03-08");
    assert_eq!(weekly[1]["data"]["blocked"], 1);
}
