//! Delivering webhook messages from the outbox: claim a due delivery with a lease, send it,
//! record the outcome, next. A receiver that is down is retried with exponential backoff; a
//! process that dies mid-send leaves a lease that expires, and that one delivery is sent again
//! (receivers recognize the repeat by `X-Leadguard-Event-Id`).

use std::time::Duration;

use base64::Engine;
use chrono::Utc;
use hmac::{Hmac, KeyInit, Mac};
use leadguard_domain::event::Event;
use leadguard_service::{Service, WebhookFormat};
use leadguard_store::DeliveryJob;
use sha2::Sha256;

/// Attempts before a delivery is given up (about a day and a half of retries).
pub const MAX_ATTEMPTS: i64 = 40;
/// How long a claimed delivery is reserved: longer than sending it (at most `SEND_TIMEOUT`)
/// and recording the outcome take, so no other worker sends it meanwhile; short, because it is
/// also how long the delivery of a process that died mid-send waits before it is sent again.
/// Deliveries are claimed one at a time, just before they are sent, so a lease never waits on
/// other sends.
const LEASE: chrono::Duration = chrono::Duration::seconds(30);
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries sent per round before the loop checks in again.
const BATCH: i64 = 20;

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| {
        // HMAC accepts keys of any length; this cannot fail.
        <Hmac<Sha256> as KeyInit>::new_from_slice(b"").expect("empty HMAC key")
    });
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

/// Delay before attempt `attempts + 1`: 5 s, 10 s, 20 s … capped at one hour.
pub fn backoff(attempts: i64) -> chrono::Duration {
    let secs = 5i64.saturating_mul(1i64 << attempts.clamp(0, 20));
    chrono::Duration::seconds(secs.min(3600))
}

/// A readable summary of an event for chat robots: title, customer, then the details.
fn summary(e: &Event) -> (String, Vec<String>) {
    let title = e.kind.title_zh().to_string();
    let mut lines = Vec::new();
    if let Some(obj) = e.data.as_object() {
        let label = |k: &str| match k {
            "name" | "entered_name" => "客户",
            "matched_name" => "已有客户",
            "owner" => "归属",
            "previous_owner" => "原归属",
            "by" => "操作人",
            "reason" => "原因",
            "rule" => "规则",
            "due" => "回收时间",
            "winner" => "裁决归属",
            "period" => "周期",
            "blocked" => "拦截撞单",
            "cases_opened" => "新增撞单",
            "cases_decided" => "已裁决",
            "median_hours_to_decide" => "裁决中位时长（小时）",
            "leads_assigned" => "分配线索",
            "gini" => "分配基尼系数",
            "pool_size" => "公海客户",
            "claims" => "领取",
            "recycles" => "回收",
            _ => "",
        };
        for (k, v) in obj {
            let l = label(k);
            if l.is_empty() || v.is_null() {
                continue;
            }
            let text = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            lines.push(format!("{l}：{text}"));
        }
    }
    if let Some(id) = e.customer_id {
        lines.push(format!("客户编号：{id}"));
    }
    (title, lines)
}

