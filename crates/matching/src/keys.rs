//! Blocking keys: two records are compared only if one *queries* a key the other *indexes*.
//! Most keys are symmetric (a record indexes and queries the same key), so records sharing one
//! are compared. A few are one-sided, so that the cheap pairs are found without comparing
//! every record to every other record with the same brand prefix:
//!
//! - partial names meet full names: every company name indexes `pre:` with the first two,
//!   three and four characters of its tail (the name from the brand on: 同建, 同建工, 同建工程);
//!   a partial name (简称, or a name still being typed: 同建, 苏州同建, 同建工程管) queries `pre:`
//!   with the first four characters of its own tail (or all of it, if shorter).
//! - full names meet stored partial names: a partial name indexes `sn:` with the first four
//!   characters of its tail; a full name queries `sn:` with the first two, three and four
//!   characters of its tail and with its core. Full names are never paired through these keys.
//! - English names meet Chinese ones: Chinese names index `pyc:` with the pinyin of their
//!   core, English names query it; English names index and query `pye:`, Chinese names query it.
//!
//! Unique keys (phones, e-mails, credit codes, identity numbers) are both indexed and queried,
//! and the store refuses a second customer holding one.

use std::collections::BTreeSet;

use leadguard_domain::customer::CustomerKind;
use leadguard_domain::keys::{KeyKind, MatchKey};

use crate::compare::NameFrequency;
use crate::profile::{PhoneId, Profile};

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

/// Whether a record indexes a key (stores itself under it), queries it (looks others up by
/// it), or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRoles {
    pub index: bool,
    pub query: bool,
}

impl KeyRoles {
    pub const INDEX: KeyRoles = KeyRoles {
        index: true,
        query: false,
    };
    pub const QUERY: KeyRoles = KeyRoles {
        index: false,
        query: true,
    };
    pub const BOTH: KeyRoles = KeyRoles {
        index: true,
        query: true,
    };

    fn union(self, other: KeyRoles) -> KeyRoles {
        KeyRoles {
            index: self.index || other.index,
            query: self.query || other.query,
        }
    }
}

/// Names that begin with the country (中国平安…) are also typed with it.
const COUNTRY_PREFIX: &str = "中国";

/// Characters of a name's start that the prefix keys hold: enough to tell a brand of two to
/// four characters, few enough to keep three keys per name.
pub const PREFIX_CHARS: usize = 4;

/// The first `n` characters of `s`, if it has at least `n`.
fn prefix_chars(s: &str, n: usize) -> Option<&str> {
    match s.char_indices().nth(n) {
        Some((i, _)) => Some(&s[..i]),
        None => (s.chars().count() == n).then_some(s),
    }
}

