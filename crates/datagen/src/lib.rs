//! Realistic Chinese B2B customer records, deterministic for a seed.
//!
//! [`Generator::company`] makes the `i`-th distinct company (the same for the same seed and
//! index), and [`Generator::retype`] makes the record a second rep would type for the same
//! company: region moved into brackets or dropped, 有限责任公司 for 有限公司, Traditional or
//! full-width characters, the phone with +86 and separators, a contact's mobile instead of the
//! switchboard.

pub mod dataset;
pub mod eval;
pub mod names_eval;
pub mod variants;
pub mod words;

use leadguard_domain::customer::{Contact, CustomerFields, CustomerKind};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::words::{
    CITIES, CORE_CHARS, GIVEN, INDUSTRIES, LEGAL, SIZES, SOURCES, STREETS, SURNAMES,
};

pub struct Generator {
    seed: u64,
}

/// Latin letters for a domain, derived from the index so domains are unique.
fn domain_token(i: usize) -> String {
    const L: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
    let mut n = i + 26 * 26;
    let mut s = String::new();
    while n > 0 {
        s.push(L[n % 26] as char);
        n /= 26;
    }
    s
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Generator { seed }
    }

    fn rng(&self, i: usize, salt: u64) -> StdRng {
        StdRng::seed_from_u64(self.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt)
    }

    /// The `i`-th company: distinct from every other index (unique brand core, phones, domain).
    pub fn company(&self, i: usize) -> CustomerFields {
        let mut rng = self.rng(i, 1);
        let (city, province, area, _, _) = CITIES[rng.random_range(0..CITIES.len())];
        // A unique core: two or three characters spelled from the index in base len(CORE_CHARS).
        let core = {
            let b = CORE_CHARS.len();
            let mut n = i;
            let mut s = String::new();
            loop {
                s.push(CORE_CHARS[n % b]);
                n /= b;
                if n == 0 {
                    break;
                }
            }
            if s.chars().count() == 1 {
                s.push(CORE_CHARS[rng.random_range(0..b)]);
            }
            s
        };
        let industry = INDUSTRIES[rng.random_range(0..INDUSTRIES.len())];
        let legal = LEGAL[rng.random_range(0..LEGAL.len())];
        let name = format!("{city}{core}{industry}{legal}");
        // Phones unique per index: mobile 13x/15x/18x + 8 digits from i; landline from i.
        let mobile_prefix = ["139", "138", "136", "158", "186", "188", "135", "150"][i % 8];
        let mobile = format!("{mobile_prefix}{:08}", (i * 7919 + 11) % 100_000_000);
        // Subscriber numbers 6xxx xxxx–7xxx xxxx are assigned in every city listed (8xx… may be
        // reserved); unique for the first 20 million indices.
        let landline = dataset::landline(area, i);
        let domain = format!("{}.com.cn", domain_token(i));
        let contact_name: String = [
            SURNAMES[rng.random_range(0..SURNAMES.len())],
            GIVEN[rng.random_range(0..GIVEN.len())],
        ]
        .iter()
        .collect();
        let mut phones = vec![landline];
        if rng.random_bool(0.3) {
            phones.push(mobile.clone());
        }
        CustomerFields {
            kind: CustomerKind::Company,
            name,
            phones,
            emails: if rng.random_bool(0.6) {
                vec![format!("sales@{domain}")]
            } else {
                vec![]
            },
            website: rng.random_bool(0.5).then(|| format!("www.{domain}")),
            credit_code: None,
            address: Some(format!(
                "{province}{city}{}{}号",
                STREETS[rng.random_range(0..STREETS.len())],
                rng.random_range(1..999)
            )),
            province: Some(province.to_string()),
            city: Some(city.to_string()),
            industry: Some(industry.to_string()),
            size: Some(SIZES[rng.random_range(0..SIZES.len())].to_string()),
            source: Some(SOURCES[rng.random_range(0..SOURCES.len())].to_string()),
            contacts: vec![Contact {
                name: contact_name,
                title: Some("经理".into()),
                phones: vec![mobile],
                emails: vec![],
            }],
            ..Default::default()
        }
    }

    /// The record a second rep would type for the `i`-th company: same company, other spelling.
    pub fn retype(&self, i: usize) -> CustomerFields {
        let orig = self.company(i);
        let mut rng = self.rng(i, 2);
        let city = orig.city.clone().unwrap_or_default();
        let rest = orig
            .name
            .strip_prefix(city.as_str())
            .unwrap_or(&orig.name)
            .to_string();
        let name = match rng.random_range(0..4) {
            0 => rest.replacen("有限公司", &format!("（{city}）有限公司"), 1),
            1 => format!("{city}市{}", rest.replace("有限责任公司", "有限公司")),
            2 => orig.name.replace("有限公司", "有限责任公司"),
            _ => format!("{city}{rest}"),
        };
        let contact_mobile = orig.contacts[0].phones[0].clone();
        let phone = match rng.random_range(0..4) {
            0 => format!(
                "+86 {} {} {}",
                &contact_mobile[..3],
                &contact_mobile[3..7],
                &contact_mobile[7..]
            ),
            1 => format!("0086-{contact_mobile}"),
            2 => orig.phones[0].replace('-', " "),
            _ => format!(
                "({}){}",
                &orig.phones[0][..orig.phones[0].find('-').unwrap_or(0)],
                &orig.phones[0][orig.phones[0].find('-').map_or(0, |p| p + 1)..]
            ),
        };
        CustomerFields {
            kind: CustomerKind::Company,
            name,
            phones: vec![phone],
            ..Default::default()
        }
    }

    /// A company that none of `0..n` is: for checks whose answer is "new".
    pub fn fresh(&self, n: usize, j: usize) -> CustomerFields {
        self.company(n + 1_000_000 + j)
    }
}

#[cfg(test)]
mod tests {
    use leadguard_matching::normalize::{email, phone, website};

    use super::*;

    #[test]
    fn deterministic_and_distinct() {
        let g = Generator::new(7);
        assert_eq!(g.company(5), g.company(5));
        assert_ne!(g.company(5).name, g.company(6).name);
        let names: std::collections::HashSet<String> =
            (0..5000).map(|i| g.company(i).name).collect();
        assert_eq!(names.len(), 5000);
        let phones: std::collections::HashSet<String> =
            (0..5000).map(|i| g.company(i).phones[0].clone()).collect();
        assert_eq!(phones.len(), 5000);
    }

    #[test]
    fn generated_identifiers_are_valid() {
        let g = Generator::new(7);
        for i in (0..200_000).step_by(97) {
            for f in [g.company(i), g.retype(i), g.fresh(200_000, i)] {
                for p in f
                    .phones
                    .iter()
                    .chain(f.contacts.iter().flat_map(|c| c.phones.iter()))
                {
                    assert!(
                        phone::parse_phones(p).is_ok_and(|v| v.len() == 1),
                        "{i}: {p}"
                    );
                }
                for e in &f.emails {
                    assert!(email::normalize_email(e).is_ok(), "{i}: {e}");
                }
                if let Some(w) = &f.website {
                    assert!(website::normalize_website(w).is_ok(), "{i}: {w}");
                }
            }
        }
    }

    #[test]
    fn retyped_records_differ_in_form() {
        let g = Generator::new(7);
        let differs = (0..100)
            .filter(|&i| g.retype(i).name != g.company(i).name)
            .count();
        assert!(differs > 50, "{differs}");
    }
}
