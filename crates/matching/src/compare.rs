//! Comparing two profiles field by field: each field lands on a comparison level
//! ([`levels`]); the model turns levels into a match weight and a probability; every level
//! that moved the score becomes a [`Reason`] a rep can read ("电话号码一致 138****8000; 名称核心
//! 星河互联科技 相同; 城市不同").

use leadguard_domain::customer::CustomerKind;
use leadguard_domain::mask::{mask_email, mask_phone};
use serde::{Deserialize, Serialize};

use crate::model::{Field, Levels, Model, probability};
use crate::normalize::company_name;
use crate::profile::{NameProfile, Profile, RegionRelation, region_relation};

/// What the engine concluded about a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Not the same customer.
    Distinct,
    /// Possibly the same: warn, and let a manager decide.
    Suspected,
    /// The same customer: the second entry is blocked.
    Duplicate,
}

/// How one field compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Same,
    Similar,
    Different,
}

/// One piece of evidence for or against the match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reason {
    /// `credit_code`, `id_number`, `phone`, `email`, `domain`, `name`, `region`, `address`,
    /// `postcode`, `birth_date` or `contact`.
    pub field: String,
    /// The comparison level, e.g. `same_key`, `same_pinyin`, `short_name`.
    pub level: String,
    pub outcome: Outcome,
    /// Log2 likelihood ratio this evidence contributed (positive: for the match).
    pub weight: f64,
    /// The shared value, masked where it is private (phones, e-mails).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// 中文说明, e.g. "电话号码一致 138****8000".
    pub message: String,
    /// The same in English.
    pub message_en: String,
}

/// The result of comparing a record with one candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Probability that both records are the same customer.
    pub score: f64,
    pub verdict: Verdict,
    /// Evidence, strongest first.
    pub reasons: Vec<Reason>,
    /// Suspected only because one name is the start of the other (同建 → 苏州同建工程管理有限公司)
    /// in no other place: worth showing to the rep who types it, not evidence enough to open
    /// a case.
    #[serde(default)]
    pub partial_name: bool,
}

/// How common the names of a pair are among the stored records: a brand or a name that many
/// companies share is weaker evidence than a rare one (a term-frequency adjustment, as Splink
/// makes). Unknown counts leave the model's averages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NameFrequency {
    /// Stored records whose name begins with the probe's brand (see [`Profile::brand_key`]).
    pub brand: Option<u64>,
    /// Stored records among the candidates with the very same brand core. A shared core
    /// weighs by the larger of the two counts.
    pub core: Option<u64>,
    /// Stored records with the same name key.
    pub key: Option<u64>,
}