/// The first `n` characters of `s`, or all of it.
fn prefix_at_most(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

/// The unique keys of these identifiers: phones that are not weak, e-mails, credit code and
/// identity number, sorted, each once.
pub(crate) fn unique_keys_of(
    phones: &[PhoneId],
    emails: &[String],
    credit_code: Option<&str>,
    id_number: Option<&str>,
) -> Vec<MatchKey> {
    let mut keys = BTreeSet::new();
    for p in phones.iter().filter(|p| !p.weak) {
        keys.insert(MatchKey::new(KeyKind::Phone, &p.e164));
    }
    for e in emails {
        keys.insert(MatchKey::new(KeyKind::Email, e));
    }
    if let Some(c) = credit_code {
        keys.insert(MatchKey::new(KeyKind::CreditCode, c));
    }
    if let Some(id) = id_number {
        keys.insert(MatchKey::new(KeyKind::IdNumber, id));
    }
    keys.into_iter().collect()
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
        unique_keys_of(
            &self.phones,
            &self.emails,
            self.credit_code.as_deref(),
            self.id_number.as_deref(),
        )
    }

    /// Keys both indexed and queried.
    fn symmetric_keys(&self, keys: &mut Vec<MatchKey>) {
        keys.extend(self.unique_keys());
        for p in self.phones.iter().filter(|p| p.weak) {
            keys.push(MatchKey::new(KeyKind::Phone, &p.e164));
        }
        for d in &self.domains {
            keys.push(MatchKey::new(KeyKind::Domain, d));
        }
        let n = &self.name;
        if !n.key.is_empty() {
            keys.push(MatchKey::new(KeyKind::Name, &n.key));
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
                    keys.push(block("py", &format!("{}{industry}", n.pinyin)));
                }
                // Same core, other industry words, same city.
                if let Some(city) = city
                    && n.core.chars().count() >= 2
                    && !n.generic
                {
                    keys.push(block("cc", &format!("{city}:{}", n.core)));
                }
            }
            CustomerKind::Person => {
                let initial = n.folded.chars().next().unwrap_or('_');
                if n.folded.chars().count() >= 2 {
                    // The name as written, order kept: a space typed inside it does not matter.
                    keys.push(block("pf", &n.folded));
                }
                if let Some(d) = &self.birth_date {
                    keys.push(block("dob", &format!("{d}:{initial}")));
                    if let Some(pc) = &self.postcode {
                        // Same birthday and postcode: survives a changed or misspelt name.
                        keys.push(block("dp", &format!("{d}:{pc}")));
                    }
                }
                if let Some(pc) = &self.postcode {
                    let start: String = n.folded.chars().take(3).collect();
                    keys.push(block("pcn", &format!("{pc}:{start}")));
                    // Each part of the name with the postcode: a typo in the other part, or
                    // a missing given name, still meets.
                    for token in n.key.split(' ').filter(|t| t.chars().count() >= 2).take(3) {
                        keys.push(block("pcn", &format!("{pc}:{token}")));
                    }
                    if let Some(street) = &self.street {
                        let start: String = street.chars().take(6).collect();
                        keys.push(block("ps", &format!("{pc}:{start}")));
                    }
                }
            }
        }
        if let (Some(street), Some(city)) = (&self.street, city)
            && street.chars().count() >= 4
        {
            keys.push(block("st", &format!("{city}:{street}")));
        }
    }

    /// Keys under which the store indexes this customer.
    pub fn index_keys(&self) -> Vec<MatchKey> {
        self.keys_with_roles()
            .into_iter()
            .filter_map(|(k, r)| r.index.then_some(k))
            .collect()
    }

    /// Keys to look up for this record's candidates.
    pub fn query_keys(&self) -> Vec<MatchKey> {
        self.keys_with_roles()
            .into_iter()
            .filter_map(|(k, r)| r.query.then_some(k))
            .collect()
    }

    /// Every key of the record once, sorted, with whether it is indexed, queried or both (the
    /// batch blocking needs both in one pass).
    pub fn keys_with_roles(&self) -> Vec<(MatchKey, KeyRoles)> {
        let mut tagged: Vec<(MatchKey, KeyRoles)> = Vec::new();
        let mut keys = Vec::new();
        self.symmetric_keys(&mut keys);
        tagged.extend(keys.drain(..).map(|k| (k, KeyRoles::BOTH)));
        self.index_only_keys(&mut keys);
        tagged.extend(keys.drain(..).map(|k| (k, KeyRoles::INDEX)));
        self.query_only_keys(&mut keys);
        tagged.extend(keys.drain(..).map(|k| (k, KeyRoles::QUERY)));
        tagged.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(MatchKey, KeyRoles)> = Vec::with_capacity(tagged.len());
        for (k, r) in tagged {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = last.1.union(r),
                _ => out.push((k, r)),
            }
        }
        out
    }

    /// Keys only indexed (the starts of the name that partial names query).
    fn index_only_keys(&self, keys: &mut Vec<MatchKey>) {
        let n = &self.name;
        if self.kind == CustomerKind::Company && !n.tail.is_empty() {
            for k in 2..=PREFIX_CHARS {
                if let Some(p) = prefix_chars(&n.tail, k) {
                    keys.push(block("pre", p));
                }
            }
            // 中国神华能源…: typed as 神华 or as 中国神华.
            if !n.folded.starts_with(&n.tail) && n.folded.starts_with(COUNTRY_PREFIX) {
                for k in 3..=PREFIX_CHARS {
                    keys.extend(prefix_chars(&n.folded, k).map(|p| block("pre", p)));
                }
            }
            if n.partial {
                keys.push(block("sn", prefix_at_most(&n.tail, PREFIX_CHARS)));
            }
            if !n.pinyin.is_empty() {
                keys.push(block(if n.latin { "pye" } else { "pyc" }, &n.pinyin));
            }
        }
    }

    /// Keys only queried (starts of names that stored partial names index, brands).
    fn query_only_keys(&self, keys: &mut Vec<MatchKey>) {
        let n = &self.name;
        if self.kind == CustomerKind::Company && !n.tail.is_empty() {
            if (n.partial || n.generic) && n.tail.chars().count() >= 2 {
                let start = prefix_at_most(&n.tail, PREFIX_CHARS);
                keys.push(block("pre", start));
                keys.push(block("sn", start));
                // The brand with other trade words (迈瑞医疗 → 迈瑞生物医疗电子): the names
                // that begin with the brand.
                keys.extend(self.brand_key());
            }
            if !n.partial {
                // A brand and a legal form with no trade (中微公司): every name it begins.
                if n.industry.is_none() {
                    keys.extend(self.brand_key());
                }
                for k in 2..=PREFIX_CHARS {
                    if let Some(p) = prefix_chars(&n.tail, k) {
                        keys.push(block("sn", p));
                    }
                }
                if n.core.chars().count() >= 2 {
                    keys.push(block("sn", prefix_at_most(&n.core, PREFIX_CHARS)));
                }
            }
            if !n.pinyin.is_empty() {
                keys.push(block("pye", &n.pinyin));
                if n.latin {
                    keys.push(block("pyc", &n.pinyin));
                }
            }
        }
    }

    /// The key whose stored count says how common this record's brand is (how many stored
    /// names begin with its core): the term frequency that [`crate::compare`] weighs a shared
    /// brand by.
    pub fn brand_key(&self) -> Option<MatchKey> {
        let n = &self.name;
        (self.kind == CustomerKind::Company && n.core.chars().count() >= 2 && !n.generic)
            .then(|| block("pre", prefix_at_most(&n.core, PREFIX_CHARS)))
    }

    /// The name key of a company (what companies of the same name share).
    pub fn name_key(&self) -> Option<MatchKey> {
        (self.kind == CustomerKind::Company && !self.name.key.is_empty())
            .then(|| MatchKey::new(KeyKind::Name, &self.name.key))
    }

    /// Keys whose stored counts weigh this record's name: its brand and its name key (see
    /// [`NameFrequency::of`]).
    pub fn frequency_keys(&self) -> Vec<MatchKey> {
        self.brand_key()
            .into_iter()
            .chain(self.name_key())
            .collect()
    }

    /// Every key this record indexes or queries: what a writer locks.
    pub fn lock_keys(&self) -> Vec<MatchKey> {
        let mut keys: BTreeSet<MatchKey> = self.index_keys().into_iter().collect();
        keys.extend(self.query_keys());
        keys.into_iter().collect()
    }
}

impl NameFrequency {
    /// The frequencies of `probe`'s brand and name key, from the number of stored records
    /// under each of its [`Profile::frequency_keys`].
    pub fn of(probe: &Profile, count: impl Fn(&MatchKey) -> Option<u64>) -> NameFrequency {
        NameFrequency {
            brand: probe.brand_key().and_then(|k| count(&k)),
            core: None,
            key: probe.name_key().and_then(|k| count(&k)),
        }
    }

    /// With the number of `candidates` whose brand core is `probe`'s: all of them when the
    /// candidates include every stored record that begins with it, else at least as many.
    pub fn with_cores<'a>(
        mut self,
        probe: &Profile,
        candidates: impl IntoIterator<Item = &'a Profile>,
    ) -> NameFrequency {
        let core = &probe.name.core;
        if probe.kind == CustomerKind::Company && core.chars().count() >= 2 {
            let same = candidates
                .into_iter()
                .filter(|c| c.kind == CustomerKind::Company && c.name.core == *core)
                .count() as u64;
            self.core = Some(same);
        }
        self
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
