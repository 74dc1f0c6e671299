//! Who may do what: every endpoint of the API × every kind of caller → the status code, on
//! SQLite and on PostgreSQL. Plus the life of a login token and how passwords are kept.
//!
//! The matrix is [`MATRIX`]: one row per request (method, path, body), one expected status per
//! caller. Each cell runs on objects made for it alone (a fresh customer, case, rule …), so
//! that one caller's change cannot decide the next caller's answer. Every cell also checks
//! that an error has a machine-readable `error` and a human `message`, that a refused request
//! changed nothing, and that callers who may not see the customer never get its phones,
//! e-mails, address, contacts, follow-ups or deals in any answer.

mod common;

use std::collections::BTreeSet;

use common::{Backend, PASSWORD, TestApp};
use leadguard_domain::clock::Clock;
use leadguard_domain::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

both_backends!(
    permission_matrix,
    sessions_expire_and_end_at_logout_deactivation_and_password_change,
    passwords_are_stored_as_argon2id_hashes_and_tokens_as_hashes,
);

/// The callers. Objects (customers, cases, rules) belong to team east, owned by `Owner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Admin,
    /// Manager of east, the object's team.
    Manager,
    /// Manager of west.
    OtherManager,
    /// Rep in east who owns the customer.
    Owner,
    /// Rep in east who does not own it.
    Peer,
    /// Rep in west.
    Outsider,
    /// No `Authorization` header.
    Anonymous,
    /// An admin's token after logout.
    Revoked,
    /// An admin's token past its expiry.
    Expired,
}

const ACTORS: [Actor; 9] = [
    Actor::Admin,
    Actor::Manager,
    Actor::OtherManager,
    Actor::Owner,
    Actor::Peer,
    Actor::Outsider,
    Actor::Anonymous,
    Actor::Revoked,
    Actor::Expired,
];

impl Actor {
    /// Column of [`Row::expect`]: the three callers without a valid session share the last.
    fn column(self) -> usize {
        match self {
            Actor::Admin => 0,
            Actor::Manager => 1,
            Actor::OtherManager => 2,
            Actor::Owner => 3,
            Actor::Peer => 4,
            Actor::Outsider => 5,
            Actor::Anonymous | Actor::Revoked | Actor::Expired => 6,
        }
    }

    fn username(self) -> Option<&'static str> {
        match self {
            Actor::Admin | Actor::Revoked | Actor::Expired => Some("root"),
            Actor::Manager => Some("east_mgr"),
            Actor::OtherManager => Some("west_mgr"),
            Actor::Owner => Some("east_owner"),
            Actor::Peer => Some("east_peer"),
            Actor::Outsider => Some("west_rep"),
            Actor::Anonymous => None,
        }
    }

    /// May see the fixture customer in full (its owner, their manager, an admin).
    fn sees_customer(self) -> bool {
        matches!(self, Actor::Admin | Actor::Manager | Actor::Owner)
    }
}

struct Row {
    method: Method,
    /// Under `/api/v1`. Placeholders: `{customer}` (owned by east_owner, with contacts, a
    /// follow-up and a deal), `{other}` (another of east_owner's), `{pool}` (in the pool),
    /// `{merged}` (east_owner's, merged into another of theirs), `{deal}` (on `{customer}`),
    /// `{case}` (east_third's appeal for `{customer}`), `{rule}` (routing to east),
    /// `{webhook}`, `{import}` (east_owner's import job), `{n}` (a number unique to the cell).
    path: &'static str,
    /// JSON with the same placeholders; `file:…` is sent as a file (octet-stream); empty: no
    /// body.
    body: &'static str,
    /// admin, manager, other manager, owner, peer, outsider, no valid session.
    expect: [u16; 7],
    /// Logs the caller in afresh for this cell (logout ends the session it is sent with).
    fresh_session: bool,
}

macro_rules! rows {
    ($( $m:ident $path:literal $body:literal => [$($s:literal),*] $($fresh:ident)? ;)*) => {
        vec![$(Row {
            method: Method::$m,
            path: $path,
            body: $body,
            expect: [$($s),*],
            fresh_session: false $(|| stringify!($fresh) == "fresh")?,
        }),*]
    };
}

