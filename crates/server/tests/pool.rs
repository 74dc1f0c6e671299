//! The public pool (公海) over HTTP, on SQLite and on PostgreSQL: every policy rule, with the
//! service's clock moved by the test instead of waiting.

mod common;

use std::time::Duration;

use common::{Backend, TestApp};
use leadguard_domain::user::Role;
use leadguard_server::Background;
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(
    policy_is_visible_to_everyone_and_changed_by_admins,
    owner_cap_comes_from_the_policy,
    quiet_customer_is_warned_once_then_recycled,
    no_won_deal_recycles_and_a_won_deal_keeps,
    protection_after_a_claim_delays_recycling,
    daily_claim_limit_counts_per_local_day,
    cooldown_before_reclaiming_a_released_or_lost_customer,
    team_policy_overrides_the_global_one,
    pool_lists_recycled_customers_masked,
    two_servers_recycle_and_warn_each_customer_once,
);

/// Distinct company names (no two share a core word).
const BRANDS: [&str; 40] = [
    "星河", "蓝鲸", "青松", "金桥", "华彩", "瑞丰", "博远", "东升", "天合", "众诚", "鼎盛", "恒通",
    "凯旋", "朗润", "明德", "宁远", "鹏程", "启航", "润泽", "盛世", "泰和", "万象", "祥云", "新纪",
    "远洋", "兆丰", "智联", "卓越", "嘉禾", "锦程", "骏马", "立信", "麦田", "南山", "欧亚", "齐鲁",
    "森茂", "拓维", "沃土", "银杏",
];

fn company(i: usize) -> Value {
    json!({
        "name": format!("{}{}有限公司", BRANDS[i % BRANDS.len()], ["科技", "贸易"][i / BRANDS.len() % 2]),
        "phones": [format!("1390000{:04}", i)],
    })
}

async fn set_policy(app: &TestApp, admin: &str, body: Value) -> Value {
    let (s, v) = app.put("/api/v1/pool/policy", admin, body).await;
    assert_eq!(s, StatusCode::OK, "set policy: {v}");
    v
}

async fn owner_of(app: &TestApp, admin: &str, id: i64) -> Value {
    let (s, v) = app.get(&format!("/api/v1/customers/{id}"), admin).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["owner"]["username"].clone()
}

