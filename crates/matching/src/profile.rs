//! A [`Profile`] is a customer record reduced to what matching needs: validated, normalized
//! identifiers, the name split into its parts, and a region. It is stored with the customer so
//! that a duplicate check never re-normalizes the candidates it compares against.

use std::collections::BTreeSet;

use leadguard_domain::customer::{CustomerFields, CustomerKind, FieldError};
use leadguard_domain::keys::{KeyKind, MatchKey};
use serde::{Deserialize, Serialize};

use crate::normalize::{company_name, credit_code, email, phone, regions, text, website};

/// Bumped whenever the normalizers change what they produce; stored profiles of an older
/// version are rebuilt from the customer's fields.
pub const PROFILE_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub version: u32,
    pub kind: CustomerKind,
    pub name: NameProfile,
    /// Every phone of the customer and its contacts, deduplicated.
    pub phones: Vec<PhoneId>,
    /// Every e-mail address of the customer and its contacts, lower-cased, deduplicated.
    pub emails: Vec<String>,
    /// Registrable company domains from the web site and non-free-mail addresses.
    pub domains: Vec<String>,
    pub credit_code: Option<String>,
    /// Most specific region known (name, address, city/province fields, landline area code),
    /// as a GB/T 2260 code.
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NameProfile {
    /// The whole name folded (NFKC, simplified, lower-case, no punctuation).
    pub folded: String,
    /// Region and legal form stripped: the name key.
    pub key: String,
    /// Brand core (字号).
    pub core: String,
    /// Region named in the name itself, as a GB/T 2260 code.
    pub region: Option<String>,
    pub branch: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneId {
    /// E.164, extension removed.
    pub e164: String,
    /// 400/800 numbers: shared by many, weak evidence.
    pub weak: bool,
}

impl Profile {
    /// Normalizes and validates a record. Every invalid identifier is reported with the path of
    /// its field, so a form can mark all of them at once.
    pub fn build(fields: &CustomerFields) -> Result<Profile, Vec<FieldError>> {
        let mut errs = Vec::new();
        let mut phones: Vec<PhoneId> = Vec::new();
        let mut area_city: Option<String> = None;
        let mut emails: BTreeSet<String> = BTreeSet::new();
        let mut domains: BTreeSet<String> = BTreeSet::new();

        let mut add_phones =
            |path: String, raw: &str, errs: &mut Vec<FieldError>| match phone::parse_phones(raw) {
                Ok(found) => {
                    for p in found {
                        if area_city.is_none() {
                            area_city = p.area_city.clone();
                        }
                        if !phones.iter().any(|q| q.e164 == p.e164) {
                            phones.push(PhoneId {
                                weak: p.weak(),
                                e164: p.e164,
                            });
                        }
                    }
                }
                Err(e) => errs.push(FieldError::new(path, "invalid_phone", e.to_string())),
            };
        for (i, raw) in fields.phones.iter().enumerate() {
            add_phones(format!("phones[{i}]"), raw, &mut errs);
        }
        for (c, contact) in fields.contacts.iter().enumerate() {
            for (i, raw) in contact.phones.iter().enumerate() {
                add_phones(format!("contacts[{c}].phones[{i}]"), raw, &mut errs);
            }
        }

        let mut add_email =
            |path: String, raw: &str, errs: &mut Vec<FieldError>| match email::normalize_email(raw)
            {
                Ok(e) => {
                    if !e.free_mail
                        && let Some(d) = e.registrable_domain
                    {
                        domains.insert(d);
                    }
                    emails.insert(e.address);
                }
                Err(e) => errs.push(FieldError::new(path, "invalid_email", e.to_string())),
            };
        for (i, raw) in fields.emails.iter().enumerate() {
            add_email(format!("emails[{i}]"), raw, &mut errs);
        }
        for (c, contact) in fields.contacts.iter().enumerate() {
            for (i, raw) in contact.emails.iter().enumerate() {
                add_email(format!("contacts[{c}].emails[{i}]"), raw, &mut errs);
            }
        }

        if let Some(raw) = &fields.website {
            match website::normalize_website(raw) {
                Ok(w) if !w.platform => {
                    domains.insert(w.registrable_domain);
                }
                Ok(_) => {}
                Err(e) => errs.push(FieldError::new("website", "invalid_website", e.to_string())),
            }
        }

        let credit_code = match &fields.credit_code {
            Some(raw) => match credit_code::normalize_credit_code(raw) {
                Ok(c) => Some(c.as_str().to_string()),
                Err(e) => {
                    errs.push(FieldError::new(
                        "credit_code",
                        "invalid_credit_code",
                        e.to_string(),
                    ));
                    None
                }
            },
            None => None,
        };

        if !errs.is_empty() {
            return Err(errs);
        }

        let name = NameProfile::build(fields.kind, &fields.name);
        let region = name
            .region
            .clone()
            .or_else(|| fields.address.as_deref().and_then(address_region))
            .or_else(|| fields.city.as_deref().and_then(field_region))
            .or_else(|| fields.province.as_deref().and_then(field_region))
            .or_else(|| area_city.as_deref().and_then(field_region));

        Ok(Profile {
            version: PROFILE_VERSION,
            kind: fields.kind,
            name,
            phones,
            emails: emails.into_iter().collect(),
            domains: domains.into_iter().collect(),
            credit_code,
            region,
        })
    }

    /// Keys under which the store indexes this customer; two customers that could be the same
    /// share at least one of them.
    pub fn keys(&self) -> Vec<MatchKey> {
        let mut keys: BTreeSet<MatchKey> = self.unique_keys().into_iter().collect();
        for p in self.phones.iter().filter(|p| p.weak) {
            keys.insert(MatchKey::new(KeyKind::Phone, &p.e164));
        }
        for d in &self.domains {
            keys.insert(MatchKey::new(KeyKind::Domain, d));
        }
        if !self.name.key.is_empty() {
            keys.insert(MatchKey::new(KeyKind::Name, &self.name.key));
        }
        keys.into_iter().collect()
    }

    /// Identifiers that belong to one customer only: a second customer holding one of them is
    /// a duplicate, and the store enforces that with a unique index.
    pub fn unique_keys(&self) -> Vec<MatchKey> {
        let mut keys = BTreeSet::new();
        for p in self.phones.iter().filter(|p| !p.weak) {
            keys.insert(MatchKey::new(KeyKind::Phone, &p.e164));
        }
        for e in &self.emails {
            keys.insert(MatchKey::new(KeyKind::Email, e));
        }
        if let Some(c) = &self.credit_code {
            keys.insert(MatchKey::new(KeyKind::CreditCode, c));
        }
        keys.into_iter().collect()
    }
}

impl NameProfile {
    pub fn build(kind: CustomerKind, raw: &str) -> NameProfile {
        match kind {
            CustomerKind::Company => {
                let n = company_name::parse_company_name(raw);
                NameProfile {
                    folded: n.folded,
                    key: n.key,
                    core: n.core,
                    region: n.region.map(|r| r.code.to_string()),
                    branch: n.branch.is_some(),
                }
            }
            CustomerKind::Person => {
                let folded = text::fold(raw);
                NameProfile {
                    key: folded.clone(),
                    core: folded.clone(),
                    folded,
                    region: None,
                    branch: false,
                }
            }
        }
    }
}

fn address_region(address: &str) -> Option<String> {
    let a = regions::parse_address(&text::fold(address));
    a.county
        .or(a.city)
        .or(a.province)
        .map(|r| r.code.to_string())
}

fn field_region(value: &str) -> Option<String> {
    regions::find_region(&text::fold(value)).map(|r| r.code.to_string())
}

/// How two regions (GB/T 2260 codes) relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionRelation {
    /// At least one side is unknown.
    Unknown,
    /// Same place, or one lies within the other (深圳 within 广东).
    Compatible,
    /// Different places at the same level, or one outside the other.
    Different,
}

