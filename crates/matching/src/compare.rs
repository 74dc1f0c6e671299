//! Comparing two profiles field by field, Fellegi-Sunter style: each field lands on a
//! comparison level with a match weight log2(m/u); the weights add up to the log-odds that the
//! two records are the same customer. Every level that moved the score becomes a [`Reason`] a
//! rep can read.

use leadguard_domain::customer::CustomerKind;
use leadguard_domain::mask::{mask_email, mask_phone};
use serde::{Deserialize, Serialize};

use crate::profile::{Profile, RegionRelation, region_relation};

/// What the engine concluded about a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Not the same customer.
    Distinct,
    /// Possibly the same: warn, and let a manager decide.
    Suspected,
    /// The same customer: the second entry is blocked.
    Duplicate,
}

/// How one field compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Same,
    Similar,
    Different,
}

/// One piece of evidence for or against the match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reason {
    /// `credit_code`, `phone`, `email`, `domain`, `name` or `region`.
    pub field: String,
    pub outcome: Outcome,
    /// Log2 likelihood ratio this evidence contributed (positive: for the match).
    pub weight: f64,
    /// The shared value, masked where it is private (phones, e-mails).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// 中文说明, e.g. "手机号一致 138****8000".
    pub message: String,
    /// The same in English.
    pub message_en: String,
}

/// The result of comparing a record with one candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Probability that both records are the same customer.
    pub score: f64,
    pub verdict: Verdict,
    /// Evidence, strongest first.
    pub reasons: Vec<Reason>,
}

/// m/u probabilities of one comparison level, as log2(m/u).
fn w(m: f64, u: f64) -> f64 {
    (m / u).log2()
}

/// Default weights. They stand until the model is estimated from the customer base itself.
pub(crate) struct Weights {
    pub prior: f64,
    pub credit_same: f64,
    pub credit_diff: f64,
    pub phone_same: f64,
    pub phone_weak_same: f64,
    pub phone_diff: f64,
    pub email_same: f64,
    pub domain_same: f64,
    pub domain_diff: f64,
    pub company_name_same: f64,
    pub company_core_same: f64,
    pub person_name_same: f64,
    pub name_diff: f64,
    pub region_same: f64,
    pub region_diff: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            // Candidates already share a key, so the prior is far above 1 in the population.
            prior: -8.0,
            credit_same: w(0.95, 1e-7),
            credit_diff: w(0.01, 0.999),
            phone_same: w(0.7, 1e-6),
            phone_weak_same: w(0.2, 1e-3),
            phone_diff: w(0.3, 1.0),
            email_same: w(0.6, 1e-6),
            domain_same: w(0.7, 1e-4),
            domain_diff: w(0.2, 1.0),
            company_name_same: w(0.85, 1e-4),
            company_core_same: w(0.1, 1e-3),
            person_name_same: w(0.9, 1e-2),
            name_diff: w(0.1, 0.99),
            region_same: w(0.9, 0.1),
            region_diff: w(0.05, 0.9),
        }
    }
}

fn reason(
    field: &str,
    outcome: Outcome,
    weight: f64,
    value: Option<String>,
    zh: String,
    en: String,
) -> Reason {
    Reason {
        field: field.to_string(),
        outcome,
        weight: (weight * 100.0).round() / 100.0,
        value,
        message: zh,
        message_en: en,
    }
}

