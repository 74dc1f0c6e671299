//! Batch deduplication of many records in memory: blocking (records meet when one queries a
//! key the other indexes; see [`crate::keys`]), model estimation (EM), scoring of every
//! candidate pair, clustering. Oversized blocks are not compared all-pairs: their members are
//! sorted by name and compared within a sliding window, so a key shared by thousands cannot
//! blow up the run.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::cluster;
use crate::compare::{self, NameFrequency, levels};
use crate::em::{self, TrainingOptions, TrainingReport};
use crate::keys::KeyFamily;
use crate::live::NAME_COUNT_LIMIT;
use crate::model::{Levels, Model, probability};
use crate::profile::Profile;
use leadguard_domain::keys::{KeyKind, MatchKey};

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Pairs at or above this probability are the same customer.
    pub threshold: f64,
    /// Estimate the model from the records (EM) instead of using the given one as is.
    pub train: bool,
    pub training: TrainingOptions,
    /// A key whose index × query members exceed this many pairs is compared in a window.
    pub max_block_pairs: usize,
    /// Neighbours compared in an oversized block.
    pub window: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threshold: 0.5,
            train: true,
            training: TrainingOptions::default(),
            max_block_pairs: 5_000,
            window: 20,
        }
    }
}

/// What a run is doing, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Blocking,
    Training,
    Scoring,
    Clustering,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoredPair {
    pub a: u32,
    pub b: u32,
    pub probability: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub records: usize,
    pub candidate_pairs: usize,
    /// Keys too frequent for all pairs, compared in a window instead.
    pub windowed_keys: usize,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    /// Cluster label of each record: the index of its first record.
    pub clusters: Vec<u32>,
    /// Candidate pairs at or above the threshold, with their probability.
    pub pairs: Vec<ScoredPair>,
    pub model: Model,
    pub training: Option<TrainingReport>,
    pub stats: Stats,
}

const INDEX: u8 = 1;
const QUERY: u8 = 2;

/// A pair of records worth comparing (a < b), and the key families that brought them together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CandidatePair {
    pub a: u32,
    pub b: u32,
    /// Bits of [`KeyFamily::bit`].
    pub families: u16,
}

/// (key hash, record, role, family bit) of every key of every record, sorted.
fn key_entries(profiles: &[Profile]) -> Vec<(u64, u32, u8, u16)> {
    let mut entries: Vec<(u64, u32, u8, u16)> = profiles
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, p)| {
            p.keys_with_roles().into_iter().map(move |(k, roles)| {
                let role =
                    if roles.index { INDEX } else { 0 } | if roles.query { QUERY } else { 0 };
                (
                    k.stable_hash() as u64,
                    i as u32,
                    role,
                    KeyFamily::of(&k).bit(),
                )
            })
        })
        .collect();
    entries.par_sort_unstable();
    entries
}

fn pack(a: u32, b: u32) -> u64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    (u64::from(lo) << 32) | u64::from(hi)
}

fn pairs_of(a: (u32, u8), b: (u32, u8)) -> bool {
    a.0 != b.0 && ((a.1 & INDEX != 0 && b.1 & QUERY != 0) || (a.1 & QUERY != 0 && b.1 & INDEX != 0))
}

/// Candidate pairs, deduplicated, and the number of windowed keys.
pub fn candidate_pairs(
    profiles: &[Profile],
    max_block_pairs: usize,
    window: usize,
) -> (Vec<CandidatePair>, usize) {
    pairs_of_entries(profiles, &key_entries(profiles), max_block_pairs, window)
}

/// Records that share a phone, an e-mail, a credit code or an identity number, as groups (the
/// label of each record): the same customer entered several times counts once when the file
/// says how common a name is.
fn identity_groups(n: usize, entries: &[(u64, u32, u8, u16)]) -> Vec<u32> {
    let identity = KeyFamily::Phone.bit()
        | KeyFamily::Email.bit()
        | KeyFamily::CreditCode.bit()
        | KeyFamily::IdNumber.bit();
    let mut links = Vec::new();
    for group in entries.chunk_by(|a, b| a.0 == b.0) {
        if group.len() > 1 && group[0].3 & identity != 0 {
            links.extend(group[1..].iter().map(|e| (group[0].1, e.1)));
        }
    }
    cluster::connected(n, links)
}