/// The request for one delivery: URL (DingTalk signs in the query) and JSON body.
pub fn request(
    format: WebhookFormat,
    url: &str,
    secret: Option<&str>,
    e: &Event,
    now_ms: i64,
) -> (String, serde_json::Value) {
    let (title, lines) = summary(e);
    match format {
        WebhookFormat::Generic => (url.to_string(), serde_json::to_value(e).unwrap_or_default()),
        WebhookFormat::Wecom => {
            let content = format!(
                "**{title}**\n{}",
                lines
                    .iter()
                    .map(|l| format!("> {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            (
                url.to_string(),
                serde_json::json!({"msgtype": "markdown", "markdown": {"content": content}}),
            )
        }
        WebhookFormat::Dingtalk => {
            let text = format!(
                "### {title}\n\n{}",
                lines
                    .iter()
                    .map(|l| format!("- {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            let body = serde_json::json!({"msgtype": "markdown", "markdown": {"title": title, "text": text}});
            let url = match secret {
                Some(s) => {
                    // 钉钉加签: sign = base64(HMAC-SHA256(secret, "{timestamp}\n{secret}")), URL-encoded.
                    let sign = base64::engine::general_purpose::STANDARD.encode(hmac_sha256(
                        s.as_bytes(),
                        format!("{now_ms}\n{s}").as_bytes(),
                    ));
                    let sign: String =
                        url::form_urlencoded::byte_serialize(sign.as_bytes()).collect();
                    let sep = if url.contains('?') { '&' } else { '?' };
                    format!("{url}{sep}timestamp={now_ms}&sign={sign}")
                }
                None => url.to_string(),
            };
            (url, body)
        }
        WebhookFormat::Feishu => {
            let text = std::iter::once(format!("【{title}】"))
                .chain(lines)
                .collect::<Vec<_>>()
                .join("\n");
            let mut body = serde_json::json!({"msg_type": "text", "content": {"text": text}});
            if let Some(s) = secret {
                // 飞书签名校验: sign = base64(HMAC-SHA256(key = "{timestamp}\n{secret}", message = "")).
                let ts = now_ms / 1000;
                let sign = base64::engine::general_purpose::STANDARD
                    .encode(hmac_sha256(format!("{ts}\n{s}").as_bytes(), b""));
                body["timestamp"] = serde_json::json!(ts.to_string());
                body["sign"] = serde_json::json!(sign);
            }
            (url.to_string(), body)
        }
    }
}

/// Whether a 2xx answer also says success in its body (the robots answer 200 with an error
/// code when they refuse a message).
fn accepted(format: WebhookFormat, body: &str) -> Result<(), String> {
    if format == WebhookFormat::Generic {
        return Ok(());
    }
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
    let code = v
        .get("errcode")
        .or_else(|| v.get("code"))
        .or_else(|| v.get("StatusCode"));
    match code.and_then(serde_json::Value::as_i64) {
        None | Some(0) => Ok(()),
        Some(c) => Err(format!(
            "the robot refused the message: code {c}: {}",
            v.get("errmsg")
                .or_else(|| v.get("msg"))
                .map(|m| m.to_string())
                .unwrap_or_default()
        )),
    }
}

async fn send(
    client: &reqwest::Client,
    job: &DeliveryJob,
    now: chrono::DateTime<Utc>,
) -> Result<(), String> {
    let format = WebhookFormat::parse(&job.webhook.format).unwrap_or(WebhookFormat::Generic);
    let secret = job.webhook.secret.as_deref().filter(|s| !s.is_empty());
    let (url, body) = request(
        format,
        &job.webhook.url,
        secret,
        &job.event,
        now.timestamp_millis(),
    );
    let bytes = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
    let mut req = client
        .post(&url)
        .header("Content-Type", "application/json")
        .header("X-Leadguard-Event", job.event.kind.as_str())
        .header("X-Leadguard-Event-Id", job.event.id.to_string())
        .header("X-Leadguard-Delivery", job.delivery_id.to_string());
    if format == WebhookFormat::Generic
        && let Some(s) = secret
    {
        req = req.header(
            "X-Leadguard-Signature",
            format!("sha256={}", hex::encode(hmac_sha256(s.as_bytes(), &bytes))),
        );
    }
    let resp = req
        .body(bytes)
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!(
            "HTTP {status}: {}",
            text.chars().take(200).collect::<String>()
        ));
    }
    accepted(format, &text)
}

/// Sends what is due (up to `BATCH` deliveries, in order, each claimed just before it is
/// sent); returns how many were attempted. Time is the service's clock, so tests move it past
/// a backoff instead of waiting.
pub async fn deliver_due(
    service: &Service,
    client: &reqwest::Client,
) -> leadguard_service::Result<usize> {
    let mut attempted = 0;
    while (attempted as i64) < BATCH {
        let now = service.now();
        let job = {
            let mut tx = service.store().begin().await?;
            let jobs = tx.exec().claim_deliveries(now, now + LEASE, 1).await?;
            tx.commit().await?;
            jobs.into_iter().next()
        };
        let Some(job) = job else { break };
        deliver_one(service, client, &job).await?;
        attempted += 1;
    }
    Ok(attempted)
}

/// Sends one claimed delivery and records the outcome.
async fn deliver_one(
    service: &Service,
    client: &reqwest::Client,
    job: &DeliveryJob,
) -> leadguard_service::Result<()> {
    let outcome = send(client, job, service.now()).await;
    let mut tx = service.store().begin().await?;
    match outcome {
        Ok(()) => {
            tx.exec()
                .delivery_succeeded(job.delivery_id, service.now())
                .await?
        }
        Err(error) => {
            let attempts = job.attempts + 1;
            let retry_at = (attempts < MAX_ATTEMPTS).then(|| service.now() + backoff(job.attempts));
            tracing::warn!(webhook = job.webhook.id, delivery = job.delivery_id, attempts, %error, "webhook delivery failed");
            tx.exec()
                .delivery_failed(job.delivery_id, &error, retry_at)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The HTTP client deliveries are sent with.
pub fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(SEND_TIMEOUT)
        .user_agent(concat!("Leadguard/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The delivery loop: runs until the process ends.
pub async fn run(service: Service, every: Duration) {
    let client = match client() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook HTTP client; webhooks are not delivered");
            return;
        }
    };
    loop {
        match deliver_due(&service, &client).await {
            // More may be waiting: go again at once.
            Ok(n) if n as i64 == BATCH => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "webhook delivery loop"),
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        Event {
            id: 7,
            kind: leadguard_domain::event::EventType::CustomerRecycled,
            at: Utc::now(),
            customer_id: Some(42),
            actor: Some("_system".into()),
            data: serde_json::json!({"name": "星河互联", "rule": "recycle_no_followup"}),
        }
    }

    #[test]
    fn robot_formats() {
        let (_, wecom) = request(
            WebhookFormat::Wecom,
            "https://qyapi.weixin.qq.com/x",
            None,
            &event(),
            0,
        );
        assert_eq!(wecom["msgtype"], "markdown");
        assert!(
            wecom["markdown"]["content"]
                .as_str()
                .unwrap()
                .contains("客户已回收公海")
        );
        let (url, ding) = request(
            WebhookFormat::Dingtalk,
            "https://oapi.dingtalk.com/robot/send?access_token=t",
            Some("SEC1"),
            &event(),
            1_700_000_000_000,
        );
        assert!(url.starts_with(
            "https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1700000000000&sign="
        ));
        assert_eq!(ding["markdown"]["title"], "客户已回收公海");
        let (_, feishu) = request(
            WebhookFormat::Feishu,
            "https://open.feishu.cn/x",
            Some("s"),
            &event(),
            1_700_000_000_000,
        );
        assert_eq!(feishu["msg_type"], "text");
        assert_eq!(feishu["timestamp"], "1700000000");
        assert!(feishu["sign"].as_str().is_some_and(|s| !s.is_empty()));
    }

    #[test]
    fn dingtalk_signature_matches_the_documented_algorithm() {
        // base64(HMAC-SHA256("secret", "1700000000000\nsecret")), computed independently.
        let sig = base64::engine::general_purpose::STANDARD
            .encode(hmac_sha256(b"secret", b"1700000000000\nsecret"));
        assert_eq!(sig.len(), 44);
        assert_eq!(
            hex::encode(hmac_sha256(
                b"key",
                b"The quick brown fox jumps over the lazy dog"
            )),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(0).num_seconds(), 5);
        assert_eq!(backoff(3).num_seconds(), 40);
        assert_eq!(backoff(30).num_seconds(), 3600);
        assert!(accepted(WebhookFormat::Wecom, r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        assert!(
            accepted(
                WebhookFormat::Wecom,
                r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#
            )
            .is_err()
        );
    }
}
