//! A [`Profile`] is a customer record reduced to what matching needs: validated, normalized
//! identifiers, the name split into its parts, the region and the street. It is stored with the
//! customer so that a duplicate check never re-normalizes the candidates it compares against.

use std::collections::BTreeSet;

use leadguard_domain::customer::{CustomerFields, CustomerKind, FieldError};
use leadguard_domain::keys::MatchKey;
use serde::{Deserialize, Serialize};

use crate::normalize::{
    company_name, credit_code, date, email, id_number, person, phone, regions, text, website,
};

/// Bumped whenever the normalizers change what they produce; stored profiles of an older
/// version are rebuilt from the customer's fields.
pub const PROFILE_VERSION: u32 = 3;

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
    /// The credit code's check character is wrong: it is compared as typed, and a different
    /// code is no evidence of a different company (it may be the same code, mistyped).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub credit_code_unverified: bool,
    /// Most specific region known (name, address, city/province fields, landline area code),
    /// as a GB/T 2260 code.
    pub region: Option<String>,
    /// The address without its region names, folded: 科技园南区12栋.
    #[serde(default)]
    pub street: Option<String>,
    #[serde(default)]
    pub postcode: Option<String>,
    /// Contacts' names as sorted pinyin tokens ("wei zhang").
    #[serde(default)]
    pub contacts: Vec<String>,
    /// ISO date.
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NameProfile {
    /// The whole name folded (NFKC, simplified, lower-case, no punctuation).
    pub folded: String,
    /// Companies: region and legal form stripped (the name key). People: sorted pinyin or
    /// Latin tokens ("wei zhang").
    pub key: String,
    /// Brand core (字号); for people the same as the key.
    pub core: String,
    /// Pinyin of the core without spaces: where homophones, Traditional characters and
    /// English transliterations meet.
    #[serde(default)]
    pub pinyin: String,
    /// Industry words of a company name (科技, "software").
    #[serde(default)]
    pub industry: Option<String>,
    /// Region named in the name itself, as a GB/T 2260 code.
    pub region: Option<String>,
    pub branch: bool,
    /// Written in Latin letters (an English company name).
    #[serde(default)]
    pub latin: bool,
    /// A short or partial name: no legal form (or 集团, 股份 alone) and no branch (字节跳动, 苏州同建,
    /// 同建工程, 农资集团, 伊利股份), as a rep writes a 简称 or as the live check sees a name being
    /// typed.
    #[serde(default)]
    pub partial: bool,
    /// A company name with no brand of its own (鱼台县建筑安装公司): only its start can tell it.
    #[serde(default)]
    pub generic: bool,
    /// The name from its brand on (the leading region taken off), folded: what a rep typing
    /// the start of the name types. Empty for people.
    #[serde(default)]
    pub tail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneId {
    /// E.164, extension removed.
    pub e164: String,
    /// 400/800 numbers: shared by many, weak evidence.
    pub weak: bool,
}

/// A record's profile, with what was wrong in its fields.
#[derive(Debug, Clone)]
pub struct Checked {
    pub profile: Profile,
    /// Values kept though they could not be verified (a phone libphonenumber calls possible
    /// but not valid, an e-mail with a typo in its domain, a credit code whose check
    /// character is wrong): the record is saved, and the rep told.
    pub warnings: Vec<FieldError>,
    /// Values that cannot be what their field holds (letters for a phone, no `@` in an
    /// e-mail): left out of the profile.
    pub errors: Vec<FieldError>,
}

/// Collects normalized values, warnings for the values kept unverified, and errors for the
/// values that cannot be used.
struct Builder {
    errors: Vec<FieldError>,
    warnings: Vec<FieldError>,
    phones: Vec<PhoneId>,
    area_city: Option<String>,
    emails: BTreeSet<String>,
    domains: BTreeSet<String>,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            errors: Vec::new(),
            warnings: Vec::new(),
            phones: Vec::new(),
            area_city: None,
            emails: BTreeSet::new(),
            domains: BTreeSet::new(),
        }
    }

    /// Phones, e-mails, web site and credit code: the credit code and whether it is
    /// unverified.
    fn identifiers(&mut self, fields: &CustomerFields) -> (Option<String>, bool) {
        for (i, raw) in fields.phones.iter().enumerate() {
            self.phone(format!("phones[{i}]"), raw);
        }
        for (c, contact) in fields.contacts.iter().enumerate() {
            for (i, raw) in contact.phones.iter().enumerate() {
                self.phone(format!("contacts[{c}].phones[{i}]"), raw);
            }
        }
        for (i, raw) in fields.emails.iter().enumerate() {
            self.email(format!("emails[{i}]"), raw);
        }
        for (c, contact) in fields.contacts.iter().enumerate() {
            for (i, raw) in contact.emails.iter().enumerate() {
                self.email(format!("contacts[{c}].emails[{i}]"), raw);
            }
        }
        if let Some(raw) = &fields.website
            && let Some(w) = self.check(
                "website",
                "invalid_website",
                website::normalize_website(raw),
            )
            && !w.platform
        {
            self.domains.insert(w.registrable_domain);
        }
        let mut credit_code_unverified = false;
        let credit_code = fields.credit_code.as_ref().and_then(|raw| {
            match credit_code::normalize_credit_code(raw) {
                Ok(c) => Some(c.as_str().to_string()),
                // Eighteen characters of the right kinds, one of them mistyped: kept.
                Err(credit_code::CreditCodeError::Check) => {
                    credit_code_unverified = true;
                    let raw = raw.trim();
                    self.warnings.push(FieldError::new(
                        "credit_code",
                        "unverified_credit_code",
                        format!(
                            "统一社会信用代码 “{raw}” 校验位不符，已按原样保存，查重按原文比对；请核对 / the check character of credit code {raw} does not match: kept as typed and matched as written; please check it"
                        ),
                    ));
                    Some(credit_code::clean(raw))
                }
                Err(e) => {
                    self.errors.push(FieldError::new(
                        "credit_code",
                        "invalid_credit_code",
                        e.to_string(),
                    ));
                    None
                }
            }
        });
        (credit_code, credit_code_unverified)
    }

    fn phone(&mut self, path: String, raw: &str) {
        let (found, errors) = phone::scan_phones(raw);
        for p in found {
            if !p.verified {
                let raw = raw.trim();
                self.warnings.push(if p.kind == phone::PhoneKind::Local {
                    FieldError::new(
                        path.clone(),
                        "phone_missing_area_code",
                        format!(
                            "电话 “{raw}” 缺少区号，已按原样保存，查重时只作弱证据；请补上区号，如 010-88886666 / {raw} has no area code: kept as typed, weak evidence for the duplicate check; add the area code, e.g. 010-88886666"
                        ),
                    )
                } else {
                    FieldError::new(
                        path.clone(),
                        "unverified_phone",
                        format!(
                            "电话 “{raw}” 不是当前有效的号码（旧号码或少了一位？），已按原样保存，查重按数字比对 / {raw} is not a valid number today (an old number, or a digit missing?): kept as typed and matched on its digits"
                        ),
                    )
                });
            }
            if self.area_city.is_none() {
                self.area_city = p.area_city.clone();
            }
            if !self.phones.iter().any(|q| q.e164 == p.e164) {
                self.phones.push(PhoneId {
                    weak: p.weak(),
                    e164: p.e164,
                });
            }
        }
        for e in errors {
            self.errors.push(FieldError::new(
                path.clone(),
                "invalid_phone",
                e.to_string(),
            ));
        }
    }

    fn email(&mut self, path: String, raw: &str) {
        match email::normalize_email(raw) {
            Ok(e) => {
                if !e.verified {
                    let raw = raw.trim();
                    let (zh, en) = match &e.suggestion {
                        Some(s) => (
                            format!("（是否应为 {s}？）"),
                            format!(" (did you mean {s}?)"),
                        ),
                        None => (String::new(), String::new()),
                    };
                    self.warnings.push(FieldError::new(
                        path,
                        "unverified_email",
                        format!(
                            "邮箱 “{raw}” 可能有误{zh}，已按原样保存，查重按原文比对 / e-mail {raw} looks mistyped{en}: kept as typed and matched as written"
                        ),
                    ));
                }
                if !e.free_mail
                    && let Some(d) = e.registrable_domain
                {
                    self.domains.insert(d);
                }
                self.emails.insert(e.address);
            }
            Err(e) => self
                .errors
                .push(FieldError::new(path, "invalid_email", e.to_string())),
        }
    }

    fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        code: &str,
        r: Result<T, E>,
    ) -> Option<T> {
        r.map_err(|e| {
            self.errors
                .push(FieldError::new(field, code, e.to_string()))
        })
        .ok()
    }
}

