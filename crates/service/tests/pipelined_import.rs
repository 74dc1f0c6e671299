//! An import checks each batch on a snapshot while the batch before it is saved. What it found
//! ahead is used only when nothing but that batch was committed since: a customer another rep
//! entered meanwhile is still seen, and rows of the batch the snapshot missed are matched in
//! memory. On PostgreSQL batches are always checked inside their transaction.

mod common;

use common::rep;
use leadguard_domain::customer::CustomerFields;
use leadguard_domain::user::User;
use leadguard_service::{BatchPipeline, BatchRows, PipelineBase, RowResult, Service, ServiceError};
use leadguard_store::{Store, StoreOptions};
use leadguard_testkit::{Backend, TestDb};

fn company(name: &str, phone: &str) -> CustomerFields {
    CustomerFields {
        name: name.into(),
        phones: vec![phone.into()],
        ..CustomerFields::default()
    }
}

async fn setup(backend: Backend) -> (TestDb, Service, User, User) {
    let db = TestDb::create(backend).await;
    let store = Store::open(db.url(), &StoreOptions::default())
        .await
        .expect("open");
    let service = Service::with_defaults(store);
    let importer = rep(&service, "importer", None).await;
    let lisi = rep(&service, "lisi", None).await;
    (db, service, importer, lisi)
}

fn duplicate_of(r: &RowResult) -> Option<i64> {
    match r {
        RowResult::Duplicate { matches, .. } => matches.first().map(|m| m.customer_id),
        _ => None,
    }
}

fn created(r: &RowResult) -> i64 {
    match r {
        RowResult::Created { id, .. } => *id,
        other => panic!("expected a created row, got {other:?}"),
    }
}

/// `rows` checked ahead (SQLite), to be saved after the batch being saved now.
async fn ahead(
    service: &Service,
    pipeline: &BatchPipeline,
    rows: Vec<CustomerFields>,
) -> BatchRows {
    ahead_from(service, pipeline.base(), rows).await
}

/// `rows` checked ahead from `base` (SQLite), whatever was committed since.
async fn ahead_from(
    service: &Service,
    base: Option<PipelineBase>,
    rows: Vec<CustomerFields>,
) -> BatchRows {
    match base {
        Some(base) => BatchRows::Ahead(Box::new(
            service
                .check_batch_ahead(rows, base)
                .await
                .expect("checked ahead"),
        )),
        None => BatchRows::Fields(rows),
    }
}

async fn save(
    service: &Service,
    owner: &User,
    rows: BatchRows,
    pipeline: &mut BatchPipeline,
) -> Vec<RowResult> {
    service
        .create_customers_pipelined(owner, rows, pipeline)
        .await
        .expect("batch saved")
}

async fn checked_ahead_rows_see_the_batch_saved_meanwhile_and_other_reps_entries(backend: Backend) {
    let (_db, service, importer, lisi) = setup(backend).await;
    let mut pipeline = BatchPipeline::default();
    let one = vec![company("杭州云栖数据科技有限公司", "13805710001")];
    created(&save(&service, &importer, BatchRows::Fields(one), &mut pipeline).await[0]);
    assert_eq!(pipeline.base().is_some(), backend == Backend::Sqlite);

    // Batch 3 is checked ahead while batch 2 is saved: its snapshot cannot show batch 2.
    let three = ahead(
        &service,
        &pipeline,
        vec![
            company("南京紫金山软件有限公司", "13912345678"),
            company("成都天府软件园开发有限公司", "13628001234"),
        ],
    )
    .await;
    let two = vec![company("南京紫金山软件有限公司", "139 1234 5678")];
    let nanjing =
        created(&save(&service, &importer, BatchRows::Fields(two), &mut pipeline).await[0]);
    let three = save(&service, &importer, three, &mut pipeline).await;
    assert_eq!(duplicate_of(&three[0]), Some(nanjing), "{three:?}");
    let chengdu = created(&three[1]);

    // Batch 5 is checked ahead; then, before it is saved, lisi enters one of its customers.
    let five = ahead(
        &service,
        &pipeline,
        vec![company("广州白云物流运输有限公司", "13711112222")],
    )
    .await;
    let four = vec![company("成都天府软件园开发有限公司", "13628001234")];
    let four = save(&service, &importer, BatchRows::Fields(four), &mut pipeline).await;
    assert_eq!(duplicate_of(&four[0]), Some(chengdu));
    let lisis = service
        .create_customer(&lisi, company("广州白云物流运输有限公司", "13711112222"))
        .await
        .expect("lisi enters a customer")
        .customer
        .id;
    let five = save(&service, &importer, five, &mut pipeline).await;
    assert_eq!(duplicate_of(&five[0]), Some(lisis), "{five:?}");
    let RowResult::Duplicate { matches, .. } = &five[0] else {
        unreachable!()
    };
    assert_eq!(
        matches[0].owner.as_ref().map(|o| o.username.as_str()),
        Some("lisi")
    );

    // Nothing was entered twice: the importer's customers are the three created above.
    let err = service
        .create_customer(&lisi, company("南京紫金山软件有限公司", "13912345678"))
        .await
        .expect_err("a duplicate");
    assert!(matches!(err, ServiceError::Duplicate { .. }), "{err:?}");
}

#[tokio::test]
async fn sqlite_checked_ahead_rows_see_the_batch_saved_meanwhile_and_other_reps_entries() {
    checked_ahead_rows_see_the_batch_saved_meanwhile_and_other_reps_entries(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_checked_ahead_rows_see_the_batch_saved_meanwhile_and_other_reps_entries() {
    checked_ahead_rows_see_the_batch_saved_meanwhile_and_other_reps_entries(Backend::Postgres)
        .await;
}

/// The look-ahead of batch 3 may start only once batch 2 has committed (a slow machine, a
/// short batch): its snapshot then shows batch 2's rows too. They are still compared (from
/// memory), so a row that repeats one of them by name alone is its duplicate, exactly as when
/// the snapshot missed them or the batch was checked in its transaction.
async fn a_snapshot_that_shows_the_batch_before_still_matches_its_rows(backend: Backend) {
    let (_db, service, importer, _) = setup(backend).await;
    let mut pipeline = BatchPipeline::default();
    let one = vec![company("杭州云栖数据科技有限公司", "13805710001")];
    created(&save(&service, &importer, BatchRows::Fields(one), &mut pipeline).await[0]);
    let base = pipeline.base();
    let two = vec![company("南京紫金山软件有限公司", "13912345678")];
    let nanjing =
        created(&save(&service, &importer, BatchRows::Fields(two), &mut pipeline).await[0]);
    let three = vec![CustomerFields {
        name: "南京紫金山软件有限公司".into(),
        ..CustomerFields::default()
    }];
    // Checked ahead from before batch 2, on a snapshot taken after it committed.
    let three = ahead_from(&service, base, three).await;
    let three = save(&service, &importer, three, &mut pipeline).await;
    assert_eq!(duplicate_of(&three[0]), Some(nanjing), "{three:?}");
}

#[tokio::test]
async fn sqlite_a_snapshot_that_shows_the_batch_before_still_matches_its_rows() {
    a_snapshot_that_shows_the_batch_before_still_matches_its_rows(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_a_snapshot_that_shows_the_batch_before_still_matches_its_rows() {
    a_snapshot_that_shows_the_batch_before_still_matches_its_rows(Backend::Postgres).await;
}