async fn follow_up(app: &TestApp, token: &str, id: i64) {
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{id}/followups"),
            token,
            json!({"kind": "call", "note": "电话沟通，客户有意向"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "follow-up: {v}");
}

fn ids(items: &Value) -> Vec<i64> {
    let mut v: Vec<i64> = items
        .as_array()
        .expect("array")
        .iter()
        .map(|i| i["customer_id"].as_i64().expect("customer_id"))
        .collect();
    v.sort();
    v
}

async fn policy_is_visible_to_everyone_and_changed_by_admins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let rep = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let manager = app
        .user("wangfang", Role::Manager, Some("east"), None)
        .await;
    let admin = app.user("root", Role::Admin, None, None).await;

    let (s, v) = app.get("/api/v1/pool/policy", &rep).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for field in [
        "owner_cap",
        "protection_days",
        "recycle_no_followup_days",
        "recycle_no_deal_days",
        "warn_days",
        "daily_claim_limit",
        "reclaim_cooldown_days",
    ] {
        assert!(v["effective"][field].is_u64(), "{field} missing: {v}");
    }

    for token in [&rep, &manager] {
        let (s, v) = app
            .put("/api/v1/pool/policy", token, json!({"owner_cap": 5}))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, _) = app
            .put(
                "/api/v1/teams/east/pool/policy",
                token,
                json!({"owner_cap": 5}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }

    let v = set_policy(
        &app,
        &admin,
        json!({"owner_cap": 50, "recycle_no_followup_days": 15, "warn_days": 2}),
    )
    .await;
    assert_eq!(v["effective"]["owner_cap"], 50);
    // Fields not named keep their value.
    assert_eq!(v["effective"]["daily_claim_limit"], 10);

    // Out of range or of the wrong type: 422, and nothing changes.
    let (s, v) = app
        .put(
            "/api/v1/pool/policy",
            &admin,
            json!({"owner_cap": 0, "warn_days": 100000}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = app
        .put("/api/v1/pool/policy", &admin, json!({"warn_days": -1}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = app
        .put("/api/v1/pool/policy", &admin, json!({"warn_dayz": 1}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (_, v) = app.get("/api/v1/pool/policy", &rep).await;
    assert_eq!(v["effective"]["owner_cap"], 50);
    assert_eq!(v["effective"]["warn_days"], 2);

    let (s, v) = app.get("/api/v1/teams/nowhere/pool/policy", &rep).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
}

async fn owner_cap_comes_from_the_policy(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let rep = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let other = app.user("zhaolei", Role::Rep, Some("south"), None).await;
    let admin = app.user("root", Role::Admin, None, None).await;
    set_policy(&app, &admin, json!({"owner_cap": 2})).await;
    app.create(&rep, company(0)).await;
    app.create(&rep, company(1)).await;
    let (s, v) = app.post("/api/v1/customers", &rep, company(2)).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "owner_cap_reached");
    assert_eq!(v["cap"], 2);

    // The team's override raises it for east only.
    let (s, v) = app
        .put(
            "/api/v1/teams/east/pool/policy",
            &admin,
            json!({"owner_cap": 3}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.create(&rep, company(2)).await;
    app.create(&other, company(3)).await;
    app.create(&other, company(4)).await;
    let (s, v) = app.post("/api/v1/customers", &other, company(5)).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["cap"], 2);
}

async fn quiet_customer_is_warned_once_then_recycled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let rep = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let admin = app.user("root", Role::Admin, None, None).await;
    set_policy(
        &app,
        &admin,
        json!({"recycle_no_followup_days": 10, "recycle_no_deal_days": 0, "warn_days": 3, "protection_days": 0}),
    )
    .await;
    let id = app.create(&rep, company(0)).await;

    app.advance_days(6);
    let r = app.recycle(&admin).await;
    assert_eq!((ids(&r["warned"]), ids(&r["recycled"])), (vec![], vec![]));

    // Three days before: one warning, however often recycling runs.
    app.advance_days(1);
    let r = app.recycle(&admin).await;
    assert_eq!(ids(&r["warned"]), vec![id]);
    assert_eq!(r["warned"][0]["owner"], "zhangsan");
    assert_eq!(r["warned"][0]["rule"], "recycle_no_followup");
    let r = app.recycle(&admin).await;
    assert_eq!(ids(&r["warned"]), Vec::<i64>::new());
    let warnings = app.events_of("customer.recycle_warning", id).await;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0]["data"]["due"].is_string());

    // A dry run reports and changes nothing.
    app.advance_days(4);
    let (s, r) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/pool/recycle?dry_run=true",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(ids(&r["recycled"]), vec![id]);
    assert_eq!(owner_of(&app, &admin, id).await, "zhangsan");
    app.clock.advance(chrono::Duration::days(-4));

    // A follow-up on day 8 moves the date to day 18, and earns a new warning on day 15.
    app.advance_days(1);
    follow_up(&app, &rep, id).await;
    app.advance_days(3); // day 11
    let r = app.recycle(&admin).await;
    assert_eq!(ids(&r["recycled"]), Vec::<i64>::new());
    assert_eq!(owner_of(&app, &admin, id).await, "zhangsan");
    app.advance_days(4); // day 15
    let r = app.recycle(&admin).await;
    assert_eq!(ids(&r["warned"]), vec![id]);
    app.advance_days(3); // day 18
    let r = app.recycle(&admin).await;
    assert_eq!(ids(&r["recycled"]), vec![id]);
    assert_eq!(owner_of(&app, &admin, id).await, Value::Null);
    let r = app.recycle(&admin).await;
    assert_eq!(ids(&r["recycled"]), Vec::<i64>::new(), "recycled once");
    assert_eq!(app.events_of("customer.recycle_warning", id).await.len(), 2);
    assert_eq!(app.events_of("customer.recycled", id).await.len(), 1);

    // The audit log names the rule and the system as the actor.
    let (_, v) = app
        .get(&format!("/api/v1/audit?customer_id={id}"), &admin)
        .await;
    let last = v["items"]
        .as_array()
        .and_then(|a| a.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["action"], "recycled", "{v}");
    assert_eq!(last["actor"], "_system");
    assert_eq!(last["rule"], "recycle_no_followup");
    assert_eq!(last["before_owner"], "zhangsan");
    assert_eq!(last["after_owner"], Value::Null);
    app.assert_owner_counts_kept().await;
}

async fn no_won_deal_recycles_and_a_won_deal_keeps(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let rep = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let admin = app.user("root", Role::Admin, None, None).await;
    set_policy(
        &app,
        &admin,
        json!({"recycle_no_followup_days": 0, "recycle_no_deal_days": 20, "warn_days": 0, "protection_days": 0}),
    )
    .await;
    let busy = app.create(&rep, company(0)).await;
    let winner = app.create(&rep, company(1)).await;

    // Follow-ups and an open deal do not count; a won deal does.
    app.advance_days(5);
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{busy}/deals"),
            &rep,
            json!({"title": "年度采购", "amount": 120000.0}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["stage"], "open");
    follow_up(&app, &rep, busy).await;
    app.advance_days(5);
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{winner}/deals"),
            &rep,
            json!({"title": "首单", "amount": 8000.0}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let deal = v["id"].as_i64().expect("deal id");
    let (s, v) = app
        .put(
            &format!("/api/v1/deals/{deal}"),
            &rep,
            json!({"title": "首单", "amount": 8000.0, "stage": "won"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["stage"], "won");

    app.advance_days(10); // day 20
    let r = app.recycle(&admin).await;
    assert_eq!(ids(&r["recycled"]), vec![busy]);
    assert_eq!(r["recycled"][0]["rule"], "recycle_no_deal");
    assert_eq!(owner_of(&app, &admin, winner).await, "zhangsan");
    app.advance_days(10); // day 30: twenty days after the win
    let r = app.recycle(&admin).await;
    assert_eq!(ids(&r["recycled"]), vec![winner]);
}

async fn protection_after_a_claim_delays_recycling(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let b = app.user("lisi", Role::Rep, Some("east"), None).await;
    let admin = app.user("root", Role::Admin, None, None).await;
    set_policy(
        &app,
        &admin,
        json!({"recycle_no_followup_days": 10, "recycle_no_deal_days": 0, "warn_days": 0, "protection_days": 15}),
    )
    .await;
    let id = app.create(&a, company(0)).await;
    let (s, v) = app
        .post(&format!("/api/v1/customers/{id}/release"), &a, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(&format!("/api/v1/customers/{id}/claim"), &b, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    app.advance_days(11);
    let r = app.recycle(&admin).await;
    assert_eq!(ids(&r["recycled"]), Vec::<i64>::new(), "still protected");
    app.advance_days(4); // day 15: protection ends
    let r = app.recycle(&admin).await;
    assert_eq!(ids(&r["recycled"]), vec![id]);
    assert_eq!(owner_of(&app, &admin, id).await, Value::Null);
}

async fn daily_claim_limit_counts_per_local_day(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let rep = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let admin = app.user("root", Role::Admin, None, None).await;
    set_policy(
        &app,
        &admin,
        json!({"daily_claim_limit": 2, "reclaim_cooldown_days": 0}),
    )
    .await;
    let mut pool = Vec::new();
    for i in 0..4 {
        let id = app.create(&admin, company(i)).await;
        let (s, v) = app
            .post(
                &format!("/api/v1/customers/{id}/release"),
                &admin,
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        pool.push(id);
    }
    let claim = |id: i64| {
        let app = &app;
        let rep = &rep;
        async move {
            app.post(&format!("/api/v1/customers/{id}/claim"), rep, json!({}))
                .await
        }
    };
    assert_eq!(claim(pool[0]).await.0, StatusCode::OK);
    assert_eq!(claim(pool[1]).await.0, StatusCode::OK);
    let (s, v) = claim(pool[2]).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "daily_claim_limit");
    assert!(v["message"].as_str().unwrap_or_default().contains('2'));
    // Releasing does not give a claim back.
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{}/release", pool[1]),
            &rep,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(claim(pool[2]).await.0, StatusCode::CONFLICT);

    // The day is Beijing's: 23:00 is still today, midnight is tomorrow.
    app.clock.advance(chrono::Duration::hours(14));
    assert_eq!(claim(pool[2]).await.0, StatusCode::CONFLICT);
    app.clock.advance(chrono::Duration::hours(1));
    assert_eq!(claim(pool[2]).await.0, StatusCode::OK);
    assert_eq!(claim(pool[3]).await.0, StatusCode::OK);
}

async fn cooldown_before_reclaiming_a_released_or_lost_customer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let b = app.user("lisi", Role::Rep, Some("east"), None).await;
    let admin = app.user("root", Role::Admin, None, None).await;
    set_policy(
        &app,
        &admin,
        json!({"reclaim_cooldown_days": 7, "recycle_no_followup_days": 10, "recycle_no_deal_days": 0, "protection_days": 0, "warn_days": 0}),
    )
    .await;
    let released = app.create(&a, company(0)).await;
    let lost = app.create(&a, company(1)).await;
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{released}/release"),
            &a,
            json!({"reason": "暂无需求"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{released}/claim"),
            &a,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "reclaim_cooldown");

    // Recycling counts as losing it.
    app.advance_days(10);
    let r = app.recycle(&admin).await;
    assert_eq!(ids(&r["recycled"]), vec![lost]);
    let (s, v) = app
        .post(&format!("/api/v1/customers/{lost}/claim"), &a, json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "reclaim_cooldown");
    // Another rep is not held back.
    let (s, v) = app
        .post(&format!("/api/v1/customers/{lost}/claim"), &b, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Seven days after the release, the first is A's to claim again.
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{released}/claim"),
            &a,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.assert_owner_counts_kept().await;
}

async fn team_policy_overrides_the_global_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let east = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let south = app.user("zhaolei", Role::Rep, Some("south"), None).await;
    let admin = app.user("root", Role::Admin, None, None).await;
    set_policy(
        &app,
        &admin,
        json!({"recycle_no_followup_days": 30, "recycle_no_deal_days": 0, "warn_days": 0, "protection_days": 0}),
    )
    .await;
    let (s, v) = app
        .put(
            "/api/v1/teams/east/pool/policy",
            &admin,
            json!({"recycle_no_followup_days": 5}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Every rep can read any team's rules.
    let (s, v) = app.get("/api/v1/teams/east/pool/policy", &south).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["effective"]["recycle_no_followup_days"], 5);
    assert_eq!(v["overrides"]["recycle_no_followup_days"], 5);
    assert_eq!(v["overrides"]["owner_cap"], Value::Null);

    let e = app.create(&east, company(0)).await;
    let s_id = app.create(&south, company(1)).await;
    app.advance_days(5);
    let r = app.recycle(&admin).await;
    assert_eq!(ids(&r["recycled"]), vec![e]);
    assert_eq!(owner_of(&app, &admin, s_id).await, "zhaolei");

    // null returns the field to the global value.
    let (s, v) = app
        .put(
            "/api/v1/teams/east/pool/policy",
            &admin,
            json!({"recycle_no_followup_days": null}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["effective"]["recycle_no_followup_days"], 30);
}

async fn pool_lists_recycled_customers_masked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let b = app.user("lisi", Role::Rep, Some("south"), None).await;
    let admin = app.user("root", Role::Admin, None, None).await;
    set_policy(
        &app,
        &admin,
        json!({"recycle_no_followup_days": 3, "recycle_no_deal_days": 0, "warn_days": 0, "protection_days": 0}),
    )
    .await;
    let id = app.create(&a, company(0)).await;
    app.create(&a, company(1)).await;
    app.advance_days(2);
    follow_up(&app, &a, id).await;
    app.advance_days(1);
    app.recycle(&admin).await;
    let (s, v) = app.get("/api/v1/pool", &b).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["total"], 1, "{v}");
    let item = &v["items"][0];
    assert_eq!(item["owner"], Value::Null);
    assert_eq!(item["access"], "limited");
    assert!(
        item["phones"][0]
            .as_str()
            .unwrap_or_default()
            .contains("****"),
        "{item}"
    );
    // Filters apply in the pool too.
    let (_, v) = app.get("/api/v1/pool?q=星河", &b).await;
    assert_eq!(v["total"], 0, "{v}");
    let (_, v) = app.get("/api/v1/pool?q=蓝鲸", &b).await;
    assert_eq!(v["total"], 1, "{v}");
}

/// Two server processes on one database, each recycling on its own schedule: every customer
/// is warned once and recycled once.
async fn two_servers_recycle_and_warn_each_customer_once(backend: Backend) {
    const N: usize = 40;
    let app = TestApp::spawn(backend).await;
    let reps = [
        app.user("zhangsan", Role::Rep, Some("east"), None).await,
        app.user("lisi", Role::Rep, Some("east"), None).await,
        app.user("zhaolei", Role::Rep, Some("south"), None).await,
    ];
    let admin = app.user("root", Role::Admin, None, None).await;
    set_policy(
        &app,
        &admin,
        json!({"recycle_no_followup_days": 10, "recycle_no_deal_days": 0, "warn_days": 3, "protection_days": 0}),
    )
    .await;
    let mut customers = Vec::new();
    for i in 0..N {
        customers.push(app.create(&reps[i % reps.len()], company(i)).await);
    }
    let busy = Background {
        recycle_every: Some(Duration::from_millis(5)),
        deliver_every: None,
        ..Background::NONE
    };
    let one = app.sibling(busy).await;
    let two = app.sibling(busy).await;
    let wait_for = |kind: &'static str| {
        let app = &app;
        async move {
            for _ in 0..600 {
                let n = app
                    .all_events()
                    .await
                    .iter()
                    .filter(|e| e["type"] == kind)
                    .count();
                if n >= N {
                    // Both loops keep running; give them a few more rounds to double up.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("{kind} did not reach {N}");
        }
    };
    for s in [&one, &two] {
        s.clock.advance(chrono::Duration::days(8));
    }
    wait_for("customer.recycle_warning").await;
    for s in [&one, &two] {
        s.clock.advance(chrono::Duration::days(3));
    }
    wait_for("customer.recycled").await;

    let events = app.all_events().await;
    for kind in ["customer.recycle_warning", "customer.recycled"] {
        let mut per_customer: Vec<i64> = events
            .iter()
            .filter(|e| e["type"] == kind)
            .map(|e| e["customer_id"].as_i64().expect("customer"))
            .collect();
        per_customer.sort();
        let mut expected = customers.clone();
        expected.sort();
        assert_eq!(per_customer, expected, "each customer once: {kind}");
    }
    let (_, v) = app.get("/api/v1/pool?limit=100", &admin).await;
    assert_eq!(v["total"], N, "{v}");
    let (_, v) = app.get("/api/v1/audit?limit=200", &admin).await;
    let recycled = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "recycled")
        .count();
    assert_eq!(recycled, N);
    app.assert_owner_counts_kept().await;
}