impl Profile {
    /// Normalizes and validates a record. Every invalid identifier is reported with the path of
    /// its field, so a form can mark all of them at once.
    pub fn build(fields: &CustomerFields) -> Result<Profile, Vec<FieldError>> {
        let c = Profile::build_checked(fields);
        if c.errors.is_empty() {
            Ok(c.profile)
        } else {
            Err(c.errors)
        }
    }

    /// Like [`Profile::build`], but invalid values are left out and reported alongside: for
    /// batch work on files where a bad phone must not hide the rest of the row.
    pub fn build_lenient(fields: &CustomerFields) -> (Profile, Vec<FieldError>) {
        let c = Profile::build_checked(fields);
        (c.profile, c.errors)
    }

    /// The values of a record's identifiers that are kept unverified: what a customer's page
    /// marks. Cheaper than a whole profile (the name is not parsed).
    pub fn warnings(fields: &CustomerFields) -> Vec<FieldError> {
        let mut b = Builder::new();
        b.identifiers(fields);
        b.warnings
    }

    /// The unique keys ([`Profile::unique_keys`]) of a record's phones, e-mails and credit
    /// code, without parsing its name: whether another customer holds one of its values.
    pub fn identity_keys(fields: &CustomerFields) -> Vec<MatchKey> {
        let mut b = Builder::new();
        let (credit_code, _) = b.identifiers(fields);
        let emails: Vec<String> = b.emails.into_iter().collect();
        crate::keys::unique_keys_of(&b.phones, &emails, credit_code.as_deref(), None)
    }

