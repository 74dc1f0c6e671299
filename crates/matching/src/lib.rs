//! Leadguard's duplicate detection. Normalize, derive keys, compare, explain.
//!
//! The service talks to this crate only through [`Matcher`]: it asks for a [`Profile`] of a
//! record (normalized identifiers plus the keys the store indexes) and for a [`Comparison`] of
//! two profiles. Any engine behind that trait drops in without touching the service.

pub mod compare;
pub mod engine;
pub mod normalize;
pub mod profile;

pub use compare::{Comparison, Reason, Verdict};
pub use engine::{Matcher, Thresholds, WeightedMatcher};
pub use profile::Profile;
