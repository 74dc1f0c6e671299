//! Deals (商机), kept to what ownership needs: a won deal keeps a customer from being recycled
//! for "no deal".

use leadguard_domain::Id;
use leadguard_domain::user::User;
use leadguard_store::DealRow;
use serde::{Deserialize, Serialize};

use crate::Service;
use crate::error::{Result, ServiceError};
use crate::merges::resolve;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DealStage {
    Open,
    Won,
    Lost,
}

impl DealStage {
    fn as_str(self) -> &'static str {
        match self {
            DealStage::Open => "open",
            DealStage::Won => "won",
            DealStage::Lost => "lost",
        }
    }

    fn parse(s: &str) -> DealStage {
        match s {
            "won" => DealStage::Won,
            "lost" => DealStage::Lost,
            _ => DealStage::Open,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deal {
    pub id: Id,
    pub customer_id: Id,
    pub title: String,
    /// Amount in yuan, to the fen.
    pub amount: Option<f64>,
    pub stage: DealStage,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub closed_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<DealRow> for Deal {
    fn from(r: DealRow) -> Self {
        Deal {
            id: r.id,
            customer_id: r.customer_id,
            title: r.title,
            amount: r.amount.map(|c| c as f64 / 100.0),
            stage: DealStage::parse(&r.stage),
            created_at: r.created_at,
            closed_at: r.closed_at,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DealInput {
    pub title: String,
    /// Amount in yuan.
    #[serde(default)]
    pub amount: Option<f64>,
    #[serde(default = "open")]
    pub stage: DealStage,
}

fn open() -> DealStage {
    DealStage::Open
}

fn validate(d: &DealInput) -> Result<(String, Option<i64>)> {
    let title = d.title.trim().to_string();
    let n = title.chars().count();
    if n == 0 || n > 200 {
        return Err(ServiceError::invalid(
            "title",
            "invalid_title",
            "the title must be 1 to 200 characters",
        ));
    }
    let amount = match d.amount {
        None => None,
        Some(a) if a.is_finite() && (0.0..1e13).contains(&a) => Some((a * 100.0).round() as i64),
        Some(_) => {
            return Err(ServiceError::invalid(
                "amount",
                "out_of_range",
                "the amount must be between 0 and 10,000,000,000,000 yuan",
            ));
        }
    };
    Ok((title, amount))
}

impl Service {
    pub async fn add_deal(&self, actor: &User, customer_id: Id, input: DealInput) -> Result<Deal> {
        let (title, amount) = validate(&input)?;
        let mut tx = self.store.begin().await?;
        let customer_id = self.lock_customer(&mut tx, customer_id).await?;
        self.customer_for_change(&mut tx.exec(), actor, customer_id)
            .await?;
        let row = tx
            .exec()
            .insert_deal(
                customer_id,
                &title,
                amount,
                input.stage.as_str(),
                actor.id,
                self.now(),
            )
            .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    pub async fn update_deal(&self, actor: &User, deal_id: Id, input: DealInput) -> Result<Deal> {
        let (title, amount) = validate(&input)?;
        let mut tx = self.store.begin().await?;
        let deal = tx
            .exec()
            .deal(deal_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "deal" })?;
        self.customer_for_change(&mut tx.exec(), actor, deal.customer_id)
            .await?;
        let row = tx
            .exec()
            .update_deal(deal_id, &title, amount, input.stage.as_str(), self.now())
            .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    pub async fn list_deals(&self, actor: &User, customer_id: Id) -> Result<Vec<Deal>> {
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        let customer_id = resolve(&mut exec, customer_id).await?;
        self.customer_for_change(&mut exec, actor, customer_id)
            .await?;
        Ok(exec
            .deals_of(customer_id)
            .await?
            .into_iter()
            .map(Deal::from)
            .collect())
    }
}