fn edit_distance_at_most_one(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() == b.len() {
        let diffs: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        return match diffs.as_slice() {
            [_] => true,
            // One transposition of neighbours.
            [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
            _ => false,
        };
    }
    let (short, long) = if a.len() < b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() != 1 {
        return false;
    }
    let i = short
        .iter()
        .zip(long.iter())
        .take_while(|(x, y)| x == y)
        .count();
    short[i..] == long[i + 1..]
}

/// Dice coefficient of character bigrams.
fn bigram_similarity(a: &str, b: &str) -> f64 {
    let grams = |s: &str| -> Vec<(char, char)> {
        let c: Vec<char> = s.chars().collect();
        c.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (ga, mut gb) = (grams(a), grams(b));
    if ga.is_empty() || gb.is_empty() {
        return if a == b { 1.0 } else { 0.0 };
    }
    let total = ga.len() + gb.len();
    let mut common = 0;
    for g in &ga {
        if let Some(p) = gb.iter().position(|x| x == g) {
            gb.swap_remove(p);
            common += 1;
        }
    }
    2.0 * common as f64 / total as f64
}

/// Is one name partial (no legal form: a 简称, or a name still being typed) and the other's
/// tail its continuation: 同建 / 苏州同建 / 同建工程 / 同建工程管理有 → 苏州同建工程管理有限公司?
pub fn name_prefix(a: &NameProfile, b: &NameProfile) -> bool {
    let begins = |partial: &NameProfile, other: &NameProfile| {
        (partial.partial || partial.generic)
            && partial.tail.chars().count() >= 2
            && (other.tail.starts_with(&partial.tail)
                || (!partial.key.is_empty() && other.key.starts_with(&partial.key))
                // 中国神 → 中国神华能源股份有限公司; a place alone (北京) begins no name.
                || (partial.region.is_none()
                    && other.folded.starts_with(&partial.tail)
                    && !company_name::is_place(&partial.tail)))
    };
    begins(a, b) || begins(b, a)
}

fn company_name_level(a: &Profile, b: &Profile) -> Option<u8> {
    let (na, nb) = (&a.name, &b.name);
    if na.key.is_empty() || nb.key.is_empty() {
        return None;
    }
    if na.key == nb.key {
        return Some(0);
    }
    // A name with no brand of its own (长沙县电影公司) has only a place for a core: sharing it
    // says nothing.
    let brands = !na.generic && !nb.generic;
    if brands && !na.core.is_empty() && na.core == nb.core {
        return Some(1);
    }
    if brands && !na.pinyin.is_empty() && na.pinyin == nb.pinyin {
        return Some(2);
    }
    // An English name whose words start with the Chinese core's pinyin ("Xindi Newtech" ↔ 欣地).
    if na.latin != nb.latin {
        let (latin, chinese) = if na.latin { (na, nb) } else { (nb, na) };
        if chinese.pinyin.len() >= 4 && latin.pinyin.starts_with(&chinese.pinyin) {
            return Some(2);
        }
    }
    // A short or partial name (简称, or the start of a name being typed) that the other name
    // begins with, or whose brand the other's contains.
    let contains = |short: &NameProfile, full: &NameProfile| {
        short.partial && short.core.chars().count() >= 2 && full.core.contains(&short.core)
    };
    if name_prefix(na, nb) || contains(na, nb) || contains(nb, na) {
        return Some(3);
    }
    if strsim::jaro_winkler(&na.key, &nb.key) >= 0.9
        || strsim::jaro_winkler(&na.pinyin, &nb.pinyin) >= 0.93
    {
        return Some(4);
    }
    Some(5)
}

fn person_name_level(a: &Profile, b: &Profile) -> Option<u8> {
    let (na, nb) = (&a.name, &b.name);
    if na.key.is_empty() || nb.key.is_empty() {
        return None;
    }
    let jw = |x: &str, y: &str| strsim::jaro_winkler(x, y);
    if na.folded == nb.folded {
        Some(0)
    } else if na.key == nb.key {
        Some(1)
    } else if jw(&na.folded, &nb.folded) >= 0.9
        || jw(&na.pinyin, &nb.pinyin) >= 0.9
        || jw(&na.key, &nb.key) >= 0.9
    {
        Some(2)
    } else if na.key.split(' ').any(|t| nb.key.split(' ').any(|u| u == t))
        || jw(&na.folded, &nb.folded) >= 0.8
        || jw(&na.pinyin, &nb.pinyin) >= 0.8
    {
        // One of the names the same (a married name, a missing given name), or close.
        Some(3)
    } else {
        Some(4)
    }
}

fn date_level(a: &str, b: &str) -> u8 {
    if a == b {
        return 0;
    }
    let pa: Vec<&str> = a.split('-').collect();
    let pb: Vec<&str> = b.split('-').collect();
    if pa.len() == 3 && pb.len() == 3 {
        let differing = (0..3).filter(|&i| pa[i] != pb[i]).count();
        let swapped = pa[0] == pb[0] && pa[1] == pb[2] && pa[2] == pb[1];
        if differing == 1 || swapped {
            return 1;
        }
    }
    // Digits kept from a value that was not a valid date: one typo.
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    if edit_distance_at_most_one(&digits(a), &digits(b)) {
        return 1;
    }
    2
}

/// The level of every field for the pair (a, b).
pub fn levels(a: &Profile, b: &Profile) -> Levels {
    let mut l: Levels = [None; Field::COUNT];
    let mut set = |f: Field, v: Option<u8>| l[f.index()] = v;
    set(
        Field::CreditCode,
        match (&a.credit_code, &b.credit_code) {
            (Some(x), Some(y)) if x == y => Some(0),
            // A mistyped code may be this one: no evidence either way.
            _ if a.credit_code_unverified || b.credit_code_unverified => None,
            (Some(_), Some(_)) => Some(1),
            _ => None,
        },
    );
    set(
        Field::IdNumber,
        match (&a.id_number, &b.id_number) {
            (Some(x), Some(y)) if x == y => Some(0),
            (Some(x), Some(y)) if edit_distance_at_most_one(x, y) => Some(1),
            (Some(_), Some(_)) => Some(2),
            _ => None,
        },
    );
    set(
        Field::Phone,
        if a.phones.is_empty() || b.phones.is_empty() {
            None
        } else {
            let shared: Vec<bool> = a
                .phones
                .iter()
                .filter_map(|p| {
                    b.phones
                        .iter()
                        .find(|q| q.e164 == p.e164)
                        .map(|q| p.weak || q.weak)
                })
                .collect();
            Some(if shared.iter().any(|weak| !weak) {
                0
            } else if shared.is_empty() {
                2
            } else {
                1
            })
        },
    );
    set(
        Field::Email,
        if a.emails.is_empty() || b.emails.is_empty() {
            None
        } else {
            Some(if a.emails.iter().any(|e| b.emails.contains(e)) {
                0
            } else {
                1
            })
        },
    );
    set(
        Field::Domain,
        if a.domains.is_empty() || b.domains.is_empty() {
            None
        } else {
            Some(if a.domains.iter().any(|d| b.domains.contains(d)) {
                0
            } else {
                1
            })
        },
    );
    let both_people = a.kind == CustomerKind::Person && b.kind == CustomerKind::Person;
    if both_people {
        set(Field::PersonName, person_name_level(a, b));
    } else {
        set(Field::CompanyName, company_name_level(a, b));
    }
    set(
        Field::Region,
        match region_relation(a.region.as_deref(), b.region.as_deref()) {
            RegionRelation::Same => Some(0),
            RegionRelation::Nested => Some(1),
            RegionRelation::Different => Some(2),
            RegionRelation::Unknown => None,
        },
    );
    set(
        Field::Street,
        match (&a.street, &b.street) {
            (Some(x), Some(y)) if x == y => Some(0),
            (Some(x), Some(y)) if bigram_similarity(x, y) >= 0.6 => Some(1),
            (Some(_), Some(_)) => Some(2),
            _ => None,
        },
    );
    set(
        Field::Postcode,
        match (&a.postcode, &b.postcode) {
            (Some(x), Some(y)) if x == y => Some(0),
            (Some(x), Some(y)) if edit_distance_at_most_one(x, y) => Some(1),
            (Some(_), Some(_)) => Some(2),
            _ => None,
        },
    );
    set(
        Field::BirthDate,
        match (&a.birth_date, &b.birth_date) {
            (Some(x), Some(y)) => Some(date_level(x, y)),
            _ => None,
        },
    );
    set(
        Field::Contact,
        if a.contacts.is_empty() || b.contacts.is_empty() {
            None
        } else {
            Some(if a.contacts.iter().any(|c| b.contacts.contains(c)) {
                0
            } else {
                1
            })
        },
    );
    l
}

fn outcome(field: Field, level: u8) -> Outcome {
    let last = field.levels().len() as u8 - 1;
    match level {
        0 => Outcome::Same,
        l if l == last => Outcome::Different,
        _ => Outcome::Similar,
    }
}

/// (value, 中文, English) explaining one level.
fn explain(field: Field, level: u8, a: &Profile, b: &Profile) -> (Option<String>, String, String) {
    let shared_phone = || {
        a.phones
            .iter()
            .find(|p| b.phones.iter().any(|q| q.e164 == p.e164))
            .map(|p| mask_phone(&p.e164))
    };
    let s = |zh: &str, en: &str| (None, zh.to_string(), en.to_string());
    match (field, level) {
        (Field::CreditCode, 0) => {
            let c = a.credit_code.clone().unwrap_or_default();
            (
                Some(c.clone()),
                format!("统一社会信用代码一致 {c}"),
                format!("same unified social credit code {c}"),
            )
        }
        (Field::CreditCode, _) => s(
            "统一社会信用代码不同",
            "different unified social credit codes",
        ),
        (Field::IdNumber, 0) => s("证件号一致", "same identity number"),
        (Field::IdNumber, 1) => s(
            "证件号仅一位不同",
            "identity numbers differ in one character",
        ),
        (Field::IdNumber, _) => s("证件号不同", "different identity numbers"),
        (Field::Phone, 0) => {
            let v = shared_phone().unwrap_or_default();
            (
                Some(v.clone()),
                format!("电话号码一致 {v}"),
                format!("same phone number {v}"),
            )
        }
        (Field::Phone, 1) => {
            let v = shared_phone().unwrap_or_default();
            (
                Some(v.clone()),
                format!("共用400/800号码 {v}（弱证据）"),
                format!("same shared-cost number {v} (weak evidence)"),
            )
        }
        (Field::Phone, _) => s("电话号码不同", "different phone numbers"),
        (Field::Email, 0) => {
            let v = a
                .emails
                .iter()
                .find(|e| b.emails.contains(e))
                .map(|e| mask_email(e))
                .unwrap_or_default();
            (
                Some(v.clone()),
                format!("邮箱一致 {v}"),
                format!("same e-mail address {v}"),
            )
        }
        (Field::Email, _) => s("邮箱不同", "different e-mail addresses"),
        (Field::Domain, 0) => {
            let d = a
                .domains
                .iter()
                .find(|d| b.domains.contains(d))
                .cloned()
                .unwrap_or_default();
            (
                Some(d.clone()),
                format!("企业域名一致 {d}"),
                format!("same company domain {d}"),
            )
        }
        (Field::Domain, _) => s("企业域名不同", "different company domains"),
        (Field::CompanyName, 0) => {
            let k = a.name.key.clone();
            (
                Some(k.clone()),
                format!("名称核心 {k} 相同"),
                format!("same name once region and legal form are removed: {k}"),
            )
        }
        (Field::CompanyName, 1) => {
            let c = a.name.core.clone();
            (
                Some(c.clone()),
                format!("字号 {c} 相同"),
                format!("same brand core {c}"),
            )
        }
        (Field::CompanyName, 2) => (
            Some(a.name.pinyin.clone()),
            format!("字号读音相同 {} / {}", a.name.core, b.name.core),
            format!(
                "brand cores sound the same: {} / {}",
                a.name.core, b.name.core
            ),
        ),
        (Field::CompanyName, 3) => (
            None,
            format!("简称与全称相符 {} / {}", a.name.key, b.name.key),
            format!(
                "one name is the start or short form of the other: {} / {}",
                a.name.key, b.name.key
            ),
        ),
        (Field::CompanyName, 4) => s("名称相近", "similar names"),
        (Field::CompanyName, _) => s("名称不同", "different names"),
        (Field::PersonName, 0) => (
            Some(a.name.folded.clone()),
            format!("姓名相同 {}", a.name.folded),
            format!("same name {}", a.name.folded),
        ),
        (Field::PersonName, 1) => s("姓名读音相同", "names sound the same"),
        (Field::PersonName, 2) => s("姓名相近", "similar names"),
        (Field::PersonName, 3) => s("姓名部分相同", "names partly the same"),
        (Field::PersonName, _) => s("姓名不同", "different names"),
        (Field::Region, 0) => s("地区相同", "same region"),
        (Field::Region, 1) => s(
            "地区相符（省市包含）",
            "regions agree (one contains the other)",
        ),
        (Field::Region, _) => s("城市不同", "different cities"),
        (Field::Street, 0) => s("地址一致", "same address"),
        (Field::Street, 1) => s("地址相近", "similar addresses"),
        (Field::Street, _) => s("地址不同", "different addresses"),
        (Field::Postcode, 0) => s("邮编相同", "same postcode"),
        (Field::Postcode, 1) => s("邮编仅一位不同", "postcodes differ in one digit"),
        (Field::Postcode, _) => s("邮编不同", "different postcodes"),
        (Field::BirthDate, 0) => s("出生日期相同", "same date of birth"),
        (Field::BirthDate, 1) => s("出生日期仅一处不同", "dates of birth differ in one part"),
        (Field::BirthDate, _) => s("出生日期不同", "different dates of birth"),
        (Field::Contact, 0) => s("联系人相同", "same contact person"),
        (Field::Contact, _) => s("联系人不同", "different contact persons"),
    }
}

/// Does some identifier agree: a phone, an e-mail, a company domain, a credit code, an identity
/// number, a contact person or the street?
fn identified(l: &Levels) -> bool {
    let same = |f: Field| l[f.index()] == Some(0);
    same(Field::Phone)
        || same(Field::Email)
        || same(Field::Domain)
        || same(Field::CreditCode)
        || same(Field::IdNumber)
        || same(Field::Contact)
        || matches!(l[Field::Street.index()], Some(0 | 1))
}

/// Weight of the company-name level, with u no lower than the share of stored records that
/// agree the same way on this very value: the same key shared by 30 companies, or a brand
/// (阳光) that hundreds begin with, proves less than the model's average agreement. The
/// candidate itself is one of those counted: a value nobody else has keeps the model's u.
pub fn name_weight(model: &Model, level: u8, freq: NameFrequency) -> f64 {
    let tf = |level: u8, count: Option<u64>| {
        let (m, u) = model.level_probabilities(Field::CompanyName, level);
        let others = count.unwrap_or(0).saturating_sub(1);
        let share = others as f64 / model.records.max(1) as f64;
        (m / share.max(u)).log2()
    };
    let brand = freq.core.max(freq.brand);
    match level {
        0 => tf(0, freq.key),
        1 | 2 => tf(level, brand),
        // A name that merely begins another proves less than the very same brand.
        3 => tf(3, freq.brand).min(tf(1, brand) - 1.0),
        _ => model.weight(Field::CompanyName, level),
    }
}

/// Total match weight of a pair's levels, names weighed by their frequency.
pub fn match_weight(model: &Model, levels: &Levels, freq: NameFrequency) -> f64 {
    let name = Field::CompanyName.index();
    match levels[name] {
        Some(level) => {
            let mut others = *levels;
            others[name] = None;
            model.match_weight(&others) + name_weight(model, level, freq)
        }
        None => model.match_weight(levels),
    }
}

/// Compares `a` (the record being entered) with `b` (a stored candidate).
pub fn compare(
    model: &Model,
    duplicate_at: f64,
    suspected_at: f64,
    a: &Profile,
    b: &Profile,
) -> Comparison {
    compare_with(
        model,
        duplicate_at,
        suspected_at,
        a,
        b,
        NameFrequency::default(),
    )
}

/// [`compare`], with the name weighed by how common it is among the stored records.
pub fn compare_with(
    model: &Model,
    duplicate_at: f64,
    suspected_at: f64,
    a: &Profile,
    b: &Profile,
    freq: NameFrequency,
) -> Comparison {
    let l = levels(a, b);
    let weight = match_weight(model, &l, freq);
    let score = probability(weight);
    let mut verdict = if score >= duplicate_at {
        Verdict::Duplicate
    } else if score >= suspected_at {
        Verdict::Suspected
    } else {
        Verdict::Distinct
    };
    // Two valid, different credit codes (or identity numbers) are two legal entities (people):
    // never block on other evidence, but let a manager look when that evidence is strong.
    let conflict = l[Field::CreditCode.index()] == Some(1) || l[Field::IdNumber.index()] == Some(2);
    if conflict && verdict == Verdict::Duplicate {
        verdict = Verdict::Suspected;
    }
    // Names alike but not the same (the same brand with other trade words: 北京阳光食品 and
    // 北京阳光电子科技; a homophone; a short name) and nothing that identifies a company in
    // common: a look-alike for a manager to look at, never a refusal.
    let name_alike = matches!(l[Field::CompanyName.index()], Some(1..=4));
    if name_alike && verdict == Verdict::Duplicate && !identified(&l) {
        verdict = Verdict::Suspected;
    }
    // The very same company name elsewhere (another city: a branch, a namesake) is worth a
    // manager's look, whatever the odds that it is the same record.
    if l[Field::CompanyName.index()] == Some(0) && verdict == Verdict::Distinct {
        verdict = Verdict::Suspected;
    }
    // A rep typing the start of a name (同建, 苏州同建, 同建工程) is shown the companies it
    // begins, unless they are elsewhere.
    let mut partial_name = false;
    if verdict == Verdict::Distinct
        && l[Field::Region.index()] != Some(2)
        && a.kind == CustomerKind::Company
        && b.kind == CustomerKind::Company
        && name_prefix(&a.name, &b.name)
    {
        verdict = Verdict::Suspected;
        partial_name = true;
    }
    let mut reasons: Vec<Reason> = Field::ALL
        .iter()
        .filter_map(|&field| {
            let level = l[field.index()]?;
            let w = if field == Field::CompanyName {
                name_weight(model, level, freq)
            } else {
                model.weight(field, level)
            };
            let (value, message, message_en) = explain(field, level, a, b);
            Some(Reason {
                field: field.as_str().to_string(),
                level: field.levels()[usize::from(level)].to_string(),
                outcome: outcome(field, level),
                weight: (w * 100.0).round() / 100.0,
                value,
                message,
                message_en,
            })
        })
        .collect();
    reasons.sort_by(|x, y| y.weight.abs().total_cmp(&x.weight.abs()));
    Comparison {
        score: (score * 10_000.0).round() / 10_000.0,
        verdict,
        reasons,
        partial_name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_edits() {
        assert!(edit_distance_at_most_one(
            "11010519491231002X",
            "11010519491231003X"
        ));
        assert!(edit_distance_at_most_one("12345", "12354"));
        assert!(edit_distance_at_most_one("12345", "1245"));
        assert!(!edit_distance_at_most_one("12345", "54321"));
        assert_eq!(date_level("1990-01-02", "1990-02-01"), 1);
        assert_eq!(date_level("1990-01-02", "1991-01-02"), 1);
        assert_eq!(date_level("1990-01-02", "1985-07-09"), 2);
        assert!(bigram_similarity("科技园南区12栋", "科技园南区12号") > 0.6);
    }
}
