//! A row of a file found to duplicate a customer leaves what it brings on that customer: its
//! other phones, e-mails and contacts. A rerun of the file, or the next entry of that company,
//! meets all of it, and creates nothing. A value another customer holds stays there.

mod common;

use common::rep;
use leadguard_domain::AuditAction;
use leadguard_domain::customer::{Contact, CustomerFields};
use leadguard_domain::user::User;
use leadguard_service::{AuditQuery, BatchPipeline, BatchRows, RowResult, Service};
use leadguard_store::{Store, StoreOptions};
use leadguard_testkit::{Backend, TestDb};

fn company(name: &str, phones: &[&str], emails: &[&str]) -> CustomerFields {
    CustomerFields {
        name: name.into(),
        phones: phones.iter().map(|s| s.to_string()).collect(),
        emails: emails.iter().map(|s| s.to_string()).collect(),
        ..CustomerFields::default()
    }
}

/// Rows of a legacy file, as reps typed them over the years: the same company under a short
/// name with another phone, with an e-mail only, with a contact.
fn legacy_file() -> Vec<CustomerFields> {
    let mut contact_row = company("星河互联", &["010-6258 8888"], &["li.gong@xinghe-hl.cn"]);
    contact_row.contacts.push(Contact {
        name: "李工".into(),
        phones: vec!["138 0013 8000".into()],
        ..Contact::default()
    });
    vec![
        // 0: the first entry.
        company("北京星河互联科技有限公司", &["(010)62588888"], &[]),
        // 1: another company, whose phone a later row also carries.
        company("深圳市腾讯计算机系统有限公司", &["0755-86013388"], &[]),
        // 2: duplicate of 0 by its phone; brings an e-mail and a contact with a mobile.
        contact_row,
        // 3: duplicate of 0 only through what row 2 brought (its e-mail).
        company("北京星河互联", &[], &["LI.GONG@xinghe-hl.cn"]),
        // 4: duplicate of 0 only through row 2's contact's mobile; also carries the other
        // company's phone, which must stay there.
        company("星河互联科技", &["13800138000", "0755 8601 3388"], &[]),
    ]
}

async fn setup(backend: Backend) -> (TestDb, Service, User, User) {
    let db = TestDb::create(backend).await;
    let store = Store::open(db.url(), &StoreOptions::default())
        .await
        .expect("open");
    let service = Service::with_defaults(store);
    let importer = rep(&service, "importer", None).await;
    let admin = service
        .create_user(
            None,
            leadguard_service::NewUserRequest {
                username: "admin".into(),
                password: common::PASSWORD.into(),
                role: leadguard_domain::Role::Admin,
                display_name: None,
                team: None,
                owner_cap: None,
            },
            false,
        )
        .await
        .expect("admin");
    (db, service, importer, admin)
}

/// Imports `rows` in batches of `batch` rows as `leadguard import` does: on SQLite each batch
/// is checked ahead, on a snapshot, while the one before it is saved.
async fn import(
    service: &Service,
    owner: &User,
    rows: &[CustomerFields],
    batch: usize,
) -> Vec<RowResult> {
    let chunks: Vec<Vec<CustomerFields>> = rows.chunks(batch).map(<[_]>::to_vec).collect();
    let mut pipeline = BatchPipeline::default();
    let mut next: Option<BatchRows> = None;
    let mut out = Vec::new();
    for (k, chunk) in chunks.iter().enumerate() {
        let this = next
            .take()
            .unwrap_or_else(|| BatchRows::Fields(chunk.clone()));
        if let (Some(base), Some(after)) = (pipeline.base(), chunks.get(k + 1)) {
            let ahead = service
                .check_batch_ahead(after.clone(), base)
                .await
                .expect("checked ahead");
            next = Some(BatchRows::Ahead(Box::new(ahead)));
        }
        out.extend(
            service
                .create_customers_pipelined(owner, this, &mut pipeline)
                .await
                .expect("batch saved"),
        );
    }
    out
}

fn summary(results: &[RowResult]) -> (usize, usize) {
    let created = results
        .iter()
        .filter(|r| matches!(r, RowResult::Created { .. }))
        .count();
    let duplicate = results
        .iter()
        .filter(|r| matches!(r, RowResult::Duplicate { .. }))
        .count();
    (created, duplicate)
}

