//! Estimating the model from the data itself, without labels, as Splink does:
//!
//! - u (how often a level occurs between two *different* customers) from random pairs, which
//!   are almost never the same customer;
//! - m (how often it occurs between records of the *same* customer) by expectation-maximisation
//!   over candidate pairs, one session per key family: pairs found through phone keys teach
//!   how names, regions and e-mails behave among duplicates, pairs found through name keys
//!   teach phones, and so on. Within a session the fields the family was built from agree by
//!   construction, so they are left out of it; a field's m is the average over the sessions
//!   that could observe it, weighted by the matches each found;
//! - the prior λ (probability that two random records are one customer) as the fixed point of
//!   "expected matches among the candidates ÷ all possible pairs".
//!
//! A weak pull (a few pseudo-pairs) towards the default model keeps rare levels sensible on
//! small files.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

use crate::batch::CandidatePair;
use crate::compare::levels;
use crate::keys::KeyFamily;
use crate::model::{Field, Levels, MIN_PROBABILITY, Model, probability};
use crate::profile::Profile;

#[derive(Debug, Clone, PartialEq)]
pub struct TrainingOptions {
    /// Random pairs drawn to estimate u.
    pub u_pairs: usize,
    /// Candidate pairs (at most) per EM session.
    pub session_pairs: usize,
    /// Candidate pairs (at most) used to estimate the prior.
    pub prior_pairs: usize,
    pub max_iterations: usize,
    /// Weight of the base model, in pseudo-pairs, per field.
    pub prior_strength: f64,
    /// Below this many records the defaults are kept: random pairs of a small file are not
    /// mostly different customers, and EM has too little to learn from.
    pub min_records: usize,
    pub seed: u64,
}