    /// The profile, the values kept unverified and the values left out.
    pub fn build_checked(fields: &CustomerFields) -> Checked {
        let mut b = Builder::new();
        let (credit_code, credit_code_unverified) = b.identifiers(fields);
        // A date that is not one (19801302: a typo) is an error, but its digits still compare.
        let birth_date = fields.birth_date.as_ref().and_then(|raw| {
            let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
            b.check("birth_date", "invalid_date", date::normalize_date(raw))
                .or_else(|| (6..=8).contains(&digits.len()).then_some(digits))
        });
        let id_number = fields.id_number.as_ref().and_then(|raw| {
            b.check(
                "id_number",
                "invalid_id_number",
                id_number::normalize_id_number(raw),
            )
        });

        let name = NameProfile::build(fields.kind, &fields.name);
        let field_region = |v: &Option<String>| {
            v.as_deref()
                .and_then(|v| regions::find_region(&text::fold(v)))
        };
        // Where the customer is, from anything but the address: the name, the city and province
        // fields, a landline's area code. It settles district names that several cities share.
        let context: Option<&'static regions::Region> = name
            .region
            .as_deref()
            .and_then(regions::region_by_code)
            .or_else(|| field_region(&fields.city))
            .or_else(|| field_region(&fields.province))
            .or_else(|| b.area_city.as_deref().and_then(regions::find_region));
        let (address_region, street) = match &fields.address {
            Some(a) => {
                let folded = text::fold(a);
                let (mut r, mut rest) = regions::split_address(&folded);
                if let (Some(c), Some(found)) = (context, r.most_specific())
                    && !regions::within(found, c)
                    && !regions::within(c, found)
                {
                    (r, rest) = regions::split_address_in(&folded, Some(c));
                }
                (
                    r.most_specific().map(|r| r.code.to_string()),
                    Some(rest).filter(|s| s.chars().count() >= 2),
                )
            }
            None => (None, None),
        };
        let region = name
            .region
            .clone()
            .or(address_region)
            .or_else(|| context.map(|r| r.code.to_string()));
        let mut contacts: Vec<String> = fields
            .contacts
            .iter()
            .map(|c| person::parse_person_name(&c.name).tokens)
            .filter(|t| !t.is_empty())
            .collect();
        contacts.sort();
        contacts.dedup();
        let postcode = fields
            .postcode
            .as_deref()
            .map(|p| {
                p.chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_ascii_uppercase()
            })
            .filter(|p| !p.is_empty());

        let profile = Profile {
            version: PROFILE_VERSION,
            kind: fields.kind,
            name,
            phones: b.phones,
            emails: b.emails.into_iter().collect(),
            domains: b.domains.into_iter().collect(),
            credit_code,
            credit_code_unverified,
            region,
            street,
            postcode,
            contacts,
            birth_date,
            id_number,
        };
        Checked {
            profile,
            warnings: b.warnings,
            errors: b.errors,
        }
    }
}

