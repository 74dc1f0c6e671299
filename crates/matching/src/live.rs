//! The live duplicate check over records held in memory: what the service does against the
//! database — the customers under the probe's query keys (at most so many per key), names
//! weighed by how many stored records share them, best first, at most so many — for files,
//! evaluations and tests that need no database.

use std::collections::HashMap;

use leadguard_domain::keys::MatchKey;

use crate::compare::{Comparison, NameFrequency, Verdict};
use crate::engine::Matcher;
use crate::profile::Profile;

/// Records counted under one name, at most: a name twenty companies share is common enough for
/// no verdict to rest on it (its u is then at least 20 in a million, against the model's 1 in a
/// million for a shared brand), and counting costs no more for a brand thousands share.
pub const NAME_COUNT_LIMIT: u64 = 20;

/// How much one check may look at and report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Records taken from one key: a key that thousands share cannot slow a check down.
    pub candidates_per_key: usize,
    /// Matches reported.
    pub max_matches: usize,
    /// Records counted under one name (beyond it a name is common enough for its weight not
    /// to change).
    pub name_count: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            candidates_per_key: 100,
            max_matches: 10,
            name_count: NAME_COUNT_LIMIT,
        }
    }
}

/// Orders matches best first — duplicates, then suspected, each by descending score, equals
/// by the id of the record (the one entered first comes first, however the matches were
/// found) — and keeps the first `max`. Returns how many were cut.
pub fn best_first<T>(
    items: &mut Vec<T>,
    max: usize,
    key: impl Fn(&T) -> (Verdict, f64, i64),
) -> usize {
    items.sort_by(|a, b| {
        let (va, sa, ia) = key(a);
        let (vb, sb, ib) = key(b);
        vb.cmp(&va).then(sb.total_cmp(&sa)).then(ia.cmp(&ib))
    });
    let cut = items.len().saturating_sub(max);
    items.truncate(max);
    cut
}

/// One stored record a probe matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The record's id in the index (the order it was inserted in).
    pub id: u32,
    pub comparison: Comparison,
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Best first, at most [`Limits::max_matches`].
    pub hits: Vec<Hit>,
    /// Matches beyond those listed.
    pub more: usize,
    /// Every record that might match was compared (no key held more than it gave).
    pub exact: bool,
}

/// Records in memory, indexed under their keys as the store indexes customers.
#[derive(Debug, Default)]
pub struct MemoryIndex {
    profiles: Vec<Profile>,
    keys: HashMap<MatchKey, Vec<u32>>,
}

impl MemoryIndex {
    pub fn new() -> MemoryIndex {
        MemoryIndex::default()
    }

    /// Stores a record under every one of its index keys; returns its id.
    pub fn insert(&mut self, profile: Profile) -> u32 {
        let id = self.profiles.len() as u32;
        for k in profile.index_keys() {
            self.keys.entry(k).or_default().push(id);
        }
        self.profiles.push(profile);
        id
    }

    pub fn profile(&self, id: u32) -> &Profile {
        &self.profiles[id as usize]
    }

    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    /// Stored records under `key`.
    pub fn count(&self, key: &MatchKey) -> usize {
        self.keys.get(key).map_or(0, Vec::len)
    }

    /// The stored records `probe` matches (suspected or duplicate), best first.
    pub fn check(&self, matcher: &dyn Matcher, probe: &Profile, limits: Limits) -> Found {
        let mut ids: Vec<u32> = Vec::new();
        let mut exact = true;
        for k in probe.query_keys() {
            if let Some(found) = self.keys.get(&k) {
                exact &= found.len() <= limits.candidates_per_key;
                ids.extend(found.iter().take(limits.candidates_per_key));
            }
        }
        ids.sort_unstable();
        ids.dedup();
        let freq = NameFrequency::of(probe, |k| {
            Some((self.count(k) as u64).min(limits.name_count))
        })
        .with_cores(probe, ids.iter().map(|&id| self.profile(id)));
        let mut hits: Vec<Hit> = ids
            .into_iter()
            .map(|id| Hit {
                id,
                comparison: matcher.compare_with(probe, self.profile(id), freq),
            })
            .filter(|h| h.comparison.verdict != Verdict::Distinct)
            .collect();
        let more = best_first(&mut hits, limits.max_matches, |h| {
            (h.comparison.verdict, h.comparison.score, i64::from(h.id))
        });
        Found { hits, more, exact }
    }
}

#[cfg(test)]
mod tests {
    use leadguard_domain::customer::CustomerFields;

    use super::*;
    use crate::engine::WeightedMatcher;

    fn company(name: &str) -> Profile {
        Profile::build(&CustomerFields {
            name: name.into(),
            ..Default::default()
        })
        .expect("a name alone is valid")
    }

    #[test]
    fn a_brand_typed_alone_finds_its_company_first() {
        let matcher = WeightedMatcher::default();
        let mut index = MemoryIndex::new();
        for name in [
            "苏州阳光电子科技有限公司",
            "杭州阳光食品有限公司",
            "北京阳光城置业有限公司",
            "苏州同建工程管理有限公司",
            "上海同济建设有限公司",
        ] {
            index.insert(company(name));
        }
        for typed in [
            "同建",
            "苏州同建",
            "同建工程",
            "同建工程管理有限公司",
            "苏州同建工程管",
        ] {
            let found = index.check(&matcher, &company(typed), Limits::default());
            let first = found.hits.first().map(|h| h.id);
            assert_eq!(first, Some(3), "{typed}: {found:?}");
        }
        // A common brand lists everyone that begins with it, and says how many it cut.
        let found = index.check(
            &matcher,
            &company("阳光"),
            Limits {
                max_matches: 2,
                ..Limits::default()
            },
        );
        assert_eq!((found.hits.len(), found.more, found.exact), (2, 1, true));
        assert!(
            found
                .hits
                .iter()
                .all(|h| h.comparison.verdict == Verdict::Suspected)
        );
    }
}