/// Compares `a` (the record being entered) with `b` (a stored candidate).
pub(crate) fn compare(
    weights: &Weights,
    a: &Profile,
    b: &Profile,
    duplicate_at: f64,
    suspected_at: f64,
) -> Comparison {
    let mut reasons = Vec::new();
    let mut credit_conflict = false;

    if let (Some(ca), Some(cb)) = (&a.credit_code, &b.credit_code) {
        if ca == cb {
            reasons.push(reason(
                "credit_code",
                Outcome::Same,
                weights.credit_same,
                Some(ca.clone()),
                format!("统一社会信用代码一致 {ca}"),
                format!("same unified social credit code {ca}"),
            ));
        } else {
            credit_conflict = true;
            reasons.push(reason(
                "credit_code",
                Outcome::Different,
                weights.credit_diff,
                None,
                "统一社会信用代码不同".into(),
                "different unified social credit codes".into(),
            ));
        }
    }

    let shared_phones: Vec<_> = a
        .phones
        .iter()
        .filter(|p| b.phones.iter().any(|q| q.e164 == p.e164))
        .collect();
    if let Some(p) = shared_phones.iter().find(|p| !p.weak) {
        let masked = mask_phone(&p.e164);
        reasons.push(reason(
            "phone",
            Outcome::Same,
            weights.phone_same,
            Some(masked.clone()),
            format!("电话号码一致 {masked}"),
            format!("same phone number {masked}"),
        ));
    } else if let Some(p) = shared_phones.first() {
        let masked = mask_phone(&p.e164);
        reasons.push(reason(
            "phone",
            Outcome::Same,
            weights.phone_weak_same,
            Some(masked.clone()),
            format!("共用400/800号码 {masked}（弱证据）"),
            format!("same shared-cost number {masked} (weak evidence)"),
        ));
    } else if !a.phones.is_empty() && !b.phones.is_empty() {
        reasons.push(reason(
            "phone",
            Outcome::Different,
            weights.phone_diff,
            None,
            "电话号码不同".into(),
            "different phone numbers".into(),
        ));
    }

    if let Some(e) = a.emails.iter().find(|e| b.emails.contains(e)) {
        let masked = mask_email(e);
        reasons.push(reason(
            "email",
            Outcome::Same,
            weights.email_same,
            Some(masked.clone()),
            format!("邮箱一致 {masked}"),
            format!("same e-mail address {masked}"),
        ));
    }

    if let Some(d) = a.domains.iter().find(|d| b.domains.contains(d)) {
        reasons.push(reason(
            "domain",
            Outcome::Same,
            weights.domain_same,
            Some(d.clone()),
            format!("企业域名一致 {d}"),
            format!("same company domain {d}"),
        ));
    } else if !a.domains.is_empty() && !b.domains.is_empty() {
        reasons.push(reason(
            "domain",
            Outcome::Different,
            weights.domain_diff,
            None,
            "企业域名不同".into(),
            "different company domains".into(),
        ));
    }

    let (na, nb) = (&a.name, &b.name);
    if !na.key.is_empty() && na.key == nb.key {
        let (weight, zh, en) = match a.kind {
            CustomerKind::Company => (
                weights.company_name_same,
                format!("名称核心 {} 相同", na.key),
                format!(
                    "same name once region and legal form are removed: {}",
                    na.key
                ),
            ),
            CustomerKind::Person => (
                weights.person_name_same,
                format!("姓名相同 {}", na.key),
                format!("same name {}", na.key),
            ),
        };
        reasons.push(reason(
            "name",
            Outcome::Same,
            weight,
            Some(na.key.clone()),
            zh,
            en,
        ));
    } else if a.kind == CustomerKind::Company && !na.core.is_empty() && na.core == nb.core {
        reasons.push(reason(
            "name",
            Outcome::Similar,
            weights.company_core_same,
            Some(na.core.clone()),
            format!("字号 {} 相同，行业词不同", na.core),
            format!("same brand core {} with different industry words", na.core),
        ));
    } else if !na.key.is_empty() && !nb.key.is_empty() {
        reasons.push(reason(
            "name",
            Outcome::Different,
            weights.name_diff,
            None,
            "名称不同".into(),
            "different names".into(),
        ));
    }

    match region_relation(a.region.as_deref(), b.region.as_deref()) {
        RegionRelation::Compatible => reasons.push(reason(
            "region",
            Outcome::Same,
            weights.region_same,
            None,
            "地区相同".into(),
            "same region".into(),
        )),
        RegionRelation::Different => reasons.push(reason(
            "region",
            Outcome::Different,
            weights.region_diff,
            None,
            "地区不同".into(),
            "different regions".into(),
        )),
        RegionRelation::Unknown => {}
    }

    let log_odds = weights.prior + reasons.iter().map(|r| r.weight).sum::<f64>();
    let score = 1.0 / (1.0 + (-log_odds).exp2());
    let mut verdict = if score >= duplicate_at {
        Verdict::Duplicate
    } else if score >= suspected_at {
        Verdict::Suspected
    } else {
        Verdict::Distinct
    };
    // Two valid, different credit codes are two legal entities: never block on other evidence,
    // but let a manager look when that evidence is strong.
    if credit_conflict && verdict == Verdict::Duplicate {
        verdict = Verdict::Suspected;
    }
    reasons.sort_by(|x, y| y.weight.abs().total_cmp(&x.weight.abs()));
    Comparison {
        score: (score * 10_000.0).round() / 10_000.0,
        verdict,
        reasons,
    }
}
