//! Real company names, typed the way reps start typing them: the registered names and stock
//! short names of 310 listed companies (`tests/data/real_names.tsv`, from the exchanges'
//! listed-company directories), each stored among 20,000 other companies, then checked with
//! the brand alone, the region and the brand, the brand and the first two characters of its
//! industry, the name without its region, the stock short name, and every start of the name
//! from the brand's second character. The live check must list the company (as at least
//! suspected) in at least 95 % of the checks of each form, first whenever nothing else stored
//! begins with what was typed.

use std::collections::BTreeMap;

use leadguard_datagen::Generator;
use leadguard_domain::customer::CustomerFields;
use leadguard_matching::live::{Limits, MemoryIndex};
use leadguard_matching::{Matcher, Profile, Verdict, WeightedMatcher};

struct Real {
    full: String,
    short: String,
    region: String,
    brand: String,
    industry: String,
}

fn real_names() -> Vec<Real> {
    include_str!("data/real_names.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 5, "{l}");
            Real {
                full: f[0].into(),
                short: f[1].into(),
                region: f[2].into(),
                brand: f[3].into(),
                industry: f[4].into(),
            }
        })
        .collect()
}

fn company(name: &str) -> CustomerFields {
    CustomerFields {
        name: name.into(),
        ..Default::default()
    }
}

#[derive(Default, Debug)]
struct Tally {
    checks: usize,
    found: usize,
    unique: usize,
    unique_first: usize,
    returned: usize,
    misses: Vec<String>,
}

#[test]
fn real_names_are_found_however_a_rep_starts_typing_them() {
    let matcher = WeightedMatcher::default();
    let real = real_names();
    let mut index = MemoryIndex::new();
    // The real companies among 20,000 others, each stored by one rep (name, phones, address
    // as generated), the real ones in between.
    let generator = Generator::new(7);
    let mut targets = Vec::new();
    let every = 20_000 / real.len();
    for i in 0..20_000 {
        index.insert(matcher.profile_lenient(&generator.company(i)).0);
        if i % every == 0
            && let Some(r) = real.get(i / every)
        {
            targets.push((
                index.insert(matcher.profile_lenient(&company(&r.full)).0),
                r,
            ));
        }
    }
    matcher.set_population(index.len() as u64);
    // Does anything else stored begin with what was typed (after its region)?
    let tails: Vec<String> = (0..index.len() as u32)
        .map(|id| index.profile(id).name.tail.clone())
        .collect();
    let unique = |id: u32, typed: &Profile| {
        let t = &typed.name.tail;
        !tails
            .iter()
            .enumerate()
            .any(|(i, other)| i as u32 != id && other.starts_with(t.as_str()))
    };

    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut check = |form: &'static str, id: u32, typed: &str| {
        let probe = matcher.profile_lenient(&company(typed)).0;
        let found = index.check(&matcher, &probe, Limits::default());
        let tally = tallies.entry(form).or_default();
        tally.checks += 1;
        tally.returned += found.hits.len();
        let hit = found.hits.iter().position(|h| h.id == id);
        match hit {
            Some(_) => tally.found += 1,
            None => tally
                .misses
                .push(format!("{typed} → {}", index.profile(id).name.folded)),
        }
        if let Some(h) = hit {
            assert!(found.hits[h].comparison.verdict >= Verdict::Suspected);
        }
        if unique(id, &probe) {
            tally.unique += 1;
            if hit == Some(0) {
                tally.unique_first += 1;
            } else {
                tally.misses.push(format!("{typed} → not first"));
            }
        }
    };
    for (id, r) in &targets {
        let id = *id;
        check("brand", id, &r.brand);
        check("short name", id, &r.short);
        if !r.region.is_empty() {
            check("region + brand", id, &format!("{}{}", r.region, r.brand));
            check("without region", id, &r.full[r.region.len()..]);
        }
        if r.industry.chars().count() >= 2 {
            let two: String = r.industry.chars().take(2).collect();
            check("brand + industry", id, &format!("{}{two}", r.brand));
        }
        // Every start of the name, from the brand's second character.
        let from = r.region.chars().count() + 2;
        let chars: Vec<char> = r.full.chars().collect();
        for end in from..=chars.len() {
            check("typing", id, &chars[..end].iter().collect::<String>());
        }
    }
    let mut report = String::new();
    for (form, t) in &tallies {
        report.push_str(&format!(
            "{form}: {} of {} found, first {} of {} unique, {:.1} listed on average; misses: {:?}\n",
            t.found,
            t.checks,
            t.unique_first,
            t.unique,
            t.returned as f64 / t.checks as f64,
            t.misses.iter().take(if std::env::var("ALL_MISSES").is_ok() { 1000 } else { 8 }).collect::<Vec<_>>()
        ));
    }
    println!("{report}");
    for (form, t) in &tallies {
        assert!(
            t.found * 100 >= t.checks * 95,
            "{form}: found {} of {}\n{report}",
            t.found,
            t.checks
        );
        // A stock short name is often the brand with other words (海天味业, 中科曙光): what
        // begins with it is no measure of how many companies it may name.
        if *form == "short name" {
            continue;
        }
        assert!(
            t.unique_first * 100 >= t.unique * 95,
            "{form}: first {} of {} unique\n{report}",
            t.unique_first,
            t.unique
        );
        assert!(t.returned <= t.checks * 10);
    }
}
