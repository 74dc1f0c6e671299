//! Duplicate-check latency against a stored customer base, in process and over HTTP.
//!
//! `cargo bench -p leadguard-server --bench check` (SQLite, 100,000 customers). Environment:
//! `LEADGUARD_BENCH_CUSTOMERS` (default 100000) and `LEADGUARD_BENCH_DATABASE_URL` (default: a
//! SQLite file under target/bench-data, built once and reused; a postgres:// URL benchmarks
//! PostgreSQL and is filled if empty).

mod fixture;

use criterion::{Criterion, criterion_group, criterion_main};
use fixture::{SEED, fixture};
use leadguard_datagen::Generator;
use leadguard_domain::customer::CustomerFields;

fn bench(c: &mut Criterion) {
    let f = fixture();
    let g = Generator::new(SEED);
    // Probes cycle through many customers so that caches do not flatter the figures.
    let dups: Vec<CustomerFields> = (0..1000).map(|k| g.retype((k * 97) % f.n)).collect();
    let news: Vec<CustomerFields> = (0..1000).map(|k| g.fresh(f.n, k)).collect();

    let http = reqwest::Client::new();
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
                let req = http
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
