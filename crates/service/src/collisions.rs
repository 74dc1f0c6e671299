//! Collision cases (撞单) and their arbitration (裁决).
//!
//! A case is opened when a suspected duplicate of another rep's customer is entered, when a
//! change makes a customer look like another rep's, when a blocked rep appeals, and when a scan
//! of the database finds two reps owning the same customer. It is decided once: by default for
//! the rep who entered the customer first (先录先得); a manager may decide otherwise only with
//! a written reason. The decision moves ownership (and may merge the two records), is audited,
//! and both reps are told.

use std::collections::{HashMap, HashSet};

use leadguard_domain::audit::{AuditAction, rules};
use leadguard_domain::collision::{CaseOrigin, CaseStatus, PairSecond, Side, first_come, pair_key};
use leadguard_domain::customer::CustomerFields;
use leadguard_domain::event::EventType;
use leadguard_domain::user::{Role, User};
use leadguard_domain::{Id, Timestamp};
use leadguard_matching::{NameFrequency, Profile, Reason, Verdict};
use leadguard_store::{CaseInbox, CaseRow, Decision, Exec, NewCase, WriteTx};
use serde::{Deserialize, Serialize};

use crate::Service;
use crate::customers::{UserCache, page_bounds};
use crate::deals::{Deal, DealStage};
use crate::error::{Result, ServiceError};
use crate::events::{EventBatch, PendingEvent};
use crate::merges::resolve;
use crate::ownership::clean_reason;
use crate::views::{MatchView, OwnerView, Page};

/// A rep blocked as a duplicate asks for the customer ("I have an active deal with them").
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AppealRequest {
    /// The existing customer the entry was blocked by (`matches[0].customer_id` of the 409).
    pub customer_id: Id,
    /// Why the customer should be theirs; required.
    pub reason: String,
    /// The entry that was blocked, kept as evidence and compared with the customer.
    #[serde(default)]
    pub entry: Option<CustomerFields>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DecideRequest {
    /// Username of the rep who gets the customer: one of the case's two reps.
    pub winner: String,
    /// Fold the later record into the earlier one (cases between two saved customers).
    #[serde(default)]
    pub merge: bool,
    /// Required when the winner is not the first-come one.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    /// `open` or `decided`; absent: both.
    pub status: Option<CaseStatus>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// One side of a case, with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseSide {
    /// The customer on this side; `null` for an appeal's blocked entry, which was never saved.
    pub customer_id: Option<Id>,
    pub name: String,
    /// The rep on this side: the customer's owner when the case opened, or the appellant.
    pub rep: OwnerView,
    /// The customer's owner now (`null`: in the pool, or no customer).
    pub current_owner: Option<OwnerView>,
    /// Who entered the customer first, and when: the first-come evidence.
    pub entered_by: Option<OwnerView>,
    pub entered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub followups: i64,
    pub last_followup_at: Option<chrono::DateTime<chrono::Utc>>,
    pub open_deals: i64,
    pub won_deals: i64,
    /// The deals themselves, for those who may see this customer in full (else `null`).
    pub deals: Option<Vec<Deal>>,
    /// Set once the customer was merged (into the other side, usually).
    pub merged_into: Option<Id>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionView {
    pub winner: String,
    pub decided_by: String,
    pub decided_at: chrono::DateTime<chrono::Utc>,
    /// `collision_first_come` or `collision_manager_decision`.
    pub rule: String,
    pub reason: Option<String>,
    pub merged: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseView {
    pub id: Id,
    pub origin: CaseOrigin,
    pub status: CaseStatus,
    pub opened_at: chrono::DateTime<chrono::Utc>,
    pub opened_by: String,
    /// The team whose managers decide; `null`: a cross-team case, decided by admins.
    pub team: Option<String>,
    /// The appellant's reason.
    pub reason: Option<String>,
    /// The customer entered first (for an appeal: the existing customer).
    pub first: CaseSide,
    pub second: CaseSide,
    /// How alike the two are, and why (as in a duplicate check).
    pub score: Option<f64>,
    pub verdict: Option<Verdict>,
    pub reasons: Vec<Reason>,
    /// Who gets the customer under first-come (先录先得) unless a manager decides otherwise.
    pub default_winner: String,
    pub decision: Option<DecisionView>,
}

/// Result of a database scan.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanReport {
    pub customers_scanned: u64,
    /// Ids of the cases opened by this scan.
    pub cases_opened: Vec<Id>,
}

/// What opens a case.
pub(crate) struct OpenCase<'a> {
    pub origin: CaseOrigin,
    pub first_customer: Id,
    pub second: PairSecond,
    pub first_user: Id,
    pub second_user: Id,
    pub opened_by: Id,
    pub entered: Option<&'a CustomerFields>,
    pub matched: Option<&'a MatchView>,
    pub reason: Option<&'a str>,
    /// What the caller knows already (a bulk import): spares the look-ups.
    pub known: Option<Parties<'a>>,
}

/// The case's customer name, both reps' usernames and their common team, as known to the
/// caller.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Parties<'a> {
    pub name: &'a str,
    pub first: Option<&'a str>,
    pub second: Option<&'a str>,
    pub team_id: Option<Id>,
}

