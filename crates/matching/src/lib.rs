//! Leadguard's duplicate detection. Normalize, derive keys, compare, explain; in batch also
//! estimate the model from the data (EM) and cluster.
//!
//! The service talks to this crate only through [`Matcher`]: it asks for a [`Profile`] of a
//! record (normalized identifiers plus the keys the store indexes) and for a [`Comparison`] of
//! two profiles. Any engine behind that trait drops in without touching the service.

pub mod batch;
pub mod cluster;
pub mod compare;
pub mod em;
pub mod engine;
pub mod keys;
pub mod live;
pub mod model;
pub mod normalize;
pub mod profile;

pub use compare::{Comparison, NameFrequency, Reason, Verdict};
pub use engine::{Matcher, Thresholds, WeightedMatcher};
pub use model::{Field, Model};
pub use profile::{Checked, Profile};