impl Default for TrainingOptions {
    fn default() -> Self {
        TrainingOptions {
            u_pairs: 300_000,
            session_pairs: 100_000,
            prior_pairs: 2_000_000,
            max_iterations: 40,
            prior_strength: 10.0,
            min_records: 2_000,
            seed: 7,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrainingReport {
    /// Sessions run (key families with enough pairs).
    pub sessions: usize,
    /// EM iterations over all sessions.
    pub iterations: usize,
    pub candidate_pairs_used: usize,
    pub random_pairs_used: usize,
    /// Estimated number of duplicate pairs among all pairs of records.
    pub expected_matches: f64,
}

/// Fields a family's keys are built from: they agree by construction in its pairs.
fn built_from(family: KeyFamily) -> &'static [Field] {
    match family {
        KeyFamily::Phone => &[Field::Phone],
        KeyFamily::Email | KeyFamily::Domain => &[Field::Email, Field::Domain],
        KeyFamily::CreditCode => &[Field::CreditCode],
        // A Chinese identity number holds the date of birth.
        KeyFamily::IdNumber => &[Field::IdNumber, Field::BirthDate],
        KeyFamily::Name => &[Field::CompanyName, Field::PersonName],
        KeyFamily::NameInCity => &[Field::CompanyName, Field::Region],
        KeyFamily::BirthDate => &[Field::BirthDate],
        KeyFamily::PostcodeName => &[Field::Postcode, Field::PersonName],
        KeyFamily::Street => &[Field::Street, Field::Region],
    }
}

/// Level counts per field (index = level), weighted, and the field's total weight.
fn count(levels: &[&Levels], weights: &[f64]) -> Vec<(Vec<f64>, f64)> {
    let mut out: Vec<(Vec<f64>, f64)> = Field::ALL
        .iter()
        .map(|f| (vec![0.0; f.levels().len()], 0.0))
        .collect();
    for (l, w) in levels.iter().zip(weights) {
        for f in Field::ALL {
            if let Some(level) = l[f.index()] {
                let slot = &mut out[f.index()];
                slot.0[usize::from(level)] += w;
                slot.1 += w;
            }
        }
    }
    out
}

/// Counts blended with the base distribution as `strength` pseudo-observations.
fn smoothed(counts: &[f64], total: f64, base: &[f64], strength: f64) -> Vec<f64> {
    counts
        .iter()
        .zip(base)
        .map(|(c, b)| ((c + strength * b) / (total + strength)).max(MIN_PROBABILITY))
        .collect()
}

fn sample<T: Copy>(items: &[T], n: usize, rng: &mut StdRng) -> Vec<T> {
    if items.len() <= n {
        items.to_vec()
    } else {
        (0..n)
            .map(|_| items[rng.random_range(0..items.len())])
            .collect()
    }
}

/// Match weight of `l` without the prior, over the fields not in `skip`.
fn field_weight(model: &Model, l: &Levels, skip: &[Field]) -> f64 {
    Field::ALL
        .iter()
        .filter(|f| !skip.contains(f))
        .filter_map(|&f| l[f.index()].map(|lv| model.weight(f, lv)))
        .sum()
}

/// Estimates the model on `profiles`, whose candidate pairs (from blocking) are `candidates`
/// and compare at `candidate_levels` (one per candidate, in the same order).
pub fn train(
    profiles: &[Profile],
    candidates: &[CandidatePair],
    candidate_levels: &[Levels],
    base: &Model,
    opts: &TrainingOptions,
) -> (Model, TrainingReport) {
    let n = profiles.len();
    let base = base.rescaled(n as u64);
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut report = TrainingReport {
        sessions: 0,
        iterations: 0,
        candidate_pairs_used: 0,
        random_pairs_used: 0,
        expected_matches: 0.0,
    };
    if n < opts.min_records.max(2) || candidates.is_empty() {
        return (base, report);
    }

    // u from random pairs.
    let random_pairs: Vec<(usize, usize)> = (0..opts.u_pairs)
        .filter_map(|_| {
            let (i, j) = (rng.random_range(0..n), rng.random_range(0..n));
            (i != j).then_some((i, j))
        })
        .collect();
    let random_levels: Vec<Levels> = random_pairs
        .par_iter()
        .map(|&(i, j)| levels(&profiles[i], &profiles[j]))
        .collect();
    report.random_pairs_used = random_levels.len();
    let refs: Vec<&Levels> = random_levels.iter().collect();
    let u_counts = count(&refs, &vec![1.0; refs.len()]);
    let mut model = base.clone();
    for (fm, (counts, total)) in model.fields.iter_mut().zip(&u_counts) {
        let base_u = base
            .field(fm.field)
            .map(|f| f.u.clone())
            .unwrap_or_else(|| fm.u.clone());
        fm.u = smoothed(counts, *total, &base_u, opts.prior_strength);
    }

    // m: one EM session per key family.
    let mut m_sum: Vec<Vec<f64>> = Field::ALL
        .iter()
        .map(|f| vec![0.0; f.levels().len()])
        .collect();
    let mut m_weight: Vec<f64> = vec![0.0; Field::COUNT];
    for family in KeyFamily::ALL {
        let pairs: Vec<usize> = candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| c.families & family.bit() != 0)
            .map(|(i, _)| i)
            .collect();
        if pairs.len() < 50 {
            continue;
        }
        let pairs = sample(&pairs, opts.session_pairs, &mut rng);
        report.sessions += 1;
        report.candidate_pairs_used += pairs.len();
        let skip = built_from(family);
        let refs: Vec<&Levels> = pairs.iter().map(|&i| &candidate_levels[i]).collect();
        let mut session = model.clone();
        let mut lambda: f64 = 0.5;
        let mut posteriors = vec![0.0; refs.len()];
        for _ in 0..opts.max_iterations {
            report.iterations += 1;
            let prior = (lambda / (1.0 - lambda)).log2();
            posteriors = refs
                .par_iter()
                .map(|l| probability(prior + field_weight(&session, l, skip)))
                .collect();
            lambda = (posteriors.iter().sum::<f64>() / refs.len() as f64).clamp(1e-6, 1.0 - 1e-6);
            let counts = count(&refs, &posteriors);
            let mut delta: f64 = 0.0;
            for (fm, (c, t)) in session.fields.iter_mut().zip(&counts) {
                if skip.contains(&fm.field) {
                    continue;
                }
                let base_m = base
                    .field(fm.field)
                    .map(|f| f.m.clone())
                    .unwrap_or_default();
                let m = smoothed(c, *t, &base_m, opts.prior_strength);
                delta =
                    fm.m.iter()
                        .zip(&m)
                        .map(|(a, b)| (a - b).abs())
                        .fold(delta, f64::max);
                fm.m = m;
            }
            if delta < 1e-5 {
                break;
            }
        }
        // Pool this session's m of every field it observed, weighted by the matches it saw.
        let counts = count(&refs, &posteriors);
        for (fm, (_, observed)) in session.fields.iter().zip(&counts) {
            if skip.contains(&fm.field) || *observed < 5.0 {
                continue;
            }
            let i = fm.field.index();
            for (s, m) in m_sum[i].iter_mut().zip(&fm.m) {
                *s += observed * m;
            }
            m_weight[i] += observed;
        }
    }
    for fm in &mut model.fields {
        let i = fm.field.index();
        if m_weight[i] > 0.0 {
            fm.m = m_sum[i]
                .iter()
                .map(|s| (s / m_weight[i]).max(MIN_PROBABILITY))
                .collect();
        }
    }

    // λ: expected matches among the candidates ÷ all pairs, at its fixed point.
    let scale_pairs = sample(candidate_levels, opts.prior_pairs, &mut rng);
    let scale = candidates.len() as f64 / scale_pairs.len() as f64;
    let weights: Vec<f64> = scale_pairs
        .par_iter()
        .map(|l| field_weight(&model, l, &[]))
        .collect();
    let all_pairs = n as f64 * (n as f64 - 1.0) / 2.0;
    let mut lambda = base.prior;
    for _ in 0..50 {
        let prior = (lambda / (1.0 - lambda)).log2();
        let expected: f64 = weights
            .par_iter()
            .map(|w| probability(prior + w))
            .sum::<f64>()
            * scale;
        let next = (expected / all_pairs).clamp(1e-12, 0.5);
        report.expected_matches = expected;
        if (next - lambda).abs() <= 1e-6 * lambda {
            lambda = next;
            break;
        }
        lambda = next;
    }
    model.prior = lambda;
    model.records = n as u64;
    model.trained_on = format!(
        "EM in {} sessions over {} candidate pairs of {} records, {} random pairs for u",
        report.sessions, report.candidate_pairs_used, n, report.random_pairs_used
    );
    (model, report)
}
