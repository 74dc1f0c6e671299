//! Load benchmark: create-with-check against a stored customer base, through real `leadguard
//! serve` processes, with many concurrent clients.
//!
//! ```sh
//! cargo build --release -p leadguard
//! cargo bench -p leadguard-server --bench load                 # SQLite, 1,000,000 customers
//! LEADGUARD_BENCH_CUSTOMERS=100000 cargo bench -p leadguard-server --bench load
//! LEADGUARD_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1/leadguard_bench \
//!   LEADGUARD_LOAD_SERVERS=2 cargo bench -p leadguard-server --bench load
//! ```
//!
//! The stored customers are loaded once (the same cached database as the `check` benches:
//! a SQLite file under target/bench-data, or the PostgreSQL database named by
//! `LEADGUARD_BENCH_DATABASE_URL`). Every run works on a fresh copy of it (a file copy, or
//! `CREATE DATABASE … TEMPLATE`), so runs start from the same state and what a run creates is
//! gone afterwards. Each run starts `LEADGUARD_LOAD_SERVERS` (1 or 2) `leadguard serve`
//! processes on the copy (the release binary, `target/release/leadguard` or
//! `LEADGUARD_BIN`), logs the 20 reps in, adds two round-robin assignment rules, and then runs
//! each phase: `max` (closed loop: every client sends its next request as soon as the last is
//! answered — the throughput ceiling) or a fixed rate in requests/s spread over the clients
//! (latency measured from when each request was due, so a stall is not hidden). Clients
//! alternate between the servers request by request. Afterwards it checks the invariants in
//! the database and prints markdown tables.
//!
//! Environment (defaults in brackets): `LEADGUARD_BENCH_CUSTOMERS` [1000000],
//! `LEADGUARD_BENCH_DATABASE_URL` [SQLite file], `LEADGUARD_LOAD_SERVERS` [1],
//! `LEADGUARD_LOAD_CLIENTS` [64], `LEADGUARD_LOAD_PHASES` [max,2000,1000],
//! `LEADGUARD_LOAD_SECONDS` [30], `LEADGUARD_LOAD_WARMUP` [5], `LEADGUARD_LOAD_RUNS` [1],
//! `LEADGUARD_LOAD_SERVER_THREADS` [the server's default: one per core],
//! `LEADGUARD_LOAD_MIX` [check_new=55,check_dup=30,create_new=7,create_dup=3,lead=4,race=1:
//! about six live checks per saved entry],
//! `LEADGUARD_LOAD_DB_CONNECTIONS` [the server's default], `LEADGUARD_BIN`.
//!
//! Operations: `check_new` / `check_dup` — `POST /customers/check` (the live check while
//! typing) of a company not stored / another rep's retyping of a stored one; `create_new` /
//! `create_dup` — `POST /customers` of the same kinds (201 / 409); `lead` — `POST /leads` of a
//! new company, routed round-robin; `race` — the same new company entered at the same moment by
//! two reps of different teams, through two servers when there are two (exactly one may win).

#[allow(dead_code)]
mod fixture;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use leadguard_datagen::Generator;
use leadguard_domain::user::Role;
use leadguard_service::{NewUserRequest, ServiceError};
use leadguard_store::DatabaseUrl;
use serde_json::{Value, json};
use sqlx::Row;

use fixture::{REPS, SEED};

const ADMIN: &str = "bench-admin";
const PASSWORD: &str = "bench-password";
/// Probes cycled by the check and duplicate operations (many, so caches do not flatter).
const POOL: usize = 5_000;
/// Index offsets (past the stored customers) of the companies each operation invents, so
/// that no two operations ever send the same new company.
const CHECK_NEW_AT: usize = 4_000_000;
const CREATE_NEW_AT: usize = 0;
const LEAD_AT: usize = 1_000_000;
const RACE_AT: usize = 2_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Op {
    CheckNew,
    CheckDup,
    CreateNew,
    CreateDup,
    Lead,
    Race,
}

impl Op {
    const ALL: [Op; 6] = [
        Op::CheckNew,
        Op::CheckDup,
        Op::CreateNew,
        Op::CreateDup,
        Op::Lead,
        Op::Race,
    ];

