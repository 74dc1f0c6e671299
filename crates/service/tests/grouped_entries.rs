//! Entries made at the same moment. On SQLite those waiting for the writer are saved together,
//! in one transaction; on PostgreSQL each is its own transaction. Either way each entry's
//! outcome is the one it would have alone: a company entered by two reps at once is saved
//! once, for one of them, and the other is told whose it is; an owner cap holds however many
//! entries arrive together; look-alikes are reported.

mod common;

use common::rep;
use leadguard_domain::customer::CustomerFields;
use leadguard_domain::event::EventType;
use leadguard_domain::user::User;
use leadguard_service::views::Created;
use leadguard_service::{Service, ServiceError};
use leadguard_store::{Store, StoreOptions};
use leadguard_testkit::{Backend, TestDb};
use tokio::task::JoinSet;

fn company(name: &str, phone: &str) -> CustomerFields {
    CustomerFields {
        name: name.into(),
        phones: vec![phone.into()],
        ..CustomerFields::default()
    }
}

async fn setup(backend: Backend) -> (TestDb, Service) {
    let db = TestDb::create(backend).await;
    let store = Store::open(db.url(), &StoreOptions::default())
        .await
        .expect("open");
    (db, Service::with_defaults(store))
}

/// Enters all `entries` at once; their answers in the same order.
async fn enter_at_once(
    service: &Service,
    entries: Vec<(User, CustomerFields)>,
) -> Vec<Result<Created, ServiceError>> {
    let mut set = JoinSet::new();
    for (i, (actor, fields)) in entries.into_iter().enumerate() {
        let service = service.clone();
        set.spawn(async move { (i, service.create_customer(&actor, fields).await) });
    }
    let mut out: Vec<_> = set.join_all().await;
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// Companies 0..n (at most 40), each with a name and mobile of its own.
fn companies(n: usize) -> Vec<(String, String)> {
    const BRANDS: [&str; 40] = [
        "东方", "恒通", "华信", "新程", "金桥", "银河", "长风", "远景", "天成", "博雅", "瑞丰",
        "鼎盛", "宏达", "启明", "嘉禾", "泰和", "振华", "永安", "盛世", "青松", "白鹭", "翠湖",
        "紫荆", "海燕", "云帆", "星火", "麒麟", "凤凰", "雪莲", "松柏", "骏马", "飞鸿", "明月",
        "清泉", "朝阳", "晨曦", "彩虹", "琥珀", "翡翠", "玉兰",
    ];
    const TRADES: [&str; 4] = ["软件科技", "物流运输", "精密机械", "食品贸易"];
    (0..n)
        .map(|i| {
            let name = format!("{}{}有限公司", BRANDS[i], TRADES[i % TRADES.len()]);
            (name, format!("1390571{:04}", 1000 + i * 37))
        })
        .collect()
}

async fn the_first_of_two_reps_entering_a_company_at_once_wins(backend: Backend) {
    let (_db, service) = setup(backend).await;
    let zhang = rep(&service, "zhangsan", None).await;
    let li = rep(&service, "lisi", None).await;
    let list = companies(40);
    // Each company twice, by both reps, the phone typed differently the second time.
    let mut entries = Vec::new();
    for (i, (name, phone)) in list.iter().enumerate() {
        let (first, second) = if i % 2 == 0 {
            (&zhang, &li)
        } else {
            (&li, &zhang)
        };
        entries.push((first.clone(), company(name, phone)));
        let spaced = format!("{} {} {}", &phone[..3], &phone[3..7], &phone[7..]);
        entries.push((second.clone(), company(name, &spaced)));
    }
    let answers = enter_at_once(&service, entries).await;

    let mut blocked_for = std::collections::HashMap::new();
    for (i, pair) in answers.chunks(2).enumerate() {
        let (won, lost) = match (&pair[0], &pair[1]) {
            (Ok(c), Err(e)) | (Err(e), Ok(c)) => (c, e),
            other => panic!("company {i}: exactly one entry must be saved, got {other:?}"),
        };
        let ServiceError::Duplicate { matches } = lost else {
            panic!("company {i}: the other entry is a duplicate, got {lost:?}");
        };
        assert_eq!(matches[0].customer_id, won.customer.id, "company {i}");
        let owner = won.customer.owner.as_ref().expect("owned").username.clone();
        assert_eq!(
            matches[0].owner.as_ref().map(|o| o.username.clone()),
            Some(owner.clone()),
            "company {i}: the refusal names the owner"
        );
        *blocked_for.entry(owner).or_insert(0) += 1;
    }

    // Each company is stored once, and each owner was told of every refused entry.
    for (rep, other) in [(&zhang, &li), (&li, &zhang)] {
        let events = service.events_after(rep, 0, 500).await.expect("events");
        let blocked = events
            .iter()
            .filter(|e| {
                e.kind == EventType::DuplicateBlocked
                    && e.actor.as_deref() == Some(other.username.as_str())
            })
            .count();
        assert_eq!(
            blocked,
            blocked_for.get(&rep.username).copied().unwrap_or(0),
            "{}'s duplicate.blocked events",
            rep.username
        );
    }
    let again = enter_at_once(
        &service,
        list.iter()
            .map(|(name, phone)| (zhang.clone(), company(name, phone)))
            .collect(),
    )
    .await;
    assert!(
        again
            .iter()
            .all(|r| matches!(r, Err(ServiceError::Duplicate { .. }))),
        "every company is stored: {again:?}"
    );
}

async fn an_owner_cap_holds_for_entries_made_at_once(backend: Backend) {
    let (_db, service) = setup(backend).await;
    let capped = rep(&service, "wangwu", Some(3)).await;
    let free = rep(&service, "zhaoliu", None).await;
    let list = companies(10);
    let entries = list
        .iter()
        .enumerate()
        .map(|(i, (name, phone))| {
            let actor = if i % 2 == 0 { &capped } else { &free };
            (actor.clone(), company(name, phone))
        })
        .collect();
    let answers = enter_at_once(&service, entries).await;
    let mut capped_created = 0;
    for (i, a) in answers.iter().enumerate() {
        if i % 2 == 1 {
            assert!(a.is_ok(), "zhaoliu has no cap: {a:?}");
            continue;
        }
        match a {
            Ok(_) => capped_created += 1,
            Err(ServiceError::OwnerCapReached { username, cap, .. }) => {
                assert_eq!((username.as_str(), *cap), ("wangwu", 3));
            }
            Err(e) => panic!("entry {i}: {e:?}"),
        }
    }
    assert_eq!(capped_created, 3, "wangwu may own 3: {answers:?}");
}

async fn a_look_alike_entered_at_the_same_moment_is_reported(backend: Backend) {
    let (_db, service) = setup(backend).await;
    let zhang = rep(&service, "zhangsan", None).await;
    let li = rep(&service, "lisi", None).await;
    // Same name core in another city: possibly another company. Both are saved; whichever is
    // saved second names the first.
    let mut beijing = company("北京星河互联科技有限公司", "13801010001");
    beijing.address = Some("北京市海淀区中关村大街 27 号".into());
    let mut shanghai = company("上海星河互联科技有限公司", "13801010002");
    shanghai.address = Some("上海市浦东新区张江路 88 号".into());
    let answers = enter_at_once(&service, vec![(zhang, beijing), (li, shanghai)]).await;
    let saved: Vec<&Created> = answers
        .iter()
        .map(|a| a.as_ref().expect("both are saved"))
        .collect();
    let (first, second) = if saved[0].suspected.is_empty() {
        (saved[0], saved[1])
    } else {
        (saved[1], saved[0])
    };
    assert!(first.suspected.is_empty(), "{first:?}");
    assert_eq!(second.suspected.len(), 1, "{second:?}");
    assert_eq!(second.suspected[0].customer_id, first.customer.id);
    assert_eq!(
        second.suspected[0].owner.as_ref().map(|o| &o.username),
        first.customer.owner.as_ref().map(|o| &o.username)
    );
    assert_eq!(
        second.collision_cases.len(),
        1,
        "another rep's look-alike opens a case"
    );
}

#[tokio::test]
async fn sqlite_the_first_of_two_reps_entering_a_company_at_once_wins() {
    the_first_of_two_reps_entering_a_company_at_once_wins(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_the_first_of_two_reps_entering_a_company_at_once_wins() {
    the_first_of_two_reps_entering_a_company_at_once_wins(Backend::Postgres).await;
}

#[tokio::test]
async fn sqlite_an_owner_cap_holds_for_entries_made_at_once() {
    an_owner_cap_holds_for_entries_made_at_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_an_owner_cap_holds_for_entries_made_at_once() {
    an_owner_cap_holds_for_entries_made_at_once(Backend::Postgres).await;
}

#[tokio::test]
async fn sqlite_a_look_alike_entered_at_the_same_moment_is_reported() {
    a_look_alike_entered_at_the_same_moment_is_reported(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_a_look_alike_entered_at_the_same_moment_is_reported() {
    a_look_alike_entered_at_the_same_moment_is_reported(Backend::Postgres).await;
}
