//! Assignment rules (分配规则): which inbound lead goes to which rep, by transparent rules. The
//! rules, the strategies and the explanations are pure; the state they need (round-robin
//! positions, loads, track records) is handed in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Id;

/// How a rule picks a rep among the eligible ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// In turn (轮转), each eligible rep once per round.
    RoundRobin,
    /// In turn, each rep as often as their weight (smooth weighted round-robin).
    Weighted,
    /// The rep with the lowest load: owned customers against their cap.
    LeastLoaded,
    /// The rep with the best record in the lead's industry and region.
    BestMatch,
    /// The most senior available rep: the rule's reps are listed by seniority.
    Priority,
}

impl Strategy {
    pub const ALL: [Strategy; 5] = [
        Strategy::RoundRobin,
        Strategy::Weighted,
        Strategy::LeastLoaded,
        Strategy::BestMatch,
        Strategy::Priority,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::RoundRobin => "round_robin",
            Strategy::Weighted => "weighted",
            Strategy::LeastLoaded => "least_loaded",
            Strategy::BestMatch => "best_match",
            Strategy::Priority => "priority",
        }
    }

    pub fn parse(s: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Strategy::RoundRobin => "轮转",
            Strategy::Weighted => "加权轮转",
            Strategy::LeastLoaded => "最少负载",
            Strategy::BestMatch => "最佳匹配",
            Strategy::Priority => "优先级",
        }
    }
}

/// Conditions of a rule; all given ones must hold (an absent one always holds). Lists match
/// any of their values, compared after trimming and ignoring case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Vec<String>>,
    /// The lead must carry at least one of these tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Estimated value (yuan) at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_value: Option<f64>,
    /// Estimated value below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_value: Option<f64>,
}

/// What rules look at in a lead.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadFacts {
    pub province: Option<String>,
    pub city: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub source: Option<String>,
    pub language: Option<String>,
    pub tags: Vec<String>,
    pub value: Option<f64>,
}

fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Region names compare without their administrative suffix: 广东 = 广东省, 深圳 = 深圳市.
fn fold_region(s: &str) -> String {
    let f = fold(s);
    for suffix in ["省", "市", "自治区", "特别行政区", "维吾尔", "壮族", "回族"] {
        if let Some(stripped) = f.strip_suffix(suffix)
            && !stripped.is_empty()
        {
            return fold_region(stripped);
        }
    }
    f
}

fn one_of(list: &Option<Vec<String>>, value: &Option<String>, region: bool) -> bool {
    let Some(list) = list else { return true };
    let Some(v) = value else { return false };
    let f = if region { fold_region } else { fold };
    let v = f(v);
    list.iter().any(|x| f(x) == v)
}

impl Conditions {
    pub fn matches(&self, lead: &LeadFacts) -> bool {
        one_of(&self.province, &lead.province, true)
            && one_of(&self.city, &lead.city, true)
            && one_of(&self.industry, &lead.industry, false)
            && one_of(&self.size, &lead.size, false)
            && one_of(&self.source, &lead.source, false)
            && one_of(&self.language, &lead.language, false)
            && self.tags.as_ref().is_none_or(|tags| {
                lead.tags
                    .iter()
                    .any(|t| tags.iter().any(|x| fold(x) == fold(t)))
            })
            && self
                .min_value
                .is_none_or(|min| lead.value.is_some_and(|v| v >= min))
            && self
                .max_value
                .is_none_or(|max| lead.value.is_some_and(|v| v < max))
    }

    /// Why these conditions can never hold, if so (each message names the field).
    pub fn contradictions(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (field, list) in [
            ("province", &self.province),
            ("city", &self.city),
            ("industry", &self.industry),
            ("size", &self.size),
            ("source", &self.source),
            ("language", &self.language),
            ("tags", &self.tags),
        ] {
            if let Some(l) = list {
                if l.is_empty() {
                    out.push((
                        field,
                        format!("`{field}` is an empty list: no lead can match it (leave it out to match any)"),
                    ));
                } else if l.iter().any(|v| v.trim().is_empty()) {
                    out.push((field, format!("`{field}` contains an empty value")));
                }
            }
        }
        for (field, v) in [("min_value", self.min_value), ("max_value", self.max_value)] {
            if let Some(v) = v
                && (!v.is_finite() || v < 0.0)
            {
                out.push((field, format!("`{field}` must be a number ≥ 0")));
            }
        }
        if let (Some(min), Some(max)) = (self.min_value, self.max_value)
            && min >= max
        {
            out.push((
                "max_value",
                format!("min_value {min} ≥ max_value {max}: no value lies between"),
            ));
        }
        out
    }

