//! `leadguard import` as a team moving from another CRM runs it: the export names each
//! customer's owner (负责人, by display name or username) and when it was entered there
//! (创建时间). Every customer belongs to the owner of its earliest row, its owned-since is that
//! row's time, each other owner gets a collision case, unknown owners cost no row, and caps
//! hold unless the admin says otherwise.

mod common;

both_backends!(a_crm_export_keeps_owners_and_first_come, to_pool_and_caps,);

use std::collections::HashMap;
use std::path::Path;

use common::{add_user, last_line, open_store, result_rows, rows, run, run_ok, scalar};
use leadguard_testkit::{Backend, TestDb};

/// The customers as `leadguard export` writes them, by name: column → value.
fn exported(dir: &Path, url: &str) -> HashMap<String, HashMap<String, String>> {
    run_ok(dir, &["export", "--out", "all.csv", "--database-url", url]);
    let mut r = csv::Reader::from_path(dir.join("all.csv")).expect("export");
    let headers: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let row: HashMap<String, String> = headers
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect();
            (row["name"].clone(), row)
        })
        .collect()
}

/// A 悟空CRM-style customer export: real companies, owners by display name or username, and
/// entry times written the ways such exports write them.
const EXPORT: &str = "\
*客户名称,电话,负责人,所属部门,创建时间,备注
北京百度网讯科技有限公司,010-59928888,王芳,华东销售部,2021-03-01 09:30:00,展会
百度网讯,010 5992 8888,李伟,华南销售部,2019-06-15,老客户
华为技术有限公司,0755-28780808,liwei,,2020/1/8 14:05,
小米科技有限责任公司,010-60606666,张三,华北销售部,2018-05-01,
深圳市腾讯计算机系统有限公司,0755-86013388,王芳,,44197,
阿里巴巴（中国）有限公司,0571-85022088,,,2015年9月9日,
网易（杭州）网络有限公司,0571-89852163,WANGFANG,,去年,
";

async fn a_crm_export_keeps_owners_and_first_come(backend: Backend) {
    let db = TestDb::create(backend).await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let url = db.url().to_string();
    add_user(dir, &url, "admin", "admin", &[]);
    add_user(
        dir,
        &url,
        "wangfang",
        "rep",
        &["--display-name", "王芳", "--team", "华东销售部"],
    );
    add_user(
        dir,
        &url,
        "liwei",
        "rep",
        &["--display-name", "李伟", "--team", "华南销售部"],
    );
    std::fs::write(dir.join("export.csv"), EXPORT).unwrap();
    let import = |result: &str| {
        run(
            dir,
            &[
                "import",
                "export.csv",
                "--result",
                result,
                "--database-url",
                &url,
            ],
        )
    };
    let out = import("first.csv");
    assert_eq!(
        last_line(&out),
        "created 6, duplicate 1, suspected 0, error 0"
    );
    let results = result_rows(&dir.join("first.csv"));
    let by_row: HashMap<&str, &Vec<String>> = results.iter().map(|r| (r[0].as_str(), r)).collect();
    assert_eq!(by_row.len(), 7, "every row has its result: {results:?}");

    // 百度: 李伟's row is the earlier entry; 王芳's row is its duplicate and opens a case.
    let baidu = by_row["2"];
    assert_eq!(baidu[1], "created", "{baidu:?}");
    assert_eq!(baidu[4], "liwei");
    let dup = by_row["1"];
    assert_eq!(dup[1], "duplicate", "{dup:?}");
    assert_eq!(dup[3], baidu[2], "{dup:?}");
    assert!(dup[5].contains("collision case"), "{dup:?}");
    // Owners by username in any case, or by display name.
    assert_eq!(by_row["3"][4], "liwei");
    assert_eq!(by_row["5"][4], "wangfang");
    assert_eq!(by_row["7"][4], "wangfang");
    // An owner nobody here is: the row goes to the pool (the file names owners, no
    // --owner), and says so.
    let xiaomi = by_row["4"];
    assert_eq!(xiaomi[1], "created");
    assert_eq!(xiaomi[4], "", "{xiaomi:?}");
    assert!(
        xiaomi[6].contains("负责人") && xiaomi[6].contains("张三"),
        "{xiaomi:?}"
    );
    // A date that is none: entered now, kept in the note.
    assert!(by_row["7"][6].contains("创建时间"), "{:?}", by_row["7"]);

    let customers = exported(dir, &url);
    let c = &customers["百度网讯"];
    assert_eq!(c["owner"], "liwei");
    assert_eq!(c["owned_since"], "2019-06-14T16:00:00+00:00", "China time");
    assert_eq!(c["created_at"], "2019-06-14T16:00:00+00:00");
    let huawei = &customers["华为技术有限公司"];
    assert_eq!(huawei["owned_since"], "2020-01-08T06:05:00+00:00");
    // An Excel date serial (44197 is 2021-01-01).
    assert_eq!(
        customers["深圳市腾讯计算机系统有限公司"]["created_at"],
        "2020-12-31T16:00:00+00:00"
    );
    let xiaomi = &customers["小米科技有限责任公司"];
    assert_eq!(xiaomi["owner"], "");
    assert!(xiaomi["note"].contains("原负责人：张三"), "{xiaomi:?}");
    assert!(xiaomi["note"].contains("原部门：华北销售部"), "{xiaomi:?}");
    assert_eq!(
        customers["阿里巴巴（中国）有限公司"]["created_at"],
        "2015-09-08T16:00:00+00:00"
    );
    assert!(customers["网易（杭州）网络有限公司"]["note"].contains("原创建时间：去年"));

    let store = open_store(db.url()).await;
    let cases: Vec<(String, String, String)> = rows(
        &store,
        "SELECT c.origin, f.username, s.username FROM collision_cases c
           JOIN users f ON f.id = c.first_user_id JOIN users s ON s.id = c.second_user_id",
    )
    .await;
    assert_eq!(
        cases,
        vec![("migration".into(), "liwei".into(), "wangfang".into())]
    );
    // The first audit entry is dated when the previous CRM saw the customer entered.
    let audit: Vec<(String, String)> = rows(
        &store,
        &format!(
            "SELECT action, reason FROM audit_log WHERE customer_id = {} ORDER BY id",
            baidu[2]
        ),
    )
    .await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].0, "created");
    assert!(audit[0].1.contains("迁移导入"), "{audit:?}");

    // A rerun creates nothing and opens nothing.
    let out = import("second.csv");
    assert_eq!(
        last_line(&out),
        "created 0, duplicate 7, suspected 0, error 0"
    );
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM collision_cases").await,
        1
    );
}