/// A case ready to be written, and what its `collision.opened` event says.
struct PreparedCase {
    tag: usize,
    key: String,
    origin: CaseOrigin,
    first_customer: Id,
    second_customer: Option<Id>,
    first_user: Id,
    second_user: Id,
    team_id: Option<Id>,
    entered: Option<String>,
    score: Option<f64>,
    verdict: Option<&'static str>,
    reasons: String,
    reason: Option<String>,
    opened_by: Id,
    name: String,
    first: Option<String>,
    second: Option<String>,
}

/// Cases of one transaction, opened together: a migration opens thousands, in a few
/// statements. A pair is opened once, and not at all if it has a case already (open or
/// decided).
#[derive(Default)]
pub(crate) struct CaseBatch {
    cases: Vec<PreparedCase>,
    /// Pairs pushed so far.
    keys: HashSet<String>,
    /// Users met: ids by username, and usernames and teams by id.
    by_name: HashMap<String, Option<Id>>,
    by_id: HashMap<Id, Option<(String, Option<Id>)>>,
}

impl CaseBatch {
    /// Adds the case `c` opens (its parties known), reported under `tag` by
    /// [`CaseBatch::open`]; a pair pushed before is reported under its first tag only.
    pub(crate) fn push(&mut self, c: OpenCase<'_>, tag: usize) -> Result<()> {
        let Some(known) = c.known else {
            return Err(ServiceError::Internal(
                "a case is batched with its parties known".into(),
            ));
        };
        if c.first_user == c.second_user {
            return Ok(());
        }
        let key = pair_key(c.first_customer, c.second);
        if self.keys.contains(&key) {
            return Ok(());
        }
        let entered = match c.entered {
            Some(f) => {
                Some(serde_json::to_string(f).map_err(|e| ServiceError::Internal(e.to_string()))?)
            }
            None => None,
        };
        let reasons = match c.matched {
            Some(m) => serde_json::to_string(&m.reasons)
                .map_err(|e| ServiceError::Internal(e.to_string()))?,
            None => "[]".to_string(),
        };
        let verdict = c.matched.map(|m| match m.verdict {
            Verdict::Duplicate => "duplicate",
            Verdict::Suspected => "suspected",
            Verdict::Distinct => "distinct",
        });
        let second_customer = match c.second {
            PairSecond::Customer(id) => Some(id),
            PairSecond::Appellant { .. } => None,
        };
        self.keys.insert(key.clone());
        self.cases.push(PreparedCase {
            tag,
            key,
            origin: c.origin,
            first_customer: c.first_customer,
            second_customer,
            first_user: c.first_user,
            second_user: c.second_user,
            team_id: known.team_id,
            entered,
            score: c.matched.map(|m| m.score),
            verdict,
            reasons,
            reason: c.reason.map(str::to_string),
            opened_by: c.opened_by,
            name: known.name.to_string(),
            first: known.first.map(str::to_string),
            second: known.second.map(str::to_string),
        });
        Ok(())
    }

    /// Adds a case for each match owned by another rep than the subject's owner (an entry or
    /// change that looks like their customer), under `tag`. The earlier-entered customer is
    /// the first side.
    pub(crate) async fn push_for_matches(
        &mut self,
        exec: &mut Exec<'_>,
        origin: CaseOrigin,
        actor: &User,
        subject: &Subject<'_>,
        matches: &[MatchView],
        tag: usize,
    ) -> Result<()> {
        // A name that merely begins another (同建 → 同建工程管理…) is shown to the rep, not
        // put before a manager.
        for m in matches.iter().filter(|m| !m.partial_name) {
            let Some(o) = &m.owner else { continue };
            let Some(other) = self.user_named(exec, &o.username).await? else {
                continue;
            };
            if other == subject.owner_id {
                continue;
            }
            let owner_name = self
                .user_with_id(exec, subject.owner_id)
                .await?
                .map(|u| u.0);
            let theirs = (
                m.customer_id,
                other,
                Some(o.username.as_str()),
                m.name.as_str(),
            );
            let ours = (
                subject.customer_id,
                subject.owner_id,
                owner_name.as_deref(),
                subject.name,
            );
            let (first, second) = if m.created_at <= subject.entered_at {
                (theirs, ours)
            } else {
                (ours, theirs)
            };
            let team_id = self.common_team(exec, other, subject.owner_id).await?;
            self.push(
                OpenCase {
                    origin,
                    first_customer: first.0,
                    second: PairSecond::Customer(second.0),
                    first_user: first.1,
                    second_user: second.1,
                    opened_by: actor.id,
                    entered: None,
                    matched: Some(m),
                    reason: None,
                    known: Some(Parties {
                        name: first.3,
                        first: first.2,
                        second: second.2,
                        team_id,
                    }),
                },
                tag,
            )?;
        }
        Ok(())
    }