    fn name(self) -> &'static str {
        match self {
            Op::CheckNew => "check_new",
            Op::CheckDup => "check_dup",
            Op::CreateNew => "create_new",
            Op::CreateDup => "create_dup",
            Op::Lead => "lead",
            Op::Race => "race",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Op::CheckNew => "POST /customers/check, new company",
            Op::CheckDup => "POST /customers/check, stored company retyped",
            Op::CreateNew => "POST /customers, new company",
            Op::CreateDup => "POST /customers, stored company retyped",
            Op::Lead => "POST /leads, new company (round-robin)",
            Op::Race => "POST /customers, same new company by 2 reps at once",
        }
    }

    /// Statuses that are the right answer.
    fn expected(self, status: u16) -> bool {
        match self {
            Op::CheckNew => status == 200,
            Op::CheckDup | Op::CreateDup => status == 409,
            Op::CreateNew | Op::Lead => status == 201,
            Op::Race => status == 201 || status == 409,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Closed loop: each client sends as soon as it has its answer.
    Max,
    /// This many requests per second in all, spread evenly over the clients.
    Rate(f64),
}

impl Phase {
    fn label(self) -> String {
        match self {
            Phase::Max => "max (closed loop)".to_string(),
            Phase::Rate(r) => format!("{r:.0} req/s offered"),
        }
    }
}

struct Settings {
    n: usize,
    base: DatabaseUrl,
    servers: usize,
    clients: usize,
    phases: Vec<Phase>,
    warmup: Duration,
    measure: Duration,
    runs: usize,
    mix: Vec<(Op, u32)>,
    bin: PathBuf,
    db_connections: Option<u32>,
    server_threads: Option<usize>,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v}: not a valid value")),
        Err(_) => default,
    }
}

fn settings() -> Settings {
    let n = env_or("LEADGUARD_BENCH_CUSTOMERS", 1_000_000usize);
    let phases = std::env::var("LEADGUARD_LOAD_PHASES")
        .unwrap_or_else(|_| "max,2000,1000".into())
        .split(',')
        .map(|p| match p.trim() {
            "max" => Phase::Max,
            r => Phase::Rate(r.parse().unwrap_or_else(|_| {
                panic!("LEADGUARD_LOAD_PHASES: `{r}` is neither max nor a rate")
            })),
        })
        .collect();
    let mix = std::env::var("LEADGUARD_LOAD_MIX")
        .unwrap_or_else(|_| {
            "check_new=55,check_dup=30,create_new=7,create_dup=3,lead=4,race=1".into()
        })
        .split(',')
        .map(|kv| {
            let (k, v) = kv
                .split_once('=')
                .unwrap_or_else(|| panic!("LEADGUARD_LOAD_MIX: `{kv}` is not op=weight"));
            let op = Op::ALL
                .into_iter()
                .find(|o| o.name() == k.trim())
                .unwrap_or_else(|| panic!("LEADGUARD_LOAD_MIX: unknown operation `{k}`"));
            (op, v.trim().parse().expect("LEADGUARD_LOAD_MIX: weight"))
        })
        .filter(|(_, w)| *w > 0)
        .collect::<Vec<_>>();
    assert!(!mix.is_empty(), "LEADGUARD_LOAD_MIX: no operation");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    Settings {
        n,
        base: fixture::database_url(n),
        servers: env_or("LEADGUARD_LOAD_SERVERS", 1usize).clamp(1, 2),
        clients: env_or("LEADGUARD_LOAD_CLIENTS", 64usize).max(1),
        phases,
        warmup: Duration::from_secs_f64(env_or("LEADGUARD_LOAD_WARMUP", 5.0)),
        measure: Duration::from_secs_f64(env_or("LEADGUARD_LOAD_SECONDS", 30.0)),
        runs: env_or("LEADGUARD_LOAD_RUNS", 1usize).max(1),
        mix,
        bin: std::env::var("LEADGUARD_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|_| root.join("target/release/leadguard")),
        db_connections: std::env::var("LEADGUARD_LOAD_DB_CONNECTIONS")
            .ok()
            .map(|v| v.parse().expect("LEADGUARD_LOAD_DB_CONNECTIONS")),
        server_threads: std::env::var("LEADGUARD_LOAD_SERVER_THREADS")
            .ok()
            .map(|v| v.parse().expect("LEADGUARD_LOAD_SERVER_THREADS")),
    }
}

// ---------------------------------------------------------------------------------------------
// The database: prepared once, copied for every run.

/// Loads the stored customers (once) and adds the admin who writes the rules.
async fn prepare(s: &Settings) {
    let (store, service, _) = fixture::open_filled(&s.base, s.n).await;
    match service
        .create_user(
            None,
            NewUserRequest {
                username: ADMIN.into(),
                password: PASSWORD.into(),
                role: Role::Admin,
                display_name: None,
                team: None,
                owner_cap: None,
            },
            true,
        )
        .await
    {
        Ok(_) | Err(ServiceError::AlreadyExists { .. }) => {}
        Err(e) => panic!("creating {ADMIN}: {e}"),
    }
    drop(service);
    if let DatabaseUrl::Sqlite { path } = &s.base {
        // Everything into the main file, so that copying the file copies the database.
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("open the SQLite file");
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&pool)
            .await
            .expect("checkpoint");
        pool.close().await;
    }
    store.close().await;
}

