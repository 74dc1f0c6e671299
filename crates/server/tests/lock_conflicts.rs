//! When two writers wait for each other on PostgreSQL, the database aborts one of them
//! (deadlock_detected). That request must be a 409 `concurrent_change` (nothing saved, try
//! again), never a 500. Found by schemathesis (`.ci/schemathesis.sh`): follow-ups, releases
//! and unmerges racing with merges and entries.

mod common;

use common::{Backend, TestApp};
use leadguard_domain::customer::CustomerFields;
use leadguard_domain::keys::{KeyKind, MatchKey};
use leadguard_domain::user::Role;
use leadguard_matching::engine::Matcher;
use reqwest::StatusCode;
use serde_json::json;

both_backends!(a_writer_aborted_by_a_deadlock_gets_409_concurrent_change);

async fn a_writer_aborted_by_a_deadlock_gets_409_concurrent_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.user("root", Role::Admin, None, None).await;
    let rep = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let id = app
        .create(
            &rep,
            json!({"name": "北京星河互联科技有限公司", "phones": ["13812345678"]}),
        )
        .await;

    // A lead for the same customer locks its keys first, then the customer (to pass the lead
    // to its owner); a change of the customer locks the customer first, then the keys. Here
    // the test plays the second writer.
    let lead = json!({"name": "星河互联", "phones": ["138 1234 5678"], "source": "官网"});
    let fields: CustomerFields = serde_json::from_value(json!({
        "name": "星河互联", "phones": ["138 1234 5678"], "source": "官网"
    }))
    .expect("fields");
    let keys = leadguard_matching::WeightedMatcher::default()
        .profile(&fields.tidy())
        .expect("profile")
        .lock_keys();
    let mut tx = app.store.begin().await.expect("begin");
    tx.lock_keys(&[MatchKey::new(KeyKind::Block, format!("customer:{id}"))])
        .await
        .expect("customer lock");
    let request = tokio::spawn({
        let (base, http, admin) = (app.base.clone(), app.http.clone(), admin.clone());
        async move {
            let resp = http
                .post(format!("{base}/api/v1/leads"))
                .bearer_auth(admin)
                .json(&lead)
                .send()
                .await
                .expect("lead");
            let status = resp.status();
            (
                status,
                resp.json::<serde_json::Value>().await.expect("json"),
            )
        }
    });
    // Let the lead take its key locks and start waiting for the customer.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let ours = tx.lock_keys(&keys).await;
    drop(tx);
    let (status, v) = request.await.expect("join");

    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    let code = v["error"].as_str().unwrap_or_default().to_string();
    assert!(
        code == "duplicate" || code == "concurrent_change",
        "the lead is passed to the owner, or refused as a race: {v}"
    );
    if let Err(e) = ours {
        // The test's transaction was the one aborted: it maps to the same 409.
        assert!(
            matches!(
                leadguard_service::ServiceError::from(e),
                leadguard_service::ServiceError::Conflict {
                    code: "concurrent_change",
                    ..
                }
            ),
            "deadlock is a conflict"
        );
    } else if backend == Backend::Postgres {
        assert_eq!(code, "concurrent_change", "the lead was the victim: {v}");
        assert!(
            v["message"]
                .as_str()
                .unwrap_or_default()
                .contains("try again")
        );
    }
    // Nothing of an aborted lead was saved; tried again, it goes through.
    let (_, f) = app
        .get(&format!("/api/v1/customers/{id}/followups"), &rep)
        .await;
    let expected = if code == "duplicate" { 1 } else { 0 };
    assert_eq!(f["total"], expected, "{f}");
    let (status, v) = app
        .post(
            "/api/v1/leads",
            &admin,
            json!({"name": "星河互联", "phones": ["138 1234 5678"], "source": "官网"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "duplicate", "{v}");
    assert_eq!(v["owner"]["username"], "zhangsan", "{v}");
}