impl NameProfile {
    pub fn build(kind: CustomerKind, raw: &str) -> NameProfile {
        match kind {
            CustomerKind::Company => {
                let n = company_name::parse_company_name(raw);
                let latin = n.core.is_ascii() && n.core.chars().any(|c| c.is_ascii_alphabetic());
                let pinyin = if latin {
                    n.core.split_whitespace().collect()
                } else {
                    text::pinyin(&n.core)
                };
                // Groups write 集团 alone as their short name, and their subsidiaries' names
                // go on after it (四川农资集团塑料化工有限公司); stock short names end in 股份.
                let form_complete = n
                    .legal_form
                    .as_deref()
                    .is_some_and(|f| !matches!(f, "集团" | "股份"));
                NameProfile {
                    partial: !form_complete && n.branch.is_none(),
                    generic: n.generic,
                    tail: n.tail,
                    folded: n.folded,
                    key: n.key,
                    core: n.core,
                    pinyin,
                    industry: n.industry,
                    region: n.region.map(|r| r.code.to_string()),
                    branch: n.branch.is_some(),
                    latin,
                }
            }
            CustomerKind::Person => {
                let p = person::parse_person_name(raw);
                NameProfile {
                    pinyin: p.tokens.replace(' ', ""),
                    key: p.tokens.clone(),
                    core: p.tokens,
                    folded: p.folded,
                    industry: None,
                    region: None,
                    branch: false,
                    latin: !p.chinese,
                    partial: false,
                    generic: false,
                    tail: String::new(),
                }
            }
        }
    }
}

/// How two regions (GB/T 2260 codes) relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionRelation {
    /// At least one side is unknown.
    Unknown,
    /// The same place.
    Same,
    /// One lies within the other (深圳 within 广东).
    Nested,
    /// Different places.
    Different,
}

fn region_prefix(code: &str) -> &str {
    let t = code.trim_end_matches("00");
    if t.len() % 2 == 1 {
        &code[..t.len() + 1]
    } else {
        t
    }
}

/// Compares two division codes: `440300` (深圳市) lies within `440000` (广东省), and `440305`
/// (南山区) within both. Two districts of one city count as the same place: a company's
/// address and the district in its name often disagree at that level.
pub fn region_relation(a: Option<&str>, b: Option<&str>) -> RegionRelation {
    let (Some(a), Some(b)) = (a, b) else {
        return RegionRelation::Unknown;
    };
    let (pa, pb) = (region_prefix(a), region_prefix(b));
    let city = |p: &str| p.get(..4).map(str::to_string);
    if pa == pb || (pa.len() == 6 && pb.len() == 6 && city(pa) == city(pb)) {
        RegionRelation::Same
    } else if pa.starts_with(pb) || pb.starts_with(pa) {
        RegionRelation::Nested
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
        assert_eq!(region_relation(Some("440300"), Some("440000")), Nested);
        assert_eq!(region_relation(Some("440305"), Some("440300")), Nested);
        assert_eq!(region_relation(Some("440305"), Some("440306")), Same);
        assert_eq!(region_relation(Some("440300"), Some("440300")), Same);
        assert_eq!(region_relation(Some("440300"), Some("440100")), Different);
        assert_eq!(region_relation(Some("110000"), Some("310000")), Different);
        assert_eq!(region_relation(Some("110105"), Some("110000")), Nested);
        assert_eq!(region_relation(Some("500105"), Some("500000")), Nested);
        assert_eq!(region_relation(None, Some("110000")), Unknown);
    }

    #[test]
    fn lenient_build_keeps_the_good_values() {
        let f = CustomerFields {
            name: "北京星河互联科技有限公司".into(),
            phones: vec!["12345".into(), "13800138000".into()],
            address: Some("北京市海淀区中关村大街27号".into()),
            ..Default::default()
        };
        assert!(Profile::build(&f).is_err());
        let (p, errs) = Profile::build_lenient(&f);
        assert_eq!(errs.len(), 1);
        assert_eq!(p.phones.len(), 1);
        assert_eq!(p.street.as_deref(), Some("中关村大街27号"));
        assert_eq!(p.name.pinyin, "xinghehulian");
        assert!(!p.name.partial);
    }

    #[test]
    fn identity_keys_are_the_unique_keys_of_the_identifiers() {
        let f = CustomerFields {
            name: "北京星河互联科技有限公司".into(),
            phones: vec!["(010) 6258-8888".into(), "400-810-8888".into()],
            emails: vec!["Li.Lei@XingHe.cn".into()],
            credit_code: Some("91110108MA01XXXX0X".into()),
            contacts: vec![leadguard_domain::customer::Contact {
                name: "张伟".into(),
                title: None,
                phones: vec!["138 0013 8000".into()],
                emails: vec![],
            }],
            ..Default::default()
        };
        let profile = Profile::build_lenient(&f).0;
        assert_eq!(Profile::identity_keys(&f), profile.unique_keys());
        // One value alone: which customer holds it.
        let one = CustomerFields {
            phones: vec!["010-62588888".into()],
            ..Default::default()
        };
        let keys = Profile::identity_keys(&one);
        assert_eq!(keys.len(), 1);
        assert!(profile.unique_keys().contains(&keys[0]));
    }
}