async fn to_pool_and_caps(backend: Backend) {
    let db = TestDb::create(backend).await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let url = db.url().to_string();
    // No administrator: the import runs as the built-in system user.
    add_user(dir, &url, "zhaolei", "rep", &["--cap", "1"]);

    // No owner column, and no --owner: the import must be told where the rows go.
    std::fs::write(
        dir.join("plain.csv"),
        "客户名称,电话\n北京字节跳动科技有限公司,010-58341888\n京东集团,010-89118888\n",
    )
    .unwrap();
    let out = run(dir, &["import", "plain.csv", "--database-url", &url]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--to-pool"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        dir,
        &["import", "plain.csv", "--to-pool", "--database-url", &url],
    );
    assert_eq!(
        last_line(&out),
        "created 2, duplicate 0, suspected 0, error 0"
    );
    let customers = exported(dir, &url);
    assert_eq!(customers["京东集团"]["owner"], "");
    assert_eq!(customers["京东集团"]["owned_since"], "");

    // Two customers for a rep whose cap is one: an error without --ignore-cap…
    std::fs::write(
        dir.join("owners.csv"),
        "客户名称,电话,销售\n美团点评,010-57376600,zhaolei\n拼多多,021-61897088,zhaolei\n",
    )
    .unwrap();
    let out = run(
        dir,
        &[
            "import",
            "owners.csv",
            "--result",
            "capped.csv",
            "--database-url",
            &url,
        ],
    );
    assert_eq!(
        last_line(&out),
        "created 1, duplicate 0, suspected 0, error 1"
    );
    let capped = result_rows(&dir.join("capped.csv"));
    assert!(capped[1][5].contains("zhaolei"), "{capped:?}");
    // …saved with it, and the summary names who is over.
    let out = run(
        dir,
        &[
            "import",
            "owners.csv",
            "--ignore-cap",
            "--database-url",
            &url,
        ],
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("over cap: zhaolei owns 2 customers, cap 1"),
        "{printed}"
    );
    assert_eq!(
        last_line(&out),
        "created 1, duplicate 1, suspected 0, error 0"
    );
}
