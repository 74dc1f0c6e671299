//! Figures for reports: medians and the fairness of a distribution.

/// The median, or `None` for no values. Even counts average the two middle values.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Gini coefficient of non-negative amounts: 0 when everyone got the same, approaching 1 when
/// one got everything. Mean absolute difference over twice the mean.
pub fn gini(amounts: &[f64]) -> f64 {
    let n = amounts.len() as f64;
    let total: f64 = amounts.iter().sum();
    if amounts.is_empty() || total <= 0.0 {
        return 0.0;
    }
    let mut diff = 0.0;
    for a in amounts {
        for b in amounts {
            diff += (a - b).abs();
        }
    }
    diff / (2.0 * n * total)
}

/// Rounds to `places` decimals, for figures people read.
pub fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn gini_of_equal_and_skewed() {
        assert_eq!(gini(&[5.0, 5.0, 5.0]), 0.0);
        // One of four has everything: (n-1)/n.
        assert!((gini(&[0.0, 0.0, 0.0, 8.0]) - 0.75).abs() < 1e-12);
        // 1, 2, 3: sum |xi-xj| = 8, 2 n^2 mean = 2*9*2 = 36.
        assert!((gini(&[1.0, 2.0, 3.0]) - 8.0 / 36.0).abs() < 1e-12);
        assert_eq!(gini(&[]), 0.0);
    }
}
