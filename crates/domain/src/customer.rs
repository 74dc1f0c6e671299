//! Customers (companies, and people for B2C) and their contacts.

use serde::{Deserialize, Serialize};

use crate::{Id, Timestamp};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    /// A business customer (B2B): the name is a company name.
    #[default]
    Company,
    /// A private person (B2C): the name is a person's name.
    Person,
}

impl CustomerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerKind::Company => "company",
            CustomerKind::Person => "person",
        }
    }

    pub fn parse(s: &str) -> Option<CustomerKind> {
        match s {
            "company" => Some(CustomerKind::Company),
            "person" => Some(CustomerKind::Person),
            _ => None,
        }
    }
}

/// A person at the customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    /// Job title; `position` is accepted as another name for it.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "position")]
    pub title: Option<String>,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
}

/// Everything a rep types about a customer. Identifiers are kept as entered; the matching
/// engine derives their normalized forms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomerFields {
    #[serde(default)]
    pub kind: CustomerKind,
    pub name: String,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub website: Option<String>,
    /// 统一社会信用代码 (18 characters, GB 32100-2015).
    #[serde(default)]
    pub credit_code: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default)]
    pub size: Option<String>,
    /// Source or channel the customer came from (展会, 官网, referral, …); `channel` is accepted
    /// as another name for it.
    #[serde(default, alias = "channel")]
    pub source: Option<String>,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    /// Postal code.
    #[serde(default, alias = "zip")]
    pub postcode: Option<String>,
    /// People (B2C) only: date of birth, e.g. 1990-01-02.
    #[serde(default, alias = "dob")]
    pub birth_date: Option<String>,
    /// People (B2C) only: identity number (居民身份证号码, passport, social security number).
    #[serde(default)]
    pub id_number: Option<String>,
    /// Free text (备注): what a rep notes, and any value an import or a lead carried that
    /// could not be used as what its column said (kept here as typed, never dropped).
    #[serde(default, alias = "remark")]
    pub note: Option<String>,
    /// The customer's record id in the CRM it came from (客户编号, Account ID): what a
    /// follow-up history file imported later names it by. Not unique, not matched on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// A problem with one field of a request, named so that a person can find and fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// Path of the field, e.g. `phones[1]` or `contacts[0].emails[2]`.
    pub field: String,
    /// Stable machine-readable code, e.g. `invalid_phone`.
    pub code: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code: code.to_string(),
            message: message.into(),
        }
    }
}

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_TEXT_CHARS: usize = 500;
pub const MAX_LIST_ITEMS: usize = 20;
pub const MAX_CONTACTS: usize = 50;
pub const MAX_NOTE_CHARS: usize = 5000;

impl CustomerFields {
    /// Trims every text field and drops empty optional values and empty list entries, so that
    /// `"  "` and a missing field mean the same thing.
    pub fn tidy(mut self) -> Self {
        fn opt(v: Option<String>) -> Option<String> {
            v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
        }
        fn list(v: Vec<String>) -> Vec<String> {
            v.into_iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        }
        self.name = self.name.trim().to_string();
        self.phones = list(self.phones);
        self.emails = list(self.emails);
        self.website = opt(self.website);
        self.credit_code = opt(self.credit_code);
        self.address = opt(self.address);
        self.province = opt(self.province);
        self.city = opt(self.city);
        self.industry = opt(self.industry);
        self.size = opt(self.size);
        self.source = opt(self.source);
        self.postcode = opt(self.postcode);
        self.birth_date = opt(self.birth_date);
        self.id_number = opt(self.id_number);
        self.note = opt(self.note);
        self.external_id = opt(self.external_id);
        self.contacts = self
            .contacts
            .into_iter()
            .map(|c| Contact {
                name: c.name.trim().to_string(),
                title: opt(c.title),
                phones: list(c.phones),
                emails: list(c.emails),
            })
            .filter(|c| !(c.name.is_empty() && c.phones.is_empty() && c.emails.is_empty()))
            .collect();
        self
    }

