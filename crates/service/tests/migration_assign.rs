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

async fn assigned_through_the_rules(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = Store::open(db.url(), &StoreOptions::default())
        .await
        .expect("open");
    let service = Service::with_defaults(store);
    let admin = admin(&service).await;
    rep(&service, "chenjing", None).await;
    rep(&service, "liuyang", None).await;
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
