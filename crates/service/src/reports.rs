//! Reports for a period: collisions (撞单) blocked and arbitrated, the fairness of assignment,
//! and the health of the public pool. As JSON, and as tables for CSV and XLSX.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Timelike};
use leadguard_domain::assignment::Strategy;
use leadguard_domain::audit::rules;
use leadguard_domain::report::{gini, median, round};
use leadguard_domain::user::{Role, User};
use leadguard_domain::{Id, Timestamp};
use leadguard_tabular::{Cell, Sheet};
use serde::{Deserialize, Serialize};

use crate::Service;
use crate::error::{Result, ServiceError};

/// Reps blocked at least this often in a period are listed as repeat offenders.
const REPEAT_OFFENDER_MIN: u64 = 2;
/// The weekly report goes out on Mondays from this hour (Beijing time).
const WEEKLY_REPORT_HOUR: u32 = 9;
/// Default period length, in days, ending today.
const DEFAULT_DAYS: i64 = 7;

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// First day, `YYYY-MM-DD` (Beijing time); default: six days before `to`.
    pub from: Option<String>,
    /// Last day, inclusive; default: today.
    pub to: Option<String>,
    /// Only this team's reps (managers always see their own team).
    pub team: Option<String>,
}

/// A count under a key (a rep, a team, a channel, a reason, a day).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Count {
    pub key: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollisionReport {
    /// Entries refused as duplicates (撞单 prevented).
    pub blocked: u64,
    /// By the rep who tried to enter the customer.
    pub blocked_by_rep: Vec<Count>,
    pub blocked_by_team: Vec<Count>,
    /// By the entry's source (channel); `未填写` when none was given.
    pub blocked_by_channel: Vec<Count>,
    /// By the strongest evidence: `phone`, `email`, `credit_code`, `name`, …
    pub blocked_by_reason: Vec<Count>,
    /// By day (Beijing), every day of the period: the trend.
    pub blocked_by_day: Vec<Count>,
    pub cases_opened: u64,
    pub cases_by_origin: Vec<Count>,
    pub cases_decided: u64,
    pub decided_first_come: u64,
    pub decided_overruled: u64,
    /// Median hours from opening to decision, of the cases decided in the period.
    pub median_hours_to_decide: Option<f64>,
    /// Reps blocked at least twice in the period.
    pub repeat_offenders: Vec<Count>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepShare {
    pub username: String,
    pub display_name: String,
    pub team: Option<String>,
    /// Leads the rules gave this rep in the period.
    pub leads: u64,
    /// What the rules that ran would give them if every rep had been available: an equal
    /// share of each rule's leads (weighted rules: by weight).
    pub target: f64,
    /// `leads - target`.
    pub deviation: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FairnessReport {
    /// Leads taken in (new, duplicates, pool matches).
    pub leads: u64,
    pub assigned: u64,
    pub to_pool: u64,
    /// Leads that matched an owned customer and went to its owner.
    pub duplicates: u64,
    pub per_rep: Vec<RepShare>,
    /// Gini coefficient of leads per rep (0: perfectly even, toward 1: all to one).
    pub gini: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PoolReport {
    /// Customers in the pool now.
    pub size: u64,
    /// Days since they went to the pool (now).
    pub median_age_days: Option<f64>,
    pub oldest_age_days: Option<f64>,
    pub claims: u64,
    pub releases: u64,
    pub recycles: u64,
    pub warnings: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub team: Option<String>,
    pub collisions: CollisionReport,
    pub fairness: FairnessReport,
    pub pool: PoolReport,
}

fn counts(map: BTreeMap<String, u64>) -> Vec<Count> {
    let mut v: Vec<Count> = map
        .into_iter()
        .map(|(key, count)| Count { key, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
    v
}

fn parse_day(field: &str, s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        ServiceError::invalid(
            field,
            "invalid_date",
            format!("“{s}” is not a date like 2026-03-02"),
        )
    })
}

impl Service {
    fn day_start(&self, d: NaiveDate) -> Timestamp {
        let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        self.config
            .day_offset
            .from_local_datetime(&midnight)
            .single()
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_else(|| self.now())
    }

    fn local_day(&self, t: Timestamp) -> NaiveDate {
        t.with_timezone(&self.config.day_offset).date_naive()
    }

    /// `GET /reports`: admins (any team, or all) and managers (their team).
    pub async fn report(&self, actor: &User, q: ReportQuery) -> Result<Report> {
        let team = match actor.role {
            Role::Admin => q
                .team
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty()),
            Role::Manager => actor.team.clone(),
            Role::Rep => {
                return Err(ServiceError::forbidden(
                    "只有经理和管理员可以查看报表 / reports are for managers and admins",
                ));
            }
        };
        let today = self.local_day(self.now());
        let to = match &q.to {
            Some(s) => parse_day("to", s)?,
            None => today,
        };
        let from = match &q.from {
            Some(s) => parse_day("from", s)?,
            None => to - Duration::days(DEFAULT_DAYS - 1),
        };
        if from > to {
            return Err(ServiceError::invalid(
                "from",
                "empty_period",
                format!("from {from} is after to {to}"),
            ));
        }
        if (to - from).num_days() > 3660 {
            return Err(ServiceError::invalid(
                "from",
                "period_too_long",
                "a report covers at most ten years",
            ));
        }
        let (start, end) = (self.day_start(from), self.day_start(to + Duration::days(1)));

        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        let users: HashMap<Id, User> = exec
            .list_users(None)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        if let Some(t) = &team
            && exec.team_by_name(t).await?.is_none()
        {
            return Err(ServiceError::NotFound { what: "team" });
        }
        let in_scope = |id: Option<Id>| -> bool {
            match &team {
                None => true,
                Some(t) => id
                    .and_then(|i| users.get(&i))
                    .is_some_and(|u| u.team.as_deref() == Some(t.as_str())),
            }
        };
        let name = |id: Option<Id>| -> String {
            id.and_then(|i| users.get(&i))
                .map(|u| u.username.clone())
                .unwrap_or_else(|| "—".into())
        };

        // Collisions prevented and arbitrated.
        let mut by_rep = BTreeMap::new();
        let mut by_team = BTreeMap::new();
        let mut by_channel = BTreeMap::new();
        let mut by_reason = BTreeMap::new();
        let mut by_day: BTreeMap<String, u64> = BTreeMap::new();
        let mut d = from;
        while d <= to {
            by_day.insert(d.to_string(), 0);
            d += Duration::days(1);
        }
        let mut blocked = 0;
        for e in exec.events_between("duplicate.blocked", start, end).await? {
            if !in_scope(e.actor_id) {
                continue;
            }
            blocked += 1;
            let data: serde_json::Value = serde_json::from_str(&e.data).unwrap_or_default();
            *by_rep.entry(name(e.actor_id)).or_insert(0) += 1;
            let team_name = e
                .actor_id
                .and_then(|i| users.get(&i))
                .and_then(|u| u.team.clone())
                .unwrap_or_else(|| "无团队".into());
            *by_team.entry(team_name).or_insert(0) += 1;
            let channel = data["source"].as_str().unwrap_or("未填写").to_string();
            *by_channel.entry(channel).or_insert(0) += 1;
            let reason = data["reason"].as_str().unwrap_or("other").to_string();
            *by_reason.entry(reason).or_insert(0) += 1;
            *by_day.entry(self.local_day(e.at).to_string()).or_insert(0) += 1;
        }
        let repeat_offenders = counts(
            by_rep
                .iter()
                .filter(|(_, n)| **n >= REPEAT_OFFENDER_MIN)
                .map(|(k, n)| (k.clone(), *n))
                .collect(),
        );
        let mut cases_opened = 0;
        let mut by_origin = BTreeMap::new();
        let mut decided = 0;
        let mut first_come = 0;
        let mut overruled = 0;
        let mut hours = Vec::new();
        let team_id = match &team {
            Some(t) => exec.team_by_name(t).await?.map(|t| t.id),
            None => None,
        };
        for c in exec.cases_between(start, end).await? {
            let ours = team.is_none()
                || (team_id.is_some() && c.team_id == team_id)
                || in_scope(Some(c.first_user_id))
                || in_scope(Some(c.second_user_id));
            if !ours {
                continue;
            }
            if c.opened_at >= start && c.opened_at < end {
                cases_opened += 1;
                *by_origin.entry(c.origin.clone()).or_insert(0) += 1;
            }
            if let Some(at) = c.decided_at
                && at >= start
                && at < end
            {
                decided += 1;
                match c.decision_rule.as_deref() {
                    Some(rules::COLLISION_FIRST_COME) => first_come += 1,
                    _ => overruled += 1,
                }
                hours.push((at - c.opened_at).num_seconds() as f64 / 3600.0);
            }
        }
        let collisions = CollisionReport {
            blocked,
            blocked_by_rep: counts(by_rep),
            blocked_by_team: counts(by_team),
            blocked_by_channel: counts(by_channel),
            blocked_by_reason: counts(by_reason),
            blocked_by_day: by_day
                .into_iter()
                .map(|(key, count)| Count { key, count })
                .collect(),
            cases_opened,
            cases_by_origin: counts(by_origin),
            cases_decided: decided,
            decided_first_come: first_come,
            decided_overruled: overruled,
            median_hours_to_decide: median(&hours).map(|h| round(h, 2)),
            repeat_offenders,
        };

        // Fairness of assignment.
        let decisions = exec.decisions_between(start, end).await?;
        let mut leads_per_rep: HashMap<Id, u64> = HashMap::new();
        let mut leads_per_rule: HashMap<Id, u64> = HashMap::new();
        let (mut assigned, mut to_pool, mut duplicates, mut leads) = (0, 0, 0, 0);
        for d in &decisions {
            if team.is_some() && d.user_id.is_some() && !in_scope(d.user_id) {
                continue;
            }
            leads += 1;
            match d.outcome.as_str() {
                "assigned" | "pool_routed" => {
                    assigned += 1;
                    if let Some(u) = d.user_id {
                        *leads_per_rep.entry(u).or_insert(0) += 1;
                    }
                    if let Some(r) = d.rule_id {
                        *leads_per_rule.entry(r).or_insert(0) += 1;
                    }
                }
                "pool" => to_pool += 1,
                _ => duplicates += 1,
            }
        }
        let team_names: HashMap<Id, String> = exec
            .list_teams()
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
        let mut targets: HashMap<Id, f64> = HashMap::new();
        for (rule_id, n) in &leads_per_rule {
            let Some(rule) = exec.rule(*rule_id).await? else {
                continue;
            };
            // A team target: its reps as they are now.
            let reps: Vec<Id> = match rule.team_id {
                Some(t) => users
                    .values()
                    .filter(|u| u.role == Role::Rep && u.team.as_ref() == team_names.get(&t))
                    .map(|u| u.id)
                    .collect(),
                None => serde_json::from_str(&rule.reps).unwrap_or_default(),
            };
            let weights: BTreeMap<Id, u32> =
                serde_json::from_str(&rule.weights).unwrap_or_default();
            let weighted = Strategy::parse(&rule.strategy) == Some(Strategy::Weighted);
            let w = |id: &Id| {
                if weighted {
                    f64::from(weights.get(id).copied().unwrap_or(1))
                } else {
                    1.0
                }
            };
            let total: f64 = reps.iter().map(w).sum();
            if total > 0.0 {
                for r in &reps {
                    *targets.entry(*r).or_insert(0.0) += *n as f64 * w(r) / total;
                }
            }
        }
        let mut rep_ids: Vec<Id> = leads_per_rep
            .keys()
            .chain(targets.keys())
            .copied()
            .filter(|id| in_scope(Some(*id)))
            .collect();
        rep_ids.sort();
        rep_ids.dedup();
        let mut per_rep: Vec<RepShare> = rep_ids
            .iter()
            .filter_map(|id| users.get(id))
            .map(|u| {
                let got = leads_per_rep.get(&u.id).copied().unwrap_or(0);
                let target = round(targets.get(&u.id).copied().unwrap_or(0.0), 2);
                RepShare {
                    username: u.username.clone(),
                    display_name: u.display_name.clone(),
                    team: u.team.clone(),
                    leads: got,
                    target,
                    deviation: round(got as f64 - target, 2),
                }
            })
            .collect();
        per_rep.sort_by(|a, b| b.leads.cmp(&a.leads).then(a.username.cmp(&b.username)));
        let amounts: Vec<f64> = per_rep.iter().map(|r| r.leads as f64).collect();
        let fairness = FairnessReport {
            leads,
            assigned,
            to_pool,
            duplicates,
            gini: round(gini(&amounts), 4),
            per_rep,
        };

        // The pool now, and its movements in the period.
        let now = self.now();
        let ages: Vec<f64> = exec
            .pool_facts()
            .await?
            .iter()
            .map(|p| (now - p.pooled_at.unwrap_or(p.created_at)).num_seconds() as f64 / 86400.0)
            .collect();
        let moves: HashMap<String, i64> =
            exec.audit_counts(start, end).await?.into_iter().collect();
        let moved = |a: &str| moves.get(a).copied().unwrap_or(0).max(0) as u64;
        let warnings = exec
            .events_between("customer.recycle_warning", start, end)
            .await?
            .iter()
            .filter(|e| in_scope(e.owner_id))
            .count() as u64;
        let pool = PoolReport {
            size: ages.len() as u64,
            median_age_days: median(&ages).map(|d| round(d, 1)),
            oldest_age_days: ages.iter().copied().reduce(f64::max).map(|d| round(d, 1)),
            claims: moved("claimed"),
            releases: moved("released"),
            recycles: moved("recycled"),
            warnings,
        };
        Ok(Report {
            from,
            to,
            team,
            collisions,
            fairness,
            pool,
        })
    }
}

impl Service {
    /// Sends last week's report (Monday to Sunday, Beijing time) as a `report.weekly` event,
    /// once it is Monday 09:00 or later; to webhooks and admins' live stream. Several processes
    /// may call this: the database lets one of them send each week's report. Returns the
    /// event id when this call sent it.
    pub async fn send_weekly_report(&self) -> Result<Option<Id>> {
        let now = self.now();
        let local = now.with_timezone(&self.config.day_offset);
        if local.hour() < WEEKLY_REPORT_HOUR && local.weekday() == chrono::Weekday::Mon {
            return Ok(None);
        }
        let this_monday =
            local.date_naive() - Duration::days(i64::from(local.weekday().num_days_from_monday()));
        let (from, to) = (
            this_monday - Duration::days(7),
            this_monday - Duration::days(1),
        );
        let system = self.system_user().await?;
        let actor = {
            let mut conn = self.store.read().await?;
            conn.exec()
                .user_by_id(system)
                .await?
                .ok_or(ServiceError::NotFound { what: "user" })?
        };
        let report = self
            .report(
                &actor,
                ReportQuery {
                    from: Some(from.to_string()),
                    to: Some(to.to_string()),
                    team: None,
                },
            )
            .await?;
        let mut tx = self.store.begin().await?;
        if !tx
            .exec()
            .claim_scheduled_report("weekly", &from.to_string(), now)
            .await?
        {
            return Ok(None);
        }
        let c = &report.collisions;
        let data = serde_json::json!({
            "period": format!("{from} – {to}"),
            "from": from,
            "to": to,
            "blocked": c.blocked,
            "cases_opened": c.cases_opened,
            "cases_decided": c.cases_decided,
            "median_hours_to_decide": c.median_hours_to_decide,
            "repeat_offenders": c.repeat_offenders,
            "leads_assigned": report.fairness.assigned,
            "gini": report.fairness.gini,
            "pool_size": report.pool.size,
            "claims": report.pool.claims,
            "recycles": report.pool.recycles,
        });
        let id = self
            .emit(
                &mut tx.exec(),
                leadguard_domain::event::EventType::ReportWeekly,
                None,
                Some(system),
                None,
                &[],
                data,
            )
            .await?;
        tx.commit().await?;
        tracing::info!(%from, %to, "weekly report sent");
        Ok(Some(id))
    }
}

impl Report {
    /// The report as tables: one per section, for CSV and XLSX.
    pub fn sheets(&self) -> Vec<Sheet> {
        let c = &self.collisions;
        let kv = |k: &str, v: Cell| vec![Cell::from(k), v];
        let opt = |x: Option<f64>| x.map(Cell::Number).unwrap_or_else(|| Cell::from(""));
        let summary = vec![
            kv("period_from", Cell::from(self.from.to_string())),
            kv("period_to", Cell::from(self.to.to_string())),
            kv(
                "team",
                Cell::from(self.team.clone().unwrap_or_else(|| "全部".into())),
            ),
            kv("duplicates_blocked", c.blocked.into()),
            kv("cases_opened", c.cases_opened.into()),
            kv("cases_decided", c.cases_decided.into()),
            kv("decided_first_come", c.decided_first_come.into()),
            kv("decided_overruled", c.decided_overruled.into()),
            kv("median_hours_to_decide", opt(c.median_hours_to_decide)),
            kv("leads", self.fairness.leads.into()),
            kv("leads_assigned", self.fairness.assigned.into()),
            kv("leads_to_pool", self.fairness.to_pool.into()),
            kv("leads_duplicate", self.fairness.duplicates.into()),
            kv("fairness_gini", self.fairness.gini.into()),
            kv("pool_size", self.pool.size.into()),
            kv("pool_median_age_days", opt(self.pool.median_age_days)),
            kv("pool_oldest_age_days", opt(self.pool.oldest_age_days)),
            kv("pool_claims", self.pool.claims.into()),
            kv("pool_releases", self.pool.releases.into()),
            kv("pool_recycles", self.pool.recycles.into()),
            kv("pool_recycle_warnings", self.pool.warnings.into()),
        ];
        let mut breakdown = Vec::new();
        for (dim, list) in [
            ("blocked_by_rep", &c.blocked_by_rep),
            ("blocked_by_team", &c.blocked_by_team),
            ("blocked_by_channel", &c.blocked_by_channel),
            ("blocked_by_reason", &c.blocked_by_reason),
            ("blocked_by_day", &c.blocked_by_day),
            ("cases_by_origin", &c.cases_by_origin),
            ("repeat_offenders", &c.repeat_offenders),
        ] {
            for x in list {
                breakdown.push(vec![
                    Cell::from(dim),
                    Cell::from(x.key.clone()),
                    x.count.into(),
                ]);
            }
        }
        let fairness = self
            .fairness
            .per_rep
            .iter()
            .map(|r| {
                vec![
                    Cell::from(r.username.clone()),
                    Cell::from(r.display_name.clone()),
                    Cell::from(r.team.clone().unwrap_or_default()),
                    r.leads.into(),
                    r.target.into(),
                    r.deviation.into(),
                ]
            })
            .collect();
        vec![
            Sheet {
                name: "summary 概览".into(),
                header: vec!["metric".into(), "value".into()],
                rows: summary,
            },
            Sheet {
                name: "collisions 撞单".into(),
                header: vec!["dimension".into(), "key".into(), "count".into()],
                rows: breakdown,
            },
            Sheet {
                name: "fairness 分配公平".into(),
                header: vec![
                    "username".into(),
                    "display_name".into(),
                    "team".into(),
                    "leads".into(),
                    "target".into(),
                    "deviation".into(),
                ],
                rows: fairness,
            },
        ]
    }
}
