//! Labelled datasets: distinct customers (entities), some entered again by other reps in other
//! forms, plus hard negatives — different customers that look alike (same brand core and
//! industry in another city, same core in another industry, people with the same name).

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::variants::{
    format_date, format_landline, format_mobile, homophone, industry_en, pinyin_word, traditional,
};
use crate::words::{CITIES, CORE_CHARS, FREE_MAIL, GIVEN, INDUSTRIES, LEGAL, STREETS, SURNAMES};

/// One row of a generated file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    /// The true customer: rows with the same entity are duplicates.
    pub entity: usize,
    pub name: String,
    pub phone: String,
    pub mobile: String,
    pub email: String,
    pub website: String,
    pub credit_code: String,
    pub address: String,
    pub contact: String,
    pub industry: String,
    /// People only.
    pub id_number: String,
    pub birth_date: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Company,
    Person,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub kind: Kind,
    /// Distinct customers.
    pub entities: usize,
    /// Share of customers entered more than once.
    pub dup_rate: f64,
    /// Share of customers that get a look-alike different customer.
    pub hard_negative_rate: f64,
    pub seed: u64,
}

impl Config {
    pub fn new(kind: Kind, entities: usize, seed: u64) -> Self {
        Config {
            kind,
            entities,
            dup_rate: 0.3,
            hard_negative_rate: 0.1,
            seed,
        }
    }
}

struct Company {
    city: usize,
    district: usize,
    core: String,
    industry: &'static str,
    legal: &'static str,
    credit_code: Option<String>,
    landline: String,
    contacts: Vec<(String, String)>,
    domain: Option<String>,
    website: bool,
    street: String,
}

struct Person {
    name: String,
    city: usize,
    district: usize,
    birth: String,
    id_number: String,
    mobile: String,
    email: Option<String>,
    street: String,
}

/// A landline in `area`, unique per index: Xiamen has seven-digit subscriber numbers, the other
/// cities listed eight (starting 6 or 7, assigned everywhere).
pub fn landline(area: &str, i: usize) -> String {
    if area == "0592" {
        format!("0592-{}", 5_000_000 + (i * 104_729) % 2_000_000)
    } else {
        format!("{area}-{}", 60_000_000 + (i * 104_729) % 20_000_000)
    }
}

/// Unique phone numbers, e-mail domains and cores per entity index.
fn unique_mobile(i: usize, k: usize) -> String {
    let prefix = [
        "139", "138", "136", "158", "186", "188", "135", "150", "177", "199",
    ][(i + k) % 10];
    format!("{prefix}{:08}", (i * 4 + k) * 7919 % 100_000_000)
}

fn domain_token(i: usize) -> String {
    const L: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
    let mut n = i + 26 * 26 * 26;
    let mut s = String::new();
    while n > 0 {
        s.push(L[n % 26] as char);
        n /= 26;
    }
    s
}

fn person_name(rng: &mut StdRng) -> String {
    let mut s = String::new();
    s.push(SURNAMES[rng.random_range(0..SURNAMES.len())]);
    for _ in 0..rng.random_range(1..=2) {
        s.push(GIVEN[rng.random_range(0..GIVEN.len())]);
    }
    s
}

fn credit_code(rng: &mut StdRng, division: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut body = format!("91{division}");
    for _ in 0..9 {
        body.push(ALPHABET[rng.random_range(0..31)] as char);
    }
    let check =
        leadguard_matching::normalize::credit_code::check_char(body.as_bytes()).unwrap_or('0');
    format!("{body}{check}")
}