    /// Checks sizes and required fields (identifier formats are the matching engine's job).
    pub fn validate_shape(&self) -> Vec<FieldError> {
        let mut errs = Vec::new();
        let n = self.name.chars().count();
        if n == 0 {
            errs.push(FieldError::new(
                "name",
                "required",
                "客户名称不能为空 / name is required",
            ));
        } else if n > MAX_NAME_CHARS {
            errs.push(FieldError::new(
                "name",
                "too_long",
                format!("name is {n} characters; at most {MAX_NAME_CHARS} are allowed"),
            ));
        }
        let texts = [
            ("website", &self.website),
            ("credit_code", &self.credit_code),
            ("address", &self.address),
            ("province", &self.province),
            ("city", &self.city),
            ("industry", &self.industry),
            ("size", &self.size),
            ("source", &self.source),
            ("postcode", &self.postcode),
            ("birth_date", &self.birth_date),
            ("id_number", &self.id_number),
            ("external_id", &self.external_id),
        ];
        for (field, v) in texts {
            if let Some(v) = v {
                let n = v.chars().count();
                if n > MAX_TEXT_CHARS {
                    errs.push(FieldError::new(
                        field,
                        "too_long",
                        format!("{field} is {n} characters; at most {MAX_TEXT_CHARS} are allowed"),
                    ));
                }
            }
        }
        if let Some(n) = &self.note {
            let n = n.chars().count();
            if n > MAX_NOTE_CHARS {
                errs.push(FieldError::new(
                    "note",
                    "too_long",
                    format!("note is {n} characters; at most {MAX_NOTE_CHARS} are allowed"),
                ));
            }
        }
        check_list(&mut errs, "phones", &self.phones);
        check_list(&mut errs, "emails", &self.emails);
        if self.contacts.len() > MAX_CONTACTS {
            errs.push(FieldError::new(
                "contacts",
                "too_many",
                format!(
                    "{} contacts; at most {MAX_CONTACTS} are allowed",
                    self.contacts.len()
                ),
            ));
        }
        for (i, c) in self.contacts.iter().enumerate() {
            if c.name.chars().count() > MAX_NAME_CHARS {
                errs.push(FieldError::new(
                    format!("contacts[{i}].name"),
                    "too_long",
                    format!("contact name is longer than {MAX_NAME_CHARS} characters"),
                ));
            }
            if c.title
                .as_deref()
                .is_some_and(|t| t.chars().count() > MAX_TEXT_CHARS)
            {
                errs.push(FieldError::new(
                    format!("contacts[{i}].title"),
                    "too_long",
                    format!("contact title is longer than {MAX_TEXT_CHARS} characters"),
                ));
            }
            check_list(&mut errs, &format!("contacts[{i}].phones"), &c.phones);
            check_list(&mut errs, &format!("contacts[{i}].emails"), &c.emails);
        }
        errs
    }
}

impl CustomerFields {
    /// Takes the value at `path` (`phones[1]`, `contacts[0].emails[2]`, `credit_code`) out of
    /// its field, leaving an empty string or `None` behind ([`CustomerFields::tidy`] drops
    /// it), and names what it was in words for the note: "电话 / phone". `None` for a path
    /// that holds no value that can be set aside (the name).
    pub fn set_aside(&mut self, path: &str) -> Option<(&'static str, String)> {
        fn index(s: &str, list: &str) -> Option<usize> {
            s.strip_prefix(list)?
                .strip_prefix('[')?
                .strip_suffix(']')?
                .parse()
                .ok()
        }
        fn take(v: &mut [String], i: Option<usize>) -> Option<String> {
            v.get_mut(i?).map(std::mem::take)
        }
        let (contact, rest) = match path.strip_prefix("contacts[") {
            Some(r) => {
                let (c, rest) = r.split_once("].")?;
                (Some(c.parse::<usize>().ok()?), rest)
            }
            None => (None, path),
        };
        let (phones, emails) = match contact {
            Some(c) => {
                let c = self.contacts.get_mut(c)?;
                (&mut c.phones, &mut c.emails)
            }
            None => (&mut self.phones, &mut self.emails),
        };
        if let Some(v) = take(phones, index(rest, "phones")) {
            return Some(("电话 / phone", v));
        }
        if let Some(v) = take(emails, index(rest, "emails")) {
            return Some(("邮箱 / e-mail", v));
        }
        if contact.is_some() {
            return None;
        }
        let (label, slot) = match path {
            "website" => ("网址 / website", &mut self.website),
            "credit_code" => ("统一社会信用代码 / credit code", &mut self.credit_code),
            "birth_date" => ("出生日期 / date of birth", &mut self.birth_date),
            "id_number" => ("证件号码 / id number", &mut self.id_number),
            "postcode" => ("邮编 / postcode", &mut self.postcode),
            _ => return None,
        };
        slot.take().map(|v| (label, v))
    }
}

