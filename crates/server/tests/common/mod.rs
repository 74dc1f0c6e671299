//! Test harness: the real server on a real database (a fresh one per test, see
//! `leadguard-testkit`), spoken to over HTTP.

#![allow(dead_code)]

use std::sync::Arc;

use leadguard_domain::clock::ManualClock;
use leadguard_domain::user::Role;
use leadguard_server::Background;
use leadguard_service::{NewUserRequest, Service};
use leadguard_store::{Store, StoreOptions};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const PASSWORD: &str = "correct-horse-battery";

pub use leadguard_testkit::{Backend, TestDb};

/// Runs an async test body once per backend: `both_backends!(name);` expects
/// `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            )*
        }
    };
}

/// The time tests start at (a Monday morning in Beijing); tests move the clock, never sleep.
pub fn start_time() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00")
        .expect("time")
        .with_timezone(&chrono::Utc)
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub service: Service,
    pub store: Store,
    /// The service's clock: tests of time-based rules move it.
    pub clock: Arc<ManualClock>,
    server: tokio::task::JoinHandle<()>,
    // Declared last: dropped after the server task is aborted.
    pub db: Arc<TestDb>,
}

impl TestApp {
    /// The server on a fresh database, with a manual clock and no background jobs.
    pub async fn spawn(backend: Backend) -> TestApp {
        let db = TestDb::create(backend).await;
        TestApp::on(Arc::new(db), Background::NONE).await
    }

    /// Another server process on the same database as `self` (its own connections, clock
    /// and background jobs), as a second `leadguard serve` would be.
    pub async fn sibling(&self, background: Background) -> TestApp {
        TestApp::on(self.db.clone(), background).await
    }

    /// The server on `db`, running `background`.
    pub async fn on(db: Arc<TestDb>, background: Background) -> TestApp {
        // Server-side errors show in a failing test's output (RUST_LOG to see more).
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
            )
            .try_init();
        let store = Store::open(db.url(), &StoreOptions::default())
            .await
            .expect("open store");
        let clock = Arc::new(ManualClock::new(start_time()));
        let service = Service::new(
            store.clone(),
            Arc::new(leadguard_matching::WeightedMatcher::default()),
            clock.clone(),
            leadguard_service::Config {
                // Tests move the clock by weeks; logins made at the start must outlive that.
                session_ttl: chrono::Duration::days(3650),
                ..Default::default()
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn({
            let service = service.clone();
            async move {
                leadguard_server::serve(listener, service, background, std::future::pending())
                    .await
                    .expect("serve");
            }
        });
        TestApp {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            service,
            store,
            clock,
            server,
            db,
        }
    }

    /// Creates a user (through the service, as the command line does) and logs them in.
    pub async fn user(
        &self,
        username: &str,
        role: Role,
        team: Option<&str>,
        cap: Option<u32>,
    ) -> String {
        self.service
            .create_user(
                None,
                NewUserRequest {
                    username: username.to_string(),
                    password: PASSWORD.to_string(),
                    role,
                    display_name: Some(format!("{username} 显示名")),
                    team: team.map(str::to_string),
                    owner_cap: cap,
                },
                true,
            )
            .await
            .expect("create user");
        self.login(username).await
    }

    pub async fn login(&self, username: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"username": username, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        body["token"].as_str().expect("token").to_string()
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    /// Creates a customer and returns its id, failing the test if it was not created.
    pub async fn create(&self, token: &str, body: Value) -> i64 {
        let (status, v) = self.post("/api/v1/customers", token, body).await;
        assert_eq!(status, StatusCode::CREATED, "create: {v}");
        v["id"].as_i64().expect("id")
    }

    /// Moves this server's clock forward by `days` days.
    pub fn advance_days(&self, days: i64) {
        self.clock.advance(chrono::Duration::days(days));
    }

    /// Every event recorded so far (all audiences), oldest first, as the API shows them.
    pub async fn all_events(&self) -> Vec<Value> {
        let mut conn = self.store.read().await.expect("conn");
        let events = conn
            .exec()
            .events_after(0, leadguard_store::EventAudience::All, 100_000)
            .await
            .expect("events");
        events
            .into_iter()
            .map(|e| serde_json::to_value(e).expect("event json"))
            .collect()
    }

    /// Events of type `kind` about `customer_id`.
    pub async fn events_of(&self, kind: &str, customer_id: i64) -> Vec<Value> {
        self.all_events()
            .await
            .into_iter()
            .filter(|e| e["type"] == kind && e["customer_id"] == customer_id)
            .collect()
    }

    /// Runs recycling now through the API, as `admin`; returns the report.
    pub async fn recycle(&self, admin: &str) -> Value {
        let (s, v) = self
            .call(Method::POST, "/api/v1/pool/recycle", Some(admin), None)
            .await;
        assert_eq!(s, StatusCode::OK, "recycle: {v}");
        v
    }

    /// On SQLite, the owner counts its triggers keep equal the customers each user owns.
    pub async fn assert_owner_counts_kept(&self) {
        let mut conn = self.store.read().await.expect("conn");
        let leadguard_store::Exec::Sqlite(c) = conn.exec() else {
            return;
        };
        let kept: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT user_id, owned FROM owner_counts WHERE owned <> 0 ORDER BY user_id",
        )
        .fetch_all(&mut *c)
        .await
        .expect("owner counts");
        let actual: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT owner_id, COUNT(*) FROM customers WHERE owner_id IS NOT NULL
             GROUP BY owner_id ORDER BY owner_id",
        )
        .fetch_all(&mut *c)
        .await
        .expect("customers per owner");
        assert_eq!(
            kept, actual,
            "owner counts kept by triggers (left) vs counted"
        );
    }

    pub async fn customer_count(&self) -> i64 {
        let mut conn = self.store.read().await.expect("conn");
        conn.exec().count_customers().await.expect("count")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}
