//! Normalized keys that the matching engine derives from a customer and the store indexes.

use serde::{Deserialize, Serialize};

/// What a key was derived from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// E.164 phone number, extension removed.
    Phone,
    /// Lower-cased e-mail address.
    Email,
    /// Registrable web or e-mail domain of the company (free-mail providers excluded).
    Domain,
    /// Validated 统一社会信用代码.
    CreditCode,
    /// A person's identity number (居民身份证号码 or other).
    IdNumber,
    /// Company name with region and legal form stripped.
    Name,
    /// Any further blocking key an engine wants indexed (e.g. pinyin of the name core).
    Block,
}

impl KeyKind {
    pub const ALL: [KeyKind; 7] = [
        KeyKind::Phone,
        KeyKind::Email,
        KeyKind::Domain,
        KeyKind::CreditCode,
        KeyKind::IdNumber,
        KeyKind::Name,
        KeyKind::Block,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Phone => "phone",
            KeyKind::Email => "email",
            KeyKind::Domain => "domain",
            KeyKind::CreditCode => "credit_code",
            KeyKind::IdNumber => "id_number",
            KeyKind::Name => "name",
            KeyKind::Block => "block",
        }
    }

    pub fn parse(s: &str) -> Option<KeyKind> {
        KeyKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One normalized key. Equal keys mean "worth comparing"; for *unique* keys (see the matching
/// engine) they mean "the same customer", and the store enforces that with a unique index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MatchKey {
    pub kind: KeyKind,
    pub value: String,
}

impl MatchKey {
    pub fn new(kind: KeyKind, value: impl Into<String>) -> Self {
        MatchKey {
            kind,
            value: value.into(),
        }
    }

    /// A stable 64-bit hash of the key (FNV-1a), e.g. for PostgreSQL advisory locks. Stable
    /// across processes and versions, unlike `std`'s hasher.
    pub fn stable_hash(&self) -> i64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self
            .kind
            .as_str()
            .bytes()
            .chain(std::iter::once(0u8))
            .chain(self.value.bytes())
        {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_hash_is_stable_and_kind_sensitive() {
        let a = MatchKey::new(KeyKind::Phone, "+8613800138000");
        assert_eq!(
            a.stable_hash(),
            MatchKey::new(KeyKind::Phone, "+8613800138000").stable_hash()
        );
        assert_ne!(
            a.stable_hash(),
            MatchKey::new(KeyKind::Email, "+8613800138000").stable_hash()
        );
        // Pinned so that two versions of the server on one database lock the same keys.
        assert_eq!(
            MatchKey::new(KeyKind::Name, "").stable_hash(),
            -5_785_232_162_376_137_550
        );
    }
}
