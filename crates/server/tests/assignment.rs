//! Assignment rules and lead intake over HTTP, on SQLite and on PostgreSQL: every strategy, the
//! fairness of round-robin under concurrency and across server processes, validation,
//! versions, dry runs, and leads that are duplicates.

mod common;

use std::collections::BTreeMap;

use common::{Backend, TestApp};
use futures::StreamExt;
use leadguard_domain::user::Role;
use leadguard_server::Background;
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(
    round_robin_is_fair_under_concurrency_and_across_processes,
    weighted_round_robin_follows_the_weights,
    least_loaded_picks_the_lightest_rep,
    best_match_picks_the_expert,
    priority_picks_the_most_senior_available,
    rules_are_evaluated_in_order_and_unmatched_leads_go_to_the_pool,
    bad_rules_are_refused_with_the_field_at_fault,
    rules_are_versioned_and_dry_runs_change_nothing,
    duplicate_leads_go_to_the_owner_and_pool_matches_are_routed,
);

async fn admin(app: &TestApp) -> String {
    app.user("root", Role::Admin, None, None).await
}

async fn add_rule(app: &TestApp, token: &str, rule: Value) -> Value {
    let (s, v) = app.post("/api/v1/assignment/rules", token, rule).await;
    assert_eq!(s, StatusCode::CREATED, "rule: {v}");
    assert!(v["id"].is_i64(), "{v}");
    v
}

/// The `i`-th generated company: distinct from every other.
fn company(i: usize) -> Value {
    serde_json::to_value(leadguard_datagen::Generator::new(7).company(i)).expect("json")
}

async fn lead(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.post("/api/v1/leads", token, body).await
}