    /// A short Chinese summary, e.g. `省份 浙江/江苏，规模 小型，金额 ≥ 100000`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for (label, list) in [
            ("省份", &self.province),
            ("城市", &self.city),
            ("行业", &self.industry),
            ("规模", &self.size),
            ("来源", &self.source),
            ("语言", &self.language),
            ("标签", &self.tags),
        ] {
            if let Some(l) = list {
                parts.push(format!("{label} {}", l.join("/")));
            }
        }
        if let Some(v) = self.min_value {
            parts.push(format!("金额 ≥ {v}"));
        }
        if let Some(v) = self.max_value {
            parts.push(format!("金额 < {v}"));
        }
        if parts.is_empty() {
            "所有线索".to_string()
        } else {
            parts.join("，")
        }
    }
}

/// One candidate rep as the strategies see them.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub user_id: Id,
    pub name: String,
    /// Customers owned now, and the most allowed.
    pub owned: u64,
    pub cap: u32,
    pub weight: u32,
    /// Smooth weighted round-robin state (persisted per rule and rep).
    pub current: i64,
    /// best_match: owned customers in the lead's industry / province, deals won / closed.
    pub same_industry: u64,
    pub same_province: u64,
    pub won: u64,
    pub closed: u64,
}

impl Candidate {
    fn load(&self) -> f64 {
        if self.cap == 0 {
            f64::INFINITY
        } else {
            self.owned as f64 / f64::from(self.cap)
        }
    }

    fn win_rate(&self) -> f64 {
        if self.closed == 0 {
            0.0
        } else {
            self.won as f64 / self.closed as f64
        }
    }

    /// best_match score: expertise in the industry and region, and the record of winning.
    fn match_score(&self) -> f64 {
        2.0 * (self.same_industry as f64).ln_1p()
            + (self.same_province as f64).ln_1p()
            + 2.0 * self.win_rate()
    }
}

/// The choice of a strategy: the index of the chosen candidate, the new round-robin state of
/// every candidate (weighted strategies), and why, in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    pub index: usize,
    pub currents: Vec<i64>,
    pub why: String,
}

/// Picks among `candidates` (eligible ones only, in the rule's order). `None` when empty.
pub fn pick(strategy: Strategy, candidates: &[Candidate]) -> Option<Pick> {
    if candidates.is_empty() {
        return None;
    }
    let currents: Vec<i64> = candidates.iter().map(|c| c.current).collect();
    match strategy {
        Strategy::RoundRobin | Strategy::Weighted => {
            // Smooth weighted round-robin (as nginx): every rep gains their weight, the one
            // with the most is chosen and pays back the total. Over a round of total-weight
            // picks each rep is chosen exactly `weight` times, evenly spread.
            let weights: Vec<i64> = candidates
                .iter()
                .map(|c| {
                    if strategy == Strategy::RoundRobin {
                        1
                    } else {
                        i64::from(c.weight.max(1))
                    }
                })
                .collect();
            let total: i64 = weights.iter().sum();
            let mut next: Vec<i64> = currents.iter().zip(&weights).map(|(c, w)| c + w).collect();
            let index = (0..next.len())
                .max_by(|&a, &b| next[a].cmp(&next[b]).then(b.cmp(&a)))
                .unwrap_or(0);
            next[index] -= total;
            let why = if strategy == Strategy::Weighted {
                format!("权重 {}/{}", weights[index], total)
            } else {
                String::new()
            };
            Some(Pick {
                index,
                currents: next,
                why,
            })
        }
        Strategy::LeastLoaded => {
            let index = (0..candidates.len())
                .min_by(|&a, &b| {
                    candidates[a]
                        .load()
                        .total_cmp(&candidates[b].load())
                        .then(candidates[a].owned.cmp(&candidates[b].owned))
                        .then(a.cmp(&b))
                })
                .unwrap_or(0);
            let c = &candidates[index];
            Some(Pick {
                index,
                currents,
                why: format!("负载 {}/{}", c.owned, c.cap),
            })
        }
        Strategy::BestMatch => {
            let index = (0..candidates.len())
                .max_by(|&a, &b| {
                    candidates[a]
                        .match_score()
                        .total_cmp(&candidates[b].match_score())
                        // Equal records: the less loaded, then the earlier listed.
                        .then(candidates[b].load().total_cmp(&candidates[a].load()))
                        .then(b.cmp(&a))
                })
                .unwrap_or(0);
            let c = &candidates[index];
            Some(Pick {
                index,
                currents,
                why: format!(
                    "同行业客户 {}，同省客户 {}，赢单率 {:.0}%",
                    c.same_industry,
                    c.same_province,
                    c.win_rate() * 100.0
                ),
            })
        }
        Strategy::Priority => Some(Pick {
            index: 0,
            currents,
            why: "按资历排序的第一位可用销售".to_string(),
        }),
    }
}

/// Why a rep cannot take a lead now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    Inactive,
    OnLeave,
    AtCap,
}

