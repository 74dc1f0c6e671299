//! `leadguard import-followups`: follow-up history from 悟空CRM-style and Salesforce-style
//! exports attached to customers imported before (by legacy id, credit code, phone and name),
//! on SQLite and PostgreSQL.

mod common;

both_backends!(followup_history_import);

use std::path::Path;

use common::{PASSWORD, Server, add_user, last_line, login, run, run_ok};
use leadguard_testkit::{Backend, TestDb};
use serde_json::{Value, json};

/// The records of a follow-up import's result file, after checking its header.
fn followup_results(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).expect("result file");
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["row", "status", "customer_id", "followup_id", "message"]
    );
    r.records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect()
}

async fn get(http: &reqwest::Client, token: &str, url: String) -> Value {
    let r = http.get(&url).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200, "{url}");
    r.json().await.unwrap()
}

/// A customer's follow-ups, oldest first.
async fn followups(http: &reqwest::Client, base: &str, token: &str, id: &str) -> Vec<Value> {
    let v = get(
        http,
        token,
        format!("{base}/api/v1/customers/{id}/followups?limit=200"),
    )
    .await;
    let mut items = v["items"].as_array().unwrap().clone();
    items.reverse();
    items
}

async fn followup_history_import(backend: Backend) {
    let db = TestDb::create(backend).await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let url = db.url().to_string();
    add_user(dir, &url, "admin", "admin", &["--display-name", "管理员"]);
    add_user(dir, &url, "zhangsan", "rep", &["--display-name", "张三"]);
    add_user(dir, &url, "lisi", "rep", &["--display-name", "Li Si"]);

    // Customers from the old CRM, with its record ids (客户编号). Baidu and Xiaomi share a
    // 400 service number.
    std::fs::write(
        dir.join("customers.csv"),
        "客户编号,客户名称,电话,手机,统一社会信用代码\n\
         C001,北京百度网讯科技有限公司,010-59928888,400-800-8888,91110000802100433B\n\
         C002,华为技术有限公司,0755-28780808,,914403001922038216\n\
         C003,深圳市腾讯计算机系统有限公司,0755-86013388,,91440300708461136T\n\
         C004,阿里巴巴（中国）有限公司,0571-85022088,,91330100799655058B\n\
         C005,小米科技有限责任公司,010-60606666,400-800-8888,91110108551385082Q\n\
         C008,小米通讯技术有限公司,010-60606688,,\n",
    )
    .unwrap();
    let out = run(
        dir,
        &[
            "import",
            "customers.csv",
            "--owner",
            "zhangsan",
            "--result",
            "customers.result.csv",
            "--database-url",
            &url,
        ],
    );
    assert!(
        last_line(&out).starts_with("created"),
        "{}",
        last_line(&out)
    );
    let imported = common::result_rows(&dir.join("customers.result.csv"));
    let id: Vec<String> = imported
        .iter()
        .map(|r| {
            assert!(
                r[1] == "created" || r[1] == "suspected",
                "every customer is saved: {r:?}"
            );
            r[2].clone()
        })
        .collect();
    let (baidu, huawei, tencent, alibaba, xiaomi, xiaomi_comm) =
        (&id[0], &id[1], &id[2], &id[3], &id[4], &id[5]);

    let server = Server::start(dir, &["--database-url", &url]);
    let base = server.base.clone();
    let http = reqwest::Client::new();
    let admin = login(&http, &base, "admin", PASSWORD).await;
    let zhangsan = login(&http, &base, "zhangsan", PASSWORD).await;
    // The legacy id is kept and shown.
    let c = get(&http, &admin, format!("{base}/api/v1/customers/{baidu}")).await;
    assert_eq!(c["external_id"], "C001");
    // The old CRM had Xiaomi twice: C008 is folded into C005.
    let r = http
        .post(format!("{base}/api/v1/customers/{xiaomi}/merge"))
        .bearer_auth(&admin)
        .json(&json!({ "duplicate_id": xiaomi_comm.parse::<i64>().unwrap() }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // Huawei was followed up today, in Leadguard.
    let r = http
        .post(format!("{base}/api/v1/customers/{huawei}/followups"))
        .bearer_auth(&zhangsan)
        .json(&json!({ "kind": "call", "note": "今天电话回访" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let today: Value = r.json().await.unwrap();

    // A 悟空CRM export (跟进记录).
    let wukong = "所属客户,跟进内容,跟进人,跟进时间,跟进方式\n\
        北京百度网讯科技有限公司,电话沟通合作意向，对方有兴趣,张三,2023-05-01 14:30:00,电话\n\
        华为技术有限公司,上门拜访，演示产品,zhangsan,2023/5/8 9:05,上门拜访\n\
        深圳市腾讯计算机系统有限公司,微信发送报价单,赵六,2023年5月10日 16:00,微信\n\
        阿里巴巴（中国）有限公司,寄送样品,李四,2023-05-12,送样\n\
        阿里巴巴(中国)有限公司,样品已签收,张三,2023-05-15 10:00,电话\n\
        小米通讯技术有限公司,讨论续约,张三,45047.6041666667,会议\n\
        北京星河科技有限公司,无此客户,张三,2023-05-01,电话\n\
        华为技术有限公司,时间写错了,张三,2023-13-45,电话\n\
        华为技术有限公司,,张三,2023-05-02,电话\n\
        北京百度网讯科技有限公司,电话沟通合作意向，对方有兴趣,张三,2023-05-01 14:30:00,电话\n";
    std::fs::write(dir.join("wukong.csv"), format!("\u{feff}{wukong}")).unwrap();
    let import = |file: &str, extra: &[&str]| {
        let mut args = vec!["import-followups", file, "--database-url", &url];
        args.extend_from_slice(extra);
        run(dir, &args)
    };
    let out = import("wukong.csv", &[]);
    assert_eq!(
        last_line(&out),
        "created 6, duplicate 1, unmatched 1, error 2"
    );
    let rows = followup_results(&dir.join("wukong.csv.result.csv"));
    let statuses: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        statuses,
        [
            "created",
            "created",
            "created",
            "created",
            "created",
            "created",
            "unmatched",
            "error",
            "error",
            "duplicate"
        ]
    );
    let customer_of: Vec<&str> = rows.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(
        customer_of[..6],
        [
            baidu.as_str(),
            huawei.as_str(),
            tencent.as_str(),
            alibaba.as_str(),
            alibaba.as_str(),
            xiaomi.as_str()
        ],
        "half-width brackets find the same customer; the merged one lands on its survivor"
    );
    assert!(rows[..6].iter().all(|r| !r[3].is_empty()), "{rows:?}");
    assert_eq!(
        rows[6][4], "no customer with name 北京星河科技有限公司",
        "{:?}",
        rows[6]
    );
    assert!(
        rows[7][4].starts_with("row 8, column 4 (跟进时间): `2023-13-45` is not a date"),
        "{:?}",
        rows[7]
    );
    assert!(
        rows[8][4].starts_with("row 9, column 2 (跟进内容)"),
        "{:?}",
        rows[8]
    );
    assert!(rows[9][4].contains("row 1"), "{:?}", rows[9]);

    // Stored as given: China time, the authors that exist, the kind words mapped.
    let f = followups(&http, &base, &admin, baidu).await;
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["at"], "2023-05-01T06:30:00Z");
    assert_eq!(
        f[0]["author"], "zhangsan",
        "张三 is zhangsan's display name"
    );
    assert_eq!(f[0]["kind"], "call");
    assert_eq!(f[0]["note"], "电话沟通合作意向，对方有兴趣");
    let f = followups(&http, &base, &admin, huawei).await;
    assert_eq!(f.len(), 2);
    assert_eq!(f[0]["kind"], "visit");
    assert_eq!(f[0]["at"], "2023-05-08T01:05:00Z");
    // An unknown author: the default author writes it, the name stays in the note.
    let f = followups(&http, &base, &admin, tencent).await;
    assert_eq!(f[0]["author"], "admin");
    assert_eq!(f[0]["kind"], "message");
    assert_eq!(f[0]["note"], "原跟进人：赵六 / 微信发送报价单");
    let f = followups(&http, &base, &admin, alibaba).await;
    assert_eq!(f.len(), 2);
    assert_eq!(f[0]["kind"], "note");
    assert_eq!(f[0]["at"], "2023-05-11T16:00:00Z");
    assert_eq!(f[0]["note"], "原跟进人：李四 / 跟进方式：送样 / 寄送样品");
    // An Excel serial; the merged customer's history is on the survivor.
    let f = followups(&http, &base, &admin, xiaomi).await;
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["at"], "2023-05-01T06:30:00Z");
    assert_eq!(f[0]["kind"], "meeting");
    assert_eq!(f[0]["note"], "讨论续约");
    // History older than today's follow-up does not move the last follow-up back…
    let c = get(&http, &admin, format!("{base}/api/v1/customers/{huawei}")).await;
    let last: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(c["last_followup_at"].clone()).unwrap();
    let today: chrono::DateTime<chrono::Utc> = serde_json::from_value(today["at"].clone()).unwrap();
    assert_eq!(last, today);
    // …and moves it forward where there was none (recycling counts from it).
    let c = get(&http, &admin, format!("{base}/api/v1/customers/{alibaba}")).await;
    assert_eq!(c["last_followup_at"], "2023-05-15T02:00:00Z");

    // Again: nothing new.
    let out = import("wukong.csv", &["--result", "again.csv"]);
    assert_eq!(
        last_line(&out),
        "created 0, duplicate 7, unmatched 1, error 2"
    );
    let again = followup_results(&dir.join("again.csv"));
    for (a, b) in rows[..6].iter().zip(&again) {
        assert_eq!((b[1].as_str(), &b[3]), ("duplicate", &a[3]), "{b:?}");
    }

    // A Salesforce activity export: English headers, US dates, legacy ids and phones.
    std::fs::write(
        dir.join("salesforce.csv"),
        "Account ID,Account Name,Subject,Activity Date,Assigned To,Type,Phone\n\
         C001,Beijing Baidu Netcom,Call: follow up on proposal,2023-06-01T02:00:00Z,Li Si,Call,\n\
         C002,,Email: sent pricing,2023-06-02T10:00:00+08:00,zhangsan,Email,\n\
         ,Huawei Technologies Co. Ltd.,Meeting with CTO,6/15/2023,Mary Jones,Meeting,\n\
         ,,Left voicemail,6/20/2023 3:30 PM,Mary Jones,Call,0755-86013388\n\
         ,,Called the service line,6/21/2023,Li Si,Call,400-800-8888\n\
         C999,,Lunch,6/22/2023,Li Si,Meeting,\n\
         C008,,Contract renewal call,6/23/2023,Li Si,Call,\n",
    )
    .unwrap();
    let out = import("salesforce.csv", &["--dry-run", "--result", "dry.csv"]);
    assert_eq!(
        last_line(&out),
        "created 4, duplicate 0, unmatched 3, error 0"
    );
    assert_eq!(
        followups(&http, &base, &admin, tencent).await.len(),
        1,
        "a dry run saves nothing"
    );
    let out = import("salesforce.csv", &[]);
    assert_eq!(
        last_line(&out),
        "created 4, duplicate 0, unmatched 3, error 0"
    );
    let rows = followup_results(&dir.join("salesforce.csv.result.csv"));
    assert_eq!(rows[0][2], *baidu, "by legacy id");
    assert_eq!(rows[1][2], *huawei);
    assert_eq!(
        rows[2][4],
        "no customer with name Huawei Technologies Co. Ltd."
    );
    assert_eq!(rows[3][2], *tencent, "by phone");
    assert!(
        rows[4][4].starts_with(&format!(
            "ambiguous: phone 400-800-8888 matches customers #{baidu} and #{xiaomi}"
        )),
        "{:?}",
        rows[4]
    );
    assert_eq!(rows[5][4], "no customer with legacy id C999");
    assert_eq!(rows[6][2], *xiaomi, "a merged customer's legacy id");
    let f = followups(&http, &base, &admin, baidu).await;
    assert_eq!(f[1]["at"], "2023-06-01T02:00:00Z");
    assert_eq!(f[1]["author"], "lisi", "Li Si is lisi's display name");
    assert_eq!(f[1]["note"], "Call: follow up on proposal");
    let f = followups(&http, &base, &admin, huawei).await;
    assert_eq!(f[1]["kind"], "email");
    assert_eq!(f[1]["at"], "2023-06-02T02:00:00Z");
    let f = followups(&http, &base, &admin, tencent).await;
    assert_eq!(f[1]["at"], "2023-06-20T07:30:00Z");
    assert_eq!(f[1]["author"], "admin");
    assert_eq!(f[1]["note"], "原跟进人：Mary Jones / Left voicemail");
    let out = import("salesforce.csv", &["--result", "again.csv"]);
    assert_eq!(
        last_line(&out),
        "created 0, duplicate 4, unmatched 3, error 0"
    );

    // Through the API: a HubSpot export, uploaded by an admin; reps may not.
    let hubspot = "Record ID,Company name,Activity date,Activity assigned to,Activity type,Note body\n\
        C003,,2023-07-01 10:00,lisi,Note,Sent the contract\n\
        ,小米科技有限责任公司,2023-07-02 11:00,Li Si,WhatsApp,Asked for an update\n\
        ,,2023-07-03,lisi,Call,No customer\n";
    let upload = |token: &str| {
        http.post(format!(
            "{base}/api/v1/imports/followups?filename=hubspot.csv"
        ))
        .bearer_auth(token.to_string())
        .header("content-type", "application/octet-stream")
        .body(hubspot)
        .send()
    };
    let r = upload(&zhangsan).await.unwrap();
    assert_eq!(r.status(), 403);
    let r = upload(&admin).await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (&v["created"], &v["duplicate"], &v["unmatched"], &v["error"]),
        (&json!(2), &json!(0), &json!(0), &json!(1)),
        "{v}"
    );
    assert_eq!(v["rows"][0]["customer_id"].to_string(), *tencent);
    assert_eq!(v["rows"][1]["customer_id"].to_string(), *xiaomi);
    assert_eq!(v["rows"][1]["status"], "created");
    assert!(
        v["rows"][2]["message"]
            .as_str()
            .unwrap()
            .starts_with("row 3: no customer given"),
        "{v}"
    );
    let f = followups(&http, &base, &admin, xiaomi).await;
    assert_eq!(f.last().unwrap()["kind"], "message");
    assert_eq!(f.last().unwrap()["author"], "lisi");
    let v: Value = upload(&admin).await.unwrap().json().await.unwrap();
    assert_eq!(v["duplicate"], 2, "{v}");

    // The export carries the legacy ids.
    run_ok(dir, &["export", "--out", "all.csv", "--database-url", &url]);
    let mut r = csv::Reader::from_path(dir.join("all.csv")).unwrap();
    let col = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "external_id")
        .expect("an external_id column");
    let ids: Vec<String> = r
        .records()
        .map(|x| x.unwrap().get(col).unwrap_or_default().to_string())
        .collect();
    assert!(ids.contains(&"C001".to_string()), "{ids:?}");

    // Unusable input fails, and says why.
    let out = import("nothing.csv", &[]);
    assert!(!out.status.success());
    std::fs::write(
        dir.join("nocustomer.csv"),
        "跟进内容,跟进时间\n打电话,2023-05-01\n",
    )
    .unwrap();
    let out = import("nocustomer.csv", &[]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--mapping"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = import("wukong.csv", &["--mapping", "跟进方式=colour"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("colour"));
    let out = import("wukong.csv", &["--author", "nobody"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody"));
}