/// The permission matrix. Columns: admin, manager of the object's team, manager of another
/// team, rep who owns the object, rep of the same team, rep of another team, and callers
/// without a valid session (no token, a logged-out token, an expired token).
fn matrix() -> Vec<Row> {
    rows! {
        //                                                                                adm  mgr  mg2  own  peer out  none
        POST   "/auth/login" r#"{"username":"east_peer","password":"{password}"}"#    => [200, 200, 200, 200, 200, 200, 200];
        POST   "/auth/logout" ""                                                       => [204, 204, 204, 204, 204, 204, 401] fresh;
        GET    "/me" ""                                                                => [200, 200, 200, 200, 200, 200, 401];

        POST   "/customers" r#"{"name":"{name}"}"#                                     => [201, 201, 201, 201, 201, 201, 401];
        POST   "/customers/check" r#"{"name":"{name}"}"#                               => [200, 200, 200, 200, 200, 200, 401];
        GET    "/customers" ""                                                         => [200, 200, 200, 200, 200, 200, 401];
        GET    "/customers?scope=mine" ""                                              => [200, 200, 200, 200, 200, 200, 401];
        GET    "/customers?scope=team" ""                                              => [200, 200, 200, 403, 403, 403, 401];
        GET    "/customers?scope=all" ""                                               => [200, 403, 403, 403, 403, 403, 401];
        GET    "/customers?scope=pool" ""                                              => [200, 200, 200, 200, 200, 200, 401];
        GET    "/customers?owner=east_owner&scope=team" ""                             => [200, 200, 200, 403, 403, 403, 401];
        GET    "/customers/{customer}" ""                                              => [200, 200, 403, 200, 403, 403, 401];
        GET    "/customers/{pool}" ""                                                  => [200, 200, 200, 200, 200, 200, 401];
        GET    "/customers/{merged}" ""                                                => [308, 308, 308, 308, 308, 308, 401];
        GET    "/customers/999999999" ""                                               => [404, 404, 404, 404, 404, 404, 401];
        PATCH  "/customers/{customer}" r#"{"address":"新地址 {n} 号"}"#                => [200, 200, 403, 200, 403, 403, 401];
        PATCH  "/customers/{pool}" r#"{"address":"新地址 {n} 号"}"#                    => [200, 403, 403, 403, 403, 403, 401];
        POST   "/customers/{customer}/merge" r#"{"duplicate_id":{other}}"#             => [200, 200, 403, 200, 403, 403, 401];
        POST   "/customers/{merged}/unmerge" ""                                        => [200, 200, 403, 200, 403, 403, 401];

        POST   "/customers/{customer}/followups" r#"{"kind":"call","note":"回访 {n}"}"# => [201, 201, 403, 201, 403, 403, 401];
        GET    "/customers/{customer}/followups" ""                                    => [200, 200, 403, 200, 403, 403, 401];
        POST   "/customers/{pool}/followups" r#"{"note":"回访 {n}"}"#                   => [201, 403, 403, 403, 403, 403, 401];
        GET    "/customers/{pool}/followups" ""                                        => [200, 403, 403, 403, 403, 403, 401];
        POST   "/customers/{customer}/deals" r#"{"title":"商机 {n}","amount":1000}"#   => [201, 201, 403, 201, 403, 403, 401];
        GET    "/customers/{customer}/deals" ""                                        => [200, 200, 403, 200, 403, 403, 401];
        PUT    "/deals/{deal}" r#"{"title":"赢单 {n}","stage":"won"}"#                 => [200, 200, 403, 200, 403, 403, 401];

        POST   "/customers/{pool}/claim" ""                                            => [200, 200, 200, 200, 200, 200, 401];
        POST   "/customers/{customer}/claim" ""                                        => [409, 409, 409, 409, 409, 409, 401];
        POST   "/customers/{customer}/release" r#"{"reason":"暂无需求"}"#               => [200, 200, 403, 200, 403, 403, 401];
        POST   "/customers/{customer}/transfer" r#"{"to":"east_peer"}"#                => [200, 200, 403, 403, 403, 403, 401];
        POST   "/customers/{customer}/transfer" r#"{"to":"west_rep"}"#                 => [200, 403, 403, 403, 403, 403, 401];
        GET    "/audit" ""                                                             => [200, 200, 200, 200, 200, 200, 401];
        GET    "/audit?customer_id={customer}" ""                                      => [200, 200, 403, 200, 403, 403, 401];

        GET    "/collisions" ""                                                        => [200, 200, 200, 200, 200, 200, 401];
        GET    "/collisions?status=open" ""                                            => [200, 200, 200, 200, 200, 200, 401];
        POST   "/collisions" r#"{"customer_id":{customer},"reason":"已有在谈商机"}"#   => [201, 201, 201, 409, 201, 201, 401];
        GET    "/collisions/{case}" ""                                                 => [200, 200, 403, 200, 403, 403, 401];
        POST   "/collisions/{case}/decide" r#"{"winner":"east_owner"}"#                => [200, 200, 403, 403, 403, 403, 401];
        POST   "/collisions/scan" ""                                                   => [200, 403, 403, 403, 403, 403, 401];

        GET    "/pool" ""                                                              => [200, 200, 200, 200, 200, 200, 401];
        GET    "/pool/policy" ""                                                       => [200, 200, 200, 200, 200, 200, 401];
        PUT    "/pool/policy" r#"{"daily_claim_limit":0}"#                             => [200, 403, 403, 403, 403, 403, 401];
        GET    "/teams/east/pool/policy" ""                                            => [200, 200, 200, 200, 200, 200, 401];
        PUT    "/teams/east/pool/policy" r#"{"protection_days":3}"#                    => [200, 403, 403, 403, 403, 403, 401];
        POST   "/pool/recycle?dry_run=true" ""                                         => [200, 403, 403, 403, 403, 403, 401];
        POST   "/pool/recycle" ""                                                      => [200, 403, 403, 403, 403, 403, 401];

        POST   "/leads" r#"{"name":"{name}","source":"官网"}"#                          => [201, 201, 201, 201, 201, 201, 401];
        GET    "/assignment/rules" ""                                                  => [200, 200, 200, 200, 200, 200, 401];
        POST   "/assignment/rules" r#"{"name":"规则 {n}","team":"east","strategy":"round_robin","when":{"source":["展会 {n}"]}}"#
                                                                                       => [201, 201, 403, 403, 403, 403, 401];
        GET    "/assignment/rules/{rule}" ""                                           => [200, 200, 200, 200, 200, 200, 401];
        PUT    "/assignment/rules/{rule}" r#"{"name":"规则 {n} 改","team":"east","strategy":"least_loaded","when":{"source":["展会 {n}"]}}"#
                                                                                       => [200, 200, 403, 403, 403, 403, 401];
        DELETE "/assignment/rules/{rule}" ""                                           => [204, 204, 403, 403, 403, 403, 401];
        GET    "/assignment/rules/{rule}/versions" ""                                  => [200, 200, 200, 200, 200, 200, 401];
        POST   "/assignment/dry-run" r#"{"name":"{name}","source":"展会 {n}"}"#         => [200, 200, 200, 200, 200, 200, 401];

        GET    "/reports" ""                                                           => [200, 200, 200, 403, 403, 403, 401];
        GET    "/reports?team=east" ""                                                 => [200, 200, 200, 403, 403, 403, 401];
        GET    "/reports/download?format=csv" ""                                       => [200, 200, 200, 403, 403, 403, 401];
        GET    "/reports/download?format=xlsx" ""                                      => [200, 200, 200, 403, 403, 403, 401];
        GET    "/reports/chart?chart=pool" ""                                          => [200, 200, 200, 403, 403, 403, 401];

        GET    "/users" ""                                                             => [200, 200, 200, 200, 200, 200, 401];
        POST   "/users" r#"{"username":"new{n}","password":"{password}","role":"rep","team":"east"}"#
                                                                                       => [201, 403, 403, 403, 403, 403, 401];
        GET    "/users/east_owner" ""                                                  => [200, 200, 403, 200, 403, 403, 401];
        PATCH  "/users/east_third" r#"{"display_name":"第三位 {n}"}"#                  => [200, 403, 403, 403, 403, 403, 401];
        GET    "/teams" ""                                                             => [200, 200, 200, 200, 200, 200, 401];
        POST   "/teams" r#"{"name":"团队 {n}"}"#                                        => [201, 403, 403, 403, 403, 403, 401];

        GET    "/webhooks" ""                                                          => [200, 403, 403, 403, 403, 403, 401];
        POST   "/webhooks" r#"{"name":"hook {n}","url":"http://127.0.0.1:9/h{n}"}"#     => [201, 403, 403, 403, 403, 403, 401];
        PUT    "/webhooks/{webhook}" r#"{"name":"hook {n}","url":"http://127.0.0.1:9/x{n}"}"#
                                                                                       => [200, 403, 403, 403, 403, 403, 401];
        DELETE "/webhooks/{webhook}" ""                                                => [204, 403, 403, 403, 403, 403, 401];
        GET    "/webhooks/{webhook}/deliveries" ""                                     => [200, 403, 403, 403, 403, 403, 401];

        GET    "/events" ""                                                            => [200, 200, 200, 200, 200, 200, 401];

        POST   "/imports?filename=a{n}.csv" "file:name\n{name}\n"                      => [202, 202, 202, 202, 202, 202, 401];
        POST   "/imports?filename=a{n}.csv&owner=east_owner" "file:name\n{name}\n"     => [202, 202, 403, 202, 403, 403, 401];
        GET    "/imports" ""                                                           => [200, 200, 200, 200, 200, 200, 401];
        GET    "/imports/{import}" ""                                                  => [200, 200, 404, 200, 404, 404, 401];
        GET    "/imports/{import}/result" ""                                           => [200, 200, 404, 200, 404, 404, 401];
        POST   "/imports/followups?filename=f{n}.csv" "file:客户名称,跟进内容,跟进时间\n{name},call,2023-05-01\n" => [200, 200, 200, 403, 403, 403, 401];
    }
}

