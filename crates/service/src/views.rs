//! What the service hands out: customers as a viewer may see them, duplicate matches, pages.

use chrono::{DateTime, Utc};
use leadguard_domain::access::Access;
use leadguard_domain::customer::{Contact, Customer, CustomerKind, FieldError};
use leadguard_domain::mask::{mask_email, mask_phone};
use leadguard_domain::user::User;
use leadguard_matching::{Reason, Verdict};
use leadguard_store::OwnerInfo;
use serde::Serialize;

/// Who owns a customer: what anyone may learn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnerView {
    pub username: String,
    pub display_name: String,
    pub team: Option<String>,
}

impl From<&User> for OwnerView {
    fn from(u: &User) -> Self {
        OwnerView {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            team: u.team.clone(),
        }
    }
}

impl From<OwnerInfo> for OwnerView {
    fn from(o: OwnerInfo) -> Self {
        OwnerView {
            username: o.username,
            display_name: o.display_name,
            team: o.team,
        }
    }
}

/// A customer as the viewer may see it. With `access: limited` the phones and e-mails are
/// masked (138****8000) and contacts and address are left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerView {
    pub id: i64,
    pub access: Access,
    pub kind: CustomerKind,
    pub name: String,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub website: Option<String>,
    pub credit_code: Option<String>,
    pub address: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub source: Option<String>,
    pub postcode: Option<String>,
    /// People only; hidden unless `access` is `full`.
    pub birth_date: Option<String>,
    /// People only; hidden unless `access` is `full`.
    pub id_number: Option<String>,
    /// 备注; hidden unless `access` is `full`.
    pub note: Option<String>,
    /// The customer's record id in the CRM it was imported from (客户编号, Account ID).
    pub external_id: Option<String>,
    pub contacts: Vec<Contact>,
    /// Who entered the customer first: the evidence for first-come ownership.
    pub created_by: OwnerView,
    pub created_at: DateTime<Utc>,
    /// `null`: in the public pool (公海).
    pub owner: Option<OwnerView>,
    pub owned_since: Option<DateTime<Utc>>,
    pub last_followup_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Values kept as typed though they could not be verified (a phone libphonenumber calls
    /// possible but not valid, an e-mail with a typo in its domain, a credit code whose
    /// check character is wrong), by field: the UI marks them. Empty unless `access` is
    /// `full`.
    pub warnings: Vec<FieldError>,
}

impl CustomerView {
    pub(crate) fn new(
        c: Customer,
        access: Access,
        warnings: Vec<FieldError>,
        created_by: OwnerView,
        owner: Option<OwnerView>,
    ) -> Self {
        let f = c.fields;
        let full = access == Access::Full;
        let company = f.kind == CustomerKind::Company;
        CustomerView {
            id: c.id,
            access,
            kind: f.kind,
            name: f.name,
            phones: if full {
                f.phones
            } else {
                f.phones.iter().map(|p| mask_phone(p)).collect()
            },
            emails: if full {
                f.emails
            } else {
                f.emails.iter().map(|e| mask_email(e)).collect()
            },
            // A company's web site and credit code are public; a person's are not.
            website: if full || company { f.website } else { None },
            credit_code: if full || company { f.credit_code } else { None },
            address: if full { f.address } else { None },
            province: f.province,
            city: f.city,
            industry: f.industry,
            size: f.size,
            source: f.source,
            postcode: f.postcode,
            birth_date: if full { f.birth_date } else { None },
            id_number: if full { f.id_number } else { None },
            note: if full { f.note } else { None },
            external_id: f.external_id,
            contacts: if full { f.contacts } else { Vec::new() },
            created_by,
            created_at: c.created_at,
            owner,
            owned_since: c.owned_since,
            last_followup_at: if full { c.last_followup_at } else { None },
            updated_at: c.updated_at,
            warnings,
        }
    }
}

/// An existing customer that a record matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MatchView {
    pub customer_id: i64,
    pub name: String,
    /// `null` when the customer is in the public pool and may be claimed.
    pub owner: Option<OwnerView>,
    pub owned_since: Option<DateTime<Utc>>,
    pub in_pool: bool,
    pub created_at: DateTime<Utc>,
    /// Probability that both are the same customer.
    pub score: f64,
    pub verdict: Verdict,
    /// Which fields matched how, strongest evidence first.
    pub reasons: Vec<Reason>,
    /// Suspected only because one name is the start or the short form of the other (同建 →
    /// 苏州同建工程管理有限公司), with nothing placing them apart: shown to the rep who types it,
    /// but no collision case is opened on it.
    pub partial_name: bool,
}

/// Outcome of a duplicate check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckVerdict {
    /// No existing customer matches: it may be saved.
    New,
    /// Possibly an existing customer: it may be saved, with a warning.
    Suspected,
    /// An existing customer: it may not be saved.
    Duplicate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckOutcome {
    pub verdict: CheckVerdict,
    /// Duplicates first, then suspected matches, each by descending score: at most ten.
    pub matches: Vec<MatchView>,
    /// Further matches not listed (a brand that many companies share, typed alone).
    pub more_matches: u64,
    /// Whether `more_matches` is exact; `false` when a name so common was typed that only the
    /// first customers under it were compared, and there may be more still.
    pub more_matches_exact: bool,
    /// Values that would be kept unverified (see [`CustomerView::warnings`]).
    pub warnings: Vec<FieldError>,
}

/// A created customer, with the suspected duplicates that did not block it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Created {
    #[serde(flatten)]
    pub customer: CustomerView,
    /// Existing customers that might be the same; a manager may want to look.
    pub suspected: Vec<MatchView>,
    /// Collision cases opened because a suspected match belongs to another rep.
    pub collision_cases: Vec<i64>,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Number of items matching the query, on all pages.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}