/// 18-digit resident identity number with its ISO 7064 MOD 11-2 check character.
fn id_number(division: &str, birth: &str, seq: usize) -> String {
    let body = format!("{division}{}{:03}", birth.replace('-', ""), seq % 1000);
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

fn company(i: usize, rng: &mut StdRng, core: Option<String>) -> Company {
    let city = rng.random_range(0..CITIES.len());
    let core = core.unwrap_or_else(|| {
        // Mostly two or three characters; unique per index in its first two characters' order.
        let b = CORE_CHARS.len();
        let mut s: String = [CORE_CHARS[i % b], CORE_CHARS[(i / b) % b]]
            .iter()
            .collect();
        if i >= b * b || rng.random_bool(0.35) {
            s.push(CORE_CHARS[(i / (b * b) + rng.random_range(0..b)) % b]);
        }
        s
    });
    let contacts = (0..rng.random_range(1..=3))
        .map(|k| (person_name(rng), unique_mobile(i, k)))
        .collect();
    Company {
        city,
        district: rng.random_range(0..4),
        industry: INDUSTRIES[rng.random_range(0..INDUSTRIES.len())],
        legal: LEGAL[rng.random_range(0..LEGAL.len())],
        credit_code: rng
            .random_bool(0.5)
            .then(|| credit_code(rng, CITIES[city].3)),
        landline: landline(CITIES[city].2, i),
        contacts,
        domain: rng.random_bool(0.6).then(|| {
            format!(
                "{}.com{}",
                domain_token(i),
                if rng.random_bool(0.5) { ".cn" } else { "" }
            )
        }),
        website: rng.random_bool(0.6),
        street: format!(
            "{}{}号",
            STREETS[rng.random_range(0..STREETS.len())],
            rng.random_range(1..999)
        ),
        core,
    }
}

fn company_row(c: &Company, entity: usize, rng: &mut StdRng, variant: bool) -> Row {
    let (city, province, _, _, districts) = CITIES[c.city];
    let mut row = Row {
        entity,
        industry: c.industry.to_string(),
        ..Default::default()
    };
    // Name.
    let industry = c.industry;
    row.name = if !variant {
        format!("{city}{}{industry}{}", c.core, c.legal)
    } else {
        let legal = match rng.random_range(0..5) {
            0 => "有限责任公司",
            1 => "",
            2 => "公司",
            _ => c.legal,
        };
        match rng.random_range(0..10) {
            0 => format!("{}（{city}）{industry}{legal}", c.core),
            1 => format!("{city}市{}{industry}{legal}", c.core),
            2 => format!("{}{industry}{legal}", c.core),
            3 => c.core.clone(),
            4 => traditional(&format!("{city}{}{industry}{}", c.core, c.legal)),
            5 => {
                let mut chars: Vec<char> = c.core.chars().collect();
                let k = rng.random_range(0..chars.len());
                if let Some(h) = homophone(chars[k], rng.random_range(0..4)) {
                    chars[k] = h;
                }
                format!(
                    "{city}{}{industry}{}",
                    chars.into_iter().collect::<String>(),
                    c.legal
                )
            }
            6 => format!(
                "{} {} {} Co., Ltd.",
                pinyin_word(city),
                pinyin_word(&c.core),
                industry_en(industry)
            ),
            7 => format!("{province}{city}{}{industry}{legal}", c.core),
            _ => format!("{city}{}{industry}{legal}", c.core),
        }
    };
    // Phones: the switchboard and/or a contact's mobile, in any format; sometimes another contact.
    let contact_k = if variant {
        rng.random_range(0..c.contacts.len())
    } else {
        0
    };
    let (contact_name, contact_mobile) = &c.contacts[contact_k];
    if !variant || rng.random_bool(0.6) {
        row.phone = if variant {
            format_landline(&c.landline, rng.random_range(0..5))
        } else {
            c.landline.clone()
        };
    }
    if !variant || rng.random_bool(0.7) {
        row.mobile = if variant {
            format_mobile(contact_mobile, rng.random_range(0..6))
        } else {
            contact_mobile.clone()
        };
    }
    row.contact = contact_name.clone();
    if variant && rng.random_bool(0.2) {
        row.contact = traditional(contact_name);
    }
    // E-mail: company address, another person at the same domain, or the contact's free mail.
    if let Some(d) = &c.domain {
        if !variant {
            row.email = format!("sales@{d}");
        } else {
            match rng.random_range(0..4) {
                0 => row.email = format!("SALES@{}", d.to_uppercase()),
                1 => row.email = format!("{}@{d}", pinyin_word(contact_name).to_lowercase()),
                _ => {}
            }
        }
        if c.website && (!variant || rng.random_bool(0.5)) {
            row.website = if variant {
                format!("http://www.{d}/")
            } else {
                format!("www.{d}")
            };
        }
    }
    if variant && row.email.is_empty() && rng.random_bool(0.2) {
        row.email = format!(
            "{}@{}",
            contact_mobile,
            FREE_MAIL[rng.random_range(0..FREE_MAIL.len())]
        );
    }
    if let Some(cc) = &c.credit_code
        && (!variant || rng.random_bool(0.3))
    {
        row.credit_code = if variant && rng.random_bool(0.5) {
            cc.to_lowercase()
        } else {
            cc.clone()
        };
    }
    if !variant || rng.random_bool(0.6) {
        let district = districts[c.district];
        row.address = match (variant, rng.random_range(0..3)) {
            (false, _) => format!("{province}省{city}市{district}{}", c.street)
                .replace("北京省北京市", "北京市")
                .replace("上海省上海市", "上海市")
                .replace("天津省天津市", "天津市")
                .replace("重庆省重庆市", "重庆市"),
            (true, 0) => format!("{city}{district}{}", c.street),
            (true, 1) => format!("{city}市{district}{}", c.street),
            _ => format!("{district}{}", c.street),
        };
    }
    row
}

fn person(i: usize, rng: &mut StdRng, name: Option<String>, city: Option<usize>) -> Person {
    let city = city.unwrap_or_else(|| rng.random_range(0..CITIES.len()));
    let year = rng.random_range(1955..2005);
    let birth = format!(
        "{year}-{:02}-{:02}",
        rng.random_range(1..=12),
        rng.random_range(1..=28)
    );
    Person {
        name: name.unwrap_or_else(|| person_name(rng)),
        city,
        district: rng.random_range(0..4),
        id_number: id_number(CITIES[city].3, &birth, i),
        birth,
        mobile: unique_mobile(i, 0),
        email: rng
            .random_bool(0.3)
            .then(|| format!("{}@{}", unique_mobile(i, 1), FREE_MAIL[i % FREE_MAIL.len()])),
        street: format!(
            "{}{}号",
            STREETS[rng.random_range(0..STREETS.len())],
            rng.random_range(1..999)
        ),
    }
}

fn person_row(p: &Person, entity: usize, rng: &mut StdRng, variant: bool) -> Row {
    let (city, _, _, _, districts) = CITIES[p.city];
    let mut row = Row {
        entity,
        ..Default::default()
    };
    row.name = if !variant {
        p.name.clone()
    } else {
        let surname: String = p.name.chars().take(1).collect();
        let given: String = p.name.chars().skip(1).collect();
        match rng.random_range(0..6) {
            0 => traditional(&p.name),
            1 => {
                let mut chars: Vec<char> = p.name.chars().collect();
                let k = rng.random_range(1..chars.len());
                if let Some(h) = homophone(chars[k], rng.random_range(0..4)) {
                    chars[k] = h;
                }
                chars.into_iter().collect()
            }
            2 => format!("{} {}", pinyin_word(&surname), pinyin_word(&given)),
            3 => format!(
                "{} {}",
                pinyin_word(&given).to_uppercase(),
                pinyin_word(&surname).to_uppercase()
            ),
            _ => p.name.clone(),
        }
    };
    if !variant || rng.random_bool(0.6) {
        row.mobile = if variant {
            format_mobile(&p.mobile, rng.random_range(0..6))
        } else {
            p.mobile.clone()
        };
    }
    if !variant || rng.random_bool(0.5) {
        row.id_number = p.id_number.clone();
    }
    if !variant || rng.random_bool(0.8) {
        row.birth_date = if variant {
            format_date(&p.birth, rng.random_range(0..5))
        } else {
            p.birth.clone()
        };
    }
    if !variant || rng.random_bool(0.5) {
        row.address = format!("{city}{}{}", districts[p.district], p.street);
    }
    if let Some(e) = &p.email
        && (!variant || rng.random_bool(0.5))
    {
        row.email = e.clone();
    }
    row
}

/// Generates a labelled dataset, rows shuffled, ids `R0000001…`.
pub fn generate(cfg: &Config) -> Vec<Row> {
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut rows = Vec::new();
    let mut entity = 0;
    let mut next_index = 0;
    while entity < cfg.entities {
        let dups = if rng.random_bool(cfg.dup_rate) {
            rng.random_range(1..=3)
        } else {
            0
        };
        let hard_negative = rng.random_bool(cfg.hard_negative_rate) && entity + 1 < cfg.entities;
        match cfg.kind {
            Kind::Company => {
                let c = company(next_index, &mut rng, None);
                rows.push(company_row(&c, entity, &mut rng, false));
                for _ in 0..dups {
                    rows.push(company_row(&c, entity, &mut rng, true));
                }
                if hard_negative {
                    // Same brand core: in another city (same industry), or another industry.
                    entity += 1;
                    next_index += 1;
                    let mut other = company(next_index, &mut rng, Some(c.core.clone()));
                    if rng.random_bool(0.6) {
                        other.industry = c.industry;
                        if other.city == c.city {
                            other.city = (c.city + 1) % CITIES.len();
                        }
                    } else if other.industry == c.industry {
                        other.industry = INDUSTRIES[(INDUSTRIES
                            .iter()
                            .position(|x| *x == c.industry)
                            .unwrap_or(0)
                            + 1)
                            % INDUSTRIES.len()];
                    }
                    rows.push(company_row(&other, entity, &mut rng, false));
                }
            }
            Kind::Person => {
                let p = person(next_index, &mut rng, None, None);
                rows.push(person_row(&p, entity, &mut rng, false));
                for _ in 0..dups {
                    rows.push(person_row(&p, entity, &mut rng, true));
                }
                if hard_negative {
                    // Namesakes in the same city.
                    entity += 1;
                    next_index += 1;
                    let other = person(next_index, &mut rng, Some(p.name.clone()), Some(p.city));
                    rows.push(person_row(&other, entity, &mut rng, false));
                }
            }
        }
        entity += 1;
        next_index += 1;
    }
    // Shuffle so that duplicates are not neighbours.
    for i in (1..rows.len()).rev() {
        let j = rng.random_range(0..=i);
        rows.swap(i, j);
    }
    for (k, r) in rows.iter_mut().enumerate() {
        r.id = format!("R{:07}", k + 1);
    }
    rows
}

/// Column headers as a Chinese CRM export would name them.
pub fn headers(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Company => &[
            "id",
            "entity_id",
            "客户名称",
            "电话",
            "手机",
            "邮箱",
            "网址",
            "统一社会信用代码",
            "地址",
            "联系人",
            "行业",
        ],
        Kind::Person => &[
            "id",
            "entity_id",
            "姓名",
            "手机",
            "身份证号",
            "出生日期",
            "地址",
            "邮箱",
        ],
    }
}

