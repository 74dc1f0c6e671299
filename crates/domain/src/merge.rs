//! Folding a duplicate customer into the survivor (合并), and taking it back out: which
//! fields the survivor ends up with. Nothing is dropped: every phone, e-mail and contact of the
//! duplicate is kept; the survivor's own values win where both have one.

use crate::customer::{Contact, CustomerFields, MAX_CONTACTS, MAX_LIST_ITEMS};

/// Digits of a phone, or a lower-cased e-mail: two entries with the same key are one value.
fn value_key(v: &str) -> String {
    if v.contains('@') {
        v.trim().to_lowercase()
    } else {
        let digits: String = v.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() {
            v.trim().to_string()
        } else {
            digits
        }
    }
}

fn union(into: &mut Vec<String>, from: &[String]) {
    for v in from {
        let k = value_key(v);
        if !into.iter().any(|x| value_key(x) == k) {
            into.push(v.clone());
        }
    }
}

fn same_contact(a: &Contact, b: &Contact) -> bool {
    a.name.trim() == b.name.trim()
        && a.phones.iter().map(|p| value_key(p)).collect::<Vec<_>>()
            == b.phones.iter().map(|p| value_key(p)).collect::<Vec<_>>()
        && a.emails.iter().map(|p| value_key(p)).collect::<Vec<_>>()
            == b.emails.iter().map(|p| value_key(p)).collect::<Vec<_>>()
}

/// The survivor's fields after absorbing `duplicate`.
pub fn merge_fields(survivor: &CustomerFields, duplicate: &CustomerFields) -> CustomerFields {
    let mut out = survivor.clone();
    union(&mut out.phones, &duplicate.phones);
    union(&mut out.emails, &duplicate.emails);
    for c in &duplicate.contacts {
        if !out.contacts.iter().any(|x| same_contact(x, c)) {
            out.contacts.push(c.clone());
        }
    }
    let fill = |mine: &mut Option<String>, theirs: &Option<String>| {
        if mine.is_none() {
            mine.clone_from(theirs);
        }
    };
    fill(&mut out.website, &duplicate.website);
    fill(&mut out.credit_code, &duplicate.credit_code);
    fill(&mut out.address, &duplicate.address);
    fill(&mut out.province, &duplicate.province);
    fill(&mut out.city, &duplicate.city);
    fill(&mut out.industry, &duplicate.industry);
    fill(&mut out.size, &duplicate.size);
    fill(&mut out.source, &duplicate.source);
    fill(&mut out.postcode, &duplicate.postcode);
    fill(&mut out.birth_date, &duplicate.birth_date);
    fill(&mut out.id_number, &duplicate.id_number);
    fill(&mut out.external_id, &duplicate.external_id);
    out.note = joined_notes(&survivor.note, &duplicate.note);
    out
}

/// Both notes, the survivor's first; one of them alone if the other is empty or holds it.
fn joined_notes(mine: &Option<String>, theirs: &Option<String>) -> Option<String> {
    match (mine, theirs) {
        (Some(a), Some(b)) if !a.contains(b.as_str()) => Some(format!("{a}\n{b}")),
        (None, b) => b.clone(),
        (a, _) => a.clone(),
    }
}

/// What a record found to duplicate `customer` (a row of an import, an inbound lead) brings
/// that the customer lacks: phones, e-mails and contacts, and a web site or credit code where
/// the customer has none, so that the next entry of that company meets all of it. The
/// customer's fields after taking them in, or `None` if the record brings nothing new.
/// `held_elsewhere(value)`: the phone or e-mail belongs to another customer, and stays there.
/// Lists stop growing at their limits.
pub fn absorb_evidence(
    customer: &CustomerFields,
    record: &CustomerFields,
    held_elsewhere: impl Fn(&str) -> bool,
) -> Option<CustomerFields> {
    let mut out = customer.clone();
    let add = |into: &mut Vec<String>, from: &[String]| {
        for v in from {
            let k = value_key(v);
            if into.len() < MAX_LIST_ITEMS
                && !into.iter().any(|x| value_key(x) == k)
                && !held_elsewhere(v)
            {
                into.push(v.clone());
            }
        }
    };
    add(&mut out.phones, &record.phones);
    add(&mut out.emails, &record.emails);
    for c in &record.contacts {
        let name = c.name.trim();
        // The same person (by name) gains the phones and e-mails they lack; someone new is
        // added with theirs.
        let room = out.contacts.len() < MAX_CONTACTS;
        match out
            .contacts
            .iter_mut()
            .find(|x| !name.is_empty() && x.name.trim() == name)
        {
            Some(known) => {
                add(&mut known.phones, &c.phones);
                add(&mut known.emails, &c.emails);
                if known.title.is_none() {
                    known.title.clone_from(&c.title);
                }
            }
            None if room => {
                let mut new = Contact {
                    name: c.name.clone(),
                    title: c.title.clone(),
                    ..Default::default()
                };
                add(&mut new.phones, &c.phones);
                add(&mut new.emails, &c.emails);
                if !name.is_empty() || !new.phones.is_empty() || !new.emails.is_empty() {
                    out.contacts.push(new);
                }
            }
            None => {}
        }
    }
    if out.website.is_none() {
        out.website.clone_from(&record.website);
    }
    // A customer imported before its legacy id was kept takes it from a rerun of the file.
    if out.external_id.is_none() {
        out.external_id.clone_from(&record.external_id);
    }
    if out.credit_code.is_none() && !record.credit_code.as_deref().is_some_and(&held_elsewhere) {
        out.credit_code.clone_from(&record.credit_code);
    }
    (out != *customer).then_some(out)
}

