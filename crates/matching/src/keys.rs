//! Blocking keys: two records are compared only if one *queries* a key the other *indexes*.
//! Most keys are symmetric (a record indexes and queries the same key), so records sharing one
//! are compared. A few are one-sided, so that the cheap pairs are found without comparing
//! every record to every other record with the same brand prefix:
//!
//! - short names (简称) meet full names: a short name indexes `sn:字节跳动`, a full name queries
//!   `sn:` with its core and the core's first two and three characters; a short name queries
//!   `pre:字节`, which full names index. Full names are never paired through these keys.
//! - English names meet Chinese ones: Chinese names index `pyc:` with the pinyin of their
//!   core, English names query it; English names index and query `pye:`, Chinese names query it.
//!
//! Unique keys (phones, e-mails, credit codes, identity numbers) are both indexed and queried,
//! and the store refuses a second customer holding one.

use std::collections::BTreeSet;

use leadguard_domain::customer::CustomerKind;
use leadguard_domain::keys::{KeyKind, MatchKey};

use crate::profile::Profile;

/// Which kind of agreement put a pair of records together: training estimates each field's
/// behaviour from pairs found through *other* families, since within a family the fields it
/// was built from agree by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyFamily {
    Phone,
    Email,
    Domain,
    CreditCode,
    IdNumber,
    Name,
    /// Same brand core in the same city.
    NameInCity,
    BirthDate,
    PostcodeName,
    Street,
}

impl KeyFamily {
    pub const ALL: [KeyFamily; 10] = [
        KeyFamily::Phone,
        KeyFamily::Email,
        KeyFamily::Domain,
        KeyFamily::CreditCode,
        KeyFamily::IdNumber,
        KeyFamily::Name,
        KeyFamily::NameInCity,
        KeyFamily::BirthDate,
        KeyFamily::PostcodeName,
        KeyFamily::Street,
    ];

    pub fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// The family of a key.
    pub fn of(key: &MatchKey) -> KeyFamily {
        match key.kind {
            KeyKind::Phone => KeyFamily::Phone,
            KeyKind::Email => KeyFamily::Email,
            KeyKind::Domain => KeyFamily::Domain,
            KeyKind::CreditCode => KeyFamily::CreditCode,
            KeyKind::IdNumber => KeyFamily::IdNumber,
            KeyKind::Name => KeyFamily::Name,
            KeyKind::Block => match key.value.split_once(':').map_or("", |(p, _)| p) {
                "cc" => KeyFamily::NameInCity,
                "dob" | "dp" => KeyFamily::BirthDate,
                "pcn" => KeyFamily::PostcodeName,
                "ps" => KeyFamily::Street,
                "st" => KeyFamily::Street,
                _ => KeyFamily::Name,
            },
        }
    }
}

fn block(prefix: &str, value: &str) -> MatchKey {
    MatchKey::new(KeyKind::Block, format!("{prefix}:{value}"))
}

fn prefix_chars(s: &str, n: usize) -> Option<&str> {
    let end = s.char_indices().nth(n).map(|(i, _)| i)?;
    Some(&s[..end])
}

/// The city (or municipality) part of a region code: `440305` → `4403`.
fn city_code(region: &str) -> &str {
    match &region[..2] {
        "11" | "12" | "31" | "50" => &region[..2],
        _ => &region[..4],
    }
}