/// A fresh copy of the prepared database for one run.
async fn copy_for_run(s: &Settings) -> DatabaseUrl {
    match &s.base {
        DatabaseUrl::Sqlite { path } => {
            let run = path.with_file_name(format!("load-run-{}.db", s.n));
            for ext in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{ext}", run.display()));
            }
            let started = Instant::now();
            std::fs::copy(path, &run).expect("copy the benchmark database");
            eprintln!(
                "copied {} -> {} in {:.1?}",
                path.display(),
                run.display(),
                started.elapsed()
            );
            DatabaseUrl::Sqlite { path: run }
        }
        DatabaseUrl::Postgres { url } => {
            let (server, base_db) = url
                .rsplit_once('/')
                .expect("LEADGUARD_BENCH_DATABASE_URL: postgres://…/DBNAME");
            let base_db = base_db.split('?').next().unwrap_or(base_db);
            let run_db = format!("{base_db}_load_run");
            let admin = sqlx::PgPool::connect(&format!("{server}/postgres"))
                .await
                .expect("connect to the postgres database");
            let started = Instant::now();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{run_db}\" WITH (FORCE)"
            )))
            .execute(&admin)
            .await
            .expect("drop the previous run's database");
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE \"{run_db}\" TEMPLATE \"{base_db}\" STRATEGY FILE_COPY"
            )))
            .execute(&admin)
            .await
            .expect("copy the benchmark database (is another session connected to it?)");
            admin.close().await;
            eprintln!("copied {base_db} -> {run_db} in {:.1?}", started.elapsed());
            DatabaseUrl::Postgres {
                url: format!("{server}/{run_db}"),
            }
        }
    }
}

