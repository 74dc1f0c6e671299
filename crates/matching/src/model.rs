//! The Fellegi-Sunter model: for every field, comparison levels with m (probability of the
//! level among pairs that are the same customer) and u (among pairs that are not). A pair's
//! match weight is log2(λ/(1-λ)) + Σ log2(m/u) over its fields' levels; a field missing on
//! either side adds nothing. Defaults stand until [`crate::em`] estimates the model from the
//! data itself.

use serde::{Deserialize, Serialize};

/// What is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    CreditCode,
    IdNumber,
    Phone,
    Email,
    Domain,
    CompanyName,
    PersonName,
    Region,
    Street,
    Postcode,
    BirthDate,
    Contact,
}

impl Field {
    pub const ALL: [Field; 12] = [
        Field::CreditCode,
        Field::IdNumber,
        Field::Phone,
        Field::Email,
        Field::Domain,
        Field::CompanyName,
        Field::PersonName,
        Field::Region,
        Field::Street,
        Field::Postcode,
        Field::BirthDate,
        Field::Contact,
    ];
    pub const COUNT: usize = Field::ALL.len();

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Field::CreditCode => "credit_code",
            Field::IdNumber => "id_number",
            Field::Phone => "phone",
            Field::Email => "email",
            Field::Domain => "domain",
            Field::CompanyName => "name",
            Field::PersonName => "name",
            Field::Region => "region",
            Field::Street => "address",
            Field::Postcode => "postcode",
            Field::BirthDate => "birth_date",
            Field::Contact => "contact",
        }
    }

    /// Level names, strongest agreement first.
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            Field::CreditCode => &["same", "different"],
            Field::IdNumber => &["same", "one_typo", "different"],
            Field::Phone => &["same", "same_shared_number", "different"],
            Field::Email => &["same", "different"],
            Field::Domain => &["same", "different"],
            Field::CompanyName => &[
                "same_key",
                "same_core",
                "same_pinyin",
                "short_name",
                "similar",
                "different",
            ],
            Field::PersonName => &["same", "same_pinyin", "similar", "partial", "different"],
            Field::Region => &["same", "nested", "different"],
            Field::Street => &["same", "similar", "different"],
            Field::Postcode => &["same", "one_typo", "different"],
            Field::BirthDate => &["same", "one_part_differs", "different"],
            Field::Contact => &["same", "different"],
        }
    }
}

/// The level of each field for one pair; `None` where a side lacks the field.
pub type Levels = [Option<u8>; Field::COUNT];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldModel {
    pub field: Field,
    pub m: Vec<f64>,
    pub u: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// λ: probability that two records drawn at random from a base of `records` records are
    /// the same customer. Blocking only decides which pairs get scored; scores are in this
    /// population frame, as in Splink, so they do not depend on how a pair was found.
    pub prior: f64,
    /// Size of the customer base `prior` refers to; see [`Model::rescaled`].
    #[serde(default = "default_records")]
    pub records: u64,
    pub fields: Vec<FieldModel>,
    /// How the model was obtained: "default" or a description of the training data.
    #[serde(default)]
    pub trained_on: String,
}

fn default_records() -> u64 {
    100_000
}

/// Smallest probability a level may have, so that no single field can veto or prove alone.
pub const MIN_PROBABILITY: f64 = 1e-10;

/// Priors are never taken from a base smaller than this: with ten customers a random pair is
/// not one in ten likely the same, people just have not entered the rest yet.
pub const MIN_POPULATION: u64 = 10_000;

