//! How well the live duplicate check finds a stored company when a rep types only part of its
//! name: the brand alone, region + brand, brand + the start of the industry, the name without
//! its region, and every keystroke of the full name.
//!
//! Real registered names are stored in an in-memory index that does what the service does
//! (`find_matches` over the store's `candidates_under`); each target is labelled independently of
//! the product's own name split (leading region R, legal form L, body B = brand + industry), by
//! two brand oracles: the body's first two characters, and the longest word of a short-form
//! list the body starts with (a labelling oracle only; the product never sees the list).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use leadguard_domain::customer::CustomerFields;
use leadguard_matching::live::{Limits, MemoryIndex};
use leadguard_matching::normalize::regions::{self, Region, RegionLevel};
use leadguard_matching::normalize::text::fold;
use leadguard_matching::{Matcher, Profile, Verdict, WeightedMatcher};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Name endings that make a name company-like.
const COMPANY_ENDINGS: &[&str] = &[
    "有限公司",
    "有限责任公司",
    "股份有限公司",
    "公司",
    "厂",
    "店",
];

/// Names with these are branches and outlets: left out.
const BRANCH_MARKERS: &[&str] = &[
    "分公司",
    "支行",
    "分行",
    "营业部",
    "营业厅",
    "分店",
    "办事处",
    "加油站",
    "分理处",
    "代表处",
    "经营部",
    "门市部",
    "服务部",
    "供销社",
];

/// Legal forms at the end of a name, longest first.
const LEGAL_FORMS: &[&str] = &[
    "集团股份有限公司",
    "股份有限公司",
    "集团有限公司",
    "有限责任公司",
    "有限公司",
    "公司",
    "厂",
    "店",
];

/// Town-level place words after a 2–3 character name (城关镇, 新华乡, 西湖街道, 经济开发区).
const TOWN_WORDS: &[&str] = &[
    "工业园区",
    "开发区",
    "高新区",
    "保税区",
    "街道",
    "园区",
    "新区",
    "镇",
    "乡",
];

/// Development-zone words that also name a place on their own right after a region
/// (苏州工业园区, 成都高新区).
const ZONE_WORDS_ALONE: &[&str] = &["工业园区", "开发区", "高新区", "保税区"];

#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Real company names: TSV with header `name\tprovince\tcity\taddress\tcredit_code`,
    /// or one name per line.
    #[arg(long)]
    pub names: PathBuf,
    /// Short names (one per line), used only to label brands, never by the product.
    #[arg(long)]
    pub shortforms: Option<PathBuf>,
    /// Stored companies besides the targets.
    #[arg(long, default_value_t = 20_000)]
    pub stored: usize,
    /// Stored companies looked for.
    #[arg(long, default_value_t = 2_000)]
    pub targets: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Failure examples printed per form.
    #[arg(long, default_value_t = 15)]
    pub failures: usize,
    /// Also write the summary as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// A name split by the labelling rules (all parts folded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Leading region string: 广东省深圳市南山区, 北京, 浙江省长兴县和平镇; may be empty.
    pub region: String,
    /// Body: the name without region and legal form.
    pub body: String,
    /// Legal form at the end: 有限公司, 厂.
    pub legal: String,
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// The first `n` characters of `s` (all of it when shorter).
fn take_chars(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

/// Is the trimmed name company-like (legal ending, no branch marker)?
pub fn company_like(name: &str) -> bool {
    COMPANY_ENDINGS.iter().any(|e| name.ends_with(e))
        && !BRANCH_MARKERS.iter().any(|m| name.contains(m))
}

/// The leading region string of a folded name: consecutive place names (province → city →
/// county, each within the one before), then a town-level place after them.
pub fn leading_region(folded: &str) -> &str {
    let mut at = 0;
    let mut parent: Option<&'static Region> = None;
    while parent.is_none_or(|p| p.level != RegionLevel::County) {
        let rest = &folded[at..];
        match regions::match_region_prefix_within(rest, parent) {
            Some((r, n))
                if n < rest.len()
                    && parent.is_none_or(|p| r.level > p.level && regions::within(r, p)) =>
            {
                parent = Some(r);
                at += n;
            }
            _ => break,
        }
    }
    if at > 0 {
        let rest = &folded[at..];
        let town = ZONE_WORDS_ALONE
            .iter()
            .find(|w| rest.starts_with(*w))
            .map(|w| w.len())
            .or_else(|| {
                [2, 3].into_iter().find_map(|k| {
                    let name = take_chars(rest, k);
                    let after = &rest[name.len()..];
                    (char_len(name) == k)
                        .then(|| TOWN_WORDS.iter().find(|w| after.starts_with(*w)))
                        .flatten()
                        .map(|w| name.len() + w.len())
                })
            });
        if let Some(n) = town.filter(|&n| n < rest.len()) {
            at += n;
        }
    }
    &folded[..at]
}

/// Splits a folded name into region, body and legal form; `None` when no body is left.
pub fn label(folded: &str) -> Option<Label> {
    let legal = LEGAL_FORMS.iter().find(|l| folded.ends_with(*l))?;
    let region = leading_region(folded);
    let end = folded.len() - legal.len();
    if region.len() >= end {
        return None;
    }
    Some(Label {
        region: region.to_string(),
        body: folded[region.len()..end].to_string(),
        legal: legal.to_string(),
    })
}

/// A brand oracle: which leading part of the body is the brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oracle {
    /// The body's first two characters (bodies of at least four).
    Two,
    /// The longest short-form word (2–4 characters) the body starts with, leaving two or more.
    Shortform,
}