/// Compares two division codes: `440300` (深圳市) lies within `440000` (广东省), and `440305`
/// (南山区) within both.
pub fn region_relation(a: Option<&str>, b: Option<&str>) -> RegionRelation {
    let (Some(a), Some(b)) = (a, b) else {
        return RegionRelation::Unknown;
    };
    let prefix = |code: &str| -> String {
        let t = code.trim_end_matches("00");
        let t = if t.len() % 2 == 1 {
            &code[..t.len() + 1]
        } else {
            t
        };
        t.to_string()
    };
    let (pa, pb) = (prefix(a), prefix(b));
    if pa.starts_with(&pb) || pb.starts_with(&pa) {
        RegionRelation::Compatible
    } else {
        RegionRelation::Different
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_nest() {
        use RegionRelation::*;
        assert_eq!(region_relation(Some("440300"), Some("440000")), Compatible);
        assert_eq!(region_relation(Some("440305"), Some("440300")), Compatible);
        assert_eq!(region_relation(Some("440305"), Some("440000")), Compatible);
        assert_eq!(region_relation(Some("440300"), Some("440100")), Different);
        assert_eq!(region_relation(Some("110000"), Some("310000")), Different);
        assert_eq!(region_relation(Some("110105"), Some("110000")), Compatible);
        assert_eq!(region_relation(None, Some("110000")), Unknown);
    }
}