fn duplicate_of(r: &RowResult) -> Option<i64> {
    match r {
        RowResult::Duplicate { matches, .. } => matches.first().map(|m| m.customer_id),
        _ => None,
    }
}

async fn a_duplicate_rows_evidence_is_kept(backend: Backend, batch: usize) {
    let (_db, service, importer, admin) = setup(backend).await;
    let rows = legacy_file();
    let first = import(&service, &importer, &rows, batch).await;
    assert_eq!(summary(&first), (2, 3), "batch {batch}: {first:#?}");
    let RowResult::Created { id: xinghe, .. } = first[0] else {
        panic!("row 0 created: {:?}", first[0]);
    };
    let RowResult::Created { id: tencent, .. } = first[1] else {
        panic!("row 1 created: {:?}", first[1]);
    };
    for r in &first[2..] {
        assert_eq!(duplicate_of(r), Some(xinghe), "batch {batch}: {r:#?}");
    }
    match &first[2] {
        RowResult::Duplicate { added, .. } => {
            let added = added.as_deref().expect("row 2 brought evidence");
            assert!(added.contains("li.gong@xinghe-hl.cn"), "{added}");
            assert!(added.contains("李工"), "{added}");
        }
        other => panic!("{other:?}"),
    }

    // The customer holds everything its duplicates brought, the other company's phone excepted.
    let c = service.get_customer(&importer, xinghe).await.expect("view");
    assert_eq!(c.phones, vec!["(010)62588888"], "{c:#?}");
    assert_eq!(c.emails, vec!["li.gong@xinghe-hl.cn"]);
    assert_eq!(c.contacts.len(), 1);
    assert_eq!(c.contacts[0].phones, vec!["138 0013 8000"]);
    let t = service
        .get_customer(&importer, tencent)
        .await
        .expect("view");
    assert_eq!(t.phones, vec!["0755-86013388"]);

    // Audited, on the customer's history, with what came in.
    let log = service
        .audit_log(
            &admin,
            AuditQuery {
                customer_id: Some(xinghe),
                ..AuditQuery::default()
            },
        )
        .await
        .expect("audit");
    let gained: Vec<_> = log
        .items
        .iter()
        .filter(|e| e.action == AuditAction::EvidenceAdded)
        .collect();
    assert_eq!(gained.len(), 1, "{:#?}", log.items);
    assert_eq!(gained[0].before_owner.as_deref(), Some("importer"));
    assert_eq!(gained[0].after_owner.as_deref(), Some("importer"));

    // A rerun creates nothing and adds nothing: every row is a duplicate.
    let again = import(&service, &importer, &rows, batch).await;
    assert_eq!(summary(&again), (0, 5), "rerun, batch {batch}: {again:#?}");
    assert_eq!(duplicate_of(&again[1]), Some(tencent));
    for r in &again {
        if let RowResult::Duplicate { added, .. } = r {
            assert_eq!(added, &None, "{r:#?}");
        }
    }
    // The rows alone, each in a file of its own, still meet the customer.
    for (i, row) in rows.iter().enumerate().skip(2) {
        let one = import(&service, &importer, std::slice::from_ref(row), 1).await;
        assert_eq!(
            duplicate_of(&one[0]),
            Some(xinghe),
            "row {i} alone: {one:#?}"
        );
    }
}

#[tokio::test]
async fn sqlite_a_duplicate_rows_evidence_is_kept_within_a_batch() {
    a_duplicate_rows_evidence_is_kept(Backend::Sqlite, 100).await;
}

#[tokio::test]
async fn sqlite_a_duplicate_rows_evidence_is_kept_across_batches() {
    a_duplicate_rows_evidence_is_kept(Backend::Sqlite, 1).await;
    a_duplicate_rows_evidence_is_kept(Backend::Sqlite, 2).await;
}

#[tokio::test]
async fn postgres_a_duplicate_rows_evidence_is_kept() {
    a_duplicate_rows_evidence_is_kept(Backend::Postgres, 100).await;
    a_duplicate_rows_evidence_is_kept(Backend::Postgres, 2).await;
}