impl Skip {
    pub fn label_zh(self) -> &'static str {
        match self {
            Skip::Inactive => "已停用",
            Skip::OnLeave => "休假中",
            Skip::AtCap => "已达上限",
        }
    }
}

/// `规则 3 华东中小企业 → 轮转 → 李四 (上一位: 王五；跳过: 赵六 休假中)`.
pub fn explain(
    position: i64,
    rule_name: &str,
    strategy: Strategy,
    chosen: &str,
    previous: Option<&str>,
    why: &str,
    skipped: &BTreeMap<String, Skip>,
) -> String {
    let mut notes = Vec::new();
    if matches!(strategy, Strategy::RoundRobin | Strategy::Weighted) {
        notes.push(format!("上一位: {}", previous.unwrap_or("无")));
    }
    if !why.is_empty() {
        notes.push(why.to_string());
    }
    if !skipped.is_empty() {
        notes.push(format!(
            "跳过: {}",
            skipped
                .iter()
                .map(|(n, s)| format!("{n} {}", s.label_zh()))
                .collect::<Vec<_>>()
                .join("、")
        ));
    }
    format!(
        "规则 {position} {rule_name} → {} → {chosen} ({})",
        strategy.label_zh(),
        notes.join("；")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: Id, weight: u32) -> Candidate {
        Candidate {
            user_id: id,
            name: format!("rep{id}"),
            owned: 0,
            cap: 100,
            weight,
            current: 0,
            same_industry: 0,
            same_province: 0,
            won: 0,
            closed: 0,
        }
    }

    fn run(strategy: Strategy, mut cs: Vec<Candidate>, n: usize) -> Vec<Id> {
        let mut out = Vec::new();
        for _ in 0..n {
            let p = pick(strategy, &cs).unwrap();
            out.push(cs[p.index].user_id);
            for (c, cur) in cs.iter_mut().zip(p.currents) {
                c.current = cur;
            }
        }
        out
    }

    #[test]
    fn round_robin_takes_turns() {
        let order = run(
            Strategy::RoundRobin,
            vec![cand(1, 5), cand(2, 1), cand(3, 1)],
            6,
        );
        assert_eq!(order, vec![1, 2, 3, 1, 2, 3]);
    }

    #[test]
    fn weighted_gives_each_their_weight_evenly_spread() {
        let order = run(
            Strategy::Weighted,
            vec![cand(1, 5), cand(2, 1), cand(3, 1)],
            7,
        );
        assert_eq!(order.iter().filter(|&&x| x == 1).count(), 5);
        assert_eq!(order, vec![1, 1, 2, 1, 3, 1, 1]);
    }

    #[test]
    fn least_loaded_and_best_match() {
        let mut a = cand(1, 1);
        a.owned = 50;
        let mut b = cand(2, 1);
        b.owned = 20;
        b.cap = 20;
        let mut c = cand(3, 1);
        c.owned = 30;
        let p = pick(Strategy::LeastLoaded, &[a.clone(), b.clone(), c.clone()]).unwrap();
        assert_eq!(p.index, 2, "30/100 is lighter than 50/100 and 20/20");
        c.same_industry = 0;
        a.same_industry = 12;
        a.won = 3;
        a.closed = 4;
        let p = pick(Strategy::BestMatch, &[c, a]).unwrap();
        assert_eq!(p.index, 1);
        assert!(p.why.contains("75%"), "{}", p.why);
    }

    #[test]
    fn conditions_match_and_contradictions_are_named() {
        let c = Conditions {
            province: Some(vec!["浙江省".into(), "江苏".into()]),
            size: Some(vec!["small".into()]),
            min_value: Some(100_000.0),
            ..Default::default()
        };
        let lead = LeadFacts {
            province: Some("浙江".into()),
            size: Some("Small".into()),
            value: Some(200_000.0),
            ..Default::default()
        };
        assert!(c.matches(&lead));
        assert!(!c.matches(&LeadFacts {
            value: Some(99_999.0),
            ..lead.clone()
        }));
        assert!(!c.matches(&LeadFacts {
            province: None,
            ..lead
        }));
        let bad = Conditions {
            industry: Some(vec![]),
            min_value: Some(10.0),
            max_value: Some(5.0),
            ..Default::default()
        };
        let fields: Vec<&str> = bad.contradictions().into_iter().map(|c| c.0).collect();
        assert_eq!(fields, vec!["industry", "max_value"]);
    }

    #[test]
    fn explanation_reads_like_the_rule() {
        let mut skipped = BTreeMap::new();
        skipped.insert("赵六".to_string(), Skip::OnLeave);
        assert_eq!(
            explain(
                3,
                "华东中小企业",
                Strategy::RoundRobin,
                "李四",
                Some("王五"),
                "",
                &skipped
            ),
            "规则 3 华东中小企业 → 轮转 → 李四 (上一位: 王五；跳过: 赵六 休假中)"
        );
    }
}
