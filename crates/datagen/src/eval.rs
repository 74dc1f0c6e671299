//! Pairwise precision, recall and F1 of a clustering against the truth.

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairScores {
    /// Pairs of records that are the same customer.
    pub true_pairs: u64,
    /// Pairs put in the same cluster.
    pub predicted_pairs: u64,
    /// Pairs put in the same cluster that are the same customer.
    pub correct_pairs: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// `truth` and `predicted` map record id → entity / cluster label; records absent from
/// `predicted` count as clusters of their own.
pub fn pairwise(
    truth: &HashMap<String, String>,
    predicted: &HashMap<String, String>,
) -> PairScores {
    let mut by_entity: HashMap<&str, u64> = HashMap::new();
    let mut by_cluster: HashMap<&str, u64> = HashMap::new();
    let mut by_both: HashMap<(&str, &str), u64> = HashMap::new();
    for (id, entity) in truth {
        *by_entity.entry(entity).or_default() += 1;
        if let Some(cluster) = predicted.get(id) {
            *by_cluster.entry(cluster).or_default() += 1;
            *by_both.entry((cluster, entity)).or_default() += 1;
        }
    }
    let true_pairs: u64 = by_entity.values().map(|&n| pairs(n)).sum();
    let predicted_pairs: u64 = by_cluster.values().map(|&n| pairs(n)).sum();
    let correct_pairs: u64 = by_both.values().map(|&n| pairs(n)).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let precision = ratio(correct_pairs, predicted_pairs);
    let recall = ratio(correct_pairs, true_pairs);
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    PairScores {
        true_pairs,
        predicted_pairs,
        correct_pairs,
        precision,
        recall,
        f1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: &[(&str, &str)]) -> HashMap<String, String> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn counts_pairs() {
        let truth = map(&[("a", "1"), ("b", "1"), ("c", "1"), ("d", "2"), ("e", "3")]);
        // Perfect.
        assert_eq!(pairwise(&truth, &truth).f1, 1.0);
        // a,b together, c alone, d+e wrongly together: 1 correct of 2 predicted, 1 of 3 true.
        let pred = map(&[("a", "x"), ("b", "x"), ("c", "y"), ("d", "z"), ("e", "z")]);
        let s = pairwise(&truth, &pred);
        assert_eq!(
            (s.true_pairs, s.predicted_pairs, s.correct_pairs),
            (3, 2, 1)
        );
        assert!((s.precision - 0.5).abs() < 1e-9 && (s.recall - 1.0 / 3.0).abs() < 1e-9);
    }
}