impl Default for Model {
    /// Defaults reasoned from how Chinese CRM data behaves: about 0.3 duplicates per customer;
    /// u is the chance that two *different* customers agree that way. EM refines them.
    fn default() -> Self {
        let f = |field: Field, m: &[f64], u: &[f64]| FieldModel {
            field,
            m: m.to_vec(),
            u: u.to_vec(),
        };
        Model {
            prior: 0.3 / 100_000.0,
            records: 100_000,
            trained_on: "default".into(),
            fields: vec![
                f(Field::CreditCode, &[0.97, 0.03], &[1e-9, 1.0 - 1e-9]),
                f(
                    Field::IdNumber,
                    &[0.93, 0.05, 0.02],
                    &[1e-9, 1e-7, 1.0 - 1.01e-7],
                ),
                f(
                    Field::Phone,
                    &[0.55, 0.05, 0.40],
                    &[1e-8, 1e-6, 1.0 - 1.01e-6],
                ),
                f(Field::Email, &[0.45, 0.55], &[1e-8, 1.0 - 1e-8]),
                f(Field::Domain, &[0.75, 0.25], &[1e-7, 1.0 - 1e-7]),
                f(
                    Field::CompanyName,
                    &[0.55, 0.10, 0.12, 0.12, 0.06, 0.05],
                    &[5e-7, 1e-6, 1e-6, 1e-5, 1e-4, 1.0 - 1.125e-4],
                ),
                f(
                    Field::PersonName,
                    &[0.60, 0.20, 0.10, 0.05, 0.05],
                    &[1e-5, 1e-5, 1e-4, 2e-3, 1.0 - 2.12e-3],
                ),
                f(Field::Region, &[0.75, 0.20, 0.05], &[0.05, 0.05, 0.90]),
                f(
                    Field::Street,
                    &[0.45, 0.25, 0.30],
                    &[1e-5, 1e-4, 1.0 - 1.1e-4],
                ),
                f(
                    Field::Postcode,
                    &[0.85, 0.05, 0.10],
                    &[1e-3, 5e-3, 1.0 - 6e-3],
                ),
                f(
                    Field::BirthDate,
                    &[0.85, 0.10, 0.05],
                    &[5e-5, 5e-4, 1.0 - 5.5e-4],
                ),
                f(Field::Contact, &[0.40, 0.60], &[1e-5, 1.0 - 1e-5]),
            ],
        }
    }
}

impl Model {
    pub fn field(&self, field: Field) -> Option<&FieldModel> {
        self.fields.iter().find(|f| f.field == field)
    }

    /// (m, u) of one level, each at least [`MIN_PROBABILITY`]; (1, 1) for a field the model
    /// lacks.
    pub fn level_probabilities(&self, field: Field, level: u8) -> (f64, f64) {
        match self.field(field) {
            Some(f) => {
                let l = usize::from(level);
                let get = |v: &[f64]| {
                    v.get(l)
                        .copied()
                        .unwrap_or(MIN_PROBABILITY)
                        .max(MIN_PROBABILITY)
                };
                (get(&f.m), get(&f.u))
            }
            None => (1.0, 1.0),
        }
    }

    /// log2(m/u) of one level.
    pub fn weight(&self, field: Field, level: u8) -> f64 {
        let (m, u) = self.level_probabilities(field, level);
        (m / u).log2()
    }

    pub fn prior_weight(&self) -> f64 {
        let p = self.prior.clamp(MIN_PROBABILITY, 0.5);
        (p / (1.0 - p)).log2()
    }

    /// The same model for a customer base of `n` records: each record has as many expected
    /// duplicates as before, spread over more (or fewer) others.
    pub fn rescaled(&self, n: u64) -> Model {
        let n = n.max(MIN_POPULATION);
        let mut m = self.clone();
        m.prior = (self.prior * self.records.max(1) as f64 / n as f64).min(0.5);
        m.records = n;
        m
    }

    /// Total match weight (log2 odds) of a comparison vector.
    pub fn match_weight(&self, levels: &Levels) -> f64 {
        let mut w = self.prior_weight();
        for field in Field::ALL {
            if let Some(l) = levels[field.index()] {
                w += self.weight(field, l);
            }
        }
        w
    }

    /// Checks the shape: every field present with m and u of the right length, probabilities in
    /// (0, 1].
    pub fn validate(&self) -> Result<(), String> {
        for field in Field::ALL {
            let f = self
                .field(field)
                .ok_or_else(|| format!("the model lacks the field {field:?}"))?;
            let n = field.levels().len();
            if f.m.len() != n || f.u.len() != n {
                return Err(format!("{field:?} needs {n} levels"));
            }
            if f.m.iter().chain(&f.u).any(|p| !(0.0..=1.0).contains(p)) {
                return Err(format!("{field:?} has a probability outside [0, 1]"));
            }
        }
        if !(0.0..1.0).contains(&self.prior) {
            return Err("the prior must lie in [0, 1)".into());
        }
        if self.records == 0 {
            return Err("records must be positive".into());
        }
        Ok(())
    }
}

/// Probability from a log2 odds weight.
pub fn probability(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight).exp2())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_model_is_valid_and_sensible() {
        let m = Model::default();
        m.validate().unwrap();
        assert!(m.weight(Field::Phone, 0) > 10.0);
        assert!(m.weight(Field::Region, 2) < 0.0);
        let mut levels: Levels = [None; Field::COUNT];
        levels[Field::Phone.index()] = Some(0);
        assert!(probability(m.match_weight(&levels)) > 0.9);
        assert!(probability(m.rescaled(1_000_000).match_weight(&levels)) > 0.9);
        levels[Field::Phone.index()] = None;
        levels[Field::Region.index()] = Some(0);
        assert!(
            probability(m.match_weight(&levels)) < 0.5,
            "a shared city alone is not even suspected"
        );
    }
}
