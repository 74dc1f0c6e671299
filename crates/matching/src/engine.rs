//! The [`Matcher`] interface the service depends on, and the default engine behind it.

use leadguard_domain::customer::{CustomerFields, FieldError};
use serde::{Deserialize, Serialize};

use crate::compare::{self, Comparison, Weights};
use crate::profile::Profile;

/// Probability thresholds that turn a score into a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// At or above: duplicate (blocked).
    pub duplicate: f64,
    /// At or above (and below `duplicate`): suspected (warned, saved).
    pub suspected: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            duplicate: 0.9,
            suspected: 0.5,
        }
    }
}

impl Thresholds {
    pub fn validate(&self) -> Result<(), String> {
        let ok = |v: f64| (0.0..=1.0).contains(&v);
        if !ok(self.duplicate) || !ok(self.suspected) {
            return Err("thresholds must lie between 0 and 1".into());
        }
        if self.suspected > self.duplicate {
            return Err("the suspected threshold must not exceed the duplicate threshold".into());
        }
        Ok(())
    }
}

/// A duplicate-detection engine. The service uses nothing else of this crate.
pub trait Matcher: Send + Sync + 'static {
    /// Normalizes and validates a record; errors name the offending fields.
    fn profile(&self, fields: &CustomerFields) -> Result<Profile, Vec<FieldError>>;

    /// Compares the record being entered (`probe`) with a stored candidate.
    fn compare(&self, probe: &Profile, candidate: &Profile) -> Comparison;
}

/// Fellegi-Sunter comparison with default weights.
pub struct WeightedMatcher {
    weights: Weights,
    thresholds: Thresholds,
}

impl WeightedMatcher {
    pub fn new(thresholds: Thresholds) -> Self {
        WeightedMatcher {
            weights: Weights::default(),
            thresholds,
        }
    }
}

impl Default for WeightedMatcher {
    fn default() -> Self {
        WeightedMatcher::new(Thresholds::default())
    }
}

impl Matcher for WeightedMatcher {
    fn profile(&self, fields: &CustomerFields) -> Result<Profile, Vec<FieldError>> {
        Profile::build(fields)
    }

    fn compare(&self, probe: &Profile, candidate: &Profile) -> Comparison {
        compare::compare(
            &self.weights,
            probe,
            candidate,
            self.thresholds.duplicate,
            self.thresholds.suspected,
        )
    }
}