impl Profile {
    /// Identifiers that belong to one customer only.
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
        if let Some(id) = &self.id_number {
            keys.insert(MatchKey::new(KeyKind::IdNumber, id));
        }
        keys.into_iter().collect()
    }

    /// Keys both indexed and queried.
    fn symmetric_keys(&self) -> BTreeSet<MatchKey> {
        let mut keys: BTreeSet<MatchKey> = self.unique_keys().into_iter().collect();
        for p in self.phones.iter().filter(|p| p.weak) {
            keys.insert(MatchKey::new(KeyKind::Phone, &p.e164));
        }
        for d in &self.domains {
            keys.insert(MatchKey::new(KeyKind::Domain, d));
        }
        let n = &self.name;
        if !n.key.is_empty() {
            keys.insert(MatchKey::new(KeyKind::Name, &n.key));
        }
        let city = self.region.as_deref().map(city_code);
        match self.kind {
            CustomerKind::Company => {
                // Homophone typos and Traditional characters in the core, same industry.
                if !n.latin && !n.pinyin.is_empty() {
                    let industry = n
                        .industry
                        .as_deref()
                        .map(crate::normalize::text::pinyin)
                        .unwrap_or_default();
                    keys.insert(block("py", &format!("{}{industry}", n.pinyin)));
                }
                // Same core, other industry words, same city.
                if let Some(city) = city
                    && n.core.chars().count() >= 2
                {
                    keys.insert(block("cc", &format!("{city}:{}", n.core)));
                }
            }
            CustomerKind::Person => {
                let initial = n.folded.chars().next().unwrap_or('_');
                if n.folded.chars().count() >= 2 {
                    // The name as written, order kept: a space typed inside it does not matter.
                    keys.insert(block("pf", &n.folded));
                }
                if let Some(d) = &self.birth_date {
                    keys.insert(block("dob", &format!("{d}:{initial}")));
                    if let Some(pc) = &self.postcode {
                        // Same birthday and postcode: survives a changed or misspelt name.
                        keys.insert(block("dp", &format!("{d}:{pc}")));
                    }
                }
                if let Some(pc) = &self.postcode {
                    let start: String = n.folded.chars().take(3).collect();
                    keys.insert(block("pcn", &format!("{pc}:{start}")));
                    // Each part of the name with the postcode: a typo in the other part, or
                    // a missing given name, still meets.
                    for token in n.key.split(' ').filter(|t| t.chars().count() >= 2).take(3) {
                        keys.insert(block("pcn", &format!("{pc}:{token}")));
                    }
                    if let Some(street) = &self.street {
                        let start: String = street.chars().take(6).collect();
                        keys.insert(block("ps", &format!("{pc}:{start}")));
                    }
                }
            }
        }
        if let (Some(street), Some(city)) = (&self.street, city)
            && street.chars().count() >= 4
        {
            keys.insert(block("st", &format!("{city}:{street}")));
        }
        keys
    }

    /// Keys under which the store indexes this customer.
    pub fn index_keys(&self) -> Vec<MatchKey> {
        let mut keys = self.symmetric_keys();
        let n = &self.name;
        if self.kind == CustomerKind::Company && !n.core.is_empty() {
            if n.short {
                keys.insert(block("sn", &n.core));
            } else if n.core.chars().count() >= 3 {
                for k in [2, 3] {
                    if let Some(p) = prefix_chars(&n.core, k) {
                        keys.insert(block("pre", p));
                    }
                }
            }
            if !n.pinyin.is_empty() {
                keys.insert(block(if n.latin { "pye" } else { "pyc" }, &n.pinyin));
            }
        }
        keys.into_iter().collect()
    }

    /// Keys to look up for this record's candidates.
    pub fn query_keys(&self) -> Vec<MatchKey> {
        let mut keys = self.symmetric_keys();
        let n = &self.name;
        if self.kind == CustomerKind::Company && !n.core.is_empty() {
            if n.short {
                keys.insert(block("sn", &n.core));
                keys.insert(block("pre", &n.core));
            } else {
                keys.insert(block("sn", &n.core));
                for k in [2, 3] {
                    if let Some(p) = prefix_chars(&n.core, k) {
                        keys.insert(block("sn", p));
                    }
                }
            }
            if !n.pinyin.is_empty() {
                keys.insert(block("pye", &n.pinyin));
                if n.latin {
                    keys.insert(block("pyc", &n.pinyin));
                }
            }
        }
        keys.into_iter().collect()
    }

    /// Every key this record indexes or queries: what a writer locks.
    pub fn lock_keys(&self) -> Vec<MatchKey> {
        let mut keys: BTreeSet<MatchKey> = self.index_keys().into_iter().collect();
        keys.extend(self.query_keys());
        keys.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use leadguard_domain::customer::CustomerFields;

    use super::*;

    fn profile(name: &str) -> Profile {
        Profile::build(&CustomerFields {
            name: name.into(),
            ..Default::default()
        })
        .unwrap()
    }

    fn meet(a: &Profile, b: &Profile) -> bool {
        let q: BTreeSet<MatchKey> = a.query_keys().into_iter().collect();
        let q2: BTreeSet<MatchKey> = b.query_keys().into_iter().collect();
        b.index_keys().iter().any(|k| q.contains(k))
            || a.index_keys().iter().any(|k| q2.contains(k))
    }

    #[test]
    fn variants_meet() {
        let full = profile("北京字节跳动科技有限公司");
        assert!(meet(&full, &profile("字节跳动")), "short name");
        assert!(meet(&full, &profile("字节")), "two-character short name");
        assert!(
            meet(&full, &profile("字節跳動(北京)科技有限公司")),
            "Traditional"
        );
        assert!(
            meet(&full, &profile("北京字节跳栋科技有限公司")),
            "homophone"
        );
        assert!(
            meet(
                &profile("沈阳欣地软件有限公司"),
                &profile("Shenyang Xindi Software Co., Ltd.")
            ),
            "English"
        );
        // Full names with the same prefix only are not paired through the short-name keys.
        assert!(!meet(&full, &profile("北京字节云网络有限公司")));
    }
}