fn pairs_of_entries(
    profiles: &[Profile],
    entries: &[(u64, u32, u8, u16)],
    max_block_pairs: usize,
    window: usize,
) -> (Vec<CandidatePair>, usize) {
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for i in 1..=entries.len() {
        if i == entries.len() || entries[i].0 != entries[start].0 {
            if i - start > 1 {
                groups.push((start, i));
            }
            start = i;
        }
    }
    let results: Vec<(Vec<(u64, u16)>, bool)> = groups
        .par_iter()
        .map(|&(s, e)| {
            let members = &entries[s..e];
            let family = members[0].3;
            let indexed = members.iter().filter(|m| m.2 & INDEX != 0).count();
            let queried = members.iter().filter(|m| m.2 & QUERY != 0).count();
            let mut out = Vec::new();
            if indexed * queried <= max_block_pairs {
                for (x, a) in members.iter().enumerate() {
                    for b in &members[x + 1..] {
                        if pairs_of((a.1, a.2), (b.1, b.2)) {
                            out.push((pack(a.1, b.1), family));
                        }
                    }
                }
                (out, false)
            } else {
                let mut sorted: Vec<(&str, u32, u8)> = members
                    .iter()
                    .map(|m| (profiles[m.1 as usize].name.pinyin.as_str(), m.1, m.2))
                    .collect();
                sorted.sort_unstable();
                for (x, a) in sorted.iter().enumerate() {
                    for b in sorted.iter().skip(x + 1).take(window) {
                        if pairs_of((a.1, a.2), (b.1, b.2)) {
                            out.push((pack(a.1, b.1), family));
                        }
                    }
                }
                (out, true)
            }
        })
        .collect();
    let windowed = results.iter().filter(|r| r.1).count();
    let mut packed: Vec<(u64, u16)> = results.into_iter().flat_map(|r| r.0).collect();
    packed.par_sort_unstable_by_key(|p| p.0);
    let mut pairs: Vec<CandidatePair> = Vec::with_capacity(packed.len());
    for (p, f) in packed {
        let (a, b) = ((p >> 32) as u32, p as u32);
        match pairs.last_mut() {
            Some(last) if last.a == a && last.b == b => last.families |= f,
            _ => pairs.push(CandidatePair { a, b, families: f }),
        }
    }
    (pairs, windowed)
}

/// How many customers of the file share each brand and each name key: the term frequencies
/// that weigh a shared name, as the live check counts them among the stored customers. Records
/// that share an identifier (`identities`) count once: a file's duplicates must not make their
/// own name look common.
struct NameCounts(HashMap<u64, u32>);

impl NameCounts {
    fn of(profiles: &[Profile], identities: &[u32]) -> NameCounts {
        let mut seen: Vec<(u64, u32)> = profiles
            .par_iter()
            .zip(identities)
            .flat_map_iter(|(p, &group)| {
                p.frequency_keys()
                    .into_iter()
                    .map(move |k| (k.stable_hash() as u64, group))
            })
            .collect();
        seen.par_sort_unstable();
        seen.dedup();
        let mut counts: HashMap<u64, u32> = HashMap::new();
        for (k, _) in seen {
            *counts.entry(k).or_default() += 1;
        }
        NameCounts(counts)
    }

    /// Each record's [`NameFrequency`]: the customers *besides itself* that share its brand and
    /// its name, as the live check counts the stored customers besides the one being entered.
    fn frequencies(&self, profiles: &[Profile]) -> Vec<NameFrequency> {
        profiles
            .par_iter()
            .map(|p| {
                NameFrequency::of(p, |k| {
                    self.0
                        .get(&(k.stable_hash() as u64))
                        .map(|&n| u64::from(n.saturating_sub(1)).min(NAME_COUNT_LIMIT))
                })
            })
            .collect()
    }
}

