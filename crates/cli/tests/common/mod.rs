//! Helpers shared by the test binaries that run the real `leadguard` binary: run a command,
//! start (and kill) `leadguard serve`, log in, read an import's result file, and read the
//! database directly to check what was saved.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

/// Runs an async test body once per backend, as `sqlite_NAME` and `postgres_NAME`:
/// `both_backends!(name);` expects `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(leadguard_testkit::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(leadguard_testkit::Backend::Postgres).await
                }
            )*
        }
    };
}

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use leadguard_store::{DatabaseUrl, Exec, Store, StoreOptions};
use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_leadguard");

pub fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("LEADGUARD_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run leadguard")
}

/// Runs a command that must succeed; returns its standard output.
pub fn run_ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "leadguard {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `leadguard user add USERNAME --role ROLE --password s3cret-pass [extra…]`.
pub fn add_user(dir: &Path, url: &str, username: &str, role: &str, extra: &[&str]) {
    let mut args = vec![
        "user",
        "add",
        username,
        "--role",
        role,
        "--password",
        PASSWORD,
        "--database-url",
        url,
    ];
    args.extend_from_slice(extra);
    run_ok(dir, &args);
}

/// The password [`add_user`] gives everyone.
pub const PASSWORD: &str = "s3cret-pass";

/// A `leadguard serve` child process, killed on drop.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub stdout: Vec<String>,
}

impl Server {
    pub fn start(dir: &Path, extra: &[&str]) -> Server {
        Server::start_with_env(dir, extra, &[])
    }

    /// Starts `leadguard serve --listen 127.0.0.1:0 extra…` with extra environment variables,
    /// and waits until it prints the address it serves.
    pub fn start_with_env(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut cmd = Command::new(BIN);
        cmd.args(&args)
            .current_dir(dir)
            .env_remove("LEADGUARD_DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        let base = loop {
            assert!(Instant::now() < deadline, "serve did not start: {seen:?}");
            let line = lines.next().expect("serve exited early").expect("read");
            seen.push(line.clone());
            if let Some(rest) = line.strip_prefix("Leadguard is serving ") {
                break rest
                    .split_whitespace()
                    .next()
                    .expect("url")
                    .trim_end_matches('/')
                    .to_string();
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            base,
            stdout: seen,
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix): no shutdown code runs.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL the server");
        let status = self.child.wait().expect("reap the server");
        assert!(!status.success(), "killed, not exited: {status}");
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn login(http: &reqwest::Client, base: &str, username: &str, password: &str) -> String {
    let r = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    v["token"].as_str().expect("token").to_string()
}

/// The records of an import's result file, after checking its header.
pub fn result_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).expect("result file");
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
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
    r.records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect()
}

pub fn last_line(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

/// A connection to a test database for checking what is stored (no migrations run).
pub async fn open_store(url: &DatabaseUrl) -> Store {
    Store::connect(
        url,
        &StoreOptions {
            max_connections: 2,
            ..Default::default()
        },
    )
    .await
    .expect("open the database")
}

/// Every row of `sql` (written once for both backends: `$1`-style, BIGINT/TEXT columns).
pub async fn rows<T>(store: &Store, sql: &str) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    let mut conn = store.read().await.expect("connection");
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    let result = match conn.exec() {
        Exec::Sqlite(c) => sqlx::query_as::<_, T>(sql).fetch_all(&mut *c).await,
        Exec::Postgres(c) => sqlx::query_as::<_, T>(sql).fetch_all(&mut *c).await,
    };
    result.unwrap_or_else(|e| panic!("{e}"))
}

/// A single BIGINT (e.g. a count).
pub async fn scalar(store: &Store, sql: &str) -> i64 {
    let r: Vec<(i64,)> = rows(store, sql).await;
    r.first().map(|x| x.0).expect("one row")
}
