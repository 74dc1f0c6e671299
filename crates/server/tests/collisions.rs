//! Collision cases (撞单), arbitration (裁决) and merges (合并) over HTTP, on SQLite and on
//! PostgreSQL.

mod common;

use common::{Backend, TestApp};
use leadguard_domain::user::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(
    suspected_entry_opens_a_case_decided_first_come,
    manager_may_overrule_first_come_with_a_reason_and_merge,
    cross_team_cases_go_to_admins,
    blocked_rep_appeals_and_the_manager_decides,
    update_that_looks_like_another_reps_customer_opens_a_case,
    database_scan_opens_cases_for_pairs_owned_by_two_reps,
    merge_under_concurrent_follow_ups_loses_nothing_and_unmerge_restores,
    merge_is_for_owners_and_their_managers,
    merged_ids_resolve_however_long_the_chain,
);

/// Two spellings of one company in two cities: alike, but not surely the same (suspected).
const EARLY: &str = "北京星河互联科技有限公司";
const LATE: &str = "上海星河互联科技有限公司";

struct Team {
    app: TestApp,
    a: String,
    b: String,
    m: String,
    other_manager: String,
    admin: String,
}

async fn team(backend: Backend) -> Team {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let b = app.user("lisi", Role::Rep, Some("east"), None).await;
    let m = app
        .user("wangfang", Role::Manager, Some("east"), None)
        .await;
    let other_manager = app
        .user("liuqiang", Role::Manager, Some("south"), None)
        .await;
    let admin = app.user("root", Role::Admin, None, None).await;
    Team {
        app,
        a,
        b,
        m,
        other_manager,
        admin,
    }
}