    /// The id of the user `username`, read once per batch.
    async fn user_named(&mut self, exec: &mut Exec<'_>, username: &str) -> Result<Option<Id>> {
        if let Some(u) = self.by_name.get(username) {
            return Ok(*u);
        }
        let u = exec.user_by_username(username).await?.map(|u| u.id);
        self.by_name.insert(username.to_string(), u);
        Ok(u)
    }

    /// The team both reps belong to, if they share one: whose managers decide the case.
    pub(crate) async fn common_team(
        &mut self,
        exec: &mut Exec<'_>,
        a: Id,
        b: Id,
    ) -> Result<Option<Id>> {
        let team = |u: Option<(String, Option<Id>)>| u.and_then(|u| u.1);
        let a = team(self.user_with_id(exec, a).await?);
        let b = team(self.user_with_id(exec, b).await?);
        Ok(match (a, b) {
            (Some(a), Some(b)) if a == b => Some(a),
            _ => None,
        })
    }

    /// The username and team of user `id`, read once per batch.
    async fn user_with_id(
        &mut self,
        exec: &mut Exec<'_>,
        id: Id,
    ) -> Result<Option<(String, Option<Id>)>> {
        if let Some(u) = self.by_id.get(&id) {
            return Ok(u.clone());
        }
        let u = match exec.user_by_id(id).await? {
            Some(u) => Some((u.username, exec.team_of(id).await?)),
            None => None,
        };
        self.by_id.insert(id, u.clone());
        Ok(u)
    }

    /// Opens the cases pushed, their `collision.opened` events added to `events`; what
    /// became of each, by tag.
    pub(crate) async fn open(
        self,
        service: &Service,
        exec: &mut Exec<'_>,
        events: &mut EventBatch,
    ) -> Result<Vec<(usize, Opened)>> {
        let keys: Vec<&str> = self.cases.iter().map(|c| c.key.as_str()).collect();
        let existing = exec.cases_for_pairs(&keys).await?;
        let now = service.now();
        let new: Vec<&PreparedCase> = self
            .cases
            .iter()
            .filter(|c| !existing.contains_key(&c.key))
            .collect();
        let rows: Vec<NewCase> = new
            .iter()
            .map(|c| NewCase {
                origin: c.origin.as_str(),
                first_customer_id: c.first_customer,
                second_customer_id: c.second_customer,
                first_user_id: c.first_user,
                second_user_id: c.second_user,
                team_id: c.team_id,
                entered: c.entered.as_deref(),
                score: c.score,
                verdict: c.verdict,
                reasons: &c.reasons,
                reason: c.reason.as_deref(),
                opened_by: c.opened_by,
                opened_at: now,
                pair_key: &c.key,
            })
            .collect();
        let inserted = exec.insert_cases(&rows).await?;
        // Opened by a concurrent writer between the look and the insert.
        let raced: Vec<&str> = new
            .iter()
            .filter(|c| !inserted.contains_key(&c.key))
            .map(|c| c.key.as_str())
            .collect();
        let raced = exec.cases_for_pairs(&raced).await?;
        let mut out = Vec::with_capacity(self.cases.len());
        for c in &self.cases {
            if let Some(&id) = inserted.get(&c.key) {
                events.push(PendingEvent {
                    kind: EventType::CollisionOpened,
                    customer_id: Some(c.first_customer),
                    actor_id: Some(c.opened_by),
                    owner_id: Some(c.first_user),
                    users: vec![c.second_user],
                    data: serde_json::json!({
                        "case_id": id,
                        "origin": c.origin.as_str(),
                        "name": c.name,
                        "owner": c.first,
                        "by": c.second,
                        "reason": c.reason,
                    }),
                });
                tracing::debug!(
                    case = id,
                    origin = c.origin.as_str(),
                    "collision case opened"
                );
                out.push((c.tag, Opened::New(id)));
                continue;
            }
            match existing.get(&c.key).or_else(|| raced.get(&c.key)) {
                Some((id, status)) => out.push((
                    c.tag,
                    Opened::Exists {
                        id: *id,
                        open: status == CaseStatus::Open.as_str(),
                    },
                )),
                None => {
                    return Err(ServiceError::Internal(format!(
                        "case for {} neither inserted nor found",
                        c.key
                    )));
                }
            }
        }
        Ok(out)
    }
}

