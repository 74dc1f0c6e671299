//! The web UI end to end in headless Chromium (Debian's `chromium` and `chromium-driver`),
//! driven over the W3C WebDriver protocol: log in, see the live duplicate prompt name the owner
//! before saving, claim from the pool, decide a collision as a manager, switch language, import
//! a file and see the rows that need attention.
//! Screenshots go to `target/e2e-screenshots/`.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use common::{Backend, TestApp, TestDb};
use leadguard_domain::user::Role;
use leadguard_server::Background;
use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver child process and one headless Chromium session.
struct Browser {
    http: reqwest::Client,
    url: String,
    driver: Child,
    shots: PathBuf,
}

impl Browser {
    async fn start() -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let driver = Command::new(
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into()),
        )
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (apt-get install chromium chromium-driver)");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,900", "--lang=zh-CN"]
            }
        }}});
        let v: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session json");
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-screenshots");
        std::fs::create_dir_all(&shots).expect("screenshot dir");
        Browser {
            http,
            url: format!("{base}/session/{session}"),
            driver,
            shots,
        }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        req = req.json(&body.unwrap_or(json!({})));
        let v: Value = req
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("json");
        v["value"].clone()
    }

    /// Ends the WebDriver session: Chromium exits (killing chromedriver alone leaves it running).
    async fn quit(&self) {
        let _ = self.http.delete(&self.url).send().await;
    }

    async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    /// Waits up to 10 s for an element matching `css`.
    async fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let v = self
                .cmd(
                    reqwest::Method::POST,
                    "/element",
                    Some(json!({"using": "css selector", "value": css})),
                )
                .await;
            if let Some(id) = v[ELEMENT].as_str() {
                return id.to_string();
            }
            if Instant::now() >= deadline {
                let page = self
                    .cmd(
                        reqwest::Method::POST,
                        "/execute/sync",
                        Some(json!({"script": "return location.href + ' ' + document.body.innerHTML;", "args": []})),
                    )
                    .await;
                panic!("no element {css}; the page: {page}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits up to 10 s for `css` to contain `needle`.
    async fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.text(css).await;
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never showed {needle:?}; it shows {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{id}/click"), None)
            .await;
    }

    async fn attribute(&self, css: &str, name: &str) -> Value {
        let id = self.find(css).await;
        self.cmd(
            reqwest::Method::GET,
            &format!("/element/{id}/property/{name}"),
            None,
        )
        .await
    }

    async fn run(&self, script: &str) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    async fn screenshot(&self, name: &str) {
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("screenshot"))
            .expect("png");
        std::fs::write(self.shots.join(name), png).expect("write screenshot");
    }

    async fn login(&self, base: &str, username: &str) {
        if self.run("return !!localStorage.getItem('lg.token');").await == json!(true) {
            self.click("#logout").await;
        }
        self.goto(&format!("{base}/#/login")).await;
        self.type_into("#username", username).await;
        self.type_into("#password", common::PASSWORD).await;
        self.click("#login-submit").await;
        self.find("#nav-mine").await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_ui_prevents_collisions_at_entry_and_settles_them() {
    // The server works import jobs (step 8), as `serve` does.
    let db = std::sync::Arc::new(TestDb::create(Backend::Sqlite).await);
    let app = TestApp::on(
        db,
        Background {
            import_every: Some(Duration::from_millis(200)),
            ..Background::NONE
        },
    )
    .await;
    let zhangsan = app
        .user("zhangsan", Role::Rep, Some("华东销售部"), None)
        .await;
    let lisi = app.user("lisi", Role::Rep, Some("华东销售部"), None).await;
    app.user("wangfang", Role::Manager, Some("华东销售部"), None)
        .await;
    let admin = app.user("root", Role::Admin, None, None).await;
    app.create(
        &zhangsan,
        json!({"name": "北京星河互联科技有限公司", "phones": ["010-62345678"]}),
    )
    .await;
    let pooled = app
        .create(
            &admin,
            json!({"name": "杭州银杏教育科技有限公司", "phones": ["0571-8888 6666"]}),
        )
        .await;
    app.post(
        &format!("/api/v1/customers/{pooled}/release"),
        &admin,
        json!({}),
    )
    .await;
    let b = Browser::start().await;
    let base = app.base.clone();

    // 1. Log in: Chinese by default.
    b.goto(&format!("{base}/")).await;
    assert_eq!(b.text("h1").await, "登录 Leadguard");
    b.screenshot("01-login.png").await;
    b.login(&base, "lisi").await;
    assert_eq!(b.text("#nav-mine").await, "我的客户");

    // 2. lisi types zhangsan's customer in another formatting: the prompt names the owner
    //    before anything is saved, and saving is impossible.
    b.goto(&format!("{base}/#/new")).await;
    b.type_into("#f-name", "星河互联科技（北京）有限公司").await;
    b.type_into("#f-phones", "+86 10 6234-5678").await;
    let prompt = b.wait_text("#check-result", "zhangsan").await;
    assert!(prompt.contains("客户已存在"), "{prompt}");
    assert!(prompt.contains("zhangsan 显示名"), "{prompt}");
    assert_eq!(b.attribute("#save", "disabled").await, json!(true));
    b.screenshot("02-live-duplicate-prompt.png").await;
    assert_eq!(app.customer_count().await, 2, "nothing was saved");

    // 2b. A rep starts typing the brand alone (the short name reps write): from the second
    //     character the prompt lists the company that begins so, with its owner, right
    //     under the name; the rep may open it or go on.
    // Away and back: the same address would keep the form as it is.
    b.goto(&format!("{base}/#/mine")).await;
    b.find("#mine-table").await;
    b.goto(&format!("{base}/#/new")).await;
    b.type_into("#f-name", "星").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        b.text("#check-result").await,
        "",
        "one character names nobody"
    );
    b.type_into("#f-name", "河").await;
    let prompt = b
        .wait_text("#check-result", "北京星河互联科技有限公司")
        .await;
    assert!(prompt.contains("已有名称以此开头的客户"), "{prompt}");
    assert!(prompt.contains("zhangsan 显示名"), "{prompt}");
    assert!(prompt.contains("名称开头相同"), "{prompt}");
    let open = b.attribute("#check-result a.open-candidate", "href").await;
    assert!(
        open.as_str().is_some_and(|h| h.contains("#/customer/")),
        "{open}"
    );
    b.screenshot("02b-short-name-prompt.png").await;
    b.click("#go-on").await;
    assert_ne!(b.attribute("#save", "disabled").await, json!(true));

    // 2c. An old seven-digit landline (before Jinan went to eight digits): the form says it
    //     is kept as typed but unverified, saving is allowed, and the customer's page keeps
    //     the mark.
    b.goto(&format!("{base}/#/mine")).await;
    b.find("#mine-table").await;
    b.goto(&format!("{base}/#/new")).await;
    b.type_into("#f-name", "济南鲁信实业有限公司").await;
    b.type_into("#f-phones", "0531 8918272").await;
    let marks = b.wait_text("#check-warnings", "0531 8918272").await;
    assert!(marks.contains("已按原样保存"), "{marks}");
    assert_ne!(b.attribute("#save", "disabled").await, json!(true));
    b.click("#save").await;
    let marks = b.wait_text("#value-warnings", "0531 8918272").await;
    assert!(marks.contains("未能验证"), "{marks}");
    b.screenshot("02c-unverified-phone.png").await;

    // 3. Claim from the pool, with the rules shown.
    b.goto(&format!("{base}/#/pool")).await;
    assert!(b.text("#pool-rules").await.contains("每日最多领取"));
    b.wait_text("#pool-table", "杭州银杏").await;
    b.click("#pool-table button.claim").await;
    b.wait_text("#toasts", "已领取").await;
    b.screenshot("03-pool-claimed.png").await;
    let (_, v) = app.get(&format!("/api/v1/customers/{pooled}"), &lisi).await;
    assert_eq!(v["owner"]["username"], "lisi");
    // A follow-up in two clicks: open the customer, press 电话.
    b.goto(&format!("{base}/#/customer/{pooled}")).await;
    b.click("#quick-followups button[data-kind='call']").await;
    b.wait_text("#followups", "电话").await;
    let (_, f) = app
        .get(&format!("/api/v1/customers/{pooled}/followups"), &lisi)
        .await;
    assert_eq!(f["items"][0]["kind"], "call", "{f}");

    // 4. A collision: lisi enters a look-alike; the manager decides against first-come, with
    //    a reason, in the inbox.
    let (s, v) = app
        .post(
            "/api/v1/customers",
            &lisi,
            json!({"name": "上海星河互联科技有限公司"}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    let case = v["collision_cases"][0].as_i64().expect("case");
    b.login(&base, "wangfang").await;
    b.goto(&format!("{base}/#/collisions")).await;
    b.click(&format!("a[href='#/case/{case}']")).await;
    assert_eq!(b.text("#default-winner").await, "zhangsan");
    b.click("#winner option[value='lisi']").await;
    b.type_into("#decision-reason", "李四已签意向书").await;
    b.screenshot("04-collision-case.png").await;
    b.click("#decide").await;
    let decided = b.wait_text("#decision", "lisi").await;
    assert!(decided.contains("李四已签意向书"), "{decided}");
    b.screenshot("05-collision-decided.png").await;
    let (_, v) = app.get(&format!("/api/v1/collisions/{case}"), &admin).await;
    assert_eq!(v["decision"]["winner"], "lisi");
    assert_eq!(v["decision"]["decided_by"], "wangfang");

    // 5. An admin writes an assignment rule, tries it on a sample lead, and puts a rep on
    //    leave.
    b.login(&base, "root").await;
    b.goto(&format!("{base}/#/rules")).await;
    b.type_into("#rule-name", "华东线索").await;
    b.click("#rule-team option[value='华东销售部']").await;
    b.type_into("#rule-source", "官网").await;
    b.click("#rule-create").await;
    b.wait_text("#rules-table", "华东线索").await;
    b.type_into("#d-name", "苏州新客户科技有限公司").await;
    b.type_into("#d-source", "官网").await;
    b.click("#dry-run-submit").await;
    let decision = b.wait_text("#dry-run-result", "规则 1 华东线索").await;
    assert!(decision.contains("轮转"), "{decision}");
    b.screenshot("08-rules-dry-run.png").await;
    let (_, rules) = app.get("/api/v1/assignment/rules", &admin).await;
    assert_eq!(rules[0]["when"]["source"], json!(["官网"]), "{rules}");
    b.goto(&format!("{base}/#/admin")).await;
    b.wait_text("#users-table", "lisi").await;
    b.click("tr[data-user='lisi'] input[type='checkbox']").await;
    b.wait_text("#toasts", "已保存").await;
    b.screenshot("09-admin.png").await;
    let (_, v) = app.get("/api/v1/users/lisi", &admin).await;
    assert_eq!(v["on_leave"], true, "{v}");

    // 6. Switch to English and back; the choice sticks.
    b.click("#lang-toggle").await;
    b.wait_text("#nav-mine", "My customers").await;
    b.goto(&format!("{base}/#/new")).await;
    // Waited for, not read at once: right after navigating, the page may not be drawn yet.
    assert_eq!(b.wait_text("h1", "New customer").await, "New customer");
    b.type_into("#f-name", "星河互联").await;
    let prompt = b
        .wait_text("#check-result", "Customers whose names begin like this")
        .await;
    assert!(prompt.contains("北京星河互联科技有限公司"), "{prompt}");
    assert!(prompt.contains("name begins alike"), "{prompt}");
    b.screenshot("06-english.png").await;
    b.goto(&format!("{base}/#/mine")).await;
    assert_eq!(
        b.wait_text("#nav-mine", "My customers").await,
        "My customers"
    );
    b.click("#lang-toggle").await;
    b.wait_text("#nav-mine", "我的客户").await;

    // 7. Phone width: the same screen, narrow.
    b.cmd(
        reqwest::Method::POST,
        "/window/rect",
        Some(json!({"width": 390, "height": 844})),
    )
    .await;
    b.goto(&format!("{base}/#/mine")).await;
    b.find("#mine-table").await;
    b.screenshot("07-phone-width.png").await;
    let overflow = b
        .run("return document.documentElement.scrollWidth > window.innerWidth + 1;")
        .await;
    assert_eq!(
        overflow,
        json!(false),
        "no horizontal scrolling at phone width"
    );

    // 8. A rep imports a file: one without rows is refused in the server's words; a good
    //    one is followed to 完成, with the counts and the rows to look at (a duplicate names
    //    its owner, an error its row and column) and the result file to download.
    b.cmd(
        reqwest::Method::POST,
        "/window/rect",
        Some(json!({"width": 1280, "height": 900})),
    )
    .await;
    b.login(&base, "zhangsan").await;
    b.click("#nav-import").await;
    assert_eq!(b.wait_text("h1", "导入客户").await, "导入客户");
    assert_eq!(
        b.run("return document.getElementById('imp-owner') === null;")
            .await,
        json!(true),
        "a rep imports for herself only: no owner field"
    );
    let dir = std::env::temp_dir().join(format!("leadguard-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let empty = dir.join("empty.csv");
    std::fs::write(&empty, "客户名称,电话\n").expect("write csv");
    b.type_into("#imp-file", &empty.to_string_lossy()).await;
    b.click("#import-submit").await;
    b.wait_text("#import-error", "no rows").await;
    let file = dir.join("客户名单.csv");
    std::fs::write(
        &file,
        "客户名称,电话
南京紫金山数据有限公司,13912345678
南京紫金山数据,139 1234 5678
杭州银杏教育科技有限公司,0571-88886666
深圳前海微众贸易有限公司,12
成都天府软件园开发有限公司,028-85556666
",
    )
    .expect("write csv");
    b.goto(&format!("{base}/#/import")).await;
    b.type_into("#imp-file", &file.to_string_lossy()).await;
    b.click("#import-submit").await;
    b.wait_text("#import-status", "完成").await;
    let counts = b.text("#import-counts").await;
    // Row 4's phone cannot be one: the customer is saved, the value kept in its note, and
    // the row is listed for attention with its row and column.
    for c in ["新建 3", "重复 2", "疑似 0", "错误 0"] {
        assert!(counts.contains(c), "{c} in {counts:?}");
    }
    assert_eq!(b.text("#import-rows").await, "已处理 5 / 5 行");
    // 杭州银杏 is lisi's (claimed in step 3): the row says so, in Chinese.
    let taken = b.text("#import-issues tr[data-row='3']").await;
    assert!(taken.contains("lisi"), "{taken}");
    assert!(taken.contains("重复"), "{taken}");
    assert!(taken.contains("归属 lisi"), "{taken}");
    // Row 2 repeats row 1 of the file: a duplicate of zhangsan's own new customer.
    let own = b.text("#import-issues tr[data-row='2']").await;
    assert!(own.contains("归属 zhangsan"), "{own}");
    let bad = b.text("#import-issues tr[data-row='4']").await;
    assert!(bad.contains("第 4 行第 2 列（电话）"), "{bad}");
    assert_eq!(
        b.run("return document.querySelectorAll('#import-issues tbody tr').length;")
            .await,
        json!(3),
        "created rows without warnings are not listed"
    );
    b.wait_text("#import-jobs", "客户名单.csv").await;
    b.screenshot("10-import.png").await;
    // The result file downloads with the token (the endpoint needs it): catch the blob.
    b.run(
        "window.__blobs = []; const make = URL.createObjectURL; \
         URL.createObjectURL = (x) => { window.__blobs.push(x); return make.call(URL, x); };",
    )
    .await;
    b.click("#import-download").await;
    let got = b
        .run(
            "return new Promise((ok) => { const f = () => window.__blobs.length \
             ? Promise.all([window.__blobs[0].arrayBuffer(), window.__blobs[0].text()]) \
               .then(([b, t]) => ok([Array.from(new Uint8Array(b, 0, 3)), t])) \
             : setTimeout(f, 50); f(); });",
        )
        .await;
    assert_eq!(got[0], json!([0xEF, 0xBB, 0xBF]), "UTF-8 BOM: {got}");
    let csv = got[1].as_str().unwrap_or_default();
    assert!(
        csv.starts_with("row,status,customer_id,matched_customer_id,owner,message"),
        "{csv:?}"
    );
    assert!(csv.contains("owned by lisi"), "{csv:?}");
    let (_, jobs) = app.get("/api/v1/imports", &zhangsan).await;
    assert_eq!(jobs[0]["status"], "done", "{jobs}");
    assert_eq!(jobs[0]["owner"], "zhangsan", "{jobs}");
    assert_eq!(jobs[0]["file_name"], "客户名单.csv", "{jobs}");
    // The screen in English.
    b.click("#lang-toggle").await;
    b.wait_text("h1", "Import customers").await;
    b.wait_text("#import-status", "done").await;
    assert!(b.text("#import-counts").await.contains("Duplicate 2"));
    assert_eq!(b.text("#nav-import").await, "Import");
    b.click("#lang-toggle").await;
    b.wait_text("h1", "导入客户").await;
    // A manager may import for a rep of the team: the owner field, yourself by default.
    b.login(&base, "wangfang").await;
    b.goto(&format!("{base}/#/import")).await;
    assert_eq!(b.attribute("#imp-owner", "value").await, json!("wangfang"));
    // The team's follow-up history, from a 悟空CRM-style export: attached to the customer it
    // names, a row naming no customer listed with its reason.
    let history = dir.join("跟进记录.csv");
    std::fs::write(
        &history,
        "所属客户,跟进时间,跟进人,跟进方式,跟进内容
南京紫金山数据有限公司,2024-03-05 10:00,zhangsan,电话,确认了采购需求
北京不存在科技有限公司,2024-03-06,zhangsan,拜访,上门拜访
",
    )
    .expect("write csv");
    b.type_into("#fu-file", &history.to_string_lossy()).await;
    b.click("#fu-submit").await;
    let counts = b.wait_text("#fu-counts", "新增 1").await;
    assert!(counts.contains("未找到客户 1"), "{counts}");
    let attention = b.text("#fu-attention").await;
    assert!(attention.contains("第 2 行"), "{attention}");
    // Phone width: the import screen fits.
    b.cmd(
        reqwest::Method::POST,
        "/window/rect",
        Some(json!({"width": 390, "height": 844})),
    )
    .await;
    let job = jobs[0]["id"].as_i64().expect("job id");
    b.goto(&format!("{base}/#/import/{job}")).await;
    b.wait_text("#import-issues", "lisi").await;
    b.screenshot("11-import-phone.png").await;
    let overflow = b
        .run("return document.documentElement.scrollWidth > window.innerWidth + 1;")
        .await;
    assert_eq!(overflow, json!(false), "import screen at phone width");
    let _ = std::fs::remove_dir_all(&dir);
    b.quit().await;
}