/// What `after` holds that `before` did not, for the audit log: "电话 138…；邮箱 …；联系人 李工".
pub fn describe_added(before: &CustomerFields, after: &CustomerFields) -> String {
    let new_values = |b: &[String], a: &[String]| -> Vec<String> {
        a.iter()
            .filter(|v| !b.iter().any(|x| value_key(x) == value_key(v)))
            .cloned()
            .collect()
    };
    let mut parts: Vec<String> = Vec::new();
    let mut phones = new_values(&before.phones, &after.phones);
    let mut emails = new_values(&before.emails, &after.emails);
    let mut people = Vec::new();
    for c in &after.contacts {
        match before
            .contacts
            .iter()
            .find(|b| b.name.trim() == c.name.trim())
        {
            Some(b) => {
                phones.extend(new_values(&b.phones, &c.phones));
                emails.extend(new_values(&b.emails, &c.emails));
            }
            None => people.push(c.name.trim().to_string()),
        }
    }
    for (label, values) in [("电话", phones), ("邮箱", emails), ("联系人", people)] {
        if !values.is_empty() {
            parts.push(format!("{label} {}", values.join("、")));
        }
    }
    for (label, b, a) in [
        ("网站", &before.website, &after.website),
        ("信用代码", &before.credit_code, &after.credit_code),
    ] {
        if let (None, Some(v)) = (b, a) {
            parts.push(format!("{label} {v}"));
        }
    }
    parts.join("；")
}