pub(crate) enum Opened {
    New(Id),
    /// The pair already has a case (open or decided).
    Exists {
        id: Id,
        open: bool,
    },
    /// Both sides are the same rep: nothing to arbitrate.
    SameRep,
}

/// The customer an entry or change is about, and its owner.
pub(crate) struct Subject<'a> {
    pub customer_id: Id,
    pub name: &'a str,
    pub entered_at: Timestamp,
    pub owner_id: Id,
}

impl Service {
    /// Opens a case inside the caller's transaction and tells both reps (and the deciders).
    pub(crate) async fn open_case(&self, exec: &mut Exec<'_>, c: OpenCase<'_>) -> Result<Opened> {
        if c.first_user == c.second_user {
            return Ok(Opened::SameRep);
        }
        let mut cases = CaseBatch::default();
        let (name, first, second, team_id);
        let known = match c.known {
            Some(k) => k,
            None => {
                name = exec
                    .get_customer(c.first_customer)
                    .await?
                    .map(|cu| cu.fields.name)
                    .unwrap_or_default();
                first = cases.user_with_id(exec, c.first_user).await?.map(|u| u.0);
                second = cases.user_with_id(exec, c.second_user).await?.map(|u| u.0);
                team_id = cases.common_team(exec, c.first_user, c.second_user).await?;
                Parties {
                    name: &name,
                    first: first.as_deref(),
                    second: second.as_deref(),
                    team_id,
                }
            }
        };
        cases.push(
            OpenCase {
                known: Some(known),
                ..c
            },
            0,
        )?;
        let mut events = EventBatch::default();
        let opened = cases.open(self, exec, &mut events).await?;
        events.write(self, exec).await?;
        opened
            .into_iter()
            .next()
            .map(|(_, o)| o)
            .ok_or_else(|| ServiceError::Internal("a case was neither opened nor found".into()))
    }

    /// Opens a case for each match owned by another rep than `owner_id` (an entry or change
    /// that looks like their customer). The earlier-entered customer is the first side.
    pub(crate) async fn open_cases_for_matches(
        &self,
        exec: &mut Exec<'_>,
        origin: CaseOrigin,
        actor: &User,
        subject: Subject<'_>,
        matches: &[MatchView],
    ) -> Result<Vec<Id>> {
        let mut cases = CaseBatch::default();
        cases
            .push_for_matches(exec, origin, actor, &subject, matches, 0)
            .await?;
        let mut events = EventBatch::default();
        let opened = cases.open(self, exec, &mut events).await?;
        events.write(self, exec).await?;
        Ok(opened
            .into_iter()
            .filter_map(|(_, o)| match o {
                Opened::New(id) => Some(id),
                _ => None,
            })
            .collect())
    }

