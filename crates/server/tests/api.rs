//! The HTTP API end to end, on SQLite and on PostgreSQL.

mod common;

use common::{Backend, TestApp};
use leadguard_domain::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

both_backends!(
    health_and_openapi,
    login_and_tokens,
    duplicate_in_other_formatting_names_the_owner,
    check_gives_the_verdict_without_saving,
    partial_names_find_the_companies_they_begin,
    suspected_match_is_saved_with_a_warning,
    reps_cannot_read_or_change_other_reps_customers,
    managers_see_their_team_admins_see_all,
    owner_cap_is_enforced,
    claim_release_transfer_are_audited,
    concurrent_creates_of_one_customer_yield_one_owner,
    concurrent_creates_matching_only_by_name_yield_one_owner,
    bad_input_gets_clear_errors_and_saves_nothing,
    followups_are_logged_and_listed,
    update_adding_another_customers_identifier_is_a_duplicate,
    lists_filter_search_and_paginate,
    users_and_teams_are_managed_by_admins,
    repeated_failed_logins_are_throttled,
    imperfect_values_are_kept_flagged_and_matched,
);

async fn health_and_openapi(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, v) = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, doc) = app.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        doc["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3."),
        "{doc}"
    );
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/api/v1/auth/login",
        "/api/v1/customers",
        "/api/v1/customers/check",
        "/api/v1/customers/{id}",
        "/api/v1/customers/{id}/followups",
        "/api/v1/customers/{id}/claim",
        "/api/v1/customers/{id}/release",
        "/api/v1/customers/{id}/transfer",
        "/api/v1/audit",
    ] {
        assert!(
            paths.contains_key(p),
            "OpenAPI lacks {p}: {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    let (s, v) = app.call(Method::GET, "/api/v1/nope", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["error"], "not_found");
}

async fn login_and_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let (s, v) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["username"], "zhangsan");

    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "zhangsan", "password": "wrong-password"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"], "invalid_credentials");
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "nobody", "password": "wrong-password"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"], "invalid_credentials");

    let (s, v) = app.call(Method::GET, "/api/v1/customers", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"], "unauthenticated");
    let (s, _) = app.get("/api/v1/customers", "lg_not-a-real-token").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Logging out revokes the token at once.
    let (s, _) = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Deactivated users cannot log in, and their sessions end.
    let token = app.login("zhangsan").await;
    app.service
        .update_user(
            None,
            "zhangsan",
            leadguard_service::UserUpdate {
                on_leave: None,
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .expect("deactivate");
    let (s, _) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "zhangsan", "password": common::PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn duplicate_in_other_formatting_names_the_owner(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app
        .user("zhangsan", Role::Rep, Some("华东销售部"), None)
        .await;
    let b = app.user("lisi", Role::Rep, Some("华南销售部"), None).await;
    let id = app
        .create(
            &a,
            json!({"name": "北京星河互联科技有限公司", "phones": ["13812345678"], "emails": ["Sales@XingHe.com.cn"],
                   "website": "https://www.xinghe.com.cn/about", "credit_code": "91350100M000100Y43"}),
        )
        .await;

    // The same phone in another formatting.
    let (s, v) = app
        .post(
            "/api/v1/customers",
            &b,
            json!({"name": "星河互联", "phones": ["+86 138-1234-5678"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "duplicate");
    let m = &v["matches"][0];
    assert_eq!(m["customer_id"], id);
    assert_eq!(m["owner"]["username"], "zhangsan");
    assert_eq!(m["owner"]["display_name"], "zhangsan 显示名");
    assert_eq!(m["owner"]["team"], "华东销售部");
    assert!(m["owned_since"].is_string());
    assert!(m["score"].as_f64().unwrap_or_default() >= 0.9, "{m}");
    let reasons = m["reasons"].as_array().expect("reasons");
    assert!(
        reasons
            .iter()
            .any(|r| r["field"] == "phone" && r["outcome"] == "same"),
        "{reasons:?}"
    );
    // The owner's private data is not in the answer: the phone appears masked at most.
    assert!(!v.to_string().contains("13812345678"), "{v}");
    assert!(!v.to_string().contains("xinghe.com.cn\"") || !v.to_string().contains("Sales@"));

    // Each identifier alone, in yet other formats, is caught too.
    for body in [
        json!({"name": "XH", "phones": ["0086 13812345678"]}),
        json!({"name": "XH", "emails": ["  sales@xinghe.com.cn "]}),
        json!({"name": "XH", "credit_code": "91350100m000100y43"}),
        json!({"name": "字节 星河互联科技（北京）有限公司"}),
        json!({"name": "星河互聯科技(北京)有限公司"}),
        json!({"name": "北京市星河互联科技有限责任公司", "website": "xinghe.com.cn"}),
    ] {
        let (s, v) = app.post("/api/v1/customers", &b, body.clone()).await;
        if body["name"] == "字节 星河互联科技（北京）有限公司" {
            // A different name: not a duplicate on the name alone.
            assert_ne!(s, StatusCode::CONFLICT, "{body} -> {v}");
            continue;
        }
        assert_eq!(s, StatusCode::CONFLICT, "{body} -> {v}");
        assert_eq!(v["matches"][0]["owner"]["username"], "zhangsan", "{body}");
    }
    assert_eq!(app.customer_count().await, 2);
}

async fn check_gives_the_verdict_without_saving(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let b = app.user("lisi", Role::Rep, Some("east"), None).await;
    app.create(
        &a,
        json!({"name": "杭州青禾电子商务有限公司", "phones": ["0571-8765 4321"]}),
    )
    .await;

    let (s, v) = app
        .post(
            "/api/v1/customers/check",
            &b,
            json!({"name": "深圳市恒通物流有限公司", "phones": ["13823712345"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["verdict"], "new");
    assert_eq!(v["matches"], json!([]));

    let (s, v) = app
        .post(
            "/api/v1/customers/check",
            &b,
            json!({"name": "青禾电商", "phones": ["(0571) 87654321"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "duplicate");
    assert_eq!(v["matches"][0]["owner"]["username"], "zhangsan");

    assert_eq!(app.customer_count().await, 1, "check must not save");
}

/// A rep starting to type a company (brand alone, region and brand, brand and the start of
/// its trade) is shown the stored companies that begin so, with their owner; a brand that many
/// share lists ten and says how many more; entering a short name saves it without blocking and
/// puts no case before a manager; a company sharing only a common brand in another city is
/// not even suspected.
async fn partial_names_find_the_companies_they_begin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let b = app.user("lisi", Role::Rep, Some("east"), None).await;
    let target = app
        .create(
            &a,
            json!({"name": "苏州同建工程管理有限公司", "phones": ["0512-6812 3456"]}),
        )
        .await;
    // Twelve companies of one common brand, in Beijing.
    let trades = [
        "电子科技",
        "食品",
        "纺织品",
        "医疗用品",
        "管业",
        "物流",
        "建材",
        "印务",
        "园艺",
        "家具",
        "涂料",
        "汽配",
    ];
    for (i, trade) in trades.iter().enumerate() {
        app.create(
            &a,
            json!({"name": format!("北京阳光{trade}有限公司"), "phones": [format!("010-6{i:07}")]}),
        )
        .await;
    }
    let check = |name: &str| {
        let (app, b) = (&app, &b);
        let name = name.to_string();
        async move {
            let (s, v) = app
                .post("/api/v1/customers/check", b, json!({"name": name}))
                .await;
            // The full name without its region may be refused: the same name, nowhere else.
            assert!(
                s == StatusCode::OK || s == StatusCode::CONFLICT,
                "{name}: {v}"
            );
            v
        }
    };
    for typed in [
        "同建",
        "苏州同建",
        "同建工程",
        "同建工程管理有限公司",
        "苏州同建工程管",
    ] {
        let v = check(typed).await;
        if typed.ends_with("公司") {
            assert_eq!(v["error"], "duplicate", "{typed}: {v}");
        } else {
            assert_eq!(v["verdict"], "suspected", "{typed}: {v}");
        }
        assert_eq!(v["matches"][0]["customer_id"], target, "{typed}: {v}");
        assert_eq!(
            v["matches"][0]["owner"]["username"], "zhangsan",
            "{typed}: {v}"
        );
        assert_eq!(v["more_matches"], 0, "{typed}: {v}");
    }
    // One character names nobody; another city's 同建 is someone else.
    assert_eq!(check("同").await["verdict"], "new");
    assert_eq!(check("上海同建").await["verdict"], "new");

    // A common brand typed alone: ten listed, the rest counted.
    let v = check("阳光").await;
    assert_eq!(v["matches"].as_array().map(Vec::len), Some(10), "{v}");
    assert_eq!(v["more_matches"], 2, "{v}");
    assert_eq!(v["more_matches_exact"], true, "{v}");
    // So common a brand is no evidence: listed because the names begin with it, nothing more.
    assert!(
        v["matches"]
            .as_array()
            .is_some_and(|m| m.iter().all(|m| m["partial_name"] == true)),
        "{v}"
    );
    // A company that shares only the common brand, in another city: a new customer.
    let v = check("深圳阳光汽车服务有限公司").await;
    assert_eq!(v["verdict"], "new", "{v}");

    // Another of the brand in the same city, with other trade words: not refused (the brand
    // is too common here to say more).
    let v = check("北京阳光美容有限公司").await;
    assert_eq!(v["verdict"], "new", "{v}");
    // Saving the common brand alone: saved, and no collision case put before a manager.
    let (s, v) = app
        .post("/api/v1/customers", &b, json!({"name": "阳光"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["suspected"].as_array().map(Vec::len), Some(10), "{v}");
    assert_eq!(v["collision_cases"], json!([]), "{v}");
}

async fn suspected_match_is_saved_with_a_warning(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let b = app.user("lisi", Role::Rep, Some("east"), None).await;
    app.create(
        &a,
        json!({"name": "北京星河互联科技有限公司", "address": "北京市海淀区中关村大街 27 号"}),
    )
    .await;
    // Same name core in another city: possibly a different company. Saved, with a warning.
    let (s, v) = app
        .post(
            "/api/v1/customers",
            &b,
            json!({"name": "上海星河互联科技有限公司", "address": "上海市浦东新区张江路 88 号"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["owner"]["username"], "lisi");
    let suspected = v["suspected"].as_array().expect("suspected");
    assert_eq!(suspected.len(), 1, "{v}");
    assert_eq!(suspected[0]["verdict"], "suspected");
    assert!(
        suspected[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["field"] == "region" && r["outcome"] == "different")
    );
}

async fn reps_cannot_read_or_change_other_reps_customers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let b = app.user("lisi", Role::Rep, Some("east"), None).await;
    let id = app
        .create(&a, json!({"name": "苏州博瑞精密机械有限公司", "phones": ["13962112345"], "emails": ["sun@borui.com"],
                            "address": "江苏省苏州市工业园区星湖街 328 号",
                            "contacts": [{"name": "孙强", "phones": ["13962112346"]}]}))
        .await;
    app.post(
        &format!("/api/v1/customers/{id}/followups"),
        &a,
        json!({"kind": "call", "note": "secret pricing talk"}),
    )
    .await;

    let (s, v) = app.get(&format!("/api/v1/customers/{id}"), &b).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["error"], "forbidden");
    assert_eq!(v["owner"]["username"], "zhangsan");
    let text = v.to_string();
    for secret in [
        "13962112345",
        "13962112346",
        "sun@borui.com",
        "孙强",
        "星湖街",
        "secret pricing",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert_eq!(v["customer"]["phones"][0], "139****2345");

    for (method, path, body) in [
        (
            Method::PATCH,
            format!("/api/v1/customers/{id}"),
            Some(json!({"industry": "hacked"})),
        ),
        (
            Method::GET,
            format!("/api/v1/customers/{id}/followups"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/customers/{id}/followups"),
            Some(json!({"note": "x"})),
        ),
        (
            Method::POST,
            format!("/api/v1/customers/{id}/release"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/customers/{id}/transfer"),
            Some(json!({"to": "lisi"})),
        ),
        (Method::GET, format!("/api/v1/audit?customer_id={id}"), None),
    ] {
        let (s, v) = app.call(method.clone(), &path, Some(&b), body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {v}");
        assert!(!v.to_string().contains("13962112345"));
    }
    let (s, v) = app
        .post(&format!("/api/v1/customers/{id}/claim"), &b, json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "already_owned");
    assert_eq!(v["owner"]["username"], "zhangsan");

    // Nothing changed.
    let (s, v) = app.get(&format!("/api/v1/customers/{id}"), &a).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["access"], "full");
    assert_eq!(v["industry"], Value::Null);
    assert_eq!(v["owner"]["username"], "zhangsan");
    // Rep B's list does not show it.
    let (_, v) = app.get("/api/v1/customers", &b).await;
    assert_eq!(v["total"], 0);
}

async fn managers_see_their_team_admins_see_all(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let w = app.user("zhaolei", Role::Rep, Some("south"), None).await;
    let m_east = app
        .user("wangfang", Role::Manager, Some("east"), None)
        .await;
    let m_south = app
        .user("chenjing", Role::Manager, Some("south"), None)
        .await;
    let admin = app.user("root", Role::Admin, None, None).await;
    let east_id = app
        .create(
            &a,
            json!({"name": "宁波甬江化工有限公司", "phones": ["0574-8766 5432"]}),
        )
        .await;
    app.create(
        &w,
        json!({"name": "东莞华盛电子有限公司", "phones": ["0769-2288 3344"]}),
    )
    .await;

    let (s, v) = app
        .get(&format!("/api/v1/customers/{east_id}"), &m_east)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["phones"][0], "0574-8766 5432");
    let (s, _) = app
        .get(&format!("/api/v1/customers/{east_id}"), &m_south)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .get(&format!("/api/v1/customers/{east_id}"), &admin)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["access"], "full");

    let (_, v) = app.get("/api/v1/customers", &m_east).await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["name"], "宁波甬江化工有限公司");
    let (_, v) = app.get("/api/v1/customers", &admin).await;
    assert_eq!(v["total"], 2);
    let (s, v) = app.get("/api/v1/customers?scope=all", &m_east).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, _) = app.get("/api/v1/customers?scope=team", &a).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn owner_cap_is_enforced(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), Some(2)).await;
    let b = app.user("lisi", Role::Rep, Some("east"), None).await;
    let m = app
        .user("wangfang", Role::Manager, Some("east"), None)
        .await;
    app.create(&a, json!({"name": "甲公司", "phones": ["13800000001"]}))
        .await;
    app.create(&a, json!({"name": "乙公司", "phones": ["13800000002"]}))
        .await;
    let (s, v) = app
        .post(
            "/api/v1/customers",
            &a,
            json!({"name": "丙公司", "phones": ["13800000003"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "owner_cap_reached");
    assert_eq!(v["cap"], 2);
    assert_eq!(v["owned"], 2);
    assert_eq!(app.customer_count().await, 2);

    // Claiming and receiving a transfer count too.
    let pool_id = app
        .create(&b, json!({"name": "丁公司", "phones": ["13800000004"]}))
        .await;
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{pool_id}/release"),
            &b,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .post(&format!("/api/v1/customers/{pool_id}/claim"), &a, json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "owner_cap_reached");
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{pool_id}/transfer"),
            &m,
            json!({"to": "zhangsan"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "owner_cap_reached");
    // Raising the cap lets them take it.
    app.service
        .update_user(
            None,
            "zhangsan",
            leadguard_service::UserUpdate {
                on_leave: None,
                owner_cap: Some(3),
                ..Default::default()
            },
        )
        .await
        .expect("raise cap");
    let (s, v) = app
        .post(&format!("/api/v1/customers/{pool_id}/claim"), &a, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.assert_owner_counts_kept().await;
}

async fn claim_release_transfer_are_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let b = app.user("lisi", Role::Rep, Some("east"), None).await;
    let _c = app.user("wangwu", Role::Rep, Some("east"), None).await;
    let _w = app.user("zhaolei", Role::Rep, Some("south"), None).await;
    let m = app
        .user("wangfang", Role::Manager, Some("east"), None)
        .await;
    let admin = app.user("root", Role::Admin, None, None).await;
    let id = app
        .create(
            &a,
            json!({"name": "合肥启明新能源有限公司", "phones": ["0551-6288 9900"]}),
        )
        .await;

    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{id}/release"),
            &a,
            json!({"reason": "暂无需求"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["owner"], Value::Null);
    let (s, v) = app
        .post(&format!("/api/v1/customers/{id}/release"), &a, json!({}))
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a pool customer is no longer the releaser's: {v}"
    );

    // In the pool, a rep sees it masked and may claim it.
    let (s, v) = app.get(&format!("/api/v1/customers/{id}"), &b).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["access"], "limited");
    assert_eq!(v["phones"][0], "055****9900");
    let (_, v) = app.get("/api/v1/customers?scope=pool", &b).await;
    assert_eq!(v["total"], 1);
    let (s, v) = app
        .post(&format!("/api/v1/customers/{id}/claim"), &b, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["owner"]["username"], "lisi");
    assert_eq!(v["access"], "full");
    // First-come evidence stays with the creator.
    assert_eq!(v["created_by"]["username"], "zhangsan");

    // Reps may not transfer; managers only inside their team.
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{id}/transfer"),
            &b,
            json!({"to": "wangwu"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{id}/transfer"),
            &m,
            json!({"to": "zhaolei"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{id}/transfer"),
            &m,
            json!({"to": "nobody"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{id}/transfer"),
            &m,
            json!({"to": "wangwu", "reason": "客户要求换人"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["owner"]["username"], "wangwu");
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{id}/transfer"),
            &admin,
            json!({"to": "zhaolei"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let (s, v) = app
        .get(&format!("/api/v1/audit?customer_id={id}"), &admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let entries = v["items"].as_array().expect("items");
    let got: Vec<(String, String, Value, Value, String)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["actor"].as_str().unwrap().to_string(),
                e["before_owner"].clone(),
                e["after_owner"].clone(),
                e["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "created".into(),
                "zhangsan".into(),
                Value::Null,
                json!("zhangsan"),
                "first_come".into()
            ),
            (
                "released".into(),
                "zhangsan".into(),
                json!("zhangsan"),
                Value::Null,
                "owner_release".into()
            ),
            (
                "claimed".into(),
                "lisi".into(),
                Value::Null,
                json!("lisi"),
                "pool_claim".into()
            ),
            (
                "transferred".into(),
                "wangfang".into(),
                json!("lisi"),
                json!("wangwu"),
                "manager_transfer".into()
            ),
            (
                "transferred".into(),
                "root".into(),
                json!("wangwu"),
                json!("zhaolei"),
                "manager_transfer".into()
            ),
        ]
    );
    assert_eq!(entries[1]["reason"], "暂无需求");
    assert_eq!(entries[3]["reason"], "客户要求换人");

    // A rep sees the entries that involve them.
    let (_, v) = app.get("/api/v1/audit", &b).await;
    assert_eq!(v["total"], 2, "{v}");

    // The log is append-only in the database itself.
    let mut tx = app.store.begin().await.unwrap();
    let res = match tx.exec() {
        leadguard_store::Exec::Sqlite(c) => sqlx::query("UPDATE audit_log SET rule = 'forged'")
            .execute(&mut *c)
            .await
            .map(|_| ()),
        leadguard_store::Exec::Postgres(c) => sqlx::query("UPDATE audit_log SET rule = 'forged'")
            .execute(&mut *c)
            .await
            .map(|_| ()),
    };
    assert!(res.is_err(), "audit_log accepted an UPDATE");
    app.assert_owner_counts_kept().await;
}

/// 32 concurrent entries of one customer, by 8 reps in 4 formattings each: one owner.
async fn concurrent_creates_of_one_customer_yield_one_owner(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut tokens = Vec::new();
    for i in 0..8 {
        tokens.push(
            app.user(&format!("rep{i}"), Role::Rep, Some("east"), None)
                .await,
        );
    }
    let bodies = [
        json!({"name": "北京星河互联科技有限公司", "phones": ["13812345678"]}),
        json!({"name": "星河互联科技（北京）有限公司", "phones": ["+86 138 1234 5678"]}),
        json!({"name": "北京市星河互联科技有限公司", "phones": ["0086-138-1234-5678"], "emails": ["a@xinghe.cn"]}),
        json!({"name": "星河互聯科技(北京)有限公司", "phones": ["138.1234.5678"]}),
    ];
    let mut tasks = Vec::new();
    for i in 0..32 {
        let token = tokens[i % 8].clone();
        let body = bodies[i % 4].clone();
        let http = app.http.clone();
        let url = format!("{}/api/v1/customers", app.base);
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("send");
            r.status()
        }));
    }
    let statuses: Vec<StatusCode> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let conflicts = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, conflicts), (1, 31), "{statuses:?}");
    assert_eq!(app.customer_count().await, 1);
}

/// No shared identifier at all, only the same company name written differently: still one.
async fn concurrent_creates_matching_only_by_name_yield_one_owner(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut tokens = Vec::new();
    for i in 0..8 {
        tokens.push(
            app.user(&format!("rep{i}"), Role::Rep, Some("east"), None)
                .await,
        );
    }
    let names = [
        "深圳市恒通物流有限公司",
        "恒通物流（深圳）有限公司",
        "深圳恒通物流有限责任公司",
        "深圳市恆通物流有限公司",
    ];
    let mut tasks = Vec::new();
    for i in 0..32 {
        let token = tokens[i % 8].clone();
        let body = json!({"name": names[i % 4], "phones": [format!("1390000{:04}", i)]});
        let http = app.http.clone();
        let url = format!("{}/api/v1/customers", app.base);
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("send")
                .status()
        }));
    }
    let statuses: Vec<StatusCode> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
}

async fn bad_input_gets_clear_errors_and_saves_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let url = format!("{}/api/v1/customers", app.base);
    let raw = |body: &'static str, ct: Option<&'static str>| {
        let mut req = app.http.post(&url).bearer_auth(&a).body(body);
        if let Some(ct) = ct {
            req = req.header("Content-Type", ct);
        }
        req.send()
    };

    let r = raw("{\"name\": \"x\",", Some("application/json"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "malformed_json");

    let r = raw("{\"name\": \"x\"}", None).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let cases = [
        (
            json!({"name": "x", "phones": "13800138000"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "phones",
        ),
        (
            json!({"name": "x", "phone": ["13800138000"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "phone",
        ),
        (
            json!({"phones": ["13800138000"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "name",
        ),
        (
            json!({"name": "x", "phones": ["12345"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "phones[0]",
        ),
        (
            json!({"name": "x", "emails": ["not-an-email"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "emails[0]",
        ),
        (
            // Seventeen characters: no credit code (a wrong check character is kept, flagged).
            json!({"name": "x", "credit_code": "91350100M000100Y4"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "credit_code",
        ),
        (
            json!({"name": "x", "contacts": [{"name": "c", "phones": ["abc"]}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "contacts[0].phones[0]",
        ),
        (
            json!({"name": "   "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "name",
        ),
        (
            json!({"name": "x", "kind": "alien"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "kind",
        ),
    ];
    for (body, status, code, field) in cases {
        let (s, v) = app.post("/api/v1/customers", &a, body.clone()).await;
        assert_eq!(s, status, "{body} -> {v}");
        assert_eq!(v["error"], code, "{body} -> {v}");
        assert!(
            v["message"].as_str().unwrap_or_default().contains(field),
            "{body}: message should name {field}: {v}"
        );
        if code == "invalid_input" {
            assert_eq!(v["fields"][0]["field"], field, "{v}");
        }
    }

    // Oversized body.
    let big = json!({"name": "x", "address": "a".repeat(2 * 1024 * 1024)});
    let resp = app
        .http
        .post(&url)
        .bearer_auth(&a)
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // The unread body makes the connection unusable; the server says so.
    assert_eq!(
        resp.headers()
            .get("connection")
            .and_then(|v| v.to_str().ok()),
        Some("close")
    );
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "payload_too_large");

    let (s, v) = app.get("/api/v1/customers/abc", &a).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"], "invalid_path");
    let (s, v) = app.get("/api/v1/customers/999999", &a).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (s, v) = app.get("/api/v1/customers?limit=100000", &a).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = app.get("/api/v1/customers?scope=everything", &a).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");

    // Input that looks like SQL is just text.
    let id = app
        .create(
            &a,
            json!({"name": "Robert'); DROP TABLE customers;--", "industry": "' OR 1=1 --"}),
        )
        .await;
    let (_, v) = app.get(&format!("/api/v1/customers/{id}"), &a).await;
    assert_eq!(v["name"], "Robert'); DROP TABLE customers;--");
    assert_eq!(
        app.customer_count().await,
        1,
        "only the last, valid customer was saved"
    );
}

async fn followups_are_logged_and_listed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let m = app
        .user("wangfang", Role::Manager, Some("east"), None)
        .await;
    let id = app
        .create(&a, json!({"name": "成都天府文化传媒有限公司"}))
        .await;
    let (s, f1) = app
        .post(
            &format!("/api/v1/customers/{id}/followups"),
            &a,
            json!({"kind": "call", "note": "询问年度框架合作"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{f1}");
    assert_eq!(f1["author"], "zhangsan");
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{id}/followups"),
            &m,
            json!({"kind": "visit", "note": "经理陪同拜访"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{id}/followups"),
            &a,
            json!({"kind": "telepathy", "note": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{id}/followups"),
            &a,
            json!({"kind": "note", "note": "  "}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    let (s, v) = app
        .get(&format!("/api/v1/customers/{id}/followups"), &a)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["total"], 2);
    assert_eq!(v["items"][0]["kind"], "visit", "newest first: {v}");
    assert_eq!(v["items"][1]["note"], "询问年度框架合作");
    let (_, c) = app.get(&format!("/api/v1/customers/{id}"), &a).await;
    assert_eq!(c["last_followup_at"], v["items"][0]["at"]);
}

async fn update_adding_another_customers_identifier_is_a_duplicate(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let b = app.user("lisi", Role::Rep, Some("east"), None).await;
    let a_id = app
        .create(
            &a,
            json!({"name": "厦门海韵贸易有限公司", "phones": ["13806012345"]}),
        )
        .await;
    let b_id = app
        .create(&b, json!({"name": "青岛蓝海海洋科技有限公司"}))
        .await;

    let (s, v) = app
        .patch(
            &format!("/api/v1/customers/{b_id}"),
            &b,
            json!({"phones": ["138 0601 2345"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["matches"][0]["customer_id"], a_id);
    assert_eq!(v["matches"][0]["owner"]["username"], "zhangsan");
    let (s, v) = app
        .patch(
            &format!("/api/v1/customers/{b_id}"),
            &b,
            json!({"contacts": [{"name": "x", "phones": ["+8613806012345"]}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");

    let (s, v) = app
        .patch(
            &format!("/api/v1/customers/{b_id}"),
            &b,
            json!({"phones": ["0532-8888 6666"], "industry": "海洋科技"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["industry"], "海洋科技");
    assert_eq!(v["phones"][0], "0532-8888 6666");
    // And the new phone now guards the customer.
    let (s, _) = app
        .post(
            "/api/v1/customers",
            &a,
            json!({"name": "蓝海", "phones": ["053288886666"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Clearing a field with "".
    let (s, v) = app
        .patch(
            &format!("/api/v1/customers/{b_id}"),
            &b,
            json!({"industry": ""}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["industry"], Value::Null);
}

async fn lists_filter_search_and_paginate(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    for i in 0..7 {
        app.create(&a, json!({"name": format!("测试{i}号贸易有限公司"), "phones": [format!("1380013{:04}", i)], "industry": if i % 2 == 0 {"贸易"} else {"物流"}})).await;
    }
    let (_, v) = app
        .get("/api/v1/customers?limit=3&offset=0&sort=oldest", &a)
        .await;
    assert_eq!(v["total"], 7);
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
    assert_eq!(v["items"][0]["name"], "测试0号贸易有限公司");
    let (_, v) = app
        .get("/api/v1/customers?limit=3&offset=6&sort=oldest", &a)
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let (_, v) = app.get("/api/v1/customers?q=3号", &a).await;
    assert_eq!(v["total"], 1, "{v}");
    let (_, v) = app
        .get(&format!("/api/v1/customers?q={}", "138%200013%200005"), &a)
        .await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["name"], "测试5号贸易有限公司");
    let (_, v) = app.get("/api/v1/customers?industry=物流", &a).await;
    assert_eq!(v["total"], 3);
    let (_, v) = app.get("/api/v1/customers?q=%25", &a).await;
    assert_eq!(v["total"], 0, "a % in the search box is literal: {v}");
}

async fn users_and_teams_are_managed_by_admins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.user("root", Role::Admin, None, None).await;
    let rep = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let (s, v) = app
        .post("/api/v1/teams", &admin, json!({"name": "华北销售部"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app
        .post("/api/v1/teams", &admin, json!({"name": "华北销售部"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, v) = app
        .post("/api/v1/users", &admin, json!({"username": "zhouyi", "password": "long-enough-pw", "role": "rep", "team": "华北销售部", "owner_cap": 5}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["team"], "华北销售部");
    assert_eq!(v["owner_cap"], 5);
    assert!(v.get("password_hash").is_none());
    let (s, v) = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "zhouyi", "password": "long-enough-pw", "role": "rep"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, v) = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "bad name", "password": "short", "role": "rep"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["fields"].as_array().unwrap().len(), 2);
    let (s, _) = app
        .post(
            "/api/v1/users",
            &rep,
            json!({"username": "x1", "password": "long-enough-pw", "role": "admin"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .patch(
            "/api/v1/users/zhouyi",
            &admin,
            json!({"owner_cap": 9, "team": "east"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["owner_cap"], 9);
    assert_eq!(v["team"], "east");
    let (_, v) = app.get("/api/v1/users", &rep).await;
    assert_eq!(v.as_array().unwrap().len(), 1);
    let (_, v) = app.get("/api/v1/users", &admin).await;
    assert_eq!(v.as_array().unwrap().len(), 3);
}

/// Five wrong passwords for one username within 15 minutes: further logins (even with the right
/// password) are refused with 429 and Retry-After until the first failure is 15 minutes old;
/// other usernames are not affected.
async fn repeated_failed_logins_are_throttled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("zhangsan", Role::Rep, None, None).await;
    app.user("lisi", Role::Rep, None, None).await;
    let attempt = |username: &'static str, password: &'static str| {
        let app = &app;
        async move {
            app.call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await
        }
    };
    for _ in 0..5 {
        let (s, v) = attempt("zhangsan", "guess-guess-guess").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    }
    let resp = app
        .http
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"username": "ZhangSan", "password": common::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "900");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "too_many_attempts");
    let (s, _) = attempt("lisi", common::PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "another username is not affected");
    app.clock.advance(chrono::Duration::minutes(15));
    let (s, v) = attempt("zhangsan", common::PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// A phone libphonenumber calls possible but not valid (an old seven-digit number, a digit
/// missing), an e-mail with a typo in its domain, a credit code with a wrong check character:
/// the customer is saved with the value as typed and a warning, and the value still finds the
/// customer, however it is written. Leads are never refused for a value: what cannot be a
/// phone at all is kept in the note.
async fn imperfect_values_are_kept_flagged_and_matched(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let b = app.user("lisi", Role::Rep, Some("east"), None).await;
    let root = app.user("root", Role::Admin, None, None).await;

    let (s, v) = app
        .post(
            "/api/v1/customers",
            &a,
            json!({"name": "济南鲁信实业有限公司", "phones": ["0531 8918272"],
                   "emails": ["sales@luxin.con"], "credit_code": "91370100163040459X"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["phones"][0], "0531 8918272", "kept as typed");
    let codes: Vec<&str> = v["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["code"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        codes,
        vec![
            "unverified_phone",
            "unverified_email",
            "unverified_credit_code"
        ],
        "{v}"
    );
    assert_eq!(v["warnings"][0]["field"], "phones[0]");
    assert!(
        v["warnings"][1]["message"]
            .as_str()
            .is_some_and(|m| m.contains("sales@luxin.com")),
        "suggests the address meant: {v}"
    );
    // The customer's page keeps the marks.
    let id = v["id"].as_i64().expect("id");
    let (_, page) = app.get(&format!("/api/v1/customers/{id}"), &a).await;
    assert_eq!(page["warnings"].as_array().map(Vec::len), Some(3), "{page}");
    // The check says so before saving.
    let (s, v) = app
        .post(
            "/api/v1/customers/check",
            &b,
            json!({"name": "某公司", "phones": ["(0755)2184810"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["warnings"][0]["code"], "unverified_phone", "{v}");

    // The same unverified values, written otherwise, are the same customer.
    for (body, what) in [
        (
            json!({"name": "鲁信", "phones": ["(0531)8918272"]}),
            "phone",
        ),
        (
            json!({"name": "鲁信", "phones": ["+86 531 891 8272"]}),
            "phone",
        ),
        (
            json!({"name": "鲁信", "emails": ["Sales@Luxin.con"]}),
            "e-mail",
        ),
        (
            json!({"name": "鲁信", "credit_code": "91370100163040459x"}),
            "credit code",
        ),
    ] {
        let (s, v) = app.post("/api/v1/customers", &b, body).await;
        assert_eq!(s, StatusCode::CONFLICT, "{what}: {v}");
        assert_eq!(v["matches"][0]["customer_id"], id, "{what}: {v}");
    }

    // What cannot be a phone at all is still refused at entry…
    let (s, v) = app
        .post(
            "/api/v1/customers",
            &b,
            json!({"name": "青岛海景贸易有限公司", "phones": ["abc"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // …but a lead carrying it is saved, the value kept in the note.
    let (s, v) = app
        .post(
            "/api/v1/leads",
            &root,
            json!({"name": "青岛海景贸易有限公司", "phones": ["abc", "0532 8123456"],
                   "emails": ["no-at-sign"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let codes: Vec<&str> = v["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["code"].as_str().unwrap_or_default())
        .collect();
    assert!(codes.contains(&"kept_in_note"), "{v}");
    assert!(codes.contains(&"unverified_phone"), "{v}");
    let lead_id = v["customer_id"].as_i64().expect("customer id");
    let (_, c) = app
        .get(&format!("/api/v1/customers/{lead_id}"), &root)
        .await;
    let note = c["note"].as_str().unwrap_or_default();
    assert!(note.contains("abc") && note.contains("no-at-sign"), "{c}");
    assert_eq!(c["phones"], json!(["0532 8123456"]), "{c}");
    // The same lead again is a duplicate, through the unverified number.
    let (s, v) = app
        .post(
            "/api/v1/leads",
            &root,
            json!({"name": "海景贸易", "phones": ["0532-8123456"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["customer_id"], lead_id, "{v}");
    assert_eq!(app.customer_count().await, 2);

    // A duplicate lead that brings a mobile and a contact leaves them on the customer: the
    // next lead with only that mobile meets it.
    let (s, v) = app
        .post(
            "/api/v1/leads",
            &root,
            json!({"name": "海景贸易", "phones": ["0532-8123456", "13953212345"],
                   "contacts": [{"name": "刘经理", "emails": ["liu@haijing-trade.cn"]}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (_, c) = app
        .get(&format!("/api/v1/customers/{lead_id}"), &root)
        .await;
    assert_eq!(c["phones"], json!(["0532 8123456", "13953212345"]), "{c}");
    assert_eq!(c["contacts"][0]["name"], "刘经理", "{c}");
    let (_, log) = app
        .get(&format!("/api/v1/audit?customer_id={lead_id}"), &root)
        .await;
    assert!(
        log["items"]
            .as_array()
            .expect("audit")
            .iter()
            .any(|e| e["action"] == "evidence_added"
                && e["reason"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("13953212345")),
        "{log}"
    );
    let (s, v) = app
        .post(
            "/api/v1/leads",
            &root,
            json!({"name": "青岛海景", "emails": ["liu@haijing-trade.cn"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["customer_id"], lead_id, "{v}");
    assert_eq!(app.customer_count().await, 2);
}