/// The plain rules baseline: records are one customer when they share a normalized phone,
/// e-mail, credit code or identity number, or the exact stripped name. No model, no fuzziness.
pub fn rules_baseline(profiles: &[Profile]) -> Vec<u32> {
    let mut first: HashMap<MatchKey, u32> = HashMap::new();
    let mut links = Vec::new();
    for (i, p) in profiles.iter().enumerate() {
        let mut keys = p.unique_keys();
        if !p.name.key.is_empty() {
            keys.push(MatchKey::new(KeyKind::Name, &p.name.key));
        }
        for k in keys {
            match first.get(&k) {
                Some(&j) => links.push((j, i as u32)),
                None => {
                    first.insert(k, i as u32);
                }
            }
        }
    }
    let roots = cluster::connected(profiles.len(), links);
    // Label by the first member, as `dedup` does.
    let mut label: HashMap<u32, u32> = HashMap::new();
    roots
        .iter()
        .enumerate()
        .map(|(i, r)| *label.entry(*r).or_insert(i as u32))
        .collect()
}

/// Deduplicates `profiles`.
pub fn dedup(
    profiles: &[Profile],
    base: &Model,
    opts: &Options,
    progress: &(dyn Fn(Stage, usize, usize) + Sync),
) -> Outcome {
    progress(Stage::Blocking, 0, profiles.len());
    let entries = key_entries(profiles);
    let (candidates, windowed_keys) =
        pairs_of_entries(profiles, &entries, opts.max_block_pairs, opts.window);
    let identities = identity_groups(profiles.len(), &entries);
    drop(entries);
    progress(Stage::Blocking, profiles.len(), profiles.len());

    // Every candidate pair compared once, for training and for scoring.
    let candidate_levels: Vec<Levels> = candidates
        .par_iter()
        .map(|c| levels(&profiles[c.a as usize], &profiles[c.b as usize]))
        .collect();
    let (model, training) = if opts.train {
        progress(Stage::Training, 0, 1);
        let (m, r) = em::train(
            profiles,
            &candidates,
            &candidate_levels,
            base,
            &opts.training,
        );
        progress(Stage::Training, 1, 1);
        (m, Some(r))
    } else {
        (base.rescaled(profiles.len() as u64), None)
    };

    let total = candidates.len();
    let chunk = 100_000;
    // How common each record's brand and name are in the file, worked out once per record.
    let frequencies = NameCounts::of(profiles, &identities).frequencies(profiles);
    let weigh =
        |a: u32, l: &Levels| probability(compare::match_weight(&model, l, frequencies[a as usize]));
    let score = |a: u32, b: u32| weigh(a, &levels(&profiles[a as usize], &profiles[b as usize]));
    let mut pairs: Vec<ScoredPair> = Vec::new();
    for (k, (part, part_levels)) in candidates
        .chunks(chunk)
        .zip(candidate_levels.chunks(chunk))
        .enumerate()
    {
        let scored: Vec<ScoredPair> = part
            .par_iter()
            .zip(part_levels)
            .filter_map(|(c, l)| {
                let (a, b) = (c.a, c.b);
                let p = weigh(a, l);
                (p >= opts.threshold).then_some(ScoredPair {
                    a,
                    b,
                    probability: p,
                })
            })
            .collect();
        pairs.extend(scored);
        progress(Stage::Scoring, (k * chunk + part.len()).min(total), total);
    }

    progress(Stage::Clustering, 0, 1);
    let edges: Vec<(u32, u32, f64)> = pairs.iter().map(|p| (p.a, p.b, p.probability)).collect();
    let clusters = cluster::cluster(profiles.len(), &edges, opts.threshold, score);
    progress(Stage::Clustering, 1, 1);
    Outcome {
        clusters,
        pairs,
        model,
        training,
        stats: Stats {
            records: profiles.len(),
            candidate_pairs: total,
            windowed_keys,
        },
    }
}