impl Oracle {
    fn as_str(self) -> &'static str {
        match self {
            Oracle::Two => "two",
            Oracle::Shortform => "shortform",
        }
    }

    pub fn brand<'a>(self, body: &'a str, shortforms: &HashSet<String>) -> Option<&'a str> {
        let n = char_len(body);
        match self {
            Oracle::Two => (n >= 4).then(|| take_chars(body, 2)),
            Oracle::Shortform => (2..=4)
                .rev()
                .filter(|&k| n >= k + 2)
                .map(|k| take_chars(body, k))
                .find(|w| shortforms.contains(*w)),
        }
    }
}

/// One stored company.
struct Company {
    name: String,
    folded: String,
    province: String,
    city: String,
    label: Option<Label>,
}

/// The in-memory store: the service's check over [`MemoryIndex`], with the names.
pub struct Index {
    matcher: WeightedMatcher,
    names: Vec<String>,
    records: MemoryIndex,
}

impl Index {
    fn new(matcher: WeightedMatcher) -> Self {
        Index {
            matcher,
            names: Vec::new(),
            records: MemoryIndex::new(),
        }
    }

    /// Stores a company (name only) and indexes it under every index key; returns its id.
    fn insert(&mut self, name: &str) -> u32 {
        let fields = CustomerFields {
            name: name.to_string(),
            ..Default::default()
        };
        let (profile, _) = Profile::build_lenient(&fields);
        self.names.push(name.to_string());
        self.records.insert(profile)
    }

    fn profile(&self, id: u32) -> &Profile {
        self.records.profile(id)
    }

    /// The profile the service makes of a record typed with this name only.
    fn probe(&self, typed: &str) -> Profile {
        let fields = CustomerFields {
            name: typed.to_string(),
            ..Default::default()
        }
        .tidy();
        self.matcher
            .profile(&fields)
            .unwrap_or_else(|_| self.matcher.profile_lenient(&fields).0)
    }
}

/// What the live check returns.
pub struct CheckResult {
    /// (customer id, verdict, score), at most ten, duplicates first.
    pub matches: Vec<(u32, Verdict, f64)>,
    /// Candidates that were not [`Verdict::Distinct`], before truncation.
    pub total_non_distinct: usize,
}

/// The service's duplicate check, with its limits ([`leadguard_matching::live`]).
pub fn check(index: &Index, probe: &Profile) -> CheckResult {
    let found = index
        .records
        .check(&index.matcher, probe, Limits::default());
    CheckResult {
        total_non_distinct: found.hits.len() + found.more,
        matches: found
            .hits
            .into_iter()
            .map(|h| (h.id, h.comparison.verdict, h.comparison.score))
            .collect(),
    }
}

/// Per oracle × form tallies.
#[derive(Default)]
struct Stats {
    n: usize,
    found: usize,
    first: usize,
    unique_n: usize,
    unique_first: usize,
    returned: usize,
    non_distinct: usize,
    secs: f64,
}

