//! Latency distribution (p50/p90/p99/max) of the duplicate check against a stored customer
//! base: in process (`Service::check_customer`) and over HTTP, one request at a time.
//!
//! `LEADGUARD_BENCH_CUSTOMERS=1000000 cargo bench -p leadguard-server --bench check_latency`
//! (the database is loaded once and kept under target/bench-data).

mod fixture;

use std::time::{Duration, Instant};

use fixture::{SEED, fixture};
use leadguard_datagen::Generator;
use leadguard_domain::customer::CustomerFields;
use leadguard_matching::Profile;

const PROBES: usize = 5_000;

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!(
        "{label:<28} n={:<6} p50 {:>8.1?}  p90 {:>8.1?}  p99 {:>8.1?}  max {:>8.1?}",
        samples.len(),
        at(0.50),
        at(0.90),
        at(0.99),
        samples[samples.len() - 1]
    );
}

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    let f = fixture();
    let g = Generator::new(SEED);
    let dups: Vec<CustomerFields> = (0..PROBES).map(|k| g.retype((k * 7919) % f.n)).collect();
    let news: Vec<CustomerFields> = (0..PROBES).map(|k| g.fresh(f.n, k)).collect();
    // What a rep types first: a stored company's brand alone, or its name cut short (the live
    // prompt while typing).
    let partials: Vec<CustomerFields> = (0..PROBES)
        .map(|k| {
            let stored = g.company((k * 7919) % f.n);
            let profile = Profile::build(&stored).expect("generated records are valid");
            let name = if k % 2 == 0 {
                profile.name.core
            } else {
                let chars: Vec<char> = stored.name.chars().collect();
                chars[..chars.len().saturating_sub(3).max(2)]
                    .iter()
                    .collect()
            };
            CustomerFields {
                name,
                ..Default::default()
            }
        })
        .collect();
    let http = reqwest::Client::new();
    println!("duplicate check against {} stored customers", f.n);
    for (label, probes) in [
        ("duplicate", &dups),
        ("new", &news),
        ("partial name", &partials),
    ] {
        let samples = f.rt.block_on(async {
            // Warm the caches once.
            for p in probes.iter().take(200) {
                f.service
                    .check_customer(&f.rep, p.clone())
                    .await
                    .expect("check");
            }
            let mut out = Vec::with_capacity(probes.len());
            for p in probes {
                let started = Instant::now();
                f.service
                    .check_customer(&f.rep, p.clone())
                    .await
                    .expect("check");
                out.push(started.elapsed());
            }
            out
        });
        report(&format!("in process, {label}"), samples);
        let samples = f.rt.block_on(async {
            let mut out = Vec::with_capacity(probes.len());
            for p in probes {
                let started = Instant::now();
                let resp = http
                    .post(format!("{}/api/v1/customers/check", f.base))
                    .bearer_auth(&f.token)
                    .json(p)
                    .send()
                    .await
                    .expect("send");
                assert!(resp.status().is_success() || resp.status().as_u16() == 409);
                resp.bytes().await.expect("body");
                out.push(started.elapsed());
            }
            out
        });
        report(&format!("HTTP, {label}"), samples);
    }
}
