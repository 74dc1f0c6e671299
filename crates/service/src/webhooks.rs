//! Managing webhooks (admins). Delivery itself is the server's: it owns the HTTP client.

use leadguard_domain::Id;
use leadguard_domain::event::EventType;
use leadguard_domain::user::User;
use leadguard_store::{Delivery, NewWebhook, Webhook};
use serde::{Deserialize, Serialize};

use crate::Service;
use crate::error::{Result, ServiceError};

/// Message format of a webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// JSON event, signed `X-Leadguard-Signature: sha256=HEX(HMAC-SHA256(secret, body))`.
    Generic,
    /// 企业微信 group robot (markdown message).
    Wecom,
    /// 钉钉 group robot (markdown; signed with timestamp+secret when a secret is set).
    Dingtalk,
    /// 飞书 group robot (text; signed when a secret is set).
    Feishu,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Generic => "generic",
            WebhookFormat::Wecom => "wecom",
            WebhookFormat::Dingtalk => "dingtalk",
            WebhookFormat::Feishu => "feishu",
        }
    }

    pub fn parse(s: &str) -> Option<WebhookFormat> {
        [
            WebhookFormat::Generic,
            WebhookFormat::Wecom,
            WebhookFormat::Dingtalk,
            WebhookFormat::Feishu,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookView {
    pub id: Id,
    pub name: String,
    pub url: String,
    pub format: WebhookFormat,
    /// Whether a secret is set (it is never shown again).
    pub signed: bool,
    /// Event types sent; empty: all.
    pub events: Vec<EventType>,
    pub active: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl WebhookView {
    fn new(w: Webhook) -> Self {
        WebhookView {
            format: WebhookFormat::parse(&w.format).unwrap_or(WebhookFormat::Generic),
            signed: w.secret.as_deref().is_some_and(|s| !s.is_empty()),
            events: serde_json::from_str(&w.events).unwrap_or_default(),
            id: w.id,
            name: w.name,
            url: w.url,
            active: w.active,
            created_at: w.created_at,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    pub name: String,
    /// http(s) URL of the receiver (a robot's full webhook URL for WeCom, DingTalk, Feishu).
    pub url: String,
    #[serde(default = "generic")]
    pub format: WebhookFormat,
    /// HMAC key (generic), or the robot's signing secret (DingTalk 加签, Feishu 签名校验).
    #[serde(default)]
    pub secret: Option<String>,
    /// Event types to send; absent or empty: all.
    #[serde(default)]
    pub events: Vec<EventType>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn generic() -> WebhookFormat {
    WebhookFormat::Generic
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryView {
    pub id: Id,
    pub event_id: Id,
    /// pending, delivered or failed (given up).
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: chrono::DateTime<chrono::Utc>,
    pub last_error: Option<String>,
    pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        DeliveryView {
            id: d.id,
            event_id: d.event_id,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
        }
    }
}

fn require_admin(actor: &User) -> Result<()> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(ServiceError::forbidden("only an admin may manage webhooks"))
    }
}

fn validate(w: &WebhookInput) -> Result<()> {
    let mut errs = Vec::new();
    let n = w.name.trim().chars().count();
    if n == 0 || n > 100 {
        errs.push(leadguard_domain::FieldError::new(
            "name",
            "invalid_name",
            "the name must be 1 to 100 characters",
        ));
    }
    let url = w.url.trim();
    if !(url.starts_with("http://") || url.starts_with("https://"))
        || url.len() > 2000
        || url.contains(char::is_whitespace)
    {
        errs.push(leadguard_domain::FieldError::new(
            "url",
            "invalid_url",
            "give an http:// or https:// URL",
        ));
    }
    if w.secret.as_deref().is_some_and(|s| s.len() > 500) {
        errs.push(leadguard_domain::FieldError::new(
            "secret",
            "too_long",
            "the secret must be at most 500 bytes",
        ));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Invalid(errs))
    }
}

impl Service {
    pub async fn create_webhook(&self, actor: &User, w: WebhookInput) -> Result<WebhookView> {
        require_admin(actor)?;
        validate(&w)?;
        let events =
            serde_json::to_string(&w.events).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let mut tx = self.store.begin().await?;
        let mut created = tx
            .exec()
            .insert_webhook(&NewWebhook {
                name: w.name.trim(),
                url: w.url.trim(),
                format: w.format.as_str(),
                secret: w.secret.as_deref().filter(|s| !s.is_empty()),
                events: &events,
                created_by: actor.id,
                now: self.now(),
            })
            .await?;
        if !w.active {
            tx.exec()
                .update_webhook(
                    created.id,
                    &created.name,
                    &created.url,
                    &created.format,
                    created.secret.as_deref(),
                    &events,
                    false,
                )
                .await?;
            created.active = false;
        }
        tx.commit().await?;
        Ok(WebhookView::new(created))
    }

    pub async fn list_webhooks(&self, actor: &User) -> Result<Vec<WebhookView>> {
        require_admin(actor)?;
        let mut conn = self.store.read().await?;
        Ok(conn
            .exec()
            .list_webhooks()
            .await?
            .into_iter()
            .map(WebhookView::new)
            .collect())
    }

    /// Replaces a webhook's settings; an absent secret keeps the old one.
    pub async fn update_webhook(
        &self,
        actor: &User,
        id: Id,
        w: WebhookInput,
    ) -> Result<WebhookView> {
        require_admin(actor)?;
        validate(&w)?;
        let events =
            serde_json::to_string(&w.events).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let mut tx = self.store.begin().await?;
        let old = tx
            .exec()
            .webhook(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "webhook" })?;
        let secret = match &w.secret {
            Some(s) if s.is_empty() => None,
            Some(s) => Some(s.clone()),
            None => old.secret,
        };
        tx.exec()
            .update_webhook(
                id,
                w.name.trim(),
                w.url.trim(),
                w.format.as_str(),
                secret.as_deref(),
                &events,
                w.active,
            )
            .await?;
        let updated = tx
            .exec()
            .webhook(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "webhook" })?;
        tx.commit().await?;
        Ok(WebhookView::new(updated))
    }

    pub async fn delete_webhook(&self, actor: &User, id: Id) -> Result<()> {
        require_admin(actor)?;
        let mut tx = self.store.begin().await?;
        if !tx.exec().delete_webhook(id).await? {
            return Err(ServiceError::NotFound { what: "webhook" });
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn webhook_deliveries(&self, actor: &User, id: Id) -> Result<Vec<DeliveryView>> {
        require_admin(actor)?;
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        exec.webhook(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "webhook" })?;
        Ok(exec
            .deliveries(id, 200)
            .await?
            .into_iter()
            .map(DeliveryView::from)
            .collect())
    }
}