    /// `POST /collisions`: a blocked rep appeals for an existing customer.
    pub async fn appeal(&self, actor: &User, req: AppealRequest) -> Result<CaseView> {
        let reason = clean_reason(Some(req.reason))?.ok_or_else(|| {
            ServiceError::invalid(
                "reason",
                "required",
                "请说明理由（例如：已与该客户有在谈商机）/ say why the customer should be yours",
            )
        })?;
        let entry = match req.entry {
            Some(f) => Some(self.prepare(f)?),
            None => None,
        };
        let mut tx = self.store.begin().await?;
        let customer_id = self.lock_customer(&mut tx, req.customer_id).await?;
        let customer = tx
            .exec()
            .get_customer(customer_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "customer" })?;
        let Some(owner_id) = customer.owner_id else {
            return Err(ServiceError::Conflict {
                code: "in_pool",
                message:
                    "该客户在公海中，直接领取即可 / the customer is in the public pool: claim it"
                        .into(),
            });
        };
        if owner_id == actor.id {
            return Err(ServiceError::Conflict {
                code: "already_owner",
                message: "you already own this customer".into(),
            });
        }
        let matched = match &entry {
            Some((_, profile)) => {
                self.compare_with(&mut tx.exec(), profile, customer_id)
                    .await?
            }
            None => None,
        };
        let opened = self
            .open_case(
                &mut tx.exec(),
                OpenCase {
                    origin: CaseOrigin::Appeal,
                    first_customer: customer_id,
                    second: PairSecond::Appellant {
                        appellant: actor.id,
                        owner: owner_id,
                    },
                    first_user: owner_id,
                    second_user: actor.id,
                    opened_by: actor.id,
                    entered: entry.as_ref().map(|(f, _)| f),
                    matched: matched.as_ref(),
                    reason: Some(&reason),
                    known: None,
                },
            )
            .await?;
        let id = match opened {
            Opened::New(id) => id,
            Opened::Exists { id, open: true } => {
                return Err(ServiceError::Conflict {
                    code: "case_open",
                    message: format!(
                        "该客户的申诉 #{id} 正在处理 / appeal #{id} for this customer is open"
                    ),
                });
            }
            Opened::Exists { id, open: false } => {
                return Err(ServiceError::Conflict {
                    code: "case_decided",
                    message: format!(
                        "申诉 #{id} 已裁决，裁决为最终结果 / appeal #{id} was decided; the decision is final"
                    ),
                });
            }
            Opened::SameRep => {
                return Err(ServiceError::Internal("appeal against oneself".into()));
            }
        };
        tx.commit().await?;
        self.get_case(actor, id).await
    }

    /// The match between a profile and one stored customer, if it can be read.
    async fn compare_with(
        &self,
        exec: &mut Exec<'_>,
        profile: &Profile,
        customer_id: Id,
    ) -> Result<Option<MatchView>> {
        let candidates = exec.candidates(&[customer_id]).await?;
        for c in candidates {
            if let Some(m) = self.compare_candidate(profile, c, NameFrequency::default())? {
                return Ok(Some(m));
            }
        }
        Ok(None)
    }

    /// Whose cases `actor` sees: admins all; managers their team's (and their own); reps the
    /// cases they are a party to.
    async fn inbox(&self, exec: &mut Exec<'_>, actor: &User) -> Result<CaseInbox> {
        Ok(match actor.role {
            Role::Admin => CaseInbox::All,
            Role::Manager => {
                let team_id = match &actor.team {
                    Some(t) => exec.team_by_name(t).await?.map(|t| t.id),
                    None => None,
                };
                CaseInbox::Team {
                    team_id,
                    user_id: actor.id,
                }
            }
            Role::Rep => CaseInbox::Party { user_id: actor.id },
        })
    }

    /// May `actor` decide case `c`? Admins any; managers their own team's.
    async fn may_decide(&self, exec: &mut Exec<'_>, actor: &User, c: &CaseRow) -> Result<bool> {
        Ok(match actor.role {
            Role::Admin => true,
            Role::Manager => match (&actor.team, c.team_id) {
                (Some(t), Some(case_team)) => {
                    exec.team_by_name(t).await?.map(|t| t.id) == Some(case_team)
                }
                _ => false,
            },
            Role::Rep => false,
        })
    }

    fn visible(actor: &User, c: &CaseRow, actor_team: Option<Id>) -> bool {
        match actor.role {
            Role::Admin => true,
            Role::Manager => {
                c.first_user_id == actor.id
                    || c.second_user_id == actor.id
                    || (actor_team.is_some() && c.team_id == actor_team)
            }
            Role::Rep => c.first_user_id == actor.id || c.second_user_id == actor.id,
        }
    }

    /// `GET /collisions`: the inbox, newest first.
    pub async fn list_cases(&self, actor: &User, q: CaseQuery) -> Result<Page<CaseView>> {
        let (limit, offset) = page_bounds(q.limit, q.offset)?;
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        let inbox = self.inbox(&mut exec, actor).await?;
        let (rows, total) = exec
            .list_cases(inbox, q.status.map(CaseStatus::as_str), limit, offset)
            .await?;
        let mut users = UserCache::default();
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            items.push(self.case_view(&mut exec, &mut users, actor, r).await?);
        }
        Ok(Page {
            items,
            total,
            limit,
            offset,
        })
    }

    /// `GET /collisions/{id}`: one case with both sides' evidence.
    pub async fn get_case(&self, actor: &User, id: Id) -> Result<CaseView> {
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        let row = exec
            .case(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "case" })?;
        let team = match &actor.team {
            Some(t) => exec.team_by_name(t).await?.map(|t| t.id),
            None => None,
        };
        if !Self::visible(actor, &row, team) {
            return Err(ServiceError::forbidden(
                "只有当事人、其团队经理和管理员可以查看此撞单 / only the two reps, their team's managers and admins may see this case",
            ));
        }
        self.case_view(&mut exec, &mut UserCache::default(), actor, row)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn side(
        &self,
        exec: &mut Exec<'_>,
        users: &mut UserCache,
        actor: &User,
        decider: bool,
        customer_id: Option<Id>,
        rep_id: Id,
        entered: Option<&CustomerFields>,
    ) -> Result<CaseSide> {
        let rep = users.get(exec, rep_id).await?;
        let mut side = CaseSide {
            customer_id,
            name: entered.map(|f| f.name.clone()).unwrap_or_default(),
            rep: OwnerView::from(&rep),
            current_owner: None,
            entered_by: None,
            entered_at: None,
            followups: 0,
            last_followup_at: None,
            open_deals: 0,
            won_deals: 0,
            deals: None,
            merged_into: None,
        };
        let Some(id) = customer_id else {
            return Ok(side);
        };
        let Some(c) = exec.get_customer(id).await? else {
            return Ok(side);
        };
        // A merged side shows the evidence of the customer it now lives in.
        let live_id = resolve(exec, id).await?;
        side.merged_into = c.merged_into.map(|_| live_id);
        let live = if live_id == id {
            c
        } else {
            exec.get_customer(live_id)
                .await?
                .ok_or(ServiceError::NotFound { what: "customer" })?
        };
        side.name = live.fields.name.clone();
        let owner = match live.owner_id {
            Some(o) => Some(users.get(exec, o).await?),
            None => None,
        };
        side.current_owner = owner.as_ref().map(OwnerView::from);
        side.entered_by = Some(OwnerView::from(&users.get(exec, live.created_by).await?));
        side.entered_at = Some(live.created_at);
        let (n, last) = exec.followup_stats(live_id).await?;
        side.followups = n;
        side.last_followup_at = last;
        let deals: Vec<Deal> = exec
            .deals_of(live_id)
            .await?
            .into_iter()
            .map(Deal::from)
            .collect();
        side.open_deals = deals.iter().filter(|d| d.stage == DealStage::Open).count() as i64;
        side.won_deals = deals.iter().filter(|d| d.stage == DealStage::Won).count() as i64;
        // Deals only for those who may open the customer, and for the case's deciders: not
        // for a manager of another team who is merely a party (an appellant).
        let full = decider
            || leadguard_domain::access::customer_access(actor, owner.as_ref())
                == leadguard_domain::Access::Full;
        side.deals = full.then_some(deals);
        Ok(side)
    }

    async fn case_view(
        &self,
        exec: &mut Exec<'_>,
        users: &mut UserCache,
        actor: &User,
        r: CaseRow,
    ) -> Result<CaseView> {
        let entered: Option<CustomerFields> = r
            .entered
            .as_deref()
            .and_then(|e| serde_json::from_str(e).ok());
        let decider = self.may_decide(exec, actor, &r).await?;
        let first = self
            .side(
                exec,
                users,
                actor,
                decider,
                Some(r.first_customer_id),
                r.first_user_id,
                None,
            )
            .await?;
        let second = self
            .side(
                exec,
                users,
                actor,
                decider,
                r.second_customer_id,
                r.second_user_id,
                entered.as_ref(),
            )
            .await?;
        let default_winner = self.default_winner(exec, &r).await?;
        let default_winner = users.get(exec, default_winner).await?.username;
        let team = match r.team_id {
            Some(_) => users.get(exec, r.first_user_id).await?.team,
            None => None,
        };
        let decision = match (r.winner_id, r.decided_by, r.decided_at) {
            (Some(w), Some(by), Some(at)) => Some(DecisionView {
                winner: users.get(exec, w).await?.username,
                decided_by: users.get(exec, by).await?.username,
                decided_at: at,
                rule: r.decision_rule.clone().unwrap_or_default(),
                reason: r.decision_reason.clone(),
                merged: r.merged.unwrap_or(false),
            }),
            _ => None,
        };
        Ok(CaseView {
            id: r.id,
            origin: CaseOrigin::parse(&r.origin).unwrap_or(CaseOrigin::SuspectedEntry),
            status: CaseStatus::parse(&r.status).unwrap_or(CaseStatus::Open),
            opened_at: r.opened_at,
            opened_by: users.get(exec, r.opened_by).await?.username,
            team,
            reason: r.reason.clone(),
            first,
            second,
            score: r.score,
            verdict: match r.verdict.as_deref() {
                Some("duplicate") => Some(Verdict::Duplicate),
                Some("suspected") => Some(Verdict::Suspected),
                Some("distinct") => Some(Verdict::Distinct),
                _ => None,
            },
            reasons: serde_json::from_str(&r.reasons).unwrap_or_default(),
            default_winner,
            decision,
        })
    }

    /// First-come: the rep whose customer was entered first. Creation times are read from the
    /// records as they are now (a merge keeps the earlier one).
    async fn default_winner(&self, exec: &mut Exec<'_>, r: &CaseRow) -> Result<Id> {
        let entered_at = |c: Option<leadguard_domain::Customer>| c.map(|c| c.created_at);
        let first_at = entered_at(exec.get_customer(r.first_customer_id).await?);
        let second_at = match r.second_customer_id {
            Some(id) => entered_at(exec.get_customer(id).await?),
            None => None,
        };
        Ok(first_come(
            Side {
                user_id: r.first_user_id,
                entered_at: first_at,
            },
            Side {
                user_id: r.second_user_id,
                entered_at: second_at,
            },
        ))
    }

    /// Gives customer `id` to `winner` by a collision decision (no cap: the decision settles
    /// who works a customer that is already being worked).
    async fn award(
        &self,
        tx: &mut WriteTx,
        actor: &User,
        id: Id,
        winner: &User,
        rule: &str,
        reason: Option<&str>,
    ) -> Result<()> {
        let customer = tx
            .exec()
            .get_customer(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "customer" })?;
        if customer.owner_id == Some(winner.id) {
            return Ok(());
        }
        let policy = self.policy_for_user(&mut tx.exec(), winner).await?;
        let protected_until = self.protection_end(&policy);
        let now = self.now();
        if !tx
            .exec()
            .set_owner(id, customer.owner_id, Some(winner.id), now, protected_until)
            .await?
        {
            return Err(ServiceError::Conflict {
                code: "concurrent_change",
                message: "someone else changed this customer at the same moment; try again".into(),
            });
        }
        self.audit(
            tx,
            id,
            AuditAction::Awarded,
            actor,
            customer.owner_id,
            Some(winner.id),
            rule,
            reason,
        )
        .await?;
        let previous: Vec<Id> = customer.owner_id.into_iter().collect();
        let data = serde_json::json!({
            "name": customer.fields.name, "owner": winner.username, "by": actor.username,
            "rule": rule, "reason": reason,
        });
        self.emit(
            &mut tx.exec(),
            EventType::CustomerAssigned,
            Some(id),
            Some(actor.id),
            Some(winner.id),
            &previous,
            data,
        )
        .await
        .map(|_| ())
    }

    /// `POST /collisions/{id}/decide`.
    pub async fn decide_case(&self, actor: &User, id: Id, req: DecideRequest) -> Result<CaseView> {
        let reason = clean_reason(req.reason)?;
        let mut tx = self.store.begin().await?;
        let row = tx
            .exec()
            .case(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "case" })?;
        if !self.may_decide(&mut tx.exec(), actor, &row).await? {
            return Err(ServiceError::forbidden(
                "只有该团队的经理（跨团队撞单：管理员）可以裁决 / only a manager of the team (admins for cross-team cases) may decide",
            ));
        }
        if row.status != CaseStatus::Open.as_str() {
            return Err(ServiceError::Conflict {
                code: "already_decided",
                message: format!(
                    "撞单 #{id} 已裁决，裁决为最终结果 / case #{id} was decided; the decision is final"
                ),
            });
        }
        let winner = tx
            .exec()
            .user_by_username(req.winner.trim())
            .await?
            .filter(|u| u.id == row.first_user_id || u.id == row.second_user_id)
            .ok_or_else(|| {
                ServiceError::invalid(
                    "winner",
                    "not_a_party",
                    format!("{} is not one of the case's two reps", req.winner.trim()),
                )
            })?;
        if !winner.active {
            return Err(ServiceError::invalid(
                "winner",
                "user_inactive",
                format!(
                    "{} is deactivated and cannot own customers",
                    winner.username
                ),
            ));
        }
        if req.merge && row.second_customer_id.is_none() {
            return Err(ServiceError::invalid(
                "merge",
                "nothing_to_merge",
                "an appeal's entry was never saved: there is no second customer to merge",
            ));
        }
        let default = self.default_winner(&mut tx.exec(), &row).await?;
        let rule = if winner.id == default {
            rules::COLLISION_FIRST_COME
        } else {
            rules::COLLISION_MANAGER_DECISION
        };
        if rule == rules::COLLISION_MANAGER_DECISION && reason.is_none() {
            return Err(ServiceError::invalid(
                "reason",
                "required",
                "不按先录先得裁决时必须写明理由 / a decision against first-come needs a written reason",
            ));
        }
        // Lock both customers in id order (the order merges use), following merges.
        let mut ids: Vec<Id> = std::iter::once(row.first_customer_id)
            .chain(row.second_customer_id)
            .collect();
        ids.sort();
        let mut live = Vec::new();
        for cid in ids {
            let l = self.lock_customer(&mut tx, cid).await?;
            if !live.contains(&l) {
                live.push(l);
            }
        }
        let now = self.now();
        if !tx
            .exec()
            .decide_case(
                id,
                &Decision {
                    decided_by: actor.id,
                    decided_at: now,
                    winner_id: winner.id,
                    rule,
                    reason: reason.as_deref(),
                    merged: req.merge && live.len() == 2,
                },
            )
            .await?
        {
            return Err(ServiceError::Conflict {
                code: "already_decided",
                message: format!("case #{id} was decided at the same moment by someone else"),
            });
        }
        if req.merge && live.len() == 2 {
            // The earlier record survives: it carries the first-come evidence.
            let mut pair = Vec::new();
            for l in &live {
                let c = tx
                    .exec()
                    .get_customer(*l)
                    .await?
                    .ok_or(ServiceError::NotFound { what: "customer" })?;
                pair.push((c.created_at, c.id));
            }
            pair.sort();
            let (survivor, duplicate) = (pair[0].1, pair[1].1);
            self.merge_locked(&mut tx, actor, survivor, duplicate)
                .await?;
            live = vec![survivor];
        }
        for l in &live {
            self.award(&mut tx, actor, *l, &winner, rule, reason.as_deref())
                .await?;
        }
        let name = match tx.exec().get_customer(live[0]).await? {
            Some(c) => c.fields.name,
            None => String::new(),
        };
        let data = serde_json::json!({
            "case_id": id,
            "name": name,
            "winner": winner.username,
            "rule": rule,
            "reason": reason,
            "merged": req.merge && row.second_customer_id.is_some(),
            "by": actor.username,
        });
        self.emit(
            &mut tx.exec(),
            EventType::CollisionDecided,
            Some(live[0]),
            Some(actor.id),
            Some(row.first_user_id),
            &[row.second_user_id, winner.id],
            data,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(actor = %actor.username, case = id, winner = %winner.username, rule, "collision decided");
        self.get_case(actor, id).await
    }

    /// `POST /collisions/scan` (admin): checks every owned customer against the others with
    /// the same engine as entry, and opens a case for each pair owned by two different reps.
    pub async fn scan_collisions(&self, actor: &User) -> Result<ScanReport> {
        if !actor.is_admin() {
            return Err(ServiceError::forbidden(
                "only an admin may scan the database",
            ));
        }
        let mut report = ScanReport::default();
        let mut after = 0;
        loop {
            let page = {
                let mut conn = self.store.read().await?;
                conn.exec().match_profiles(after, 500).await?
            };
            let Some(last) = page.last() else { break };
            after = last.id;
            for p in page {
                report.customers_scanned += 1;
                let Some(owner) = &p.owner else { continue };
                let profile: Profile = match serde_json::from_str(&p.profile) {
                    Ok(pr) => pr,
                    Err(e) => {
                        tracing::warn!(customer_id = p.id, error = %e, "unreadable profile; skipped by the scan");
                        continue;
                    }
                };
                let mut tx = self.store.begin().await?;
                let matches = self
                    .find_matches(&mut tx.exec(), &profile, Some(p.id))
                    .await?
                    .matches;
                // Each pair once: from its later customer. Names that merely begin alike are
                // no evidence of a collision.
                let earlier: Vec<MatchView> = matches
                    .into_iter()
                    .filter(|m| m.customer_id < p.id && m.owner.is_some() && !m.partial_name)
                    .collect();
                if earlier.is_empty() {
                    continue;
                }
                let Some(owner) = tx.exec().user_by_username(owner).await? else {
                    continue;
                };
                let Some(me) = tx.exec().get_customer(p.id).await? else {
                    continue;
                };
                let opened = self
                    .open_cases_for_matches(
                        &mut tx.exec(),
                        CaseOrigin::BatchScan,
                        actor,
                        Subject {
                            customer_id: p.id,
                            name: &me.fields.name,
                            entered_at: me.created_at,
                            owner_id: owner.id,
                        },
                        &earlier,
                    )
                    .await?;
                tx.commit().await?;
                report.cases_opened.extend(opened);
            }
        }
        tracing::info!(
            scanned = report.customers_scanned,
            opened = report.cases_opened.len(),
            "collision scan"
        );
        Ok(report)
    }
}