async fn assigned_to(app: &TestApp, token: &str, body: Value) -> Value {
    let (s, v) = lead(app, token, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["owner"]["username"].clone()
}

/// 1,000 leads, 32 at a time, alternating between two server processes on one database, over
/// ten reps: each rep gets exactly 100.
async fn round_robin_is_fair_under_concurrency_and_across_processes(backend: Backend) {
    const REPS: usize = 10;
    const LEADS: usize = 1000;
    let app = TestApp::spawn(backend).await;
    let root = admin(&app).await;
    for i in 0..REPS {
        app.user(&format!("rep{i:02}"), Role::Rep, Some("east"), None)
            .await;
    }
    let rule = add_rule(
        &app,
        &root,
        json!({"name": "全部线索", "team": "east", "strategy": "round_robin"}),
    )
    .await;
    let other = app.sibling(Background::NONE).await;
    let results: Vec<(StatusCode, Value)> = futures::stream::iter(0..LEADS)
        .map(|i| {
            let (base, http, token) = if i % 2 == 0 {
                (app.base.clone(), app.http.clone(), root.clone())
            } else {
                (other.base.clone(), other.http.clone(), root.clone())
            };
            async move {
                let r = http
                    .post(format!("{base}/api/v1/leads"))
                    .bearer_auth(&token)
                    .json(&company(i))
                    .send()
                    .await
                    .expect("lead");
                let s = r.status();
                (s, r.json::<Value>().await.expect("json"))
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let mut per_rep: BTreeMap<String, usize> = BTreeMap::new();
    for (s, v) in &results {
        assert_eq!(*s, StatusCode::CREATED, "{v}");
        assert_eq!(v["outcome"], "assigned");
        assert_eq!(v["decision"]["rule"], rule["id"]);
        assert_eq!(v["decision"]["strategy"], "round_robin");
        *per_rep
            .entry(v["owner"]["username"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(per_rep.len(), REPS, "{per_rep:?}");
    assert!(
        per_rep.values().all(|&n| n == LEADS / REPS),
        "each rep gets {}: {per_rep:?}",
        LEADS / REPS
    );
    app.assert_owner_counts_kept().await;
}

async fn weighted_round_robin_follows_the_weights(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = admin(&app).await;
    app.user("big", Role::Rep, Some("east"), None).await;
    app.user("small", Role::Rep, Some("east"), None).await;
    add_rule(
        &app,
        &root,
        json!({"name": "加权", "reps": ["big", "small"], "weights": {"big": 3, "small": 1}, "strategy": "weighted"}),
    )
    .await;
    let mut got = Vec::new();
    for i in 0..8 {
        got.push(assigned_to(&app, &root, company(i)).await);
    }
    let big = got.iter().filter(|o| *o == "big").count();
    assert_eq!(big, 6, "3:1 over 8 leads: {got:?}");
    // Spread out, not in blocks: small never gets two in a row.
    assert!(
        got.windows(2)
            .all(|w| !(w[0] == "small" && w[1] == "small"))
    );
}

async fn least_loaded_picks_the_lightest_rep(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = admin(&app).await;
    let busy = app.user("busy", Role::Rep, Some("east"), None).await;
    app.user("idle", Role::Rep, Some("east"), Some(10)).await;
    for i in 100..103 {
        app.create(&busy, company(i)).await;
    }
    add_rule(
        &app,
        &root,
        json!({"name": "负载均衡", "team": "east", "strategy": "least_loaded"}),
    )
    .await;
    // busy: 3 of 200; idle: 0 of 10 … then 1/10 = 0.1 > 3/200 = 0.015: busy is lighter.
    let (s, v) = lead(&app, &root, company(0)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["owner"]["username"], "idle");
    assert!(
        v["decision"]["explanation"]
            .as_str()
            .unwrap()
            .contains("负载 0/10"),
        "{v}"
    );
    assert_eq!(assigned_to(&app, &root, company(1)).await, "busy");
    app.assert_owner_counts_kept().await;
}

async fn best_match_picks_the_expert(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = admin(&app).await;
    let expert = app.user("expert", Role::Rep, Some("east"), None).await;
    app.user("novice", Role::Rep, Some("east"), None).await;
    for i in 200..204 {
        let mut c = company(i);
        c["industry"] = json!("制造业");
        c["province"] = json!("浙江");
        let id = app.create(&expert, c).await;
        let (s, v) = app
            .post(
                &format!("/api/v1/customers/{id}/deals"),
                &expert,
                json!({"title": "订单", "stage": "won"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    add_rule(
        &app,
        &root,
        json!({"name": "行业专家", "reps": ["novice", "expert"], "strategy": "best_match"}),
    )
    .await;
    let mut c = company(0);
    c["industry"] = json!("制造业");
    c["province"] = json!("浙江");
    let (s, v) = lead(&app, &root, c).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["owner"]["username"], "expert");
    let why = v["decision"]["explanation"].as_str().unwrap();
    assert!(
        why.contains("同行业客户 4") && why.contains("赢单率 100%"),
        "{why}"
    );
    // A lead that names no industry and no province is still routed (PostgreSQL once refused
    // the query that weighs them).
    let (s, v) = lead(&app, &root, json!({"name": "梁志"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(v["owner"]["username"].is_string(), "{v}");
}

async fn priority_picks_the_most_senior_available(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = admin(&app).await;
    app.user("senior", Role::Rep, Some("east"), None).await;
    app.user("junior", Role::Rep, Some("east"), None).await;
    add_rule(
        &app,
        &root,
        json!({"name": "大客户", "when": {"min_value": 1000000}, "reps": ["senior", "junior"], "strategy": "priority"}),
    )
    .await;
    let mut big = company(0);
    big["value"] = json!(5_000_000);
    assert_eq!(assigned_to(&app, &root, big).await, "senior");
    // Below the threshold no rule matches: the pool.
    let mut small = company(1);
    small["value"] = json!(50_000);
    let (s, v) = lead(&app, &root, small).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["outcome"], "pool");
    assert_eq!(v["owner"], Value::Null);
    assert_eq!(v["decision"]["rule"], Value::Null);

    // On leave: skipped, and the explanation says so.
    let (s, v) = app
        .patch("/api/v1/users/senior", &root, json!({"on_leave": true}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut big = company(2);
    big["value"] = json!(2_000_000);
    let (_, v) = lead(&app, &root, big).await;
    assert_eq!(v["owner"]["username"], "junior");
    assert_eq!(v["decision"]["skipped"][0]["username"], "senior");
    assert_eq!(v["decision"]["skipped"][0]["why"], "on_leave");
    assert!(
        v["decision"]["explanation"]
            .as_str()
            .unwrap()
            .contains("休假中"),
        "{v}"
    );
    // Junior deactivated too: nobody is eligible, the lead goes to the pool.
    let (s, _) = app
        .patch("/api/v1/users/junior", &root, json!({"active": false}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut big = company(3);
    big["value"] = json!(3_000_000);
    let (s, v) = lead(&app, &root, big).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["outcome"], "pool");
    assert!(
        v["decision"]["explanation"]
            .as_str()
            .unwrap()
            .contains("无可用销售"),
        "{v}"
    );
}

async fn rules_are_evaluated_in_order_and_unmatched_leads_go_to_the_pool(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = admin(&app).await;
    let m = app
        .user("wangfang", Role::Manager, Some("east"), None)
        .await;
    app.user("lisi", Role::Rep, Some("east"), None).await;
    app.user("wangwu", Role::Rep, Some("east"), None).await;
    app.user("zhaolei", Role::Rep, Some("south"), None).await;
    app.user("at_cap", Role::Rep, Some("south"), Some(0)).await;
    // A manager may route to their own team.
    add_rule(
        &app,
        &m,
        json!({"name": "华东中小企业", "when": {"province": ["浙江", "江苏省"], "size": ["small"]}, "team": "east", "strategy": "round_robin"}),
    )
    .await;
    let catch_all = add_rule(
        &app,
        &root,
        json!({"name": "其他", "team": "south", "strategy": "round_robin"}),
    )
    .await;
    assert_eq!(catch_all["position"], 2);
    assert_eq!(catch_all["summary"], "所有线索");

    let mut zj = company(0);
    zj["province"] = json!("浙江省");
    zj["size"] = json!("small");
    let (_, v) = lead(&app, &root, zj).await;
    assert_eq!(v["owner"]["username"], "lisi", "{v}");
    assert_eq!(
        v["decision"]["explanation"],
        "规则 1 华东中小企业 → 轮转 → lisi 显示名 (上一位: 无)"
    );
    let mut js = company(1);
    js["province"] = Value::Null;
    js["address"] = json!("江苏省苏州市工业园区星湖街328号");
    js["size"] = json!("small");
    let (_, v) = lead(&app, &root, js).await;
    assert_eq!(
        v["owner"]["username"], "wangwu",
        "province from the address: {v}"
    );
    assert_eq!(
        v["decision"]["explanation"],
        "规则 1 华东中小企业 → 轮转 → wangwu 显示名 (上一位: lisi 显示名)"
    );
    // Not small: rule 2; its rep at cap is skipped.
    let mut gd = company(2);
    gd["province"] = json!("广东");
    let (_, v) = lead(&app, &root, gd).await;
    assert_eq!(v["owner"]["username"], "zhaolei", "{v}");
    assert_eq!(v["decision"]["rule_position"], 2);
    assert_eq!(v["decision"]["skipped"][0]["username"], "at_cap");
    assert_eq!(v["decision"]["skipped"][0]["why"], "at_cap");

    // The rep was told, and the audit log names the rule.
    let id = v["customer_id"].as_i64().unwrap();
    assert!(
        app.all_events()
            .await
            .iter()
            .any(|e| e["type"] == "customer.assigned" && e["customer_id"] == id)
    );
    let (_, log) = app
        .get(&format!("/api/v1/audit?customer_id={id}"), &root)
        .await;
    assert_eq!(log["items"][0]["action"], "created");
    assert_eq!(log["items"][0]["after_owner"], "zhaolei");
    assert_eq!(log["items"][0]["rule"], "assignment_rule");

    // Move the catch-all first: everything goes south.
    let (s, v) = app
        .put(
            &format!("/api/v1/assignment/rules/{}", catch_all["id"]),
            &root,
            json!({"name": "其他", "position": 1, "team": "south", "strategy": "round_robin"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, rules) = app.get("/api/v1/assignment/rules", &m).await;
    let order: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(order, vec!["其他", "华东中小企业"]);
    // With no rules at all, leads go to the pool.
    for r in rules.as_array().unwrap() {
        let (s, _) = app
            .call(
                reqwest::Method::DELETE,
                &format!("/api/v1/assignment/rules/{}", r["id"]),
                Some(&root),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
    }
    let (s, v) = lead(&app, &root, company(3)).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["outcome"], "pool");
    let (_, pool) = app.get("/api/v1/pool", &m).await;
    assert_eq!(pool["total"], 1);
}

async fn bad_rules_are_refused_with_the_field_at_fault(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = admin(&app).await;
    let rep = app.user("lisi", Role::Rep, Some("east"), None).await;
    let m = app
        .user("wangfang", Role::Manager, Some("east"), None)
        .await;
    app.user("zhaolei", Role::Rep, Some("south"), None).await;
    app.call(
        reqwest::Method::POST,
        "/api/v1/teams",
        Some(&root),
        Some(json!({"name": "empty"})),
    )
    .await;
    let base = || json!({"name": "r", "team": "east", "strategy": "round_robin"});
    let with = |k: &str, v: Value| {
        let mut b = base();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("when", json!({"industry": []})), "when.industry"),
        (
            with("when", json!({"min_value": 100, "max_value": 50})),
            "when.max_value",
        ),
        (
            with("when", json!({"province": ["火星"]})),
            "when.province[0]",
        ),
        (
            with("when", json!({"province": ["浙江"], "city": ["广州"]})),
            "when.city[0]",
        ),
        (with("team", json!("nowhere")), "team"),
        (with("team", json!("empty")), "team"),
        (
            json!({"name": "r", "reps": ["lisi", "ghost"], "strategy": "priority"}),
            "reps[1]",
        ),
        (
            json!({"name": "r", "reps": ["lisi"], "team": "east", "strategy": "priority"}),
            "team",
        ),
        (json!({"name": "r", "strategy": "priority"}), "team"),
        (with("weights", json!({"zhaolei": 2})), "weights.zhaolei"),
        (with("name", json!("  ")), "name"),
    ] {
        let (s, v) = app
            .post("/api/v1/assignment/rules", &root, body.clone())
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {v}");
        assert!(
            v["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["field"] == field),
            "{body}: expected {field}: {v}"
        );
    }
    let (s, v) = app
        .post(
            "/api/v1/assignment/rules",
            &root,
            with("strategy", json!("random")),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, _) = app.post("/api/v1/assignment/rules", &rep, base()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post("/api/v1/assignment/rules", &m, with("team", json!("south")))
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a manager routes only to their team"
    );
    let (_, rules) = app.get("/api/v1/assignment/rules", &rep).await;
    assert_eq!(rules, json!([]), "nothing was saved");
    // A misspelt lead field is refused, not dropped.
    let (s, v) = lead(&app, &root, json!({"name": "星河互联", "provnce": "浙江"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
}

async fn rules_are_versioned_and_dry_runs_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = admin(&app).await;
    app.user("a1", Role::Rep, Some("east"), None).await;
    app.user("a2", Role::Rep, Some("east"), None).await;
    let rule = add_rule(
        &app,
        &root,
        json!({"name": "v1", "team": "east", "strategy": "round_robin"}),
    )
    .await;
    assert_eq!(rule["version"], 1);
    let id = rule["id"].as_i64().unwrap();
    let (s, v) = app
        .put(
            &format!("/api/v1/assignment/rules/{id}"),
            &root,
            json!({"name": "v2", "when": {"source": ["官网"]}, "team": "east", "strategy": "round_robin"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 2);
    let (_, versions) = app
        .get(&format!("/api/v1/assignment/rules/{id}/versions"), &root)
        .await;
    let names: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["v1", "v2"]);

    let mut web = company(0);
    web["source"] = json!("官网");
    for _ in 0..3 {
        let (s, v) = app
            .post("/api/v1/assignment/dry-run", &root, web.clone())
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            v["owner"]["username"], "a1",
            "a dry run does not rotate: {v}"
        );
        assert_eq!(v["decision"]["rule_version"], 2);
    }
    assert_eq!(app.customer_count().await, 0, "a dry run saves nothing");
    assert_eq!(assigned_to(&app, &root, web.clone()).await, "a1");
    let (_, v) = app.post("/api/v1/assignment/dry-run", &root, web).await;
    assert_eq!(
        v["owner"]["username"], "a1",
        "the same lead is now a duplicate"
    );
    assert!(v["duplicate_of"]["customer_id"].is_i64(), "{v}");
    let mut other = company(1);
    other["source"] = json!("官网");
    let (_, v) = app.post("/api/v1/assignment/dry-run", &root, other).await;
    assert_eq!(v["owner"]["username"], "a2");
}

async fn duplicate_leads_go_to_the_owner_and_pool_matches_are_routed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = admin(&app).await;
    let owner = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    app.user("lisi", Role::Rep, Some("east"), None).await;
    add_rule(
        &app,
        &root,
        json!({"name": "全部", "reps": ["lisi"], "strategy": "round_robin"}),
    )
    .await;
    let existing = app
        .create(
            &owner,
            json!({"name": "北京星河互联科技有限公司", "phones": ["13800138000"]}),
        )
        .await;
    let (s, v) = lead(
        &app,
        &root,
        json!({"name": "星河互联", "phones": ["+86 138-0013-8000"], "source": "展会", "value": 80000}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "duplicate");
    assert_eq!(v["outcome"], "duplicate");
    assert_eq!(v["customer_id"], existing);
    assert_eq!(v["owner"]["username"], "zhangsan", "not a new rep: {v}");
    assert_eq!(v["matches"][0]["customer_id"], existing);
    assert!(
        v["decision"]["explanation"]
            .as_str()
            .unwrap()
            .contains("避免撞单")
    );
    let (_, f) = app
        .get(&format!("/api/v1/customers/{existing}/followups"), &owner)
        .await;
    assert_eq!(f["total"], 1, "{f}");
    assert!(f["items"][0]["note"].as_str().unwrap().contains("展会"));
    assert_eq!(app.customer_count().await, 1);

    // In the pool, the rules route it.
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{existing}/release"),
            &owner,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = lead(
        &app,
        &root,
        json!({"name": "星河互联", "phones": ["13800138000"]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["outcome"], "pool_routed");
    assert_eq!(v["customer_id"], existing);
    assert_eq!(v["owner"]["username"], "lisi");
    let (_, log) = app
        .get(&format!("/api/v1/audit?customer_id={existing}"), &root)
        .await;
    let last = log["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "assigned");
    assert_eq!(last["after_owner"], "lisi");
}
