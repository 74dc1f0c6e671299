//! The [`Matcher`] interface the service depends on, and the engine behind it.

use std::sync::{Arc, RwLock};

use leadguard_domain::customer::{CustomerFields, FieldError};
use leadguard_domain::keys::MatchKey;
use serde::{Deserialize, Serialize};

use crate::compare::{self, Comparison, NameFrequency};
use crate::model::Model;
use crate::profile::{Checked, Profile};

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
            // Low on purpose: a look-alike (same name in another city) is worth a glance.
            suspected: 0.3,
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
    /// Normalizes a record: its profile, the values kept unverified (warnings) and the values
    /// left out (errors), each naming its field.
    fn profile_checked(&self, fields: &CustomerFields) -> Checked;

    /// The values of a stored record kept unverified, without building its profile.
    fn warnings(&self, fields: &CustomerFields) -> Vec<FieldError>;

    /// The unique keys of a record's phones, e-mails and credit code (see
    /// [`Profile::identity_keys`]): cheaper than its profile.
    fn identity_keys(&self, fields: &CustomerFields) -> Vec<MatchKey> {
        Profile::identity_keys(fields)
    }

    /// Normalizes and validates a record; errors name the offending fields.
    fn profile(&self, fields: &CustomerFields) -> Result<Profile, Vec<FieldError>> {
        let c = self.profile_checked(fields);
        if c.errors.is_empty() {
            Ok(c.profile)
        } else {
            Err(c.errors)
        }
    }

    /// Like [`Matcher::profile`], but leaves invalid values out (reporting them) instead of
    /// failing: for records already stored, or rows of a file.
    fn profile_lenient(&self, fields: &CustomerFields) -> (Profile, Vec<FieldError>) {
        let c = self.profile_checked(fields);
        (c.profile, c.errors)
    }

    /// Compares the record being entered (`probe`) with a stored candidate.
    fn compare(&self, probe: &Profile, candidate: &Profile) -> Comparison {
        self.compare_with(probe, candidate, NameFrequency::default())
    }

    /// [`Matcher::compare`], the names weighed by how many stored customers share them.
    fn compare_with(&self, probe: &Profile, candidate: &Profile, freq: NameFrequency)
    -> Comparison;

    /// Tells the engine how many customers are stored: the prior that a new record is any one
    /// of them depends on it.
    fn set_population(&self, _customers: u64) {}
}

/// Fellegi-Sunter comparison with a model (defaults, or estimated from data by EM).
#[derive(Debug)]
pub struct WeightedMatcher {
    /// The model as given, and as rescaled to the current number of stored customers.
    model: Model,
    current: RwLock<Arc<Model>>,
    thresholds: Thresholds,
}

impl WeightedMatcher {
    pub fn new(model: Model, thresholds: Thresholds) -> Self {
        WeightedMatcher {
            current: RwLock::new(Arc::new(model.clone())),
            model,
            thresholds,
        }
    }

    /// The model in use (rescaled to the current population).
    pub fn model(&self) -> Arc<Model> {
        match self.current.read() {
            Ok(m) => Arc::clone(&m),
            Err(e) => Arc::clone(&e.into_inner()),
        }
    }

    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }
}

impl Default for WeightedMatcher {
    fn default() -> Self {
        WeightedMatcher::new(Model::default(), Thresholds::default())
    }
}

impl Matcher for WeightedMatcher {
    fn profile_checked(&self, fields: &CustomerFields) -> Checked {
        Profile::build_checked(fields)
    }

    fn warnings(&self, fields: &CustomerFields) -> Vec<FieldError> {
        Profile::warnings(fields)
    }

    fn compare_with(
        &self,
        probe: &Profile,
        candidate: &Profile,
        freq: NameFrequency,
    ) -> Comparison {
        let model = self.model();
        compare::compare_with(
            &model,
            self.thresholds.duplicate,
            self.thresholds.suspected,
            probe,
            candidate,
            freq,
        )
    }

    fn set_population(&self, customers: u64) {
        let rescaled = Arc::new(self.model.rescaled(customers));
        match self.current.write() {
            Ok(mut m) => *m = rescaled,
            Err(e) => *e.into_inner() = rescaled,
        }
    }
}
