//! A migration whose rows name no owner can send each new customer through the assignment
//! rules, as an inbound lead would be (`leadguard import --assign`): each rule's reps in turn,
//! the pool when no rule applies, every decision recorded.

mod common;

use common::rep;
use leadguard_domain::assignment::{Conditions, Strategy};
use leadguard_domain::user::{Role, User};
use leadguard_service::import::{ImportFile, Importer, RowStatus};
use leadguard_service::migration::{DefaultOwner, ImportOptions};
use leadguard_service::{AuditQuery, NewUserRequest, RuleInput, Service};
use leadguard_store::{Store, StoreOptions};
use leadguard_tabular::Table;
use leadguard_testkit::{Backend, TestDb};

async fn admin(service: &Service) -> User {
    service
        .create_user(
            None,
            NewUserRequest {
                username: "admin".into(),
                password: common::PASSWORD.into(),
                role: Role::Admin,
                display_name: None,
                team: None,
                owner_cap: None,
            },
            false,
        )
        .await
        .expect("admin")
}

/// A fresh database with an admin and two reps, chenjing and liuyang.
async fn two_reps(backend: Backend) -> (TestDb, Service, User) {
    let db = TestDb::create(backend).await;
    let store = Store::open(db.url(), &StoreOptions::default())
        .await
        .expect("open");
    let service = Service::with_defaults(store);
    let admin = admin(&service).await;
    rep(&service, "chenjing", None).await;
    rep(&service, "liuyang", None).await;
    (db, service, admin)
}

async fn assigned_through_the_rules(backend: Backend) {
    let (_db, service, admin) = two_reps(backend).await;
    service
        .create_rule(
            &admin,
            RuleInput {
                name: "广东线索".into(),
                position: None,
                when: Conditions {
                    province: Some(vec!["广东".into()]),
                    ..Conditions::default()
                },
                team: None,
                reps: Some(vec!["chenjing".into(), "liuyang".into()]),
                weights: Default::default(),
                strategy: Strategy::RoundRobin,
            },
        )
        .await
        .expect("rule");

    let rows: Vec<Vec<String>> = [
        (
            "深圳市腾讯计算机系统有限公司",
            "广东省深圳市南山区科技中一路腾讯大厦",
        ),
        ("华为技术有限公司", "广东省深圳市龙岗区坂田华为基地"),
        (
            "广州视源电子科技股份有限公司",
            "广东省广州市黄埔区云埔四路6号",
        ),
        ("珠海格力电器股份有限公司", "广东省珠海市香洲区前山金鸡西路"),
        ("北京字节跳动科技有限公司", "北京市海淀区北三环西路甲18号"),
    ]
    .iter()
    .map(|(n, a)| vec![n.to_string(), a.to_string()])
    .collect();
    let table = Table {
        headers: vec!["客户名称".into(), "地址".into()],
        rows,
        encoding: "UTF-8",
    };
    let file = ImportFile::new(table, &[]).expect("file");
    let options = ImportOptions {
        actor: admin.clone(),
        default: DefaultOwner::Assign,
        ignore_cap: false,
        migration: true,
    };
    let mut importer = Importer::migrate(&service, options, &file, false)
        .await
        .expect("importer");
    let outcomes = importer.batch(0, 5).await.expect("batch");
    assert!(
        outcomes.iter().all(|o| o.status == RowStatus::Created),
        "{outcomes:#?}"
    );
    let owners: Vec<&str> = outcomes.iter().map(|o| o.owner.as_str()).collect();
    assert_eq!(
        owners,
        ["chenjing", "liuyang", "chenjing", "liuyang", ""],
        "each rep in turn; no rule for Beijing: the pool"
    );
    // Each customer's first audit entry names the rule that placed it.
    for (o, rule) in outcomes.iter().zip([
        "assignment_rule",
        "assignment_rule",
        "assignment_rule",
        "assignment_rule",
        "pool_intake",
    ]) {
        let log = service
            .audit_log(
                &admin,
                AuditQuery {
                    customer_id: o.customer_id,
                    ..AuditQuery::default()
                },
            )
            .await
            .expect("audit");
        assert_eq!(log.items[0].rule, rule, "{o:?}: {:?}", log.items);
    }
}