/// Direct SQL access to the run's database, for the invariants.
enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Db {
    async fn open(url: &DatabaseUrl) -> Db {
        match url {
            DatabaseUrl::Sqlite { path } => Db::Sqlite(
                sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                    .await
                    .expect("open the run's SQLite file"),
            ),
            DatabaseUrl::Postgres { url } => Db::Postgres(
                sqlx::PgPool::connect(url)
                    .await
                    .expect("connect to the run's database"),
            ),
        }
    }

    /// Rows of integer columns (NULL as -1).
    async fn ints(&self, sql: &str) -> Vec<Vec<i64>> {
        macro_rules! fetch {
            ($pool:expr) => {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_all($pool)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| {
                                r.try_get::<Option<i64>, _>(i)
                                    .expect("an integer column")
                                    .unwrap_or(-1)
                            })
                            .collect()
                    })
                    .collect()
            };
        }
        match self {
            Db::Sqlite(p) => fetch!(p),
            Db::Postgres(p) => fetch!(p),
        }
    }

    async fn one(&self, sql: &str) -> i64 {
        self.ints(sql)
            .await
            .first()
            .and_then(|r| r.first())
            .copied()
            .unwrap_or(0)
    }

    async fn close(self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Servers.

struct Server {
    child: tokio::process::Child,
    base: String,
    log: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn start_servers(s: &Settings, url: &DatabaseUrl) -> Vec<Server> {
    assert!(
        s.bin.exists(),
        "{} is missing: run `cargo build --release -p leadguard` first (or set LEADGUARD_BIN)",
        s.bin.display()
    );
    let url = match url {
        DatabaseUrl::Sqlite { path } => format!("sqlite://{}", path.display()),
        DatabaseUrl::Postgres { url } => url.clone(),
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    let mut servers = Vec::new();
    for k in 0..s.servers {
        let port = free_port();
        let log = dir.join(format!("load-serve-{k}.log"));
        let out = std::fs::File::create(&log).expect("server log");
        let mut cmd = tokio::process::Command::new(&s.bin);
        cmd.args(["serve", "--database-url", &url, "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .stdout(out.try_clone().expect("log"))
            .stderr(out)
            .kill_on_drop(true);
        if let Some(c) = s.db_connections {
            cmd.arg("--db-connections").arg(c.to_string());
        }
        if let Some(t) = s.server_threads {
            cmd.env("TOKIO_WORKER_THREADS", t.to_string());
        }
        let child = cmd.spawn().expect("start leadguard serve");
        servers.push(Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        });
    }
    let http = reqwest::Client::new();
    let started = Instant::now();
    for srv in &mut servers {
        loop {
            if let Ok(Some(status)) = srv.child.try_wait() {
                panic!(
                    "leadguard serve exited ({status}); see {}",
                    srv.log.display()
                );
            }
            if let Ok(r) = http.get(format!("{}/healthz", srv.base)).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(900),
                "leadguard serve did not come up; see {}",
                srv.log.display()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    eprintln!(
        "{} server(s) up in {:.1?}: {}",
        servers.len(),
        started.elapsed(),
        servers
            .iter()
            .map(|s| s.base.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    servers
}

/// CPU seconds (user + system) used so far by a process.
fn cpu_seconds(pid: Option<u32>) -> f64 {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".to_string(),
    };
    let Ok(stat) = std::fs::read_to_string(path) else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

// ---------------------------------------------------------------------------------------------
// Users and rules.

#[derive(Clone)]
struct Rep {
    id: i64,
    username: String,
    team: usize,
    token: String,
}

async fn login(http: &reqwest::Client, base: &str, username: &str) -> (i64, String) {
    let resp = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert!(
        resp.status().is_success(),
        "login {username}: {}",
        resp.status()
    );
    let body: Value = resp.json().await.expect("login body");
    (
        body["user"]["id"].as_i64().expect("user id"),
        body["token"].as_str().expect("token").to_string(),
    )
}

/// The assignment rules of the run and the reps each one rotates over.
struct Rules {
    targets: BTreeMap<i64, (String, Vec<i64>)>,
}

async fn setup(base: &str, reps: &[Rep], admin_token: &str) -> Rules {
    let http = reqwest::Client::new();
    let by_team = |t: usize| -> Vec<&Rep> { reps.iter().filter(|r| r.team == t).collect() };
    // East China to team0 (its reps), everything else to a cross-team group of reps.
    let cross: Vec<&Rep> = [1usize, 2, 3, 5, 6, 7]
        .iter()
        .filter_map(|i| reps.get(*i))
        .collect();
    let rules = [
        (
            "华东 round-robin",
            json!({"name": "华东 round-robin", "when": {"province": ["上海", "浙江", "江苏"]},
                   "team": "team0", "strategy": "round_robin"}),
            by_team(0),
        ),
        (
            "其他 round-robin",
            json!({"name": "其他 round-robin", "reps": cross.iter().map(|r| r.username.clone()).collect::<Vec<_>>(),
                   "strategy": "round_robin"}),
            cross.clone(),
        ),
    ];
    let mut targets = BTreeMap::new();
    for (name, body, members) in rules {
        let resp = http
            .post(format!("{base}/api/v1/assignment/rules"))
            .bearer_auth(admin_token)
            .json(&body)
            .send()
            .await
            .expect("create rule");
        let status = resp.status();
        let v: Value = resp.json().await.expect("rule body");
        assert!(status.is_success(), "rule {name}: {status} {v}");
        targets.insert(
            v["id"].as_i64().expect("rule id"),
            (name.to_string(), members.iter().map(|r| r.id).collect()),
        );
    }
    Rules { targets }
}

// ---------------------------------------------------------------------------------------------
// The load.

struct Probes {
    g: Generator,
    n: usize,
    clients: usize,
    check_new: Vec<Vec<u8>>,
    check_dup: Vec<Vec<u8>>,
    create_dup: Vec<Vec<u8>>,
    /// Next new company of each kind (shared by all clients and phases of a run).
    create_next: AtomicUsize,
    lead_next: AtomicUsize,
    race_next: AtomicUsize,
}

fn body(v: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(v).expect("json")
}

impl Probes {
    fn new(n: usize, clients: usize) -> Probes {
        let g = Generator::new(SEED);
        Probes {
            check_new: (0..POOL)
                .map(|k| body(&g.fresh(n, CHECK_NEW_AT + k)))
                .collect(),
            check_dup: (0..POOL).map(|k| body(&g.retype((k * 7919) % n))).collect(),
            create_dup: (0..POOL)
                .map(|k| body(&g.retype((k * 104_729 + 13) % n)))
                .collect(),
            g,
            n,
            clients,
            create_next: AtomicUsize::new(0),
            lead_next: AtomicUsize::new(0),
            race_next: AtomicUsize::new(0),
        }
    }
}

/// What one client saw.
#[derive(Default)]
struct Tally {
    hist: HashMap<Op, Histogram<u64>>,
    statuses: HashMap<(Op, u16), u64>,
    /// Transport errors (no HTTP answer).
    failed: HashMap<Op, u64>,
    /// Customers answered 2xx: (customer id, owner's username).
    created: Vec<(i64, String)>,
    /// Race pairs by number of 201s: [0, 1, 2].
    races: [u64; 3],
}

fn new_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).expect("histogram")
}

impl Tally {
    fn record(&mut self, op: Op, micros: u64) {
        self.hist
            .entry(op)
            .or_insert_with(new_hist)
            .saturating_record(micros.max(1));
    }

    fn merge(&mut self, o: Tally) {
        for (op, h) in o.hist {
            self.hist
                .entry(op)
                .or_insert_with(new_hist)
                .add(h)
                .expect("same bounds");
        }
        for (k, v) in o.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        for (k, v) in o.failed {
            *self.failed.entry(k).or_default() += v;
        }
        self.created.extend(o.created);
        for i in 0..3 {
            self.races[i] += o.races[i];
        }
    }
}

struct Client {
    http: reqwest::Client,
    index: usize,
    rep: Rep,
    /// The other team's rep for race pairs.
    rival: Rep,
    bases: Arc<Vec<String>>,
    probes: Arc<Probes>,
    mix: Arc<Vec<(Op, u32)>>,
    rng: u64,
    sent: usize,
}

struct Answer {
    status: u16,
    body: Option<Value>,
}

impl Client {
    fn next_rand(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick(&mut self) -> Op {
        let total: u32 = self.mix.iter().map(|(_, w)| w).sum();
        let mut r = (self.next_rand() % u64::from(total)) as u32;
        for (op, w) in self.mix.iter() {
            if r < *w {
                return *op;
            }
            r -= w;
        }
        self.mix[0].0
    }

    fn base(&mut self) -> String {
        self.sent += 1;
        self.bases[(self.index + self.sent) % self.bases.len()].clone()
    }

    async fn post(
        http: &reqwest::Client,
        url: String,
        token: &str,
        body: Vec<u8>,
        want_body: bool,
    ) -> Result<Answer, reqwest::Error> {
        let resp = http
            .post(url)
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await?;
        let body = if want_body {
            serde_json::from_slice(&bytes).ok()
        } else {
            None
        };
        Ok(Answer { status, body })
    }

    /// Sends one operation; records it in `tally` when `record`, latency counted from `since`.
    async fn one(&mut self, op: Op, since: Instant, record: bool, tally: &mut Tally) {
        let p = self.probes.clone();
        let k = (self.next_rand() % POOL as u64) as usize;
        let (path, body, want) = match op {
            Op::CheckNew => ("customers/check", p.check_new[k].clone(), false),
            Op::CheckDup => ("customers/check", p.check_dup[k].clone(), false),
            Op::CreateDup => ("customers", p.create_dup[k].clone(), false),
            Op::CreateNew => {
                let j = p.create_next.fetch_add(1, Ordering::Relaxed);
                ("customers", body(&p.g.fresh(p.n, CREATE_NEW_AT + j)), true)
            }
            Op::Lead => {
                let j = p.lead_next.fetch_add(1, Ordering::Relaxed);
                let mut v = serde_json::to_value(p.g.fresh(p.n, LEAD_AT + j)).expect("json");
                v["value"] = json!(50_000 + (j % 20) * 10_000);
                v["tags"] = json!(["官网"]);
                ("leads", body(&v), true)
            }
            Op::Race => {
                let j = p.race_next.fetch_add(1, Ordering::Relaxed);
                let rec = body(&p.g.fresh(p.n, RACE_AT + j));
                let (a, b) = (self.base(), self.base());
                let (ra, rb) = tokio::join!(
                    Self::post(
                        &self.http,
                        format!("{a}/api/v1/customers"),
                        &self.rep.token,
                        rec.clone(),
                        true
                    ),
                    Self::post(
                        &self.http,
                        format!("{b}/api/v1/customers"),
                        &self.rival.token,
                        rec,
                        true
                    ),
                );
                let micros = since.elapsed().as_micros() as u64;
                let mut wins = 0;
                for r in [ra, rb] {
                    match r {
                        Ok(ans) => {
                            if ans.status == 201 {
                                wins += 1;
                            }
                            if record {
                                *tally.statuses.entry((op, ans.status)).or_default() += 1;
                            }
                            collect_created(op, &ans, tally);
                        }
                        Err(_) if record => *tally.failed.entry(op).or_default() += 1,
                        Err(_) => {}
                    }
                }
                tally.races[wins] += 1;
                if record {
                    tally.record(op, micros);
                }
                return;
            }
        };
        let url = format!("{}/api/v1/{path}", self.base());
        let res = Self::post(&self.http, url, &self.rep.token, body, want).await;
        let micros = since.elapsed().as_micros() as u64;
        match res {
            Ok(ans) => {
                collect_created(op, &ans, tally);
                if record {
                    *tally.statuses.entry((op, ans.status)).or_default() += 1;
                    tally.record(op, micros);
                }
            }
            Err(e) => {
                if record {
                    *tally.failed.entry(op).or_default() += 1;
                }
                if tally.failed.values().sum::<u64>() < 3 {
                    eprintln!("client {}: {op:?}: {e}", self.index);
                }
            }
        }
    }
}

/// Remembers every customer a 2xx answer created, whether measured or not (warm-up too), for
/// the invariants.
fn collect_created(op: Op, ans: &Answer, tally: &mut Tally) {
    if !(200..300).contains(&ans.status) {
        return;
    }
    let Some(b) = &ans.body else { return };
    let (id, owner) = match op {
        Op::CreateNew | Op::Race => (b["id"].as_i64(), b["owner"]["username"].as_str()),
        Op::Lead => (b["customer_id"].as_i64(), b["owner"]["username"].as_str()),
        _ => return,
    };
    if let Some(id) = id {
        tally
            .created
            .push((id, owner.unwrap_or("(pool)").to_string()));
    }
}

struct PhaseResult {
    phase: Phase,
    seconds: f64,
    tally: Tally,
    server_cpu: f64,
    bench_cpu: f64,
}

async fn run_phase(
    s: &Settings,
    phase: Phase,
    servers: &[Server],
    reps: &[Rep],
    probes: &Arc<Probes>,
) -> PhaseResult {
    let bases = Arc::new(servers.iter().map(|s| s.base.clone()).collect::<Vec<_>>());
    let mix = Arc::new(s.mix.clone());
    let start = Instant::now() + Duration::from_millis(200);
    let measure_from = start + s.warmup;
    let end = measure_from + s.measure;
    let interval = match phase {
        Phase::Max => None,
        Phase::Rate(r) => Some(Duration::from_secs_f64(s.clients as f64 / r.max(0.001))),
    };
    let mut tasks = Vec::new();
    for i in 0..s.clients {
        let rep = reps[i % reps.len()].clone();
        let rival = reps
            .iter()
            .find(|r| r.team != rep.team)
            .cloned()
            .unwrap_or_else(|| rep.clone());
        let mut client = Client {
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(4)
                .timeout(Duration::from_secs(60))
                .build()
                .expect("http client"),
            index: i,
            rep,
            rival,
            bases: bases.clone(),
            probes: probes.clone(),
            mix: mix.clone(),
            rng: 0x9E37_79B9_7F4A_7C15 ^ ((i as u64 + 1) * 0x1000_0001),
            sent: 0,
        };
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            // Spread the clients' first requests over one interval.
            let mut due = match interval {
                Some(iv) => start + iv.mul_f64(i as f64 / client.probes.clients as f64),
                None => start,
            };
            tokio::time::sleep_until(due.into()).await;
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let since = match interval {
                    Some(iv) => {
                        if now < due {
                            tokio::time::sleep_until(due.into()).await;
                        }
                        let d = due;
                        due += iv;
                        d
                    }
                    None => now,
                };
                if since >= end {
                    break;
                }
                let op = client.pick();
                client
                    .one(op, since, since >= measure_from, &mut tally)
                    .await;
            }
            tally
        }));
    }
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu1: Vec<f64> = servers.iter().map(|s| cpu_seconds(s.child.id())).collect();
    let bench1 = cpu_seconds(None);
    tokio::time::sleep_until(end.into()).await;
    let cpu2: Vec<f64> = servers.iter().map(|s| cpu_seconds(s.child.id())).collect();
    let bench2 = cpu_seconds(None);
    let mut tally = Tally::default();
    for t in tasks {
        tally.merge(t.await.expect("client task"));
    }
    PhaseResult {
        phase,
        seconds: s.measure.as_secs_f64(),
        tally,
        server_cpu: cpu2.iter().zip(&cpu1).map(|(b, a)| b - a).sum(),
        bench_cpu: bench2 - bench1,
    }
}

// ---------------------------------------------------------------------------------------------
// Reports.

fn ms(micros: u64) -> String {
    let v = micros as f64 / 1000.0;
    if v < 10.0 {
        format!("{v:.2} ms")
    } else if v < 100.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.0} ms")
    }
}

/// One row's figures: (per s, p50, p90, p99, max) in µs.
type Figures = (f64, u64, u64, u64, u64);

fn figures(h: &Histogram<u64>, seconds: f64) -> Figures {
    (
        h.len() as f64 / seconds,
        h.value_at_quantile(0.50),
        h.value_at_quantile(0.90),
        h.value_at_quantile(0.99),
        h.max(),
    )
}

/// Prints a phase's table; returns its rows' figures by operation ("all" last).
fn report(r: &PhaseResult, title: &str) -> Vec<(String, Figures)> {
    println!(
        "\n### {title} — {}, {:.0} s measured\n",
        r.phase.label(),
        r.seconds
    );
    println!("| operation | count | per s | p50 | p90 | p99 | max | answers |");
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    let mut all = new_hist();
    let mut out = Vec::new();
    for op in Op::ALL {
        let Some(h) = r.tally.hist.get(&op) else {
            continue;
        };
        all.add(h).expect("same bounds");
        let f = figures(h, r.seconds);
        let mut answers: Vec<String> = r
            .tally
            .statuses
            .iter()
            .filter(|((o, _), _)| *o == op)
            .map(|((_, st), c)| {
                let mark = if op.expected(*st) {
                    ""
                } else {
                    " (unexpected)"
                };
                format!("{st}×{c}{mark}")
            })
            .collect();
        answers.sort();
        if let Some(f) = r.tally.failed.get(&op) {
            answers.push(format!("no answer×{f}"));
        }
        println!(
            "| {} — {} | {} | {:.0} | {} | {} | {} | {} | {} |",
            op.name(),
            op.what(),
            h.len(),
            f.0,
            ms(f.1),
            ms(f.2),
            ms(f.3),
            ms(f.4),
            answers.join(", ")
        );
        out.push((op.name().to_string(), f));
    }
    let f = figures(&all, r.seconds);
    println!(
        "| **all** (each runs the full duplicate check) | {} | **{:.0}** | {} | {} | **{}** | {} | |",
        all.len(),
        f.0,
        ms(f.1),
        ms(f.2),
        ms(f.3),
        ms(f.4)
    );
    out.push(("all".to_string(), f));
    if let Phase::Rate(rate) = r.phase {
        let met = f.0 >= rate * 0.97 && f.3 <= 20_000;
        println!(
            "\nTarget (the offered {rate:.0}/s served, p99 ≤ 20 ms): {}.",
            if met { "**met**" } else { "**missed**" }
        );
    }
    let requests = all.len().max(1) as f64;
    println!(
        "\nCPU while measured: servers {:.1} s ({:.2} ms per operation), load generator {:.1} s ({:.2} ms per operation), of {:.0} s × 2 cores available.",
        r.server_cpu,
        r.server_cpu * 1000.0 / requests,
        r.bench_cpu,
        r.bench_cpu * 1000.0 / requests,
        r.seconds
    );
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

// ---------------------------------------------------------------------------------------------
// Invariants.

struct Check {
    what: String,
    ok: bool,
    detail: String,
}

async fn invariants(
    db: &Db,
    base_customer: i64,
    base_decision: i64,
    tally: &Tally,
    rules: &Rules,
    user_ids: &HashMap<String, i64>,
) -> Vec<Check> {
    let mut out = Vec::new();
    // Every 2xx create is stored, owned by whom the answer said.
    let stored: HashMap<i64, i64> = db
        .ints(&format!(
            "SELECT id, owner_id FROM customers WHERE id > {base_customer}"
        ))
        .await
        .into_iter()
        .map(|r| (r[0], r[1]))
        .collect();
    let mut missing = 0;
    let mut wrong_owner = 0;
    for (id, owner) in &tally.created {
        match stored.get(id) {
            None => missing += 1,
            Some(o) if user_ids.get(owner).copied().unwrap_or(-1) != *o => wrong_owner += 1,
            Some(_) => {}
        }
    }
    out.push(Check {
        what: "every 2xx create is stored, owned by the rep the answer named".into(),
        ok: missing == 0 && wrong_owner == 0,
        detail: format!(
            "{} answered 2xx; {missing} missing, {wrong_owner} with another owner",
            tally.created.len()
        ),
    });
    let answered: HashSet<i64> = tally.created.iter().map(|(id, _)| *id).collect();
    let unanswered = stored.keys().filter(|id| !answered.contains(id)).count();
    let failed: u64 = tally.failed.values().sum();
    out.push(Check {
        what: "nothing stored that was not answered 2xx".into(),
        ok: unanswered == 0,
        detail: format!(
            "{} customers stored by the run, {unanswered} without a 2xx ({failed} requests got no answer)",
            stored.len()
        ),
    });
    // No company twice: generated companies have distinct phones, e-mails and names, so a key
    // of these kinds shared by two customers means one was entered twice.
    let shared = db
        .ints(&format!(
            "SELECT k.customer_id, o.customer_id FROM customer_keys k
             JOIN customer_keys o ON o.kind = k.kind AND o.value = k.value AND o.customer_id <> k.customer_id
             WHERE k.customer_id > {base_customer} AND k.kind IN ('phone', 'email', 'name')
             LIMIT 20"
        ))
        .await;
    out.push(Check {
        what: "no company stored twice (no phone, e-mail or name key shared by two customers)"
            .into(),
        ok: shared.is_empty(),
        detail: if shared.is_empty() {
            format!("{} new customers checked", stored.len())
        } else {
            format!("shared by {:?}", shared)
        },
    });
    let [zero, one, two] = tally.races;
    out.push(Check {
        what: "the same company entered by two reps at once: never two 201s".into(),
        ok: two == 0,
        detail: format!(
            "{} pairs: one 201 {one}, two 201s {two}; both refused {zero} (as duplicates of a stored look-alike)",
            zero + one + two
        ),
    });
    // Round-robin: each rule's assignments within one of each other across its reps.
    let rows = db
        .ints(&format!(
            "SELECT rule_id, user_id, COUNT(*) FROM assignment_decisions
             WHERE id > {base_decision} AND outcome = 'assigned' GROUP BY rule_id, user_id"
        ))
        .await;
    for (rule, (name, reps)) in &rules.targets {
        let counts: Vec<i64> = reps
            .iter()
            .map(|u| {
                rows.iter()
                    .find(|r| r[0] == *rule && r[1] == *u)
                    .map_or(0, |r| r[2])
            })
            .collect();
        let outside: i64 = rows
            .iter()
            .filter(|r| r[0] == *rule && !reps.contains(&r[1]))
            .map(|r| r[2])
            .sum();
        let (min, max) = (
            counts.iter().copied().min().unwrap_or(0),
            counts.iter().copied().max().unwrap_or(0),
        );
        out.push(Check {
            what: format!("round-robin rule `{name}`: max − min ≤ 1 across its reps"),
            ok: max - min <= 1 && outside == 0,
            detail: format!(
                "{} leads: {counts:?} (max − min = {}){}",
                counts.iter().sum::<i64>(),
                max - min,
                if outside > 0 {
                    format!(", {outside} to reps outside the rule")
                } else {
                    String::new()
                }
            ),
        });
    }
    let pooled = db
        .one(&format!(
            "SELECT COUNT(*) FROM assignment_decisions WHERE id > {base_decision} AND outcome = 'pool'"
        ))
        .await;
    out.push(Check {
        what: "every new lead assigned by a rule (none to the pool)".into(),
        ok: pooled == 0,
        detail: format!("{pooled} otherwise"),
    });
    out
}

// ---------------------------------------------------------------------------------------------

fn main() {
    let s = settings();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run(s));
}

async fn run(s: Settings) {
    let backend = match &s.base {
        DatabaseUrl::Sqlite { .. } => "SQLite",
        DatabaseUrl::Postgres { .. } => "PostgreSQL",
    };
    prepare(&s).await;
    let title = format!(
        "{backend}, {} stored customers, {} server{}, {} clients",
        s.n,
        s.servers,
        if s.servers > 1 { "s" } else { "" },
        s.clients
    );
    println!("# Load: {title}");
    println!(
        "\nmix: {}; warm-up {:.0} s; {} run(s); cores: {}",
        s.mix
            .iter()
            .map(|(o, w)| format!("{}={w}", o.name()))
            .collect::<Vec<_>>()
            .join(", "),
        s.warmup.as_secs_f64(),
        s.runs,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut all_runs: Vec<Vec<Vec<(String, Figures)>>> = Vec::new();
    let mut all_ok = true;
    for run in 0..s.runs {
        let url = copy_for_run(&s).await;
        let mut servers = start_servers(&s, &url).await;
        let http = reqwest::Client::new();
        let mut reps = Vec::new();
        let mut user_ids = HashMap::new();
        for r in 0..REPS {
            let username = format!("bench{r}");
            let (id, token) = login(&http, &servers[0].base, &username).await;
            user_ids.insert(username.clone(), id);
            reps.push(Rep {
                id,
                username,
                team: r % 4,
                token,
            });
        }
        let (_, admin_token) = login(&http, &servers[0].base, ADMIN).await;
        let rules = setup(&servers[0].base, &reps, &admin_token).await;
        let db = Db::open(&url).await;
        let base_customer = db.one("SELECT COALESCE(MAX(id), 0) FROM customers").await;
        let base_decision = db
            .one("SELECT COALESCE(MAX(id), 0) FROM assignment_decisions")
            .await;
        let probes = Arc::new(Probes::new(s.n, s.clients));
        let mut run_rows = Vec::new();
        let mut tally = Tally::default();
        for phase in &s.phases {
            let r = run_phase(&s, *phase, &servers, &reps, &probes).await;
            run_rows.push(report(
                &r,
                &format!("run {} of {}: {title}", run + 1, s.runs),
            ));
            tally.merge(r.tally);
        }
        for srv in &mut servers {
            if let Ok(Some(status)) = srv.child.try_wait() {
                panic!(
                    "a server died during the run ({status}); see {}",
                    srv.log.display()
                );
            }
        }
        let checks = invariants(&db, base_customer, base_decision, &tally, &rules, &user_ids).await;
        println!(
            "\n#### Invariants after run {} ({} server(s) on one {backend} database)\n",
            run + 1,
            s.servers
        );
        println!("| invariant | holds | detail |");
        println!("|---|---|---|");
        for c in &checks {
            all_ok &= c.ok;
            println!(
                "| {} | {} | {} |",
                c.what,
                if c.ok { "yes" } else { "**NO**" },
                c.detail
            );
        }
        db.close().await;
        for srv in &mut servers {
            let _ = srv.child.kill().await;
        }
        all_runs.push(run_rows);
    }
    if s.runs > 1 {
        println!("\n### Medians of {} runs: {title}\n", s.runs);
        println!("| phase | operation | per s | p50 | p90 | p99 | max |");
        println!("|---|---|---:|---:|---:|---:|---:|");
        for (pi, phase) in s.phases.iter().enumerate() {
            let names: Vec<String> = all_runs[0][pi].iter().map(|(n, _)| n.clone()).collect();
            for name in names {
                let rows: Vec<Figures> = all_runs
                    .iter()
                    .filter_map(|r| r[pi].iter().find(|(n, _)| *n == name).map(|(_, f)| *f))
                    .collect();
                let med = |f: fn(&Figures) -> f64| median(rows.iter().map(f).collect());
                println!(
                    "| {} | {name} | {:.0} | {} | {} | {} | {} |",
                    phase.label(),
                    med(|f| f.0),
                    ms(med(|f| f.1 as f64) as u64),
                    ms(med(|f| f.2 as f64) as u64),
                    ms(med(|f| f.3 as f64) as u64),
                    ms(med(|f| f.4 as f64) as u64),
                );
            }
        }
    }
    assert!(all_ok, "an invariant does not hold (see the tables above)");
}