impl Stats {
    fn add(&mut self, target: u32, unique: bool, r: &CheckResult, secs: f64) {
        self.n += 1;
        let first = r.matches.first().is_some_and(|m| m.0 == target);
        if r.matches.iter().any(|m| m.0 == target) {
            self.found += 1;
        }
        if first {
            self.first += 1;
        }
        if unique {
            self.unique_n += 1;
            if first {
                self.unique_first += 1;
            }
        }
        self.returned += r.matches.len();
        self.non_distinct += r.total_non_distinct;
        self.secs += secs;
    }
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{:.1}", 100.0 * v))
}

fn num(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.digits$}"))
}

/// A failed check kept to show.
struct Failure {
    typed: String,
    target: u32,
    /// prefix_k: where the keystroke ends, and how many of the name's keystrokes fail.
    note: Option<String>,
    probe: Profile,
    result: CheckResult,
}

/// The forms, in report order; the `prefix_k:*` rows split `prefix_k` by where the keystroke
/// ends.
const FORMS: &[&str] = &[
    "brand",
    "region_brand",
    "brand_ind2",
    "no_region",
    "prefix_k",
    "prefix_k:brand",
    "prefix_k:industry",
    "prefix_k:legal",
];

/// Failure examples are kept for these forms (the `prefix_k:*` rows share `prefix_k`'s).
const FAILURE_FORMS: &[&str] = &[
    "brand",
    "region_brand",
    "brand_ind2",
    "no_region",
    "prefix_k",
];

struct OracleReport {
    oracle: Oracle,
    labelled: usize,
    skipped: usize,
    stats: Vec<Stats>,
    failures: Vec<Vec<Failure>>,
}

fn form_index(form: &str) -> usize {
    FORMS.iter().position(|f| *f == form).unwrap_or(0)
}

/// The shortest prefix of `original` (in bytes) whose fold has at least `chars` characters.
fn original_cut(original: &str, chars: usize) -> Option<usize> {
    if chars == 0 {
        return Some(0);
    }
    original
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .find(|&end| char_len(&fold(&original[..end])) >= chars)
}

/// `original` without its leading region (which folds to `region`).
fn without_region<'a>(original: &'a str, region: &str) -> &'a str {
    match original_cut(original, char_len(region)) {
        Some(cut) if fold(&original[..cut]) == region => original[cut..].trim_start(),
        _ => original,
    }
}

struct Loaded {
    companies: Vec<Company>,
    rows: usize,
    tsv: bool,
}

/// Company-like names of the file, distinct once folded, in file order.
fn load_names(path: &PathBuf) -> Result<Loaded> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut lines = text.lines();
    let first = lines
        .next()
        .unwrap_or_default()
        .trim_start_matches('\u{feff}');
    let header: Vec<&str> = first.split('\t').map(str::trim).collect();
    let tsv = header.first() == Some(&"name") && header.len() > 1;
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (province_col, city_col) = if tsv {
        (col("province"), col("city"))
    } else {
        (None, None)
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut companies = Vec::new();
    let mut rows = 0;
    let all = (!tsv).then_some(first).into_iter().chain(lines);
    for line in all {
        if line.trim().is_empty() {
            continue;
        }
        rows += 1;
        let cells: Vec<&str> = if tsv {
            line.split('\t').collect()
        } else {
            vec![line]
        };
        let name = cells[0].trim();
        if !company_like(name) {
            continue;
        }
        let folded = fold(name);
        if folded.is_empty() || !seen.insert(folded.clone()) {
            continue;
        }
        let cell = |c: Option<usize>| {
            c.and_then(|c| cells.get(c))
                .map_or(String::new(), |s| s.trim().to_string())
        };
        companies.push(Company {
            name: name.to_string(),
            folded,
            province: cell(province_col),
            city: cell(city_col),
            label: None,
        });
    }
    Ok(Loaded {
        companies,
        rows,
        tsv,
    })
}

fn load_shortforms(path: &PathBuf) -> Result<HashSet<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text
        .lines()
        .map(fold)
        .filter(|w| (2..=4).contains(&char_len(w)))
        .collect())
}

fn region_text(code: Option<&str>) -> String {
    match code {
        Some(c) => match regions::region_by_code(c) {
            Some(r) => format!("{c} {}", r.name),
            None => c.to_string(),
        },
        None => "-".into(),
    }
}

