//! Duplicate-check latency against a stored customer base, in process and over HTTP.
//!
//! `cargo bench -p leadguard-server --bench check` (SQLite, 100,000 customers). Environment:
//! `LEADGUARD_BENCH_CUSTOMERS` (default 100000) and `LEADGUARD_BENCH_DATABASE_URL` (default: a
//! SQLite file under target/bench-data, built once and reused; a postgres:// URL benchmarks
//! PostgreSQL and is filled if empty).

use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use leadguard_datagen::Generator;
use leadguard_domain::customer::CustomerFields;
use leadguard_domain::user::{Role, User};
use leadguard_service::{NewUserRequest, Service, ServiceError};
use leadguard_store::{DatabaseUrl, Store, StoreOptions};

const SEED: u64 = 20_261_123;
const REPS: usize = 20;

struct Fixture {
    rt: tokio::runtime::Runtime,
    service: Service,
    rep: User,
    token: String,
    base: String,
    http: reqwest::Client,
    n: usize,
}

fn customers() -> usize {
    std::env::var("LEADGUARD_BENCH_CUSTOMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn database_url(n: usize) -> DatabaseUrl {
    if let Ok(url) = std::env::var("LEADGUARD_BENCH_DATABASE_URL") {
        return url.parse().expect("LEADGUARD_BENCH_DATABASE_URL");
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    DatabaseUrl::Sqlite {
        path: dir.join(format!(
            "check-{n}-v{}.db",
            leadguard_matching::profile::PROFILE_VERSION
        )),
    }
}

async fn fill(service: &Service, n: usize) -> Vec<User> {
    let mut reps = Vec::new();
    for r in 0..REPS {
        let username = format!("bench{r}");
        let user = match service
            .create_user(
                None,
                NewUserRequest {
                    username: username.clone(),
                    password: "bench-password".into(),
                    role: Role::Rep,
                    display_name: None,
                    team: Some(format!("team{}", r % 4)),
                    owner_cap: Some(u32::MAX),
                },
                true,
            )
            .await
        {
            Ok(u) => u,
            Err(ServiceError::AlreadyExists { .. }) => {
                let mut conn = service.store().read().await.expect("conn");
                conn.exec()
                    .user_by_username(&username)
                    .await
                    .expect("user")
                    .expect("exists")
            }
            Err(e) => panic!("{e}"),
        };
        reps.push(user);
    }
    let have = {
        let mut conn = service.store().read().await.expect("conn");
        conn.exec().count_customers().await.expect("count") as usize
    };
    if have < n {
        eprintln!("filling the benchmark database: {have} -> {n} customers (once; it is kept)");
        let g = Generator::new(SEED);
        let start = Instant::now();
        let mut skipped = 0;
        for i in have..n {
            match service.create_customer(&reps[i % REPS], g.company(i)).await {
                Ok(_) => {}
                Err(ServiceError::Duplicate { .. }) => skipped += 1,
                Err(e) => panic!("customer {i}: {e}"),
            }
            if i % 10_000 == 0 && i > have {
                eprintln!(
                    "  {i} ({:.0}/s)",
                    (i - have) as f64 / start.elapsed().as_secs_f64()
                );
            }
        }
        eprintln!(
            "filled in {:.1?} ({skipped} generated records were duplicates and skipped)",
            start.elapsed()
        );
    }
    reps
}

fn fixture() -> Fixture {
    let n = customers();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (service, rep, token, base) = rt.block_on(async {
        let url = database_url(n);
        let store = Store::open(&url, &StoreOptions::default())
            .await
            .expect("open");
        let service = Service::new(
            store,
            Arc::new(leadguard_matching::WeightedMatcher::default()),
            Arc::new(leadguard_domain::clock::SystemClock),
            leadguard_service::Config::default(),
        );
        let reps = fill(&service, n).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(leadguard_server::serve(
            listener,
            service.clone(),
            std::future::pending(),
        ));
        let token = service
            .login("bench1", "bench-password")
            .await
            .expect("login")
            .token;
        (service, reps[1].clone(), token, format!("http://{addr}"))
    });
    Fixture {
        rt,
        service,
        rep,
        token,
        base,
        http: reqwest::Client::new(),
        n,
    }
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let g = Generator::new(SEED);
    // Probes cycle through many customers so that caches do not flatter the figures.
    let dups: Vec<CustomerFields> = (0..1000).map(|k| g.retype((k * 97) % f.n)).collect();
    let news: Vec<CustomerFields> = (0..1000).map(|k| g.fresh(f.n, k)).collect();

    let mut group = c.benchmark_group(format!("check_{}k", f.n / 1000));
    for (label, probes) in [("duplicate", &dups), ("new", &news)] {
        let mut k = 0;
        group.bench_function(format!("in_process/{label}"), |b| {
            b.to_async(&f.rt).iter(|| {
                k = (k + 1) % probes.len();
                let fields = probes[k].clone();
                let (service, rep) = (&f.service, &f.rep);
                async move { service.check_customer(rep, fields).await.expect("check") }
            })
        });
        let mut k = 0;
        group.bench_function(format!("http/{label}"), |b| {
            b.to_async(&f.rt).iter(|| {
                k = (k + 1) % probes.len();
                let req = f
                    .http
                    .post(format!("{}/api/v1/customers/check", f.base))
                    .bearer_auth(&f.token)
                    .json(&probes[k]);
                async move {
                    let resp = req.send().await.expect("send");
                    assert!(resp.status().is_success() || resp.status().as_u16() == 409);
                    resp.bytes().await.expect("body")
                }
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(200).measurement_time(std::time::Duration::from_secs(8));
    targets = bench
}
criterion_main!(benches);