/// The survivor's fields after an unmerge: `current` without what the merge brought in from
/// `duplicate` (values the survivor had before, in `before`, stay). Changes made since the
/// merge are kept.
pub fn unmerge_fields(
    current: &CustomerFields,
    before: &CustomerFields,
    duplicate: &CustomerFields,
) -> CustomerFields {
    let brought = |v: &str, had: &[String], from: &[String]| {
        let k = value_key(v);
        from.iter().any(|x| value_key(x) == k) && !had.iter().any(|x| value_key(x) == k)
    };
    let mut out = current.clone();
    out.phones
        .retain(|p| !brought(p, &before.phones, &duplicate.phones));
    out.emails
        .retain(|e| !brought(e, &before.emails, &duplicate.emails));
    // Keep a contact unless it came with the duplicate (and the survivor did not have it).
    out.contacts.retain(|c| {
        before.contacts.iter().any(|b| same_contact(b, c))
            || !duplicate.contacts.iter().any(|d| same_contact(d, c))
    });
    let clear = |now: &mut Option<String>, had: &Option<String>, theirs: &Option<String>| {
        if had.is_none() && now.is_some() && now == theirs {
            *now = None;
        }
    };
    clear(&mut out.website, &before.website, &duplicate.website);
    clear(
        &mut out.credit_code,
        &before.credit_code,
        &duplicate.credit_code,
    );
    clear(&mut out.address, &before.address, &duplicate.address);
    clear(&mut out.province, &before.province, &duplicate.province);
    clear(&mut out.city, &before.city, &duplicate.city);
    clear(&mut out.industry, &before.industry, &duplicate.industry);
    clear(&mut out.size, &before.size, &duplicate.size);
    clear(&mut out.source, &before.source, &duplicate.source);
    clear(&mut out.postcode, &before.postcode, &duplicate.postcode);
    clear(
        &mut out.birth_date,
        &before.birth_date,
        &duplicate.birth_date,
    );
    clear(&mut out.id_number, &before.id_number, &duplicate.id_number);
    clear(
        &mut out.external_id,
        &before.external_id,
        &duplicate.external_id,
    );
    if out.note == joined_notes(&before.note, &duplicate.note) {
        out.note.clone_from(&before.note);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(name: &str, phones: &[&str], emails: &[&str]) -> CustomerFields {
        CustomerFields {
            name: name.into(),
            phones: phones.iter().map(|s| s.to_string()).collect(),
            emails: emails.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn merge_keeps_everything_once_and_unmerge_takes_it_back() {
        let mut s = fields("星河互联", &["138-0013-8000"], &["a@x.com"]);
        s.contacts.push(Contact {
            name: "王经理".into(),
            ..Default::default()
        });
        let mut d = fields(
            "星河互联科技有限公司",
            &["13800138000", "010-6258 8888"],
            &["A@x.com", "b@x.com"],
        );
        d.website = Some("xinghe.cn".into());
        d.contacts.push(Contact {
            name: "李工".into(),
            phones: vec!["139 0000 0000".into()],
            ..Default::default()
        });
        let m = merge_fields(&s, &d);
        assert_eq!(m.name, "星河互联", "the survivor's name stays");
        assert_eq!(m.phones, vec!["138-0013-8000", "010-6258 8888"]);
        assert_eq!(m.emails, vec!["a@x.com", "b@x.com"]);
        assert_eq!(m.website.as_deref(), Some("xinghe.cn"));
        assert_eq!(m.contacts.len(), 2);

        // After the merge the survivor gained an e-mail of its own; unmerge keeps it.
        let mut now = m.clone();
        now.emails.push("c@x.com".into());
        let back = unmerge_fields(&now, &s, &d);
        assert_eq!(back.phones, s.phones);
        assert_eq!(back.emails, vec!["a@x.com", "c@x.com"]);
        assert_eq!(back.website, None);
        assert_eq!(back.contacts, s.contacts);
    }

    #[test]
    fn notes_are_joined_and_taken_back() {
        let mut s = fields("星河互联", &[], &[]);
        s.note = Some("老客户".into());
        let mut d = fields("星河互联科技", &[], &[]);
        d.note = Some("展会认识".into());
        let m = merge_fields(&s, &d);
        assert_eq!(m.note.as_deref(), Some("老客户\n展会认识"));
        assert_eq!(unmerge_fields(&m, &s, &d).note, s.note);
        // Nothing twice.
        assert_eq!(merge_fields(&m, &d).note, m.note);
    }

    #[test]
    fn a_duplicate_record_brings_what_the_customer_lacks() {
        let c = fields("星河互联科技有限公司", &["010-6258 8888"], &["a@x.com"]);
        let mut row = fields(
            "星河互联",
            &["(010) 62588888", "13800138000", "13900139000"],
            &["A@x.com", "b@x.com"],
        );
        row.contacts.push(Contact {
            name: "李工".into(),
            ..Default::default()
        });
        row.website = Some("xinghe.cn".into());
        // 139… is another customer's: it stays there.
        let got = absorb_evidence(&c, &row, |v| v.starts_with("139")).expect("new evidence");
        assert_eq!(got.name, c.name);
        assert_eq!(got.phones, vec!["010-6258 8888", "13800138000"]);
        assert_eq!(got.emails, vec!["a@x.com", "b@x.com"]);
        assert_eq!(got.contacts.len(), 1);
        assert_eq!(got.website.as_deref(), Some("xinghe.cn"));
        assert_eq!(
            describe_added(&c, &got),
            "电话 13800138000；邮箱 b@x.com；联系人 李工；网站 xinghe.cn"
        );
        // The same record again brings nothing.
        assert_eq!(absorb_evidence(&got, &row, |v| v.starts_with("139")), None);
        // A known contact gains the phone they lacked, and is not added twice.
        let mut again = fields("星河互联", &[], &[]);
        again.contacts.push(Contact {
            name: " 李工".into(),
            phones: vec!["186 0000 1111".into(), "139 1111 2222".into()],
            ..Default::default()
        });
        let more = absorb_evidence(&got, &again, |v| v.starts_with("139")).expect("a phone");
        assert_eq!(more.contacts.len(), 1);
        assert_eq!(more.contacts[0].phones, vec!["186 0000 1111"]);
        assert_eq!(describe_added(&got, &more), "电话 186 0000 1111");
        // Lists stop at their limits.
        let full = fields("满", &vec!["1"; MAX_LIST_ITEMS], &[]);
        let more = fields("满", &["13800138000"], &[]);
        assert_eq!(absorb_evidence(&full, &more, |_| false), None);
    }
}