#[tokio::test]
async fn sqlite_assigned_through_the_rules() {
    assigned_through_the_rules(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_assigned_through_the_rules() {
    assigned_through_the_rules(Backend::Postgres).await;
}

/// A migration that gives three customers to two reps writes its cases and their events in
/// bulk: one `collision.opened` per case and one `duplicate.blocked` per row refused, each
/// event delivered to the webhooks that want its type, none to the others.
async fn migration_events_reach_webhooks(backend: Backend) {
    let (_db, service, admin) = two_reps(backend).await;
    let hook = |name: &str, events: &[&str]| -> leadguard_service::WebhookInput {
        serde_json::from_value(serde_json::json!({
            "name": name, "url": "http://127.0.0.1:9/hook", "events": events,
        }))
        .expect("webhook input")
    };
    let cases_hook = service
        .create_webhook(&admin, hook("cases", &["collision.opened"]))
        .await
        .expect("webhook");
    let merges_hook = service
        .create_webhook(&admin, hook("merges", &["customer.merged"]))
        .await
        .expect("webhook");

    let companies = [
        ("深圳市腾讯计算机系统有限公司", "0755-86013388"),
        ("华为技术有限公司", "0755-28780808"),
        ("珠海格力电器股份有限公司", "0756-8669999"),
    ];
    let mut rows = Vec::new();
    for (name, phone) in companies {
        rows.push(vec![
            name.into(),
            phone.into(),
            "chenjing".into(),
            "2019-03-01 09:00".into(),
        ]);
        rows.push(vec![
            name.into(),
            phone.into(),
            "liuyang".into(),
            "2021-06-15 14:30".into(),
        ]);
    }
    let table = Table {
        headers: vec![
            "客户名称".into(),
            "电话".into(),
            "负责人".into(),
            "创建时间".into(),
        ],
        rows,
        encoding: "UTF-8",
    };
    let file = ImportFile::new(table, &[]).expect("file");
    let options = ImportOptions {
        actor: admin.clone(),
        default: DefaultOwner::Rep(admin.clone()),
        ignore_cap: false,
        migration: true,
    };
    let mut importer = Importer::migrate(&service, options, &file, false)
        .await
        .expect("importer");
    let outcomes = importer.batch(0, 6).await.expect("batch");
    // Rows are entered earliest first: chenjing's (the odd rows) are saved, liuyang's are
    // duplicates of them.
    assert_eq!(outcomes.len(), 6);
    for o in &outcomes {
        let expected = if o.row % 2 == 1 {
            RowStatus::Created
        } else {
            RowStatus::Duplicate
        };
        assert_eq!(o.status, expected, "{o:?}");
        assert_eq!(o.owner, "chenjing", "{o:?}");
    }

    let events = service.events_after(&admin, 0, 1000).await.expect("events");
    let of = |kind: &str| -> Vec<i64> {
        events
            .iter()
            .filter(|e| e.kind.as_str() == kind)
            .map(|e| e.id)
            .collect()
    };
    let opened = of("collision.opened");
    assert_eq!(opened.len(), 3, "{events:#?}");
    assert_eq!(of("duplicate.blocked").len(), 3, "{events:#?}");
    for o in outcomes.iter().filter(|o| o.status == RowStatus::Duplicate) {
        assert!(o.message.contains("collision case #"), "{o:?}");
    }
    let delivered: Vec<i64> = service
        .webhook_deliveries(&admin, cases_hook.id)
        .await
        .expect("deliveries")
        .iter()
        .map(|d| d.event_id)
        .collect();
    let mut delivered = delivered;
    delivered.sort_unstable();
    assert_eq!(delivered, opened);
    let none = service
        .webhook_deliveries(&admin, merges_hook.id)
        .await
        .expect("deliveries");
    assert!(none.is_empty(), "{none:#?}");
}

#[tokio::test]
async fn sqlite_migration_events_reach_webhooks() {
    migration_events_reach_webhooks(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_migration_events_reach_webhooks() {
    migration_events_reach_webhooks(Backend::Postgres).await;
}