fn verdict_str(v: Verdict) -> &'static str {
    match v {
        Verdict::Duplicate => "duplicate",
        Verdict::Suspected => "suspected",
        Verdict::Distinct => "distinct",
    }
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_num(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or_else(|| "null".into(), |v| format!("{v:.6}"))
}

fn json_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "null".into(), json_str)
}

/// Negative control: the target's name moved to another company's region.
#[derive(Default)]
struct Control {
    checks: usize,
    other_duplicate: usize,
    other_suspected: usize,
    target_duplicate: usize,
    target_suspected: usize,
    examples: Vec<(String, String, String, Verdict, f64)>,
}

/// Runs the evaluation and prints the report.
pub fn run(opts: &Options) -> Result<()> {
    let started = Instant::now();
    let t = Instant::now();
    let Loaded {
        companies: mut pool,
        rows,
        tsv,
    } = load_names(&opts.names)?;
    let shortforms = match &opts.shortforms {
        Some(p) => Some(load_shortforms(p)?),
        None => None,
    };
    let load_secs = t.elapsed().as_secs_f64();
    println!(
        "loaded {} rows ({}) from {}: {} company-like distinct names; {} short forms; {:.2} s",
        rows,
        if tsv { "TSV" } else { "one name per line" },
        opts.names.display(),
        pool.len(),
        shortforms.as_ref().map_or(0, HashSet::len),
        load_secs
    );
    let want = opts.stored + opts.targets;
    if pool.len() < want {
        bail!(
            "{} company-like names, {want} needed (--stored {} + --targets {})",
            pool.len(),
            opts.stored,
            opts.targets
        );
    }

    // Selection: shuffle, T targets and N others, then the stored order interleaves them.
    let t = Instant::now();
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let company_like_n = pool.len();
    pool.shuffle(&mut rng);
    pool.truncate(want);
    let mut order: Vec<(usize, bool)> = (0..want).map(|i| (i, i < opts.targets)).collect();
    order.shuffle(&mut rng);
    let mut companies: Vec<Company> = Vec::with_capacity(want);
    let mut slots: Vec<Option<Company>> = pool.into_iter().map(Some).collect();
    let mut targets: Vec<u32> = Vec::with_capacity(opts.targets);
    let mut target_rank: Vec<(usize, u32)> = Vec::new();
    for (id, &(i, is_target)) in order.iter().enumerate() {
        let mut c = slots[i].take().expect("each slot once");
        c.label = label(&c.folded);
        companies.push(c);
        if is_target {
            target_rank.push((i, id as u32));
        }
    }
    // Targets in the order they were drawn.
    target_rank.sort_unstable();
    targets.extend(target_rank.iter().map(|&(_, id)| id));

    let matcher = WeightedMatcher::default();
    matcher.set_population(want as u64);
    let mut index = Index::new(matcher);
    for c in &companies {
        index.insert(&c.name);
    }
    let index_secs = t.elapsed().as_secs_f64();
    println!(
        "stored {} companies ({} targets, {} others); labelled and indexed in {:.2} s",
        companies.len(),
        targets.len(),
        opts.stored,
        index_secs
    );

    // Which bodies start with which 2–4 characters: brand uniqueness and the control's pairs.
    let mut prefix_count: HashMap<&str, u32> = HashMap::new();
    let mut by_two: HashMap<&str, Vec<u32>> = HashMap::new();
    for (id, c) in companies.iter().enumerate() {
        if let Some(l) = &c.label {
            for k in 2..=4 {
                let p = take_chars(&l.body, k);
                if char_len(p) == k {
                    *prefix_count.entry(p).or_default() += 1;
                }
            }
            let two = take_chars(&l.body, 2);
            if char_len(two) == 2 {
                by_two.entry(two).or_default().push(id as u32);
            }
        }
    }
    let unique = |brand: &str| prefix_count.get(brand).copied().unwrap_or(0) <= 1;

    let empty = HashSet::new();
    let mut oracles = vec![Oracle::Two];
    if shortforms.is_some() {
        oracles.push(Oracle::Shortform);
    }
    let sf = shortforms.as_ref().unwrap_or(&empty);
    let mut reports: Vec<OracleReport> = Vec::new();
    let checks_started = Instant::now();
    for &oracle in &oracles {
        let mut rep = OracleReport {
            oracle,
            labelled: 0,
            skipped: 0,
            stats: FORMS.iter().map(|_| Stats::default()).collect(),
            failures: FAILURE_FORMS.iter().map(|_| Vec::new()).collect(),
        };
        for &target in &targets {
            let c = &companies[target as usize];
            let Some(l) = &c.label else {
                rep.skipped += 1;
                continue;
            };
            let Some(brand) = oracle.brand(&l.body, sf) else {
                rep.skipped += 1;
                continue;
            };
            rep.labelled += 1;
            let is_unique = unique(brand);
            let industry = &l.body[brand.len()..];
            let run_form = |rep: &mut OracleReport, form: &'static str, typed: &str| {
                let t = Instant::now();
                let probe = index.probe(typed);
                let r = check(&index, &probe);
                let secs = t.elapsed().as_secs_f64();
                rep.stats[form_index(form)].add(target, is_unique, &r, secs);
                (probe, r)
            };
            let record = |rep: &mut OracleReport,
                          form: &str,
                          typed: &str,
                          note: Option<String>,
                          (probe, result): (Profile, CheckResult)| {
                let fi = FAILURE_FORMS.iter().position(|f| *f == form).unwrap_or(0);
                if !result.matches.iter().any(|m| m.0 == target)
                    && rep.failures[fi].len() < opts.failures
                {
                    rep.failures[fi].push(Failure {
                        typed: typed.to_string(),
                        target,
                        note,
                        probe,
                        result,
                    });
                }
            };
            let r = run_form(&mut rep, "brand", brand);
            record(&mut rep, "brand", brand, None, r);
            if !l.region.is_empty() {
                let typed = format!("{}{brand}", l.region);
                let r = run_form(&mut rep, "region_brand", &typed);
                record(&mut rep, "region_brand", &typed, None, r);
            }
            if char_len(industry) >= 2 {
                let typed = format!("{brand}{}", take_chars(industry, 2));
                let r = run_form(&mut rep, "brand_ind2", &typed);
                record(&mut rep, "brand_ind2", &typed, None, r);
            }
            if !l.region.is_empty() {
                let typed = without_region(&c.name, &l.region);
                let r = run_form(&mut rep, "no_region", typed);
                record(&mut rep, "no_region", typed, None, r);
            }
            // Every keystroke from R + two characters of the brand to the whole name; of the
            // failures, the first is kept (where typing first loses the target).
            let (r_len, brand_len, body_len) =
                (char_len(&l.region), char_len(brand), char_len(&l.body));
            let mut first_failure: Option<(String, &'static str, Profile, CheckResult)> = None;
            let (mut keystrokes, mut failed) = (0, 0);
            for end in c.name.char_indices().map(|(i, ch)| i + ch.len_utf8()) {
                let typed = &c.name[..end];
                let typed_len = char_len(&fold(typed));
                if typed_len < r_len + 2 {
                    continue;
                }
                let segment = if typed_len <= r_len + brand_len {
                    "prefix_k:brand"
                } else if typed_len <= r_len + body_len {
                    "prefix_k:industry"
                } else {
                    "prefix_k:legal"
                };
                let (probe, r) = run_form(&mut rep, "prefix_k", typed);
                let found = r.matches.iter().any(|m| m.0 == target);
                // Timed once, under prefix_k; the split rows get its time per check below.
                rep.stats[form_index(segment)].add(target, is_unique, &r, 0.0);
                keystrokes += 1;
                if !found {
                    failed += 1;
                    if first_failure.is_none() {
                        first_failure = Some((typed.to_string(), segment, probe, r));
                    }
                }
            }
            if let Some((typed, segment, probe, result)) = first_failure {
                let note = format!("{segment}; {failed} of {keystrokes} keystrokes fail");
                record(&mut rep, "prefix_k", &typed, Some(note), (probe, result));
            }
        }
        // The split rows reuse the prefix_k checks: the same time per check.
        let whole = &rep.stats[form_index("prefix_k")];
        let per_check = whole.secs / whole.n.max(1) as f64;
        for seg in ["prefix_k:brand", "prefix_k:industry", "prefix_k:legal"] {
            let s = &mut rep.stats[form_index(seg)];
            s.secs = per_check * s.n as f64;
        }
        reports.push(rep);
    }
    let checks_secs = checks_started.elapsed().as_secs_f64();

    // Negative control: the target's name with its region replaced by that of another stored
    // company (other province/city) whose body starts with the same two characters.
    let t = Instant::now();
    let mut control = Control::default();
    for &target in &targets {
        if control.checks >= 1000 {
            break;
        }
        let c = &companies[target as usize];
        let Some(l) = &c.label else { continue };
        let Some(brand) = Oracle::Two.brand(&l.body, &empty) else {
            continue;
        };
        let elsewhere = |o: &Company, ol: &Label| {
            if tsv && !c.city.is_empty() && !o.city.is_empty() {
                (&c.province, &c.city) != (&o.province, &o.city)
            } else {
                ol.region != l.region
            }
        };
        let other = by_two.get(brand).into_iter().flatten().find(|&&o| {
            let oc = &companies[o as usize];
            oc.label.as_ref().is_some_and(|ol| {
                o != target
                    && !ol.region.is_empty()
                    && ol.region != l.region
                    && ol.body != l.body
                    && elsewhere(oc, ol)
            })
        });
        let Some(&other) = other else { continue };
        let other_region = &companies[other as usize]
            .label
            .as_ref()
            .expect("filtered on a label")
            .region;
        let typed = format!("{other_region}{}", without_region(&c.name, &l.region));
        let probe = index.probe(&typed);
        let r = check(&index, &probe);
        control.checks += 1;
        let verdict_of = |id: u32| r.matches.iter().find(|m| m.0 == id).map(|m| (m.1, m.2));
        match verdict_of(other) {
            Some((Verdict::Duplicate, score)) => {
                control.other_duplicate += 1;
                if control.examples.len() < opts.failures {
                    control.examples.push((
                        typed.clone(),
                        c.name.clone(),
                        companies[other as usize].name.clone(),
                        Verdict::Duplicate,
                        score,
                    ));
                }
            }
            Some((Verdict::Suspected, _)) => control.other_suspected += 1,
            _ => {}
        }
        match verdict_of(target) {
            Some((Verdict::Duplicate, score)) => {
                control.target_duplicate += 1;
                if std::env::var_os("NAMES_EVAL_DEBUG").is_some() {
                    eprintln!("target duplicate: {typed} → {} {score}", c.name);
                }
            }
            Some((Verdict::Suspected, _)) => control.target_suspected += 1,
            _ => {}
        }
    }
    let control_secs = t.elapsed().as_secs_f64();

    // Report.
    println!();
    println!(
        "{:<10} {:<18} {:>6} {:>7} {:>7} {:>13} {:>9} {:>9} {:>9}",
        "oracle",
        "form",
        "checks",
        "found%",
        "first%",
        "first%uniq(n)",
        "mean_ret",
        "mean_nd",
        "checks/s"
    );
    for rep in &reports {
        for (form, s) in FORMS.iter().zip(&rep.stats) {
            println!(
                "{:<10} {:<18} {:>6} {:>7} {:>7} {:>13} {:>9} {:>9} {:>9}",
                rep.oracle.as_str(),
                form,
                s.n,
                pct(ratio(s.found, s.n)),
                pct(ratio(s.first, s.n)),
                format!("{}({})", pct(ratio(s.unique_first, s.unique_n)), s.unique_n),
                num(ratio(s.returned, s.n), 2),
                num(ratio(s.non_distinct, s.n), 1),
                num((s.secs > 0.0).then(|| s.n as f64 / s.secs), 0),
            );
        }
        println!(
            "{:<10} targets labelled {}, skipped {} (no body of the oracle's shape)",
            rep.oracle.as_str(),
            rep.labelled,
            rep.skipped
        );
    }
    println!();
    println!(
        "negative control: {} checks of a target's name with another company's region (same \
         first two body characters, other province/city): other company duplicate {} (must be \
         0), suspected {}; the target itself duplicate {}, suspected {}",
        control.checks,
        control.other_duplicate,
        control.other_suspected,
        control.target_duplicate,
        control.target_suspected
    );
    for (typed, target, other, v, score) in &control.examples {
        println!(
            "  typed {typed}  (target {target})  → {other} {} {score:.4}",
            verdict_str(*v)
        );
    }

    let describe = |f: &Failure| -> String {
        let tp = &index.profile(f.target);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "  typed {:?}{}  target #{} {}",
            f.typed,
            f.note.as_ref().map_or(String::new(), |g| format!(" [{g}]")),
            f.target,
            index.names[f.target as usize]
        );
        let _ = writeln!(
            s,
            "    target: core={} industry={} key={} region={}",
            tp.name.core,
            tp.name.industry.as_deref().unwrap_or("-"),
            tp.name.key,
            region_text(tp.name.region.as_deref())
        );
        let _ = writeln!(
            s,
            "    probe:  core={} key={} region={} short={}",
            f.probe.name.core,
            f.probe.name.key,
            region_text(f.probe.name.region.as_deref()),
            f.probe.name.partial
        );
        let _ = write!(
            s,
            "    returned {} of {} non-distinct:",
            f.result.matches.len(),
            f.result.total_non_distinct
        );
        if f.result.matches.is_empty() {
            s.push_str(" nothing");
        }
        for (id, v, score) in f.result.matches.iter().take(3) {
            let _ = write!(
                s,
                " | {} {} {score:.4}",
                index.names[*id as usize],
                verdict_str(*v)
            );
        }
        s
    };
    for rep in &reports {
        for (form, fails) in FAILURE_FORMS.iter().zip(&rep.failures) {
            if fails.is_empty() {
                continue;
            }
            println!();
            println!(
                "failures {}/{} (the first {} targets not found, in draw order):",
                rep.oracle.as_str(),
                form,
                fails.len()
            );
            for f in fails {
                println!("{}", describe(f));
            }
        }
    }
    let total_secs = started.elapsed().as_secs_f64();
    println!();
    println!(
        "timings: load {load_secs:.2} s, select+label+index {index_secs:.2} s, checks \
         {checks_secs:.2} s, control {control_secs:.2} s, total {total_secs:.2} s"
    );

    if let Some(path) = &opts.json {
        let mut j = String::new();
        let _ = write!(
            j,
            "{{\"names\":{},\"rows\":{rows},\"company_like\":{},\"stored\":{},\"targets\":{},\
             \"seed\":{},\"population\":{want},\"candidates_per_key\":{},\
             \"max_matches\":{},",
            json_str(&opts.names.display().to_string()),
            company_like_n,
            opts.stored,
            opts.targets,
            opts.seed,
            Limits::default().candidates_per_key,
            Limits::default().max_matches
        );
        let _ = write!(
            j,
            "\"timings_s\":{{\"load\":{},\"index\":{},\"checks\":{},\"control\":{},\"total\":{}}},",
            json_num(Some(load_secs)),
            json_num(Some(index_secs)),
            json_num(Some(checks_secs)),
            json_num(Some(control_secs)),
            json_num(Some(total_secs))
        );
        j.push_str("\"oracles\":[");
        for (ri, rep) in reports.iter().enumerate() {
            if ri > 0 {
                j.push(',');
            }
            let _ = write!(
                j,
                "{{\"oracle\":{},\"labelled\":{},\"skipped\":{},\"forms\":[",
                json_str(rep.oracle.as_str()),
                rep.labelled,
                rep.skipped
            );
            for (fi, (form, s)) in FORMS.iter().zip(&rep.stats).enumerate() {
                if fi > 0 {
                    j.push(',');
                }
                let _ = write!(
                    j,
                    "{{\"form\":{},\"checks\":{},\"found\":{},\"first\":{},\"unique_checks\":{},\
                     \"first_when_unique\":{},\"mean_returned\":{},\"mean_non_distinct\":{},\
                     \"checks_per_s\":{}}}",
                    json_str(form),
                    s.n,
                    json_num(ratio(s.found, s.n)),
                    json_num(ratio(s.first, s.n)),
                    s.unique_n,
                    json_num(ratio(s.unique_first, s.unique_n)),
                    json_num(ratio(s.returned, s.n)),
                    json_num(ratio(s.non_distinct, s.n)),
                    json_num((s.secs > 0.0).then(|| s.n as f64 / s.secs)),
                );
            }
            j.push_str("],\"failures\":{");
            for (fi, (form, fails)) in FAILURE_FORMS.iter().zip(&rep.failures).enumerate() {
                if fi > 0 {
                    j.push(',');
                }
                let _ = write!(j, "{}:[", json_str(form));
                for (k, f) in fails.iter().enumerate() {
                    if k > 0 {
                        j.push(',');
                    }
                    let tp = &index.profile(f.target);
                    let _ = write!(
                        j,
                        "{{\"typed\":{},\"note\":{},\"target_id\":{},\"target\":{},\
                         \"target_core\":{},\"target_industry\":{},\"target_key\":{},\
                         \"target_region\":{},\"probe_core\":{},\"probe_key\":{},\
                         \"probe_region\":{},\"total_non_distinct\":{},\"top\":[",
                        json_str(&f.typed),
                        json_opt(f.note.as_deref()),
                        f.target,
                        json_str(&index.names[f.target as usize]),
                        json_str(&tp.name.core),
                        json_opt(tp.name.industry.as_deref()),
                        json_str(&tp.name.key),
                        json_opt(tp.name.region.as_deref()),
                        json_str(&f.probe.name.core),
                        json_str(&f.probe.name.key),
                        json_opt(f.probe.name.region.as_deref()),
                        f.result.total_non_distinct
                    );
                    for (m, (id, v, score)) in f.result.matches.iter().take(3).enumerate() {
                        if m > 0 {
                            j.push(',');
                        }
                        let _ = write!(
                            j,
                            "{{\"id\":{id},\"name\":{},\"verdict\":{},\"score\":{}}}",
                            json_str(&index.names[*id as usize]),
                            json_str(verdict_str(*v)),
                            json_num(Some(*score))
                        );
                    }
                    j.push_str("]}");
                }
                j.push(']');
            }
            j.push_str("}}");
        }
        let _ = write!(
            j,
            "],\"negative_control\":{{\"checks\":{},\"other_duplicate\":{},\
             \"other_suspected\":{},\"target_duplicate\":{},\"target_suspected\":{},\
             \"duplicate_examples\":[",
            control.checks,
            control.other_duplicate,
            control.other_suspected,
            control.target_duplicate,
            control.target_suspected
        );
        for (k, (typed, target, other, _, score)) in control.examples.iter().enumerate() {
            if k > 0 {
                j.push(',');
            }
            let _ = write!(
                j,
                "{{\"typed\":{},\"target\":{},\"other\":{},\"score\":{}}}",
                json_str(typed),
                json_str(target),
                json_str(other),
                json_num(Some(*score))
            );
        }
        j.push_str("]}}");
        j.push('\n');
        std::fs::write(path, j).with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(name: &str) -> Option<(String, String, String)> {
        label(&fold(name)).map(|l| (l.region, l.body, l.legal))
    }

    #[test]
    fn labels() {
        let s = |a: &str, b: &str, c: &str| Some((a.into(), b.into(), c.into()));
        assert_eq!(
            split("广东省深圳市南山区华信科技有限公司"),
            s("广东省深圳市南山区", "华信科技", "有限公司")
        );
        assert_eq!(
            split("北京字节跳动科技有限公司"),
            s("北京", "字节跳动科技", "有限公司")
        );
        assert_eq!(
            split("浙江省长兴县和平镇阳光纺织厂"),
            s("浙江省长兴县和平镇", "阳光纺织", "厂")
        );
        assert_eq!(
            split("苏州工业园区星河电子股份有限公司"),
            s("苏州工业园区", "星河电子", "股份有限公司")
        );
        assert_eq!(split("阳光集团有限公司"), s("", "阳光", "集团有限公司"));
        assert_eq!(split("北京有限公司"), None);
    }

    #[test]
    fn selection_and_brands() {
        assert!(company_like("北京字节跳动科技有限公司"));
        assert!(!company_like("中国银行北京分行"));
        assert!(!company_like("字节跳动"));
        let sf: HashSet<String> = ["字节跳动", "字节"].iter().map(|s| s.to_string()).collect();
        assert_eq!(Oracle::Two.brand("字节跳动科技", &sf), Some("字节"));
        assert_eq!(
            Oracle::Shortform.brand("字节跳动科技", &sf),
            Some("字节跳动")
        );
        assert_eq!(Oracle::Shortform.brand("字节跳动", &sf), Some("字节"));
        assert_eq!(Oracle::Two.brand("华信", &sf), None);
        assert_eq!(
            without_region("广东省深圳市华信科技有限公司", "广东省深圳市"),
            "华信科技有限公司"
        );
    }
}
