//! Assignment rules and lead intake (线索分配).
//!
//! A lead first passes the duplicate check: a lead that matches an owned customer goes to its
//! owner as a follow-up (a collision avoided); one that matches a pool customer is routed like
//! a new lead. A new lead is evaluated against the rules in order: the first matching rule with
//! an eligible rep (active, not on leave, under their cap) picks one by its strategy; with
//! nobody eligible the lead goes to the pool. Every decision is recorded with an explanation.
//!
//! Round-robin positions live in the database and the pick happens under one lock, in the
//! transaction that saves the customer: concurrent intake and several processes still rotate
//! fairly.

use std::collections::BTreeMap;

use leadguard_domain::assignment::{
    Candidate, Conditions, LeadFacts, Skip, Strategy, explain, pick,
};
use leadguard_domain::audit::{AuditAction, rules};
use leadguard_domain::customer::CustomerFields;
use leadguard_domain::event::EventType;
use leadguard_domain::followup::FollowUpKind;
use leadguard_domain::keys::{KeyKind, MatchKey};
use leadguard_domain::ownership::effective_cap;
use leadguard_domain::user::{Role, User};
use leadguard_domain::{Id, Timestamp};
use leadguard_matching::normalize::regions::{self, RegionLevel};
use leadguard_matching::{Profile, Verdict};
use leadguard_store::{Exec, NewDecision, RuleData, RuleRow};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

use crate::Service;
use crate::collisions::Subject;
use crate::customers::UserCache;
use crate::error::{Result, ServiceError};
use crate::views::{MatchView, OwnerView};
use leadguard_domain::collision::CaseOrigin;
use leadguard_domain::customer::FieldError;

const MAX_WEIGHT: u32 = 1000;
const MAX_NAME_CHARS: usize = 100;
/// The rule name recorded in the audit log for rule-based assignment.
pub(crate) const ASSIGNMENT_RULE: &str = "assignment_rule";

