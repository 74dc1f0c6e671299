//! Notifications over HTTP, on SQLite and on PostgreSQL: webhooks delivered from the outbox
//! to real local receivers (down, then up; a sender that dies mid-batch), and the live event
//! stream showing each user only what they may see.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use base64::Engine;
use common::{Backend, TestApp};
use hmac::{Hmac, KeyInit, Mac};
use leadguard_domain::user::Role;
use leadguard_server::{Background, delivery};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

both_backends!(
    webhook_receivers_down_then_up_get_every_event_exactly_once,
    event_stream_shows_each_user_what_they_may_see,
    webhooks_are_managed_by_admins_and_validated,
);

/// One request a receiver answered.
#[derive(Debug, Clone)]
struct Received {
    status: u16,
    query: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Received {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// A local HTTP receiver that answers with `status` and records every request.
#[derive(Clone)]
struct Receiver {
    url: String,
    status: Arc<AtomicU16>,
    log: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(listener: tokio::net::TcpListener, status: u16, reply: Value) -> Receiver {
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let rx = Receiver {
            url,
            status: Arc::new(AtomicU16::new(status)),
            log: Arc::default(),
        };
        let app = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(
                    |State((rx, reply)): State<(Receiver, Value)>,
                     RawQuery(query): RawQuery,
                     headers: HeaderMap,
                     body: Bytes| async move {
                        let status = rx.status.load(Ordering::SeqCst);
                        rx.log.lock().expect("log").push(Received {
                            status,
                            query: query.unwrap_or_default(),
                            headers,
                            body,
                        });
                        (
                            AxumStatus::from_u16(status).expect("status"),
                            axum::Json(reply),
                        )
                    },
                ),
            )
            .with_state((rx.clone(), reply));
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("receiver");
        });
        rx
    }

    fn set_status(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    fn requests(&self) -> Vec<Received> {
        self.log.lock().expect("log").clone()
    }

    /// Event ids of the requests answered with 2xx, in arrival order.
    fn accepted_event_ids(&self) -> Vec<i64> {
        self.requests()
            .iter()
            .filter(|r| (200..300).contains(&r.status))
            .map(|r| r.header("x-leadguard-event-id").parse().expect("event id"))
            .collect()
    }
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("key");
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

async fn create_webhook(app: &TestApp, admin: &str, body: Value) -> i64 {
    let (s, v) = app.post("/api/v1/webhooks", admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "webhook: {v}");
    assert!(v.get("secret").is_none(), "the secret is never shown: {v}");
    v["id"].as_i64().expect("id")
}

/// Customer events: a blocked duplicate, a release and a claim.
async fn make_events(app: &TestApp, a: &str, b: &str, name: &str, phone: &str) {
    let id = app
        .create(a, json!({"name": name, "phones": [phone]}))
        .await;
    let (s, _) = app
        .post(
            "/api/v1/customers",
            b,
            json!({"name": name, "phones": [phone]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app
        .post(&format!("/api/v1/customers/{id}/release"), a, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .post(&format!("/api/v1/customers/{id}/claim"), b, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
}

async fn event_ids(app: &TestApp) -> Vec<i64> {
    app.all_events()
        .await
        .iter()
        .map(|e| e["id"].as_i64().expect("id"))
        .collect()
}

async fn webhook_receivers_down_then_up_get_every_event_exactly_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let b = app.user("lisi", Role::Rep, Some("east"), None).await;
    let admin = app.user("root", Role::Admin, None, None).await;
    let client = delivery::client().expect("client");

    // A generic receiver answering 503, and a WeCom robot whose port nobody listens on yet.
    let generic = Receiver::start(
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        503,
        json!({}),
    )
    .await;
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let robot_addr = reserved.local_addr().unwrap();
    drop(reserved);
    let dingtalk = Receiver::start(
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        200,
        json!({"errcode": 0, "errmsg": "ok"}),
    )
    .await;
    let generic_id = create_webhook(
        &app,
        &admin,
        json!({"name": "CRM 集成", "url": generic.url, "secret": "s3cret-key"}),
    )
    .await;
    create_webhook(
        &app,
        &admin,
        json!({"name": "销售群", "url": format!("http://{robot_addr}/hook"), "format": "wecom"}),
    )
    .await;
    create_webhook(
        &app,
        &admin,
        json!({"name": "钉钉群", "url": format!("{}?access_token=abc", dingtalk.url), "format": "dingtalk",
               "secret": "SECdingding", "events": ["customer.claimed"]}),
    )
    .await;

    make_events(&app, &a, &b, "合肥启明新能源有限公司", "13800138000").await;
    let first_batch = event_ids(&app).await;
    assert!(first_batch.len() >= 3, "{first_batch:?}");

    // Down: every attempt fails and is kept for a retry after a backoff.
    delivery::deliver_due(&app.service, &client).await.unwrap();
    assert!(generic.accepted_event_ids().is_empty());
    assert_eq!(generic.requests().len(), first_batch.len());
    let (s, v) = app
        .get(&format!("/api/v1/webhooks/{generic_id}/deliveries"), &admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for d in v.as_array().unwrap() {
        assert_eq!(d["status"], "pending", "{d}");
        assert_eq!(d["attempts"], 1);
        assert!(d["last_error"].as_str().unwrap().contains("503"), "{d}");
    }
    // Up again, but the backoff has not passed: nothing is sent.
    generic.set_status(200);
    delivery::deliver_due(&app.service, &client).await.unwrap();
    assert_eq!(generic.requests().len(), first_batch.len());
    app.clock.advance(chrono::Duration::seconds(6));
    delivery::deliver_due(&app.service, &client).await.unwrap();
    assert_eq!(generic.accepted_event_ids(), first_batch);

    // A sender that claims a batch and dies before sending (its lease is held) ...
    make_events(
        &app,
        &b,
        &a,
        "苏州工业园区星海电子有限公司",
        "0512-6666 8888",
    )
    .await;
    let all = event_ids(&app).await;
    {
        let mut tx = app.store.begin().await.unwrap();
        let now = app.service.now();
        let claimed = tx
            .exec()
            .claim_deliveries(now, now + chrono::Duration::seconds(600), 100)
            .await
            .unwrap();
        assert!(!claimed.is_empty());
        tx.commit().await.unwrap();
    }
    // ... then two restarted servers delivering in the background: once the lease expires, the
    // batch goes out (once, whichever server sends it), and the robot that was unreachable is
    // reachable again.
    let robot = Receiver::start(
        tokio::net::TcpListener::bind(robot_addr).await.unwrap(),
        200,
        json!({"errcode": 0, "errmsg": "ok"}),
    )
    .await;
    let restarted = app
        .sibling(Background {
            recycle_every: None,
            deliver_every: Some(Duration::from_millis(20)),
            ..Background::NONE
        })
        .await;
    let second = app
        .sibling(Background {
            recycle_every: None,
            deliver_every: Some(Duration::from_millis(20)),
            ..Background::NONE
        })
        .await;
    restarted.clock.set(app.service.now());
    second.clock.set(app.service.now());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(generic.accepted_event_ids(), first_batch, "leased: not yet");
    for s in [&restarted, &second] {
        s.clock
            .advance(chrono::Duration::seconds(601) + chrono::Duration::hours(2));
    }
    for _ in 0..200 {
        if generic.accepted_event_ids().len() == all.len()
            && robot.accepted_event_ids().len() == all.len()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give the loop more rounds, moving time on: nothing is sent twice.
    for _ in 0..5 {
        for s in [&restarted, &second] {
            s.clock.advance(chrono::Duration::hours(2));
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    let mut generic_ids = generic.accepted_event_ids();
    generic_ids.sort();
    assert_eq!(generic_ids, all, "generic: each event once");
    let mut robot_ids = robot.accepted_event_ids();
    robot_ids.sort();
    assert_eq!(robot_ids, all, "robot: each event once");

    // The generic body is the event, signed with HMAC-SHA256 over the exact bytes.
    for r in generic.requests().iter().filter(|r| r.status == 200) {
        let expected = format!(
            "sha256={}",
            hex::encode(hmac_sha256(b"s3cret-key", &r.body))
        );
        assert_eq!(r.header("x-leadguard-signature"), expected);
        let e = r.json();
        assert_eq!(e["id"].to_string(), r.header("x-leadguard-event-id"));
        assert_eq!(e["type"], r.header("x-leadguard-event"));
        assert!(
            !r.body.windows(11).any(|w| w == b"13800138000"),
            "no phone numbers"
        );
    }
    let types: BTreeMap<String, usize> = generic
        .requests()
        .iter()
        .filter(|r| r.status == 200)
        .fold(BTreeMap::new(), |mut m, r| {
            *m.entry(r.json()["type"].as_str().unwrap().to_string())
                .or_default() += 1;
            m
        });
    assert_eq!(types["duplicate.blocked"], 2, "{types:?}");
    assert_eq!(types["customer.released"], 2);
    assert_eq!(types["customer.claimed"], 2);

    // WeCom: a markdown message.
    let msg = robot.requests()[0].json();
    assert_eq!(msg["msgtype"], "markdown", "{msg}");
    assert!(msg["markdown"]["content"].as_str().unwrap().contains("**"));

    // DingTalk: only the subscribed type, signed in the query as its documentation says.
    let ding = dingtalk.requests();
    assert_eq!(ding.len(), 2, "two claims");
    for r in &ding {
        assert_eq!(r.json()["msgtype"], "markdown");
        assert_eq!(r.json()["markdown"]["title"], "客户已领取");
        let q: BTreeMap<String, String> = url::form_urlencoded::parse(r.query.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(q["access_token"], "abc");
        let expected = base64::engine::general_purpose::STANDARD.encode(hmac_sha256(
            b"SECdingding",
            format!("{}\nSECdingding", q["timestamp"]).as_bytes(),
        ));
        assert_eq!(q["sign"], expected);
    }
}

/// One server-sent event.
#[derive(Debug, Clone)]
struct Sse {
    id: i64,
    kind: String,
    data: Value,
}

/// A reader of `/api/v1/events` for one user.
struct Stream {
    resp: reqwest::Response,
    buf: String,
}

impl Stream {
    async fn open(app: &TestApp, token: &str, after: Option<i64>) -> Stream {
        let path = match after {
            Some(a) => format!("{}/api/v1/events?after={a}", app.base),
            None => format!("{}/api/v1/events", app.base),
        };
        let resp = app.http.get(path).bearer_auth(token).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Stream {
            resp,
            buf: String::new(),
        }
    }

    /// The next event (keep-alive comments skipped); fails the test after 10 s.
    async fn next(&mut self) -> Sse {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut kind, mut data) = (None, String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        kind = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if let Some(id) = id {
                    return Sse {
                        id,
                        kind,
                        data: serde_json::from_str(&data).expect("event JSON"),
                    };
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.resp.chunk())
                .await
                .expect("no event within 10 s")
                .expect("stream")
                .expect("stream ended");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

async fn event_stream_shows_each_user_what_they_may_see(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let b = app.user("zhaolei", Role::Rep, Some("south"), None).await;
    let m = app
        .user("wangfang", Role::Manager, Some("east"), None)
        .await;
    let admin = app.user("root", Role::Admin, None, None).await;
    let mut sa = Stream::open(&app, &a, None).await;
    let mut sb = Stream::open(&app, &b, None).await;
    let mut sm = Stream::open(&app, &m, None).await;
    let mut sadmin = Stream::open(&app, &admin, None).await;

    let release = |token: String, name: &'static str, phone: &'static str| {
        let app = &app;
        async move {
            let id = app
                .create(&token, json!({"name": name, "phones": [phone]}))
                .await;
            let (s, _) = app
                .post(
                    &format!("/api/v1/customers/{id}/release"),
                    &token,
                    json!({}),
                )
                .await;
            assert_eq!(s, StatusCode::OK);
            id
        }
    };
    let x = release(a.clone(), "合肥启明新能源有限公司", "13800138000").await;
    let y = release(b.clone(), "广州南沙远洋物流有限公司", "13900139000").await;
    let z = release(a.clone(), "杭州银杏教育科技有限公司", "13700137000").await;

    // The rep sees their own, the manager their team's, the other rep only theirs.
    let e = sa.next().await;
    assert_eq!(
        (e.kind.as_str(), e.data["customer_id"].as_i64()),
        ("customer.released", Some(x))
    );
    assert_eq!(e.data["data"]["previous_owner"], "zhangsan");
    assert_eq!(sa.next().await.data["customer_id"], z);
    let e = sb.next().await;
    assert_eq!(e.data["customer_id"], y, "b does not see a's events");
    assert_eq!(sm.next().await.data["customer_id"], x);
    assert_eq!(
        sm.next().await.data["customer_id"],
        z,
        "the manager skips south"
    );
    let seen: Vec<Value> = vec![
        sadmin.next().await.data["customer_id"].clone(),
        sadmin.next().await.data["customer_id"].clone(),
        sadmin.next().await.data["customer_id"].clone(),
    ];
    assert_eq!(seen, vec![json!(x), json!(y), json!(z)]);

    // Resuming after an id replays what followed it, for that user only.
    let mut resumed = Stream::open(&app, &b, Some(0)).await;
    let e = resumed.next().await;
    assert_eq!(e.data["customer_id"], y);
    assert_eq!(e.id, e.data["id"].as_i64().unwrap());

    // No token, no stream.
    let resp = app
        .http
        .get(format!("{}/api/v1/events", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

async fn webhooks_are_managed_by_admins_and_validated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let rep = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    let m = app
        .user("wangfang", Role::Manager, Some("east"), None)
        .await;
    let admin = app.user("root", Role::Admin, None, None).await;
    for token in [&rep, &m] {
        let (s, v) = app
            .post(
                "/api/v1/webhooks",
                token,
                json!({"name": "x", "url": "http://127.0.0.1:9/hook"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, _) = app.get("/api/v1/webhooks", token).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    for bad in [
        json!({"name": "x", "url": "ftp://example.com/hook"}),
        json!({"name": "x", "url": "not a url"}),
        json!({"name": "", "url": "http://127.0.0.1:9/hook"}),
        json!({"name": "x", "url": "http://127.0.0.1:9/hook", "format": "slack"}),
        json!({"name": "x", "url": "http://127.0.0.1:9/hook", "events": ["customer.exploded"]}),
    ] {
        let (s, v) = app.post("/api/v1/webhooks", &admin, bad.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad} -> {v}");
        assert!(v["error"].is_string() && v["message"].is_string(), "{v}");
    }
    let id = create_webhook(
        &app,
        &admin,
        json!({"name": "飞书群", "url": "https://open.feishu.cn/open-apis/bot/v2/hook/x", "format": "feishu", "secret": "k"}),
    )
    .await;
    let (s, v) = app.get("/api/v1/webhooks", &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v[0]["format"], "feishu");
    assert_eq!(v[0]["signed"], true);
    let (s, v) = app
        .put(
            &format!("/api/v1/webhooks/{id}"),
            &admin,
            json!({"name": "飞书群", "url": "https://open.feishu.cn/open-apis/bot/v2/hook/x", "format": "feishu", "active": false}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["active"], false);
    assert_eq!(v["signed"], true, "an absent secret keeps the old one");
    let (s, _) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert!(s.is_success(), "{s}");
    let (_, v) = app.get("/api/v1/webhooks", &admin).await;
    assert_eq!(v, json!([]));
}