pub fn record(kind: Kind, r: &Row) -> Vec<String> {
    let e = r.entity.to_string();
    match kind {
        Kind::Company => vec![
            r.id.clone(),
            e,
            r.name.clone(),
            r.phone.clone(),
            r.mobile.clone(),
            r.email.clone(),
            r.website.clone(),
            r.credit_code.clone(),
            r.address.clone(),
            r.contact.clone(),
            r.industry.clone(),
        ],
        Kind::Person => vec![
            r.id.clone(),
            e,
            r.name.clone(),
            r.mobile.clone(),
            r.id_number.clone(),
            r.birth_date.clone(),
            r.address.clone(),
            r.email.clone(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datasets_have_duplicates_and_look_alikes() {
        let rows = generate(&Config::new(Kind::Company, 2000, 3));
        let entities: std::collections::HashSet<usize> = rows.iter().map(|r| r.entity).collect();
        assert_eq!(entities.len(), 2000);
        assert!(rows.len() > 2400 && rows.len() < 3600, "{}", rows.len());
        let p = generate(&Config::new(Kind::Person, 500, 3));
        assert!(p.iter().any(|r| r.name.is_ascii()));
        assert!(
            p.iter()
                .all(|r| r.id_number.is_empty() || r.id_number.len() == 18)
        );
    }

    #[test]
    fn generated_values_are_valid() {
        for kind in [Kind::Company, Kind::Person] {
            for r in generate(&Config::new(kind, 3000, 5)) {
                let f = leadguard_domain::customer::CustomerFields {
                    kind: match kind {
                        Kind::Company => leadguard_domain::customer::CustomerKind::Company,
                        Kind::Person => leadguard_domain::customer::CustomerKind::Person,
                    },
                    name: r.name.clone(),
                    phones: [&r.phone, &r.mobile]
                        .into_iter()
                        .filter(|p| !p.is_empty())
                        .cloned()
                        .collect(),
                    emails: [&r.email]
                        .into_iter()
                        .filter(|p| !p.is_empty())
                        .cloned()
                        .collect(),
                    website: Some(r.website.clone()).filter(|s| !s.is_empty()),
                    credit_code: Some(r.credit_code.clone()).filter(|s| !s.is_empty()),
                    birth_date: Some(r.birth_date.clone()).filter(|s| !s.is_empty()),
                    id_number: Some(r.id_number.clone()).filter(|s| !s.is_empty()),
                    ..Default::default()
                };
                let (_, errors) = leadguard_matching::Profile::build_lenient(&f);
                assert!(errors.is_empty(), "{r:?}: {errors:?}");
            }
        }
    }

    #[test]
    fn identity_numbers_check() {
        // The standard's own example number.
        assert_eq!(id_number("110105", "1949-12-31", 2), "11010519491231002X");
    }
}