/// The objects one cell works on, made on demand.
#[derive(Default)]
struct World {
    customer: Option<i64>,
    deal: Option<i64>,
    other: Option<i64>,
    pool: Option<i64>,
    merged: Option<i64>,
    case: Option<i64>,
    rule: Option<i64>,
    webhook: Option<i64>,
    import: Option<i64>,
}

/// What only those who see `{customer}` in full may read.
struct Secrets(Vec<String>);

fn secrets(n: u64) -> Secrets {
    Secrets(vec![
        phone(n, "139"),
        phone(n, "137"),
        format!("zongjingli{n}@firm{n}.cn"),
        format!("机密路 {n} 号"),
        format!("联系人甲{n}"),
        format!("机密跟进 {n}"),
        format!("机密商机 {n}"),
    ])
}

fn phone(n: u64, prefix: &str) -> String {
    format!("{prefix}{:08}", 10_000_000 + n)
}

/// A company name of its own for each `n` and `salt`: different enough from every other that
/// no two are duplicates.
fn name(n: u64, salt: u64) -> String {
    const CHARS: &[char] = &[
        '甲', '乙', '丙', '丁', '戊', '己', '庚', '辛', '壬', '癸', '子', '丑', '寅', '卯', '辰',
        '巳', '午', '未', '申', '酉', '戌', '亥', '金', '木', '水', '火', '土', '日', '月', '星',
        '云', '雷', '雨', '风', '霜', '雪', '松', '竹', '梅', '兰', '菊', '荷', '桂', '枫', '柳',
    ];
    let mut x = (n * 1_000_003 + salt * 7_919 + 12_345).wrapping_mul(2_654_435_761) >> 7;
    let mut core = String::new();
    for _ in 0..4 {
        core.push(CHARS[(x % CHARS.len() as u64) as usize]);
        x /= CHARS.len() as u64;
    }
    format!("{core}{n}号科技有限公司")
}