/// A rule as written by a manager or admin.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub name: String,
    /// 1 = evaluated first; absent: last. Later rules move down.
    #[serde(default)]
    pub position: Option<i64>,
    /// Conditions; absent: every lead.
    #[serde(default)]
    pub when: Conditions,
    /// Target: a team (its active reps) ...
    #[serde(default)]
    pub team: Option<String>,
    /// ... or these reps (for `priority`, most senior first).
    #[serde(default)]
    pub reps: Option<Vec<String>>,
    /// Weights for `weighted` (username -> 1..1000; absent: 1).
    #[serde(default)]
    pub weights: BTreeMap<String, u32>,
    pub strategy: Strategy,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleView {
    pub id: Id,
    pub name: String,
    pub position: i64,
    pub when: Conditions,
    /// In words, e.g. `省份 浙江/江苏，规模 小型`.
    pub summary: String,
    pub team: Option<String>,
    /// Explicit reps (empty for a team target).
    pub reps: Vec<String>,
    pub weights: BTreeMap<String, u32>,
    pub strategy: Strategy,
    /// Increases with every change; decisions record the version they used.
    pub version: i64,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_by: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleVersionView {
    pub version: i64,
    /// The rule as it was saved in this version.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub rule: serde_json::Value,
    pub changed_by: String,
    pub changed_at: chrono::DateTime<chrono::Utc>,
}

/// An inbound lead: the customer fields, plus what only routing looks at.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeadRequest {
    #[serde(flatten)]
    pub customer: CustomerFields,
    /// Estimated value in yuan.
    pub value: Option<f64>,
    /// e.g. `zh`, `en`.
    pub language: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Takes the routing fields out and reads the rest strictly as customer fields, so that a
/// misspelt field is refused rather than dropped.
impl<'de> Deserialize<'de> for LeadRequest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let mut map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let value = match map.remove("value") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => Some(
                v.as_f64()
                    .ok_or_else(|| D::Error::custom("value: expected a number (yuan)"))?,
            ),
        };
        let language = match map.remove("language") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s),
            Some(_) => return Err(D::Error::custom("language: expected a string")),
        };
        let tags = match map.remove("tags") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(v) => serde_json::from_value::<Vec<String>>(v)
                .map_err(|_| D::Error::custom("tags: expected a list of strings"))?,
        };
        let customer = CustomerFields::deserialize(serde_json::Value::Object(map))
            .map_err(D::Error::custom)?;
        Ok(LeadRequest {
            customer,
            value,
            language,
            tags,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkippedRep {
    pub username: String,
    /// `inactive`, `on_leave` or `at_cap`.
    pub why: String,
}

/// Why a lead went where it went.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decision {
    /// Id of the rule that decided; `null` when no rule matched or nobody was eligible.
    pub rule: Option<Id>,
    pub rule_name: Option<String>,
    pub rule_position: Option<i64>,
    pub rule_version: Option<i64>,
    pub strategy: Option<Strategy>,
    /// e.g. `规则 3 华东中小企业 → 轮转 → 李四 (上一位: 王五)`.
    pub explanation: String,
    pub skipped: Vec<SkippedRep>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeadOutcomeKind {
    /// A new customer, owned by the chosen rep.
    Assigned,
    /// A new customer in the pool: no rule matched, or nobody was eligible.
    Pool,
    /// Matched a pool customer, which the rules gave to a rep.
    PoolRouted,
    /// Matched an owned customer: passed to its owner as a follow-up.
    Duplicate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeadOutcome {
    pub outcome: LeadOutcomeKind,
    pub customer_id: Id,
    pub owner: Option<OwnerView>,
    pub decision: Decision,
    /// The existing customers it matched (duplicate), or looked like (suspected).
    pub matches: Vec<MatchView>,
    pub collision_cases: Vec<Id>,
    /// Values kept unverified, or kept in the note because they could not be used: a lead is
    /// never refused for them.
    pub warnings: Vec<FieldError>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DryRun {
    /// The owner the rules would choose now (`null`: the pool).
    pub owner: Option<OwnerView>,
    pub decision: Decision,
    /// If the lead is a duplicate of a stored customer: it would go to that customer's owner.
    pub duplicate_of: Option<MatchView>,
}

/// What the rules decided, before it is saved.
pub(crate) struct Decided {
    rule: Option<RuleRow>,
    strategy: Option<Strategy>,
    pub(crate) owner: Option<User>,
    explanation: String,
    skipped: Vec<SkippedRep>,
    /// New round-robin state: (rule, user, current).
    rotation: Vec<(Id, Id, i64)>,
}

impl Decided {
    fn view(&self) -> Decision {
        Decision {
            rule: self.rule.as_ref().map(|r| r.id),
            rule_name: self.rule.as_ref().map(|r| r.name.clone()),
            rule_position: self.rule.as_ref().map(|r| r.position),
            rule_version: self.rule.as_ref().map(|r| r.version),
            strategy: self.strategy,
            explanation: self.explanation.clone(),
            skipped: self.skipped.clone(),
        }
    }
}

fn skip_code(s: Skip) -> &'static str {
    match s {
        Skip::Inactive => "inactive",
        Skip::OnLeave => "on_leave",
        Skip::AtCap => "at_cap",
    }
}

/// One lock for the assignment step: picks (and their round-robin state) happen one at a time.
pub(crate) fn assignment_lock() -> MatchKey {
    MatchKey::new(KeyKind::Block, "assignment".to_string())
}

fn facts(fields: &CustomerFields, req: &LeadRequest) -> LeadFacts {
    LeadFacts {
        language: req.language.clone(),
        tags: req.tags.clone(),
        value: req.value,
        ..lead_facts(fields)
    }
}

/// What the rules see of a customer: its region, industry, size and source.
pub(crate) fn lead_facts(fields: &CustomerFields) -> LeadFacts {
    // Province and city from the address when the lead does not name them.
    let from_address = fields
        .address
        .as_deref()
        .map(regions::parse_address)
        .unwrap_or_default();
    LeadFacts {
        province: fields
            .province
            .clone()
            .or_else(|| from_address.province.map(|r| r.short.to_string())),
        city: fields
            .city
            .clone()
            .or_else(|| from_address.city.map(|r| r.short.to_string())),
        industry: fields.industry.clone(),
        size: fields.size.clone(),
        source: fields.source.clone(),
        language: None,
        tags: Vec::new(),
        value: None,
    }
}

/// Why a lead that duplicates an owned customer goes to that customer's owner.
fn to_owner(customer_id: Id, display_name: &str, username: &str) -> String {
    format!(
        "与已有客户 #{customer_id} 重复 → 线索转给负责人 {display_name}（避免撞单） / duplicate of customer #{customer_id}: passed to its owner {username}"
    )
}

fn lead_json(f: &LeadFacts) -> String {
    serde_json::json!({
        "province": f.province, "city": f.city, "industry": f.industry, "size": f.size,
        "source": f.source, "language": f.language, "tags": f.tags, "value": f.value,
    })
    .to_string()
}

fn find_division(name: &str, level: RegionLevel) -> Option<&'static regions::Region> {
    let n = name.trim();
    regions::all_regions()
        .iter()
        .find(|r| r.level == level && (r.name == n || r.short == n))
}

/// Conditions that name places that do not exist, or cities outside the named provinces.
fn region_errors(when: &Conditions) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut provinces = Vec::new();
    for (i, p) in when.province.iter().flatten().enumerate() {
        match find_division(p, RegionLevel::Province) {
            Some(r) => provinces.push(r),
            None => errs.push(FieldError::new(
                format!("when.province[{i}]"),
                "unknown_province",
                format!("“{p}” is not a province of China (e.g. 浙江 or 浙江省)"),
            )),
        }
    }
    for (i, c) in when.city.iter().flatten().enumerate() {
        let city = find_division(c, RegionLevel::City).or_else(|| {
            find_division(c, RegionLevel::Province).filter(|r| regions::city_of(r).is_some())
        });
        match city {
            None => errs.push(FieldError::new(
                format!("when.city[{i}]"),
                "unknown_city",
                format!("“{c}” is not a prefecture-level city of China (e.g. 杭州 or 杭州市)"),
            )),
            Some(city)
                if !provinces.is_empty() && !provinces.iter().any(|p| regions::within(city, p)) =>
            {
                errs.push(FieldError::new(
                    format!("when.city[{i}]"),
                    "never_matches",
                    format!(
                        "{} is not in {}: this rule could never match",
                        city.name,
                        provinces
                            .iter()
                            .map(|p| p.name)
                            .collect::<Vec<_>>()
                            .join("/")
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    errs
}

/// The rule's target, resolved.
struct Target {
    team_id: Option<Id>,
    reps: Vec<Id>,
    weights: BTreeMap<Id, u32>,
}

impl Service {
    fn require_rule_editor(actor: &User) -> Result<()> {
        if actor.role == Role::Rep {
            return Err(ServiceError::forbidden(
                "只有经理和管理员可以管理分配规则 / only managers and admins manage assignment rules",
            ));
        }
        Ok(())
    }

    /// Validates a rule and resolves its target; a manager may target only their own team.
    async fn validate_rule(
        &self,
        exec: &mut Exec<'_>,
        actor: &User,
        input: &RuleInput,
    ) -> Result<Target> {
        let mut errs = Vec::new();
        let n = input.name.trim().chars().count();
        if n == 0 || n > MAX_NAME_CHARS {
            errs.push(FieldError::new(
                "name",
                "invalid_name",
                format!("the name must be 1 to {MAX_NAME_CHARS} characters"),
            ));
        }
        if input.position.is_some_and(|p| p < 1) {
            errs.push(FieldError::new(
                "position",
                "out_of_range",
                "position starts at 1",
            ));
        }
        for (field, message) in input.when.contradictions() {
            errs.push(FieldError::new(
                format!("when.{field}"),
                "never_matches",
                message,
            ));
        }
        errs.extend(region_errors(&input.when));
        let mut target = Target {
            team_id: None,
            reps: Vec::new(),
            weights: BTreeMap::new(),
        };
        let mut members: Vec<User> = Vec::new();
        match (&input.team, &input.reps) {
            (Some(_), Some(_)) => errs.push(FieldError::new(
                "team",
                "ambiguous_target",
                "give either `team` or `reps`, not both",
            )),
            (None, None) => errs.push(FieldError::new(
                "team",
                "target_required",
                "give the target: `team` or `reps`",
            )),
            (Some(team), None) => match exec.team_by_name(team.trim()).await? {
                None => errs.push(FieldError::new(
                    "team",
                    "unknown_team",
                    format!("there is no team named “{}”", team.trim()),
                )),
                Some(t) => {
                    members = exec
                        .list_users(Some(t.id))
                        .await?
                        .into_iter()
                        .filter(|u| u.role != Role::Admin)
                        .collect();
                    if !members.iter().any(|u| u.role == Role::Rep) {
                        errs.push(FieldError::new(
                            "team",
                            "empty_team",
                            format!(
                                "team “{}” has no reps: this rule could never assign",
                                t.name
                            ),
                        ));
                    }
                    target.team_id = Some(t.id);
                }
            },
            (None, Some(reps)) => {
                if reps.is_empty() {
                    errs.push(FieldError::new(
                        "reps",
                        "target_required",
                        "`reps` is empty: this rule could never assign",
                    ));
                }
                for (i, name) in reps.iter().enumerate() {
                    match exec.user_by_username(name.trim()).await? {
                        None => errs.push(FieldError::new(
                            format!("reps[{i}]"),
                            "unknown_user",
                            format!("there is no user named “{}”", name.trim()),
                        )),
                        Some(u) if target.reps.contains(&u.id) => errs.push(FieldError::new(
                            format!("reps[{i}]"),
                            "duplicate_rep",
                            format!("{} is listed twice", u.username),
                        )),
                        Some(u) => {
                            target.reps.push(u.id);
                            members.push(u);
                        }
                    }
                }
            }
        }
        for (name, w) in &input.weights {
            match members.iter().find(|u| u.username == name.trim()) {
                None => errs.push(FieldError::new(
                    format!("weights.{name}"),
                    "not_in_target",
                    format!("{name} is not one of the rule's reps"),
                )),
                Some(_) if *w == 0 || *w > MAX_WEIGHT => errs.push(FieldError::new(
                    format!("weights.{name}"),
                    "out_of_range",
                    format!("weights are 1 to {MAX_WEIGHT}"),
                )),
                Some(u) => {
                    target.weights.insert(u.id, *w);
                }
            }
        }
        if actor.role == Role::Manager
            && errs.is_empty()
            && !members.iter().all(|u| actor.manages(u))
        {
            return Err(ServiceError::forbidden(
                "经理只能为本团队设置规则 / a manager may route leads only to their own team",
            ));
        }
        if errs.is_empty() {
            Ok(target)
        } else {
            Err(ServiceError::Invalid(errs))
        }
    }

    fn rule_data<'a>(
        input: &'a RuleInput,
        target: &Target,
        position: i64,
        buf: &'a mut (String, String, String),
    ) -> Result<RuleData<'a>> {
        let enc = |e: serde_json::Error| ServiceError::Internal(e.to_string());
        buf.0 = serde_json::to_string(&input.when).map_err(enc)?;
        buf.1 = serde_json::to_string(&target.reps).map_err(enc)?;
        buf.2 = serde_json::to_string(&target.weights).map_err(enc)?;
        Ok(RuleData {
            name: input.name.trim(),
            position,
            conditions: &buf.0,
            team_id: target.team_id,
            reps: &buf.1,
            weights: &buf.2,
            strategy: input.strategy.as_str(),
        })
    }

    async fn rule_view(
        &self,
        exec: &mut Exec<'_>,
        users: &mut UserCache,
        r: &RuleRow,
    ) -> Result<RuleView> {
        let when: Conditions = serde_json::from_str(&r.conditions)
            .map_err(|e| ServiceError::Internal(format!("rule {}: {e}", r.id)))?;
        let rep_ids: Vec<Id> = serde_json::from_str(&r.reps).unwrap_or_default();
        let weight_ids: BTreeMap<Id, u32> = serde_json::from_str(&r.weights).unwrap_or_default();
        let mut reps = Vec::new();
        for id in rep_ids {
            reps.push(users.get(exec, id).await?.username);
        }
        let mut weights = BTreeMap::new();
        for (id, w) in weight_ids {
            weights.insert(users.get(exec, id).await?.username, w);
        }
        let team = match r.team_id {
            Some(t) => exec
                .list_teams()
                .await?
                .into_iter()
                .find(|x| x.id == t)
                .map(|x| x.name),
            None => None,
        };
        Ok(RuleView {
            id: r.id,
            name: r.name.clone(),
            position: r.position,
            summary: when.summary(),
            when,
            team,
            reps,
            weights,
            strategy: Strategy::parse(&r.strategy).unwrap_or(Strategy::RoundRobin),
            version: r.version,
            created_by: users.get(exec, r.created_by).await?.username,
            created_at: r.created_at,
            updated_by: users.get(exec, r.updated_by).await?.username,
            updated_at: r.updated_at,
        })
    }

    /// Saves the rule's current state as its newest version.
    async fn snapshot_rule(&self, exec: &mut Exec<'_>, id: Id, actor: &User) -> Result<RuleView> {
        let row = exec
            .rule(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "rule" })?;
        let view = self
            .rule_view(exec, &mut UserCache::default(), &row)
            .await?;
        let snapshot =
            serde_json::to_string(&view).map_err(|e| ServiceError::Internal(e.to_string()))?;
        exec.insert_rule_version(id, row.version, &snapshot, actor.id, self.now())
            .await?;
        Ok(view)
    }

    pub async fn create_rule(&self, actor: &User, input: RuleInput) -> Result<RuleView> {
        Self::require_rule_editor(actor)?;
        let mut tx = self.store.begin().await?;
        tx.lock_keys(&[assignment_lock()]).await?;
        let target = self.validate_rule(&mut tx.exec(), actor, &input).await?;
        let count = tx.exec().list_rules().await?.len() as i64;
        let position = input.position.unwrap_or(count + 1).min(count + 1);
        let mut buf = Default::default();
        let data = Self::rule_data(&input, &target, position, &mut buf)?;
        let id = tx.exec().insert_rule(&data, actor.id, self.now()).await?;
        let view = self.snapshot_rule(&mut tx.exec(), id, actor).await?;
        tx.commit().await?;
        tracing::info!(actor = %actor.username, rule = id, "assignment rule created");
        Ok(view)
    }

    /// Replaces a rule (a new version). Managers may change only rules routing to their team.
    pub async fn update_rule(&self, actor: &User, id: Id, input: RuleInput) -> Result<RuleView> {
        Self::require_rule_editor(actor)?;
        let mut tx = self.store.begin().await?;
        tx.lock_keys(&[assignment_lock()]).await?;
        let current = tx
            .exec()
            .rule(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "rule" })?;
        self.ensure_may_edit(&mut tx.exec(), actor, &current)
            .await?;
        let target = self.validate_rule(&mut tx.exec(), actor, &input).await?;
        let count = tx.exec().list_rules().await?.len() as i64;
        let position = input.position.unwrap_or(current.position).min(count);
        let mut buf = Default::default();
        let data = Self::rule_data(&input, &target, position, &mut buf)?;
        tx.exec()
            .update_rule(id, &data, actor.id, self.now())
            .await?;
        let view = self.snapshot_rule(&mut tx.exec(), id, actor).await?;
        tx.commit().await?;
        Ok(view)
    }

    pub async fn delete_rule(&self, actor: &User, id: Id) -> Result<()> {
        Self::require_rule_editor(actor)?;
        let mut tx = self.store.begin().await?;
        tx.lock_keys(&[assignment_lock()]).await?;
        let current = tx
            .exec()
            .rule(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "rule" })?;
        self.ensure_may_edit(&mut tx.exec(), actor, &current)
            .await?;
        tx.exec().delete_rule(id).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn ensure_may_edit(&self, exec: &mut Exec<'_>, actor: &User, r: &RuleRow) -> Result<()> {
        if actor.is_admin() {
            return Ok(());
        }
        let reps: Vec<Id> = serde_json::from_str(&r.reps).unwrap_or_default();
        let mut members = match r.team_id {
            Some(t) => exec.list_users(Some(t)).await?,
            None => Vec::new(),
        };
        for id in reps {
            if let Some(u) = exec.user_by_id(id).await? {
                members.push(u);
            }
        }
        if !members.is_empty() && members.iter().all(|u| actor.manages(u)) {
            Ok(())
        } else {
            Err(ServiceError::forbidden(
                "经理只能修改本团队的规则 / a manager may change only rules routing to their team",
            ))
        }
    }

    /// Every rule, in evaluation order (readable by everyone: the rules are transparent).
    pub async fn list_rules(&self, _actor: &User) -> Result<Vec<RuleView>> {
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        let mut users = UserCache::default();
        let mut out = Vec::new();
        for r in exec.list_rules().await? {
            out.push(self.rule_view(&mut exec, &mut users, &r).await?);
        }
        Ok(out)
    }

    pub async fn get_rule(&self, _actor: &User, id: Id) -> Result<RuleView> {
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        let r = exec
            .rule(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "rule" })?;
        self.rule_view(&mut exec, &mut UserCache::default(), &r)
            .await
    }

    pub async fn rule_versions(&self, _actor: &User, id: Id) -> Result<Vec<RuleVersionView>> {
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        let mut users = UserCache::default();
        let mut out = Vec::new();
        for v in exec.rule_versions(id).await? {
            out.push(RuleVersionView {
                version: v.version,
                rule: serde_json::from_str(&v.snapshot).unwrap_or_default(),
                changed_by: users.get(&mut exec, v.changed_by).await?.username,
                changed_at: v.changed_at,
            });
        }
        if out.is_empty() {
            return Err(ServiceError::NotFound { what: "rule" });
        }
        Ok(out)
    }

    /// Runs the rules for `lead` (no writes; the caller saves `rotation`).
    pub(crate) async fn decide(&self, exec: &mut Exec<'_>, lead: &LeadFacts) -> Result<Decided> {
        let mut passed_over: Vec<String> = Vec::new();
        let mut skipped_all: Vec<SkippedRep> = Vec::new();
        for rule in exec.list_rules().await? {
            let when: Conditions = match serde_json::from_str(&rule.conditions) {
                Ok(w) => w,
                Err(e) => {
                    tracing::error!(rule = rule.id, error = %e, "unreadable rule conditions; skipped");
                    continue;
                }
            };
            if !when.matches(lead) {
                continue;
            }
            let strategy = Strategy::parse(&rule.strategy).unwrap_or(Strategy::RoundRobin);
            let reps: Vec<Id> = serde_json::from_str(&rule.reps).unwrap_or_default();
            let weights: BTreeMap<Id, u32> =
                serde_json::from_str(&rule.weights).unwrap_or_default();
            let people: Vec<User> = match rule.team_id {
                Some(t) => exec
                    .list_users(Some(t))
                    .await?
                    .into_iter()
                    .filter(|u| u.role == Role::Rep)
                    .collect(),
                None => {
                    let mut v = Vec::new();
                    for id in &reps {
                        if let Some(u) = exec.user_by_id(*id).await? {
                            v.push(u);
                        }
                    }
                    v
                }
            };
            let rotation = exec.rotation(rule.id).await?;
            let mut eligible: Vec<(User, Candidate)> = Vec::new();
            let mut skipped: BTreeMap<String, Skip> = BTreeMap::new();
            for u in people {
                let policy = self.policy_for_user(exec, &u).await?;
                let cap = effective_cap(&u, policy.owner_cap);
                let owned = exec.count_owned(u.id, cap).await?;
                let skip = if !u.active {
                    Some(Skip::Inactive)
                } else if u.on_leave {
                    Some(Skip::OnLeave)
                } else if owned >= u64::from(cap) {
                    Some(Skip::AtCap)
                } else {
                    None
                };
                if let Some(s) = skip {
                    skipped_all.push(SkippedRep {
                        username: u.username.clone(),
                        why: skip_code(s).to_string(),
                    });
                    skipped.insert(u.display_name.clone(), s);
                    continue;
                }
                let c = Candidate {
                    user_id: u.id,
                    name: u.display_name.clone(),
                    owned,
                    cap,
                    weight: weights.get(&u.id).copied().unwrap_or(1),
                    current: rotation.get(&u.id).copied().unwrap_or(0),
                    same_industry: 0,
                    same_province: 0,
                    won: 0,
                    closed: 0,
                };
                eligible.push((u, c));
            }
            if eligible.is_empty() {
                passed_over.push(format!("规则 {} {} 无可用销售", rule.position, rule.name));
                continue;
            }
            if strategy == Strategy::BestMatch {
                let ids: Vec<Id> = eligible.iter().map(|(u, _)| u.id).collect();
                let records = exec
                    .rep_records(&ids, lead.industry.as_deref(), lead.province.as_deref())
                    .await?;
                for (u, c) in &mut eligible {
                    if let Some(r) = records.get(&u.id) {
                        c.same_industry = r.same_industry.max(0) as u64;
                        c.same_province = r.same_province.max(0) as u64;
                        c.won = r.won.max(0) as u64;
                        c.closed = r.closed.max(0) as u64;
                    }
                }
            }
            let candidates: Vec<Candidate> = eligible.iter().map(|(_, c)| c.clone()).collect();
            let Some(p) = pick(strategy, &candidates) else {
                continue;
            };
            let previous = match exec.last_assigned(rule.id).await? {
                Some(id) => exec.user_by_id(id).await?.map(|u| u.display_name),
                None => None,
            };
            let chosen = eligible[p.index].0.clone();
            let mut explanation = explain(
                rule.position,
                &rule.name,
                strategy,
                &chosen.display_name,
                previous.as_deref(),
                &p.why,
                &skipped,
            );
            if !passed_over.is_empty() {
                explanation = format!("{}；{explanation}", passed_over.join("；"));
            }
            let rotation = if matches!(strategy, Strategy::RoundRobin | Strategy::Weighted) {
                eligible
                    .iter()
                    .zip(p.currents)
                    .map(|((u, _), cur)| (rule.id, u.id, cur))
                    .collect()
            } else {
                Vec::new()
            };
            return Ok(Decided {
                rule: Some(rule),
                strategy: Some(strategy),
                owner: Some(chosen),
                explanation,
                skipped: skipped_all,
                rotation,
            });
        }
        let explanation = if passed_over.is_empty() {
            "没有匹配的规则 → 公海 / no rule matched: to the pool".to_string()
        } else {
            format!(
                "{} → 公海 / nobody eligible: to the pool",
                passed_over.join("；")
            )
        };
        Ok(Decided {
            rule: None,
            strategy: None,
            owner: None,
            explanation,
            skipped: skipped_all,
            rotation: Vec::new(),
        })
    }

    /// `POST /assignment/dry-run`: what the rules would do with this lead now, without
    /// assigning anything or moving any rotation.
    pub async fn dry_run(&self, _actor: &User, req: LeadRequest) -> Result<DryRun> {
        let (fields, profile) = self.prepare(req.customer.clone())?;
        let lead = facts(&fields, &req);
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        let duplicate_of = self
            .find_matches(&mut exec, &profile, None)
            .await?
            .matches
            .into_iter()
            .find(|m| m.verdict == Verdict::Duplicate);
        // An owned duplicate would go to its owner; anything else is routed by the rules.
        if let Some(d) = &duplicate_of
            && let Some(owner) = &d.owner
        {
            let decision = Decision {
                rule: None,
                rule_name: None,
                rule_position: None,
                rule_version: None,
                strategy: None,
                explanation: to_owner(d.customer_id, &owner.display_name, &owner.username),
                skipped: Vec::new(),
            };
            return Ok(DryRun {
                owner: Some(owner.clone()),
                decision,
                duplicate_of,
            });
        }
        let decided = self.decide(&mut exec, &lead).await?;
        Ok(DryRun {
            owner: decided.owner.as_ref().map(OwnerView::from),
            decision: decided.view(),
            duplicate_of,
        })
    }

    /// Saves what `decide` chose: rotation, the decision record, and the event for the rep.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn record_decision(
        &self,
        exec: &mut Exec<'_>,
        actor: &User,
        decided: &Decided,
        customer_id: Id,
        customer_name: &str,
        outcome: &str,
        lead: &LeadFacts,
        now: Timestamp,
    ) -> Result<()> {
        for (rule, user, cur) in &decided.rotation {
            exec.set_rotation(*rule, *user, *cur).await?;
        }
        exec.insert_decision(&NewDecision {
            at: now,
            customer_id: Some(customer_id),
            rule_id: decided.rule.as_ref().map(|r| r.id),
            rule_version: decided.rule.as_ref().map(|r| r.version),
            strategy: decided.strategy.map(Strategy::as_str),
            user_id: decided.owner.as_ref().map(|u| u.id),
            outcome,
            explanation: &decided.explanation,
            lead: &lead_json(lead),
            actor_id: actor.id,
        })
        .await?;
        if let Some(owner) = &decided.owner {
            let data = serde_json::json!({
                "name": customer_name, "owner": owner.username, "by": actor.username,
                "rule": decided.rule.as_ref().map(|r| r.name.clone()),
                "reason": decided.explanation,
            });
            self.emit(
                exec,
                EventType::CustomerAssigned,
                Some(customer_id),
                Some(actor.id),
                Some(owner.id),
                &[],
                data,
            )
            .await?;
        }
        Ok(())
    }

    /// `POST /leads`: duplicate check, then the rules.
    pub async fn intake_lead(&self, actor: &User, req: LeadRequest) -> Result<LeadOutcome> {
        if let Some(v) = req.value
            && (!v.is_finite() || v < 0.0)
        {
            return Err(ServiceError::invalid(
                "value",
                "out_of_range",
                "the estimated value must be a number ≥ 0 (yuan)",
            ));
        }
        let (fields, profile, warnings) = self.prepare_keeping(req.customer.clone())?;
        let mut outcome = self.intake_prepared(actor, &req, fields, profile).await?;
        outcome.warnings = warnings;
        Ok(outcome)
    }

    async fn intake_prepared(
        &self,
        actor: &User,
        req: &LeadRequest,
        fields: CustomerFields,
        profile: Profile,
    ) -> Result<LeadOutcome> {
        let lead = facts(&fields, req);
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.lock_keys(&profile.lock_keys()).await?;
        let matches = self
            .find_matches(&mut tx.exec(), &profile, None)
            .await?
            .matches;
        if let Some(dup) = matches
            .iter()
            .find(|m| m.verdict == Verdict::Duplicate)
            .cloned()
        {
            return self
                .lead_for_existing(tx, actor, &fields, &lead, dup, matches, now)
                .await;
        }
        tx.lock_keys(&[assignment_lock()]).await?;
        let decided = self.decide(&mut tx.exec(), &lead).await?;
        if let Some(owner) = &decided.owner {
            tx.lock_user(owner.id).await?;
        }
        let owner_id = decided.owner.as_ref().map(|u| u.id);
        let rule = if owner_id.is_some() {
            ASSIGNMENT_RULE
        } else {
            rules::POOL_INTAKE
        };
        let id = match self
            .insert_new(&mut tx, actor, &fields, &profile, owner_id, rule)
            .await?
        {
            Ok(id) => id,
            Err(holder) => {
                drop(tx);
                return Err(self.duplicate_of(&profile, holder).await);
            }
        };
        let outcome = if owner_id.is_some() {
            LeadOutcomeKind::Assigned
        } else {
            LeadOutcomeKind::Pool
        };
        self.record_decision(
            &mut tx.exec(),
            actor,
            &decided,
            id,
            &fields.name,
            if owner_id.is_some() {
                "assigned"
            } else {
                "pool"
            },
            &lead,
            now,
        )
        .await?;
        let collision_cases = match owner_id {
            Some(o) => {
                self.open_cases_for_matches(
                    &mut tx.exec(),
                    CaseOrigin::SuspectedEntry,
                    actor,
                    Subject {
                        customer_id: id,
                        name: &fields.name,
                        entered_at: now,
                        owner_id: o,
                    },
                    &matches,
                )
                .await?
            }
            None => Vec::new(),
        };
        tx.commit().await?;
        self.grew();
        tracing::info!(actor = %actor.username, customer_id = id, owner = ?decided.owner.as_ref().map(|u| &u.username), "lead assigned");
        Ok(LeadOutcome {
            outcome,
            customer_id: id,
            owner: decided.owner.as_ref().map(OwnerView::from),
            decision: decided.view(),
            matches,
            collision_cases,
            warnings: Vec::new(),
        })
    }

    /// A lead that is a stored customer: to its owner as a follow-up, or (in the pool) routed.
    #[allow(clippy::too_many_arguments)]
    async fn lead_for_existing(
        &self,
        mut tx: leadguard_store::WriteTx,
        actor: &User,
        fields: &CustomerFields,
        lead: &LeadFacts,
        dup: MatchView,
        matches: Vec<MatchView>,
        now: Timestamp,
    ) -> Result<LeadOutcome> {
        let id = self.lock_customer(&mut tx, dup.customer_id).await?;
        let customer = tx
            .exec()
            .get_customer(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "customer" })?;
        let mut note = format!("新线索：{}", fields.name);
        for (label, v) in [
            ("来源", &lead.source),
            ("省份", &lead.province),
            ("城市", &lead.city),
            ("行业", &lead.industry),
        ] {
            if let Some(v) = v {
                note.push_str(&format!("，{label} {v}"));
            }
        }
        if let Some(v) = lead.value {
            note.push_str(&format!("，预计金额 {v} 元"));
        }
        // What the lead brings that the customer lacks (a new phone, a contact) stays on it.
        if let Some(added) = self
            .keep_evidence(&mut tx, actor, &customer, fields, now)
            .await?
        {
            note.push_str(&format!("；已补充到客户：{added}"));
        }
        let (decided, outcome) = match customer.owner_id {
            Some(owner_id) => {
                let owner = tx
                    .exec()
                    .user_by_id(owner_id)
                    .await?
                    .ok_or(ServiceError::NotFound { what: "user" })?;
                let explanation = to_owner(id, &owner.display_name, &owner.username);
                (
                    Decided {
                        rule: None,
                        strategy: None,
                        owner: Some(owner),
                        explanation,
                        skipped: Vec::new(),
                        rotation: Vec::new(),
                    },
                    LeadOutcomeKind::Duplicate,
                )
            }
            None => {
                tx.lock_keys(&[assignment_lock()]).await?;
                let mut decided = self.decide(&mut tx.exec(), lead).await?;
                decided.explanation = format!("与公海客户 #{id} 重复；{}", decided.explanation);
                match &decided.owner {
                    Some(o) => {
                        tx.lock_user(o.id).await?;
                        if !tx.exec().set_owner(id, None, Some(o.id), now, None).await? {
                            return Err(ServiceError::Conflict {
                                code: "concurrent_change",
                                message: "someone else changed this customer at the same moment; try again".into(),
                            });
                        }
                        self.audit(
                            &mut tx,
                            id,
                            AuditAction::Assigned,
                            actor,
                            None,
                            Some(o.id),
                            ASSIGNMENT_RULE,
                            Some(&decided.explanation),
                        )
                        .await?;
                        (decided, LeadOutcomeKind::PoolRouted)
                    }
                    None => (decided, LeadOutcomeKind::Duplicate),
                }
            }
        };
        tx.exec()
            .insert_followup(id, FollowUpKind::Note, &note, now, actor.id)
            .await?;
        let outcome_code = match outcome {
            LeadOutcomeKind::PoolRouted => "pool_routed",
            _ => "duplicate",
        };
        self.record_decision(
            &mut tx.exec(),
            actor,
            &decided,
            id,
            &customer.fields.name,
            outcome_code,
            lead,
            now,
        )
        .await?;
        tx.commit().await?;
        let owner = match outcome {
            LeadOutcomeKind::PoolRouted | LeadOutcomeKind::Duplicate => {
                decided.owner.as_ref().map(OwnerView::from)
            }
            _ => None,
        };
        Ok(LeadOutcome {
            outcome,
            customer_id: id,
            owner,
            decision: decided.view(),
            matches,
            collision_cases: Vec::new(),
            warnings: Vec::new(),
        })
    }
}
