//! The login throttle counts failed attempts in the database: two processes serving one
//! database (two services on two connections here) refuse the same username after five
//! failures in all, not five each.

mod common;

use std::sync::Arc;

use chrono::TimeZone;
use common::{PASSWORD, rep};
use leadguard_domain::clock::ManualClock;
use leadguard_matching::WeightedMatcher;
use leadguard_service::{Config, Service, ServiceError};
use leadguard_store::{Store, StoreOptions};
use leadguard_testkit::{Backend, TestDb};

async fn five_failures_through_two_processes_lock_the_username(backend: Backend) {
    let db = TestDb::create(backend).await;
    let clock = Arc::new(ManualClock::new(
        chrono::Utc
            .with_ymd_and_hms(2026, 3, 2, 1, 0, 0)
            .single()
            .expect("a time"),
    ));
    let mut services = Vec::new();
    for _ in 0..2 {
        let store = Store::open(db.url(), &StoreOptions::default())
            .await
            .expect("open");
        services.push(Service::new(
            store,
            Arc::new(WeightedMatcher::default()),
            clock.clone(),
            Config::default(),
        ));
    }
    let (a, b) = (&services[0], &services[1]);
    for name in ["zhangsan", "lisi"] {
        rep(a, name, None).await;
    }

    // Three wrong guesses through one process, two through the other.
    for (i, service) in [a, a, a, b, b].into_iter().enumerate() {
        let err = service
            .login("zhangsan", "guess-guess")
            .await
            .expect_err("a wrong password");
        assert!(
            matches!(err, ServiceError::InvalidCredentials),
            "guess {i}: {err:?}"
        );
    }
    for service in [a, b] {
        let err = service
            .login("ZhangSan", PASSWORD)
            .await
            .expect_err("locked out, even with the right password");
        let ServiceError::TooManyAttempts { retry_after_secs } = err else {
            panic!("expected too many attempts, got {err:?}");
        };
        assert_eq!(retry_after_secs, 15 * 60);
    }
    b.login("lisi", PASSWORD)
        .await
        .expect("another username is not affected");
    // A name no account can have (too long, or not a handle) is refused like a wrong
    // password.
    for name in ["x".repeat(10_000), "张三 OR 1=1".to_string()] {
        let err = a.login(&name, "guess").await.expect_err("no such account");
        assert!(matches!(err, ServiceError::InvalidCredentials), "{err:?}");
    }

    // Once the first failure is 15 minutes old, the right password works again. A login
    // clears the count: three failures, a login, three more do not lock.
    clock.advance(chrono::Duration::minutes(15));
    b.login("zhangsan", PASSWORD).await.expect("unlocked");
    for round in 0..2 {
        for _ in 0..3 {
            let _ = a.login("zhangsan", "guess-guess").await;
        }
        clock.advance(chrono::Duration::minutes(1));
        b.login("zhangsan", PASSWORD)
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e:?}"));
    }
}

#[tokio::test]
async fn sqlite_five_failures_through_two_processes_lock_the_username() {
    five_failures_through_two_processes_lock_the_username(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_five_failures_through_two_processes_lock_the_username() {
    five_failures_through_two_processes_lock_the_username(Backend::Postgres).await;
}