struct Matrix {
    app: TestApp,
    /// Does not follow redirects: a merged customer's 308 is the answer under test.
    http: reqwest::Client,
    admin: String,
    owner: String,
    feeder: String,
    third: String,
    revoked: String,
    expired: String,
    manager: String,
    other_manager: String,
    peer: String,
    outsider: String,
    next: u64,
}

struct Answer {
    status: StatusCode,
    text: String,
    location: Option<String>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

impl Matrix {
    async fn setup(backend: Backend) -> Matrix {
        let app = TestApp::spawn(backend).await;
        // An admin logs in, then more than the session lifetime passes: that token has
        // expired. Everyone else logs in afterwards.
        let expired = app.user("root", Role::Admin, None, None).await;
        app.clock
            .advance(chrono::Duration::days(3650) + chrono::Duration::minutes(1));
        let admin = app.login("root").await;
        let revoked = app.login("root").await;
        let (s, _) = app
            .call(Method::POST, "/api/v1/auth/logout", Some(&revoked), None)
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let cap = Some(1_000_000);
        let manager = app.user("east_mgr", Role::Manager, Some("east"), cap).await;
        let other_manager = app.user("west_mgr", Role::Manager, Some("west"), cap).await;
        let owner = app.user("east_owner", Role::Rep, Some("east"), cap).await;
        let peer = app.user("east_peer", Role::Rep, Some("east"), cap).await;
        let outsider = app.user("west_rep", Role::Rep, Some("west"), cap).await;
        let third = app.user("east_third", Role::Rep, Some("east"), cap).await;
        let feeder = app.user("feeder", Role::Rep, Some("north"), cap).await;
        // Claims are limited per day by default; the matrix claims more than that.
        let (s, v) = app
            .put(
                "/api/v1/pool/policy",
                &admin,
                json!({"daily_claim_limit": 0, "owner_cap": 1_000_000}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        Matrix {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            app,
            admin,
            owner,
            feeder,
            third,
            revoked,
            expired,
            manager,
            other_manager,
            peer,
            outsider,
            next: 0,
        }
    }

    fn token(&self, actor: Actor) -> Option<&str> {
        Some(match actor {
            Actor::Admin => &self.admin,
            Actor::Manager => &self.manager,
            Actor::OtherManager => &self.other_manager,
            Actor::Owner => &self.owner,
            Actor::Peer => &self.peer,
            Actor::Outsider => &self.outsider,
            Actor::Anonymous => return None,
            Actor::Revoked => &self.revoked,
            Actor::Expired => &self.expired,
        })
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Answer {
        let mut req = self
            .http
            .request(method, format!("{}/api/v1{path}", self.app.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        match body.map(|b| (b, b.strip_prefix("file:"))) {
            Some((_, Some(file))) => {
                req = req
                    .header("content-type", "application/octet-stream")
                    .body(file.to_string());
            }
            Some((b, None)) => {
                req = req
                    .header("content-type", "application/json")
                    .body(b.to_string());
            }
            None => {}
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let location = resp
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_string);
        let is_stream = resp
            .headers()
            .get("content-type")
            .and_then(|c| c.to_str().ok())
            .is_some_and(|c| c.starts_with("text/event-stream"));
        // The event stream never ends: its status and headers are the answer.
        let text = if is_stream {
            String::new()
        } else {
            resp.text().await.expect("body")
        };
        Answer {
            status,
            text,
            location,
        }
    }

    /// A request that must succeed with `expect`; returns the JSON answer.
    async fn must(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Value,
        expect: u16,
    ) -> Value {
        let body = (!body.is_null()).then(|| body.to_string());
        let a = self.send(method, path, Some(token), body.as_deref()).await;
        assert_eq!(a.status.as_u16(), expect, "setup {path}: {}", a.text);
        a.json()
    }

    async fn customer(&self, n: u64, salt: u64) -> i64 {
        let v = self
            .must(
                Method::POST,
                "/customers",
                &self.owner,
                json!({"name": name(n, salt)}),
                201,
            )
            .await;
        v["id"].as_i64().expect("id")
    }

    /// Makes what `text` refers to.
    async fn build(&self, text: &str, n: u64, w: &mut World) {
        let wants = |p: &str| text.contains(p);
        if wants("{customer}") || wants("{deal}") || wants("{case}") {
            let s = secrets(n);
            let v = self
                .must(
                    Method::POST,
                    "/customers",
                    &self.owner,
                    json!({"name": name(n, 0), "phones": [s.0[0]], "emails": [s.0[2]],
                           "address": s.0[3],
                           "contacts": [{"name": s.0[4], "phones": [s.0[1]]}]}),
                    201,
                )
                .await;
            let id = v["id"].as_i64().expect("id");
            let path = format!("/customers/{id}/followups");
            self.must(
                Method::POST,
                &path,
                &self.owner,
                json!({"note": s.0[5]}),
                201,
            )
            .await;
            let path = format!("/customers/{id}/deals");
            let deal = self
                .must(
                    Method::POST,
                    &path,
                    &self.owner,
                    json!({"title": s.0[6]}),
                    201,
                )
                .await;
            w.customer = Some(id);
            w.deal = deal["id"].as_i64();
        }
        if wants("{case}") {
            let v = self
                .must(
                    Method::POST,
                    "/collisions",
                    &self.third,
                    json!({"customer_id": w.customer, "reason": "我先联系的"}),
                    201,
                )
                .await;
            assert_eq!(v["team"], "east", "{v}");
            w.case = v["id"].as_i64();
        }
        if wants("{other}") {
            w.other = Some(self.customer(n, 1).await);
        }
        if wants("{pool}") {
            let v = self
                .must(
                    Method::POST,
                    "/customers",
                    &self.feeder,
                    json!({"name": name(n, 2), "phones": [phone(n, "136")]}),
                    201,
                )
                .await;
            let id = v["id"].as_i64().expect("id");
            let path = format!("/customers/{id}/release");
            self.must(Method::POST, &path, &self.feeder, Value::Null, 200)
                .await;
            w.pool = Some(id);
        }
        if wants("{merged}") {
            let survivor = self.customer(n, 3).await;
            let merged = self.customer(n, 4).await;
            let path = format!("/customers/{survivor}/merge");
            self.must(
                Method::POST,
                &path,
                &self.owner,
                json!({"duplicate_id": merged}),
                200,
            )
            .await;
            w.merged = Some(merged);
        }
        if wants("{rule}") {
            let v = self
                .must(
                    Method::POST,
                    "/assignment/rules",
                    &self.admin,
                    json!({"name": format!("规则 {n}"), "team": "east", "strategy": "round_robin",
                           "when": {"source": [format!("展会 {n}")]}}),
                    201,
                )
                .await;
            w.rule = v["id"].as_i64();
        }
        if wants("{import}") {
            let file = format!("file:name\n{}\n", name(n, 5));
            let a = self
                .send(
                    Method::POST,
                    &format!("/imports?filename=f{n}.csv"),
                    Some(&self.owner),
                    Some(&file),
                )
                .await;
            assert_eq!(a.status, StatusCode::ACCEPTED, "setup import: {}", a.text);
            w.import = a.json()["id"].as_i64();
        }
        if wants("{webhook}") {
            let v = self
                .must(
                    Method::POST,
                    "/webhooks",
                    &self.admin,
                    json!({"name": format!("hook {n}"), "url": format!("http://127.0.0.1:9/w{n}")}),
                    201,
                )
                .await;
            w.webhook = v["id"].as_i64();
        }
    }

    fn fill(text: &str, n: u64, w: &World) -> String {
        let id = |v: Option<i64>| v.map(|i| i.to_string()).unwrap_or_default();
        text.replace("{customer}", &id(w.customer))
            .replace("{deal}", &id(w.deal))
            .replace("{other}", &id(w.other))
            .replace("{pool}", &id(w.pool))
            .replace("{merged}", &id(w.merged))
            .replace("{case}", &id(w.case))
            .replace("{rule}", &id(w.rule))
            .replace("{webhook}", &id(w.webhook))
            .replace("{import}", &id(w.import))
            .replace("{name}", &name(n, 9))
            .replace("{password}", PASSWORD)
            .replace("{n}", &n.to_string())
    }

    /// The customer as an admin sees it, with its follow-ups and deals.
    async fn snapshot(&self, id: i64) -> Value {
        let c = self
            .must(
                Method::GET,
                &format!("/customers/{id}"),
                &self.admin,
                Value::Null,
                200,
            )
            .await;
        let f = self
            .must(
                Method::GET,
                &format!("/customers/{id}/followups"),
                &self.admin,
                Value::Null,
                200,
            )
            .await;
        let d = self
            .must(
                Method::GET,
                &format!("/customers/{id}/deals"),
                &self.admin,
                Value::Null,
                200,
            )
            .await;
        json!([c, f, d])
    }

    /// Runs one cell; returns what is wrong with the answer, if anything.
    async fn cell(&mut self, row: &Row, actor: Actor) -> Option<String> {
        self.next += 1;
        let n = self.next;
        let mut w = World::default();
        self.build(&format!("{} {}", row.path, row.body), n, &mut w)
            .await;
        let path = Self::fill(row.path, n, &w);
        let body = (!row.body.is_empty()).then(|| Self::fill(row.body, n, &w));
        let before = match w.customer {
            Some(id) => Some(self.snapshot(id).await),
            None => None,
        };
        let fresh;
        let token = match (row.fresh_session, actor.column() < 6) {
            (true, true) => {
                fresh = self.app.login(actor.username().expect("a user")).await;
                Some(fresh.as_str())
            }
            _ => self.token(actor),
        };
        let a = self
            .send(row.method.clone(), &path, token, body.as_deref())
            .await;
        let expected = row.expect[actor.column()];
        let mut wrong = Vec::new();
        if a.status.as_u16() != expected {
            wrong.push(format!(
                "status {} (expected {expected})",
                a.status.as_u16()
            ));
        }
        let v = a.json();
        if a.status.is_client_error() || a.status.is_server_error() || a.status.is_redirection() {
            if !v["error"].is_string() || !v["message"].is_string() {
                wrong.push("error without `error` and `message`".into());
            }
            if a.status == StatusCode::UNAUTHORIZED && v["error"] != "unauthenticated" {
                wrong.push(format!("401 `{}`, not `unauthenticated`", v["error"]));
            }
        }
        if a.status == StatusCode::PERMANENT_REDIRECT
            && a.location.as_deref() != Some(&format!("/api/v1/customers/{}", v["merged_into"]))
        {
            wrong.push(format!("308 to {:?}", a.location));
        }
        if !actor.sees_customer() && w.customer.is_some() {
            for s in &secrets(n).0 {
                if a.text.contains(s.as_str()) {
                    wrong.push(format!("leaks “{s}”"));
                }
            }
        }
        // A pool customer's phone is masked for all but admins (and whoever claims it).
        if actor != Actor::Admin && !row.path.ends_with("/claim") && w.pool.is_some() {
            let p = phone(n, "136");
            if a.text.contains(&p) {
                wrong.push(format!("leaks the pool customer's “{p}”"));
            }
        }
        if let (Some(before), Some(id)) = (before, w.customer)
            && a.status.as_u16() >= 400
            && self.snapshot(id).await != before
        {
            wrong.push("refused, yet the customer changed".into());
        }
        (!wrong.is_empty()).then(|| {
            format!(
                "{} {} as {actor:?}: {} — {}",
                row.method,
                row.path,
                wrong.join("; "),
                a.text.chars().take(300).collect::<String>()
            )
        })
    }
}

/// `/customers/{id}?x` → `/customers/{}`: a path as the OpenAPI document writes it, without
/// parameter names or query.
fn shape(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let mut out = String::new();
    let mut in_param = false;
    for ch in path.chars() {
        match ch {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if !in_param => out.push(ch),
            _ => {}
        }
    }
    // Literal ids and names in the matrix stand for the path parameter they fill.
    out.split('/')
        .enumerate()
        .map(|(i, seg)| {
            let param = seg.chars().all(|c| c.is_ascii_digit())
                || (i >= 2 && matches!(seg, "east" | "east_owner" | "east_third"));
            if param && !seg.is_empty() {
                "{}".to_string()
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn permission_matrix(backend: Backend) {
    let mut m = Matrix::setup(backend).await;
    let rows = matrix();

    // The matrix covers every operation of the OpenAPI document, and nothing else.
    let (s, doc) = m
        .app
        .call(Method::GET, "/api/openapi.json", None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("operations").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                let path = path.strip_prefix("/api/v1").unwrap_or(path);
                documented.insert(format!("{} {}", method.to_uppercase(), shape(path)));
            }
        }
    }
    let covered: BTreeSet<String> = rows
        .iter()
        .map(|r| format!("{} {}", r.method, shape(r.path)))
        .collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "endpoints missing from the matrix: {missing:?}"
    );
    let unknown: Vec<_> = covered.difference(&documented).collect();
    assert!(
        unknown.is_empty(),
        "matrix rows for undocumented endpoints: {unknown:?}"
    );

    let mut failures = Vec::new();
    for row in &rows {
        for actor in ACTORS {
            if let Some(f) = m.cell(row, actor).await {
                failures.push(f);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cells wrong:\n{}",
        failures.len(),
        rows.len() * ACTORS.len(),
        failures.join("\n")
    );
}

async fn me(app: &TestApp, token: &str) -> StatusCode {
    app.get("/api/v1/me", token).await.0
}

async fn sessions_expire_and_end_at_logout_deactivation_and_password_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("root", Role::Admin, None, None).await;
    app.user("zhangsan", Role::Rep, Some("east"), None).await;

    // A token works until the moment the login said it expires, and not a second longer.
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "zhangsan", "password": PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let token = v["token"].as_str().expect("token").to_string();
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(v["expires_at"].clone()).expect("expires_at");
    let now = app.clock.now();
    assert!(expires > now, "{v}");
    app.clock
        .advance(expires - now - chrono::Duration::seconds(1));
    assert_eq!(me(&app, &token).await, StatusCode::OK);
    app.clock.advance(chrono::Duration::seconds(2));
    let (s, v) = app.get("/api/v1/customers", &token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "expired token: {v}");
    assert_eq!(v["error"], "unauthenticated");

    // With the shipped default (12 hours) rather than the tests' long sessions.
    let clock = std::sync::Arc::new(leadguard_domain::clock::ManualClock::new(app.clock.now()));
    let service = leadguard_service::Service::new(
        app.store.clone(),
        std::sync::Arc::new(leadguard_matching::WeightedMatcher::default()),
        clock.clone(),
        leadguard_service::Config::default(),
    );
    let login = service.login("zhangsan", PASSWORD).await.expect("login");
    assert_eq!(login.expires_at - clock.now(), chrono::Duration::hours(12));
    clock.advance(chrono::Duration::hours(12) - chrono::Duration::seconds(1));
    assert!(service.authenticate(&login.token).await.is_ok());
    clock.advance(chrono::Duration::seconds(1));
    assert!(matches!(
        service.authenticate(&login.token).await,
        Err(leadguard_service::ServiceError::Unauthenticated)
    ));

    // Logout ends that session only; the token is dead for every endpoint, and stays dead.
    // Sessions from before the clock moves above have expired: log in again.
    let admin = app.login("root").await;
    let first = app.login("zhangsan").await;
    let second = app.login("zhangsan").await;
    let (s, _) = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&first), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(me(&app, &first).await, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .post(
            "/api/v1/customers",
            &first,
            json!({"name": "退出后录入有限公司"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&first), None)
        .await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "a second logout with the same token"
    );
    assert_eq!(me(&app, &second).await, StatusCode::OK, "the other session");
    assert_eq!(app.customer_count().await, 0);

    // Deactivation (by an admin, over HTTP) ends every session; reactivating the user does
    // not bring the old tokens back.
    let third = app.login("zhangsan").await;
    let (s, v) = app
        .patch("/api/v1/users/zhangsan", &admin, json!({"active": false}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(me(&app, &second).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &third).await, StatusCode::UNAUTHORIZED);
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "zhangsan", "password": PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(v["error"], "invalid_credentials");
    let (s, _) = app
        .patch("/api/v1/users/zhangsan", &admin, json!({"active": true}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me(&app, &second).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &third).await, StatusCode::UNAUTHORIZED);

    // A new password ends the sessions too, and the old password stops working.
    let fourth = app.login("zhangsan").await;
    let (s, _) = app
        .patch(
            "/api/v1/users/zhangsan",
            &admin,
            json!({"password": "another-long-password"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me(&app, &fourth).await, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "zhangsan", "password": PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "zhangsan", "password": "another-long-password"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

/// Runs `sql` (one text column) on the test database.
async fn strings(app: &TestApp, sql: &'static str) -> Vec<String> {
    let mut conn = app.store.read().await.expect("conn");
    match conn.exec() {
        leadguard_store::Exec::Sqlite(c) => sqlx::query_scalar::<_, String>(sql)
            .fetch_all(&mut *c)
            .await
            .expect(sql),
        leadguard_store::Exec::Postgres(c) => sqlx::query_scalar::<_, String>(sql)
            .fetch_all(&mut *c)
            .await
            .expect(sql),
    }
}

async fn passwords_are_stored_as_argon2id_hashes_and_tokens_as_hashes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.user("root", Role::Admin, None, None).await;
    let rep = app.user("zhangsan", Role::Rep, Some("east"), None).await;
    // Through the API as well as through the service.
    let (s, v) = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "lisi", "password": "lisi-secret-pass", "role": "rep", "team": "east"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(!v.to_string().contains("lisi-secret-pass"), "{v}");
    assert!(
        !v.to_string().contains("argon2"),
        "the hash is not handed out: {v}"
    );

    // (`_system`, the actor of recycling, has no password at all and cannot log in.)
    let hashes = strings(
        &app,
        "SELECT password_hash FROM users WHERE username <> '_system' ORDER BY id",
    )
    .await;
    assert_eq!(hashes.len(), 3);
    for h in &hashes {
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(
            !h.contains(PASSWORD) && !h.contains("lisi-secret-pass"),
            "{h}"
        );
    }
    // Salted: the same password gives different hashes.
    assert_ne!(hashes[0], hashes[1]);
    // Nothing else in the users table holds the password either.
    let rows = strings(
        &app,
        "SELECT username || '|' || display_name || '|' || role FROM users",
    )
    .await;
    assert!(rows.iter().all(|r| !r.contains(PASSWORD)), "{rows:?}");

    // Sessions keep only a hash of the token: a copy of the database does not log anyone in.
    let stored = strings(&app, "SELECT token_hash FROM sessions").await;
    assert_eq!(stored.len(), 2);
    for t in [&admin, &rep] {
        assert!(stored.iter().all(|s| !s.contains(t.as_str())), "{stored:?}");
        let (s, _) = app.get("/api/v1/me", t).await;
        assert_eq!(s, StatusCode::OK);
    }
    for s in &stored {
        let (status, _) = app.get("/api/v1/me", s).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "the stored hash is not a token"
        );
    }
}