/// `a` enters the early customer, a day later `b` the look-alike: returns (early, late, case).
async fn suspected_pair(t: &Team) -> (i64, i64, i64) {
    let early = t
        .app
        .create(&t.a, json!({"name": EARLY, "phones": ["13800138000"]}))
        .await;
    t.app.advance_days(1);
    let (s, v) = t
        .app
        .post(
            "/api/v1/customers",
            &t.b,
            json!({"name": LATE, "phones": ["13900139000"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "a look-alike is saved: {v}");
    assert_eq!(v["suspected"][0]["customer_id"], early, "{v}");
    let cases = v["collision_cases"].as_array().expect("cases").clone();
    assert_eq!(cases.len(), 1, "{v}");
    (early, v["id"].as_i64().unwrap(), cases[0].as_i64().unwrap())
}

async fn follow_up(app: &TestApp, token: &str, id: i64, note: &str) -> StatusCode {
    app.post(
        &format!("/api/v1/customers/{id}/followups"),
        token,
        json!({"note": note}),
    )
    .await
    .0
}

async fn audit(app: &TestApp, admin: &str, id: i64) -> Vec<Value> {
    let (s, v) = app
        .get(&format!("/api/v1/audit?customer_id={id}&limit=200"), admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"].as_array().expect("items").clone()
}

async fn owner(app: &TestApp, admin: &str, id: i64) -> Value {
    let (s, v) = app.get(&format!("/api/v1/customers/{id}"), admin).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["owner"]["username"].clone()
}

async fn suspected_entry_opens_a_case_decided_first_come(backend: Backend) {
    let t = team(backend).await;
    let app = &t.app;
    let (early, late, case) = suspected_pair(&t).await;
    assert_eq!(
        follow_up(app, &t.a, early, "拜访客户").await,
        StatusCode::CREATED
    );
    assert_eq!(
        follow_up(app, &t.a, early, "报价").await,
        StatusCode::CREATED
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{early}/deals"),
            &t.a,
            json!({"title": "年度框架", "amount": 50000.0}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    // The team's manager and both reps see it; another team's manager and reps do not.
    for (token, seen) in [
        (&t.m, 1),
        (&t.a, 1),
        (&t.b, 1),
        (&t.other_manager, 0),
        (&t.admin, 1),
    ] {
        let (s, v) = app.get("/api/v1/collisions", token).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["total"], seen, "{v}");
    }
    let (s, _) = app
        .get(&format!("/api/v1/collisions/{case}"), &t.other_manager)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, v) = app.get(&format!("/api/v1/collisions/{case}"), &t.m).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["origin"], "suspected_entry");
    assert_eq!(v["status"], "open");
    assert_eq!(v["team"], "east");
    assert_eq!(v["verdict"], "suspected");
    assert!(v["score"].as_f64().unwrap() > 0.0);
    assert!(!v["reasons"].as_array().unwrap().is_empty(), "{v}");
    assert_eq!(v["first"]["customer_id"], early);
    assert_eq!(v["first"]["rep"]["username"], "zhangsan");
    assert_eq!(v["first"]["entered_by"]["username"], "zhangsan");
    assert_eq!(v["first"]["followups"], 2);
    assert!(v["first"]["last_followup_at"].is_string());
    assert_eq!(v["first"]["open_deals"], 1);
    assert_eq!(v["first"]["deals"][0]["title"], "年度框架");
    assert_eq!(v["second"]["customer_id"], late);
    assert_eq!(v["second"]["rep"]["username"], "lisi");
    assert!(v["first"]["entered_at"].as_str() < v["second"]["entered_at"].as_str());
    assert_eq!(v["default_winner"], "zhangsan", "first come");
    // A rep sees the other side's deal counts, not the deals.
    let (_, v) = app.get(&format!("/api/v1/collisions/{case}"), &t.b).await;
    assert_eq!(v["first"]["open_deals"], 1);
    assert_eq!(v["first"]["deals"], Value::Null);

    // Reps and other teams' managers may not decide; bad decisions are explained.
    for token in [&t.b, &t.other_manager] {
        let (s, _) = app
            .post(
                &format!("/api/v1/collisions/{case}/decide"),
                token,
                json!({"winner": "lisi"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (s, v) = app
        .post(
            &format!("/api/v1/collisions/{case}/decide"),
            &t.m,
            json!({"winner": "lisi"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["fields"][0]["field"], "reason");
    let (s, v) = app
        .post(
            &format!("/api/v1/collisions/{case}/decide"),
            &t.m,
            json!({"winner": "root"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["fields"][0]["code"], "not_a_party");

    let (s, v) = app
        .post(
            &format!("/api/v1/collisions/{case}/decide"),
            &t.m,
            json!({"winner": "zhangsan", "merge": false}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "decided");
    assert_eq!(v["decision"]["winner"], "zhangsan");
    assert_eq!(v["decision"]["decided_by"], "wangfang");
    assert_eq!(v["decision"]["rule"], "collision_first_come");
    assert_eq!(v["decision"]["merged"], false);
    assert_eq!(owner(app, &t.admin, late).await, "zhangsan");
    let last = audit(app, &t.admin, late).await.pop().unwrap();
    assert_eq!(last["action"], "awarded");
    assert_eq!(last["actor"], "wangfang");
    assert_eq!(last["before_owner"], "lisi");
    assert_eq!(last["after_owner"], "zhangsan");
    assert_eq!(last["rule"], "collision_first_come");

    // Final.
    let (s, v) = app
        .post(
            &format!("/api/v1/collisions/{case}/decide"),
            &t.m,
            json!({"winner": "lisi", "reason": "改判"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "already_decided");

    // Both reps were told: opened and decided, each naming the case.
    let events = app.all_events().await;
    for kind in ["collision.opened", "collision.decided"] {
        let e = events
            .iter()
            .find(|e| e["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind}"));
        assert_eq!(e["data"]["case_id"], case, "{e}");
    }
    let mut seen_by_b = common_events_for(app, &t.b).await;
    seen_by_b.retain(|e| {
        e["type"]
            .as_str()
            .unwrap_or_default()
            .starts_with("collision.")
    });
    assert_eq!(seen_by_b.len(), 2, "{seen_by_b:?}");
}

/// The events a user's live stream would carry, read from the start.
async fn common_events_for(app: &TestApp, token: &str) -> Vec<Value> {
    let user = app.service.authenticate(token).await.expect("user");
    app.service
        .events_after(&user, 0, 1000)
        .await
        .expect("events")
        .into_iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect()
}

async fn manager_may_overrule_first_come_with_a_reason_and_merge(backend: Backend) {
    let t = team(backend).await;
    let app = &t.app;
    let (early, late, case) = suspected_pair(&t).await;
    assert_eq!(
        follow_up(app, &t.a, early, "首次电话").await,
        StatusCode::CREATED
    );
    assert_eq!(
        follow_up(app, &t.b, late, "已签意向书").await,
        StatusCode::CREATED
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/collisions/{case}/decide"),
            &t.m,
            json!({"winner": "lisi", "merge": true, "reason": "李四已签意向书，张三仅一次电话"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["decision"]["rule"], "collision_manager_decision");
    assert_eq!(v["decision"]["reason"], "李四已签意向书，张三仅一次电话");
    assert_eq!(v["decision"]["merged"], true);
    assert_eq!(v["second"]["merged_into"], early);

    // The earlier record survives, now lisi's, with both histories.
    let (s, v) = app.get(&format!("/api/v1/customers/{early}"), &t.b).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["owner"]["username"], "lisi");
    assert_eq!(
        v["created_by"]["username"], "zhangsan",
        "first-come evidence kept"
    );
    let phones: Vec<&str> = v["phones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(phones, vec!["13800138000", "13900139000"]);
    let (_, f) = app
        .get(&format!("/api/v1/customers/{early}/followups"), &t.b)
        .await;
    assert_eq!(f["total"], 2, "{f}");

    // The merged id redirects to the survivor.
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = no_redirect
        .get(format!("{}/api/v1/customers/{late}", app.base))
        .bearer_auth(&t.b)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        resp.headers()["location"],
        format!("/api/v1/customers/{early}").as_str()
    );
    let (s, v) = app.get(&format!("/api/v1/customers/{late}"), &t.b).await;
    assert_eq!(s, StatusCode::OK, "followed: {v}");
    assert_eq!(v["id"], early);
    // The merged record leaves the lists; its phone now finds the survivor.
    let (_, v) = app.get("/api/v1/customers?scope=all", &t.admin).await;
    assert_eq!(v["total"], 1, "{v}");
    let (s, v) = app
        .post(
            "/api/v1/customers",
            &t.a,
            json!({"name": "别的名字", "phones": ["139-0013-9000"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["matches"][0]["customer_id"], early);

    // History: the survivor's log includes the merged customer's, ending with the decision.
    let log = audit(app, &t.admin, early).await;
    let actions: Vec<(&str, i64)> = log
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["customer_id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(actions.contains(&("created", late)), "{actions:?}");
    assert!(actions.contains(&("merged", late)), "{actions:?}");
    assert!(actions.contains(&("merged", early)), "{actions:?}");
    let last = log.last().unwrap();
    assert_eq!(last["action"], "awarded");
    assert_eq!(last["rule"], "collision_manager_decision");
    assert_eq!(last["reason"], "李四已签意向书，张三仅一次电话");
    assert!(
        app.all_events()
            .await
            .iter()
            .any(|e| e["type"] == "customer.merged" && e["data"]["duplicate_id"] == late)
    );
    app.assert_owner_counts_kept().await;
}

async fn cross_team_cases_go_to_admins(backend: Backend) {
    let t = team(backend).await;
    let app = &t.app;
    let south = app.user("zhaolei", Role::Rep, Some("south"), None).await;
    let early = app
        .create(&t.a, json!({"name": EARLY, "phones": ["13800138000"]}))
        .await;
    let (s, v) = app
        .post("/api/v1/customers", &south, json!({"name": LATE}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let case = v["collision_cases"][0].as_i64().expect("case");
    let (_, v) = app
        .get(&format!("/api/v1/collisions/{case}"), &t.admin)
        .await;
    assert_eq!(v["team"], Value::Null, "cross-team: {v}");
    for token in [&t.m, &t.other_manager] {
        let (s, _) = app
            .post(
                &format!("/api/v1/collisions/{case}/decide"),
                token,
                json!({"winner": "zhangsan"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (s, v) = app
        .post(
            &format!("/api/v1/collisions/{case}/decide"),
            &t.admin,
            json!({"winner": "zhangsan", "merge": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(owner(app, &t.admin, early).await, "zhangsan");
}

async fn blocked_rep_appeals_and_the_manager_decides(backend: Backend) {
    let t = team(backend).await;
    let app = &t.app;
    let entry = json!({"name": "北京星河互联科技有限公司", "phones": ["+86 138 0013 8000"]});
    let id = app
        .create(&t.a, json!({"name": EARLY, "phones": ["13800138000"]}))
        .await;
    let (s, v) = app.post("/api/v1/customers", &t.b, entry.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("/api/v1/collisions"),
        "{v}"
    );

    let (s, v) = app
        .post(
            "/api/v1/collisions",
            &t.b,
            json!({"customer_id": id, "reason": "  "}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["fields"][0]["field"], "reason");
    let (s, v) = app
        .post(
            "/api/v1/collisions",
            &t.b,
            json!({"customer_id": id, "reason": "我与该客户已有在谈商机（合同编号 HT-2026-031）", "entry": entry}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let case = v["id"].as_i64().unwrap();
    assert_eq!(v["origin"], "appeal");
    assert_eq!(v["second"]["customer_id"], Value::Null);
    assert_eq!(v["second"]["rep"]["username"], "lisi");
    assert_eq!(v["second"]["name"], EARLY);
    assert_eq!(
        v["verdict"], "duplicate",
        "the entry's match is the evidence"
    );
    assert_eq!(v["default_winner"], "zhangsan");
    assert!(v["reason"].as_str().unwrap().contains("HT-2026-031"));

    let (s, v) = app
        .post(
            "/api/v1/collisions",
            &t.b,
            json!({"customer_id": id, "reason": "再次申诉"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "case_open");
    let (s, v) = app
        .post(
            "/api/v1/collisions",
            &t.a,
            json!({"customer_id": id, "reason": "我的"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "already_owner");

    // The manager finds it in the inbox and agrees with the appeal.
    let (_, inbox) = app.get("/api/v1/collisions?status=open", &t.m).await;
    assert_eq!(inbox["items"][0]["id"], case, "{inbox}");
    let (s, v) = app
        .post(
            &format!("/api/v1/collisions/{case}/decide"),
            &t.m,
            json!({"winner": "lisi", "merge": true, "reason": "有合同"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "nothing to merge: {v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/collisions/{case}/decide"),
            &t.m,
            json!({"winner": "lisi", "reason": "有合同"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(owner(app, &t.admin, id).await, "lisi");
    let (s, v) = app
        .post(
            "/api/v1/collisions",
            &t.b,
            json!({"customer_id": id, "reason": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "already_owner");
    let (s, v) = app
        .post(
            "/api/v1/collisions",
            &t.a,
            json!({"customer_id": id, "reason": "我先录入的"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "the decision is final: {v}");
    // A pool customer is claimed, not appealed for.
    let (s, _) = app
        .post(&format!("/api/v1/customers/{id}/release"), &t.b, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .post(
            "/api/v1/collisions",
            &t.a,
            json!({"customer_id": id, "reason": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["error"], "in_pool");
}

async fn update_that_looks_like_another_reps_customer_opens_a_case(backend: Backend) {
    let t = team(backend).await;
    let app = &t.app;
    let early = app
        .create(&t.a, json!({"name": EARLY, "phones": ["13800138000"]}))
        .await;
    let mine = app
        .create(&t.b, json!({"name": "天津蓝鲸物流有限公司"}))
        .await;
    let (s, v) = app
        .patch(
            &format!("/api/v1/customers/{mine}"),
            &t.b,
            json!({"name": LATE}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = app.get("/api/v1/collisions", &t.m).await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["origin"], "update");
    assert_eq!(v["items"][0]["first"]["customer_id"], early);
    assert_eq!(v["items"][0]["second"]["customer_id"], mine);
    // Changing it again does not open a second case for the pair.
    let (s, _) = app
        .patch(
            &format!("/api/v1/customers/{mine}"),
            &t.b,
            json!({"address": "上海市浦东新区"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = app.get("/api/v1/collisions", &t.m).await;
    assert_eq!(v["total"], 1, "{v}");
}

async fn database_scan_opens_cases_for_pairs_owned_by_two_reps(backend: Backend) {
    let t = team(backend).await;
    let app = &t.app;
    // Entered by one rep (no case), then one of the two handed to another rep.
    let early = app
        .create(&t.a, json!({"name": EARLY, "phones": ["13800138000"]}))
        .await;
    let (s, v) = app
        .post("/api/v1/customers", &t.a, json!({"name": LATE}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["collision_cases"], json!([]), "same rep: no case");
    let late = v["id"].as_i64().unwrap();
    app.create(&t.a, json!({"name": "广州南沙远洋物流有限公司"}))
        .await;
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{late}/transfer"),
            &t.m,
            json!({"to": "lisi"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let (s, _) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/collisions/scan",
            Some(&t.m),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/collisions/scan",
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["customers_scanned"], 3);
    assert_eq!(v["cases_opened"].as_array().unwrap().len(), 1, "{v}");
    let case = v["cases_opened"][0].as_i64().unwrap();
    let (_, c) = app.get(&format!("/api/v1/collisions/{case}"), &t.m).await;
    assert_eq!(c["origin"], "batch_scan");
    assert_eq!(c["first"]["customer_id"], early);
    assert_eq!(c["second"]["rep"]["username"], "lisi");
    // A second scan finds the same pair and opens nothing new.
    let (_, v) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/collisions/scan",
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(v["cases_opened"], json!([]));
}

/// Follow-ups are written to both customers from several clients while they are merged:
/// every one that was acknowledged is on the survivor afterwards.
async fn merge_under_concurrent_follow_ups_loses_nothing_and_unmerge_restores(backend: Backend) {
    const WRITERS: usize = 8;
    const EACH: usize = 25;
    let t = team(backend).await;
    let app = &t.app;
    let keep = app
        .create(
            &t.a,
            json!({"name": EARLY, "phones": ["13800138000"], "contacts": [{"name": "王经理", "phones": ["010-6258 8888"]}]}),
        )
        .await;
    let dup = app
        .create(
            &t.a,
            json!({"name": "杭州银杏教育科技有限公司", "emails": ["sales@xinghe-hl.com"], "contacts": [{"name": "李工"}]}),
        )
        .await;
    // Some history before the merge on the duplicate, to move back on unmerge.
    for i in 0..3 {
        assert_eq!(
            follow_up(app, &t.a, dup, &format!("合并前 {i}")).await,
            StatusCode::CREATED
        );
    }
    let written = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let written = written.clone();
            let base = app.base.clone();
            let token = t.a.clone();
            let target = if w % 2 == 0 { keep } else { dup };
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut ok = 0;
                for i in 0..EACH {
                    let r = http
                        .post(format!("{base}/api/v1/customers/{target}/followups"))
                        .bearer_auth(&token)
                        .json(&json!({"note": format!("writer {w} note {i}")}))
                        .send()
                        .await
                        .expect("request");
                    assert_eq!(
                        r.status(),
                        StatusCode::CREATED,
                        "{}",
                        r.text().await.unwrap()
                    );
                    written.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    ok += 1;
                }
                ok
            })
        })
        .collect();
    // Merge once a quarter of the writes are in, while the rest are still coming.
    while written.load(std::sync::atomic::Ordering::SeqCst) < WRITERS * EACH / 4 {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{keep}/merge"),
            &t.a,
            json!({"duplicate_id": dup}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut acknowledged = 3;
    for w in writers {
        acknowledged += w.await.expect("writer");
    }
    assert_eq!(acknowledged, 3 + WRITERS * EACH);
    let (_, f) = app
        .get(
            &format!("/api/v1/customers/{keep}/followups?limit=200"),
            &t.a,
        )
        .await;
    assert_eq!(
        f["total"], acknowledged,
        "every acknowledged follow-up is on the survivor"
    );
    let (_, v) = app.get(&format!("/api/v1/customers/{keep}"), &t.a).await;
    assert_eq!(v["emails"], json!(["sales@xinghe-hl.com"]));
    assert_eq!(v["contacts"].as_array().unwrap().len(), 2, "{v}");

    // Unmerge: the duplicate comes back with its own fields and the history it brought.
    let (s, v) = app
        .post(&format!("/api/v1/customers/{dup}/unmerge"), &t.a, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["id"], dup);
    assert_eq!(v["owner"]["username"], "zhangsan");
    assert_eq!(v["emails"], json!(["sales@xinghe-hl.com"]));
    let (_, v) = app.get(&format!("/api/v1/customers/{keep}"), &t.a).await;
    assert_eq!(v["emails"], json!([]), "{v}");
    assert_eq!(v["contacts"].as_array().unwrap().len(), 1);
    let (_, fk) = app
        .get(
            &format!("/api/v1/customers/{keep}/followups?limit=200"),
            &t.a,
        )
        .await;
    let (_, fd) = app
        .get(
            &format!("/api/v1/customers/{dup}/followups?limit=200"),
            &t.a,
        )
        .await;
    let back = fd["total"].as_i64().unwrap();
    assert!(back >= 3, "{fd}");
    assert!(
        back < (3 + WRITERS / 2 * EACH) as i64,
        "some writes to the duplicate's id came after the merge and stayed on the survivor: {fd}"
    );
    assert_eq!(
        fk["total"].as_i64().unwrap() + fd["total"].as_i64().unwrap(),
        acknowledged as i64,
        "nothing lost by the unmerge either"
    );
    // The duplicate's e-mail belongs to it again.
    let (s, v) = app
        .post(
            "/api/v1/customers/check",
            &t.b,
            json!({"name": "另一家", "emails": ["SALES@xinghe-hl.com"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["matches"][0]["customer_id"], dup);
    let (s, v) = app
        .post(&format!("/api/v1/customers/{dup}/unmerge"), &t.a, json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["error"], "not_merged");
    app.assert_owner_counts_kept().await;
}

async fn merge_is_for_owners_and_their_managers(backend: Backend) {
    let t = team(backend).await;
    let app = &t.app;
    let x = app.create(&t.a, json!({"name": EARLY})).await;
    let y = app
        .create(&t.b, json!({"name": "广州南沙远洋物流有限公司"}))
        .await;
    let z = app
        .create(&t.a, json!({"name": "杭州银杏教育科技有限公司"}))
        .await;
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{x}/merge"),
            &t.a,
            json!({"duplicate_id": y}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "not a's to merge");
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{x}/merge"),
            &t.other_manager,
            json!({"duplicate_id": z}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "another team's manager");
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{x}/merge"),
            &t.a,
            json!({"duplicate_id": x}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{x}/merge"),
            &t.m,
            json!({"duplicate_id": y}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{x}/merge"),
            &t.m,
            json!({"duplicate_id": y}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "already_merged");
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{x}/merge"),
            &t.m,
            json!({"duplicate_id": 999999}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// A customer merged into one that is merged in turn, seventy times over: the first id still
/// leads to the last survivor, and unmerging the last merge brings back the one before it.
async fn merged_ids_resolve_however_long_the_chain(backend: Backend) {
    const LINKS: usize = 70;
    let t = team(backend).await;
    let app = &t.app;
    let mut ids = Vec::new();
    for i in 0..LINKS + 1 {
        ids.push(
            app.create(
                &t.a,
                json!({"name": format!("链式合并测试{i:03}号客户", i = i), "phones": [format!("1380000{:04}", i)]}),
            )
            .await,
        );
    }
    for pair in ids.windows(2) {
        let (s, v) = app
            .post(
                &format!("/api/v1/customers/{}/merge", pair[1]),
                &t.a,
                json!({"duplicate_id": pair[0]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let last = ids[LINKS];
    let (s, v) = app
        .get(&format!("/api/v1/customers/{}", ids[0]), &t.a)
        .await;
    assert_eq!(s, StatusCode::OK, "followed {LINKS} merges: {v}");
    assert_eq!(v["id"], last);
    // A follow-up written to the first id lands on the last survivor.
    assert_eq!(
        follow_up(app, &t.a, ids[0], "写到最早的编号").await,
        StatusCode::CREATED
    );
    let (_, f) = app
        .get(&format!("/api/v1/customers/{last}/followups"), &t.a)
        .await;
    assert_eq!(f["total"], 1, "{f}");
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{}/unmerge", ids[LINKS - 1]),
            &t.a,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = app
        .get(&format!("/api/v1/customers/{}", ids[0]), &t.a)
        .await;
    assert_eq!(v["id"], ids[LINKS - 1]);
    app.assert_owner_counts_kept().await;
}