fn check_list(errs: &mut Vec<FieldError>, field: &str, items: &[String]) {
    if items.len() > MAX_LIST_ITEMS {
        errs.push(FieldError::new(
            field,
            "too_many",
            format!(
                "{field} has {} entries; at most {MAX_LIST_ITEMS} are allowed",
                items.len()
            ),
        ));
    }
    for (i, v) in items.iter().enumerate() {
        if v.chars().count() > MAX_TEXT_CHARS {
            errs.push(FieldError::new(
                format!("{field}[{i}]"),
                "too_long",
                format!("{field}[{i}] is longer than {MAX_TEXT_CHARS} characters"),
            ));
        }
    }
}

/// A stored customer with its ownership evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: Id,
    pub fields: CustomerFields,
    /// Who entered the customer first, and when: the evidence for first-come ownership.
    pub created_by: Id,
    pub created_at: Timestamp,
    /// `None` while the customer is in the public pool (公海).
    pub owner_id: Option<Id>,
    pub owned_since: Option<Timestamp>,
    pub last_followup_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    /// Set once the customer was folded into another (合并): its id resolves there.
    #[serde(default)]
    pub merged_into: Option<Id>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_trims_and_drops_blanks() {
        let f = CustomerFields {
            name: "  星河互联  ".into(),
            phones: vec![" 138 ".into(), "   ".into()],
            website: Some("  ".into()),
            contacts: vec![Contact::default()],
            ..Default::default()
        }
        .tidy();
        assert_eq!(f.name, "星河互联");
        assert_eq!(f.phones, vec!["138".to_string()]);
        assert_eq!(f.website, None);
        assert!(f.contacts.is_empty());
    }

    #[test]
    fn values_are_set_aside_by_their_path() {
        let mut f = CustomerFields {
            name: "星河互联".into(),
            phones: vec!["13800138000".into(), "abc".into()],
            credit_code: Some("123".into()),
            contacts: vec![Contact {
                name: "张三".into(),
                emails: vec!["zhang#xinghe".into()],
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(
            f.set_aside("phones[1]").map(|x| x.1).as_deref(),
            Some("abc")
        );
        assert_eq!(
            f.set_aside("contacts[0].emails[0]").map(|x| x.1).as_deref(),
            Some("zhang#xinghe")
        );
        assert_eq!(
            f.set_aside("credit_code").map(|x| x.1).as_deref(),
            Some("123")
        );
        assert_eq!(f.set_aside("name"), None);
        assert_eq!(f.set_aside("phones[7]"), None);
        let f = f.tidy();
        assert_eq!(f.phones, vec!["13800138000".to_string()]);
        assert!(f.contacts[0].emails.is_empty());
        assert_eq!(f.credit_code, None);
    }

    #[test]
    fn shape_errors_name_the_field() {
        let f = CustomerFields {
            name: String::new(),
            phones: vec!["1".into(); MAX_LIST_ITEMS + 1],
            contacts: vec![Contact {
                name: "x".repeat(MAX_NAME_CHARS + 1),
                ..Default::default()
            }],
            ..Default::default()
        };
        let fields: Vec<_> = f.validate_shape().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["name", "phones", "contacts[0].name"]);
    }
}
