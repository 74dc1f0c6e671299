//! Entering, checking, reading and changing customers. Every create and every change of
//! identifiers runs the duplicate check inside the write transaction that saves it.

use std::collections::HashMap;

use leadguard_domain::Id;
use leadguard_domain::access::{Access, customer_access};
use leadguard_domain::audit::{AuditAction, rules};
use leadguard_domain::collision::CaseOrigin;
use leadguard_domain::customer::{Contact, Customer, CustomerFields, CustomerKind, FieldError};
use leadguard_domain::event::EventType;
use leadguard_domain::keys::{KeyKind, MatchKey};
use leadguard_domain::user::{Role, User};
use leadguard_matching::live::{NAME_COUNT_LIMIT, best_first};
use leadguard_matching::normalize::{credit_code, email, phone, text};
use leadguard_matching::profile::PROFILE_VERSION;
use leadguard_matching::{Checked, NameFrequency, Profile, Verdict};
use leadguard_store::{
    Backend, Candidate, CustomerQuery, CustomerScope, CustomerSort, Exec, MatchData, NewAuditEntry,
    NewCustomer, StoreError, WriteTx,
};
use serde::Deserialize;

use crate::Service;
use crate::collisions::Subject;
use crate::entries::Entered;
use crate::error::{Result, ServiceError};
use crate::events::{EventBatch, PendingEvent};
use crate::merges::resolve;
use crate::views::{CheckOutcome, CheckVerdict, Created, CustomerView, MatchView, OwnerView, Page};

/// Which customers a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Customers you own (私海). The default for reps.
    Mine,
    /// Customers owned by your team. The default for managers.
    Team,
    /// All customers (admins only). The default for admins.
    All,
    /// The public pool (公海), visible to everyone with masked contact data.
    Pool,
}

/// Order of a customer list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Newest entries first.
    #[default]
    Newest,
    Oldest,
    Name,
    RecentlyUpdated,
    /// Longest without a follow-up first.
    Stale,
    RecentlyFollowedUp,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ListCustomers {
    pub scope: Option<Scope>,
    /// Part of the name, or a whole phone number, e-mail address or credit code.
    pub q: Option<String>,
    /// Only customers owned by this username (within what you may see).
    pub owner: Option<String>,
    pub industry: Option<String>,
    pub source: Option<String>,
    pub sort: Option<Sort>,
    /// 1 to 200; default 50.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Changes to a customer. Absent fields stay; an empty string clears a text field; lists
/// (phones, e-mails, contacts) are replaced whole.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    pub kind: Option<CustomerKind>,
    pub name: Option<String>,
    pub phones: Option<Vec<String>>,
    pub emails: Option<Vec<String>>,
    pub website: Option<String>,
    pub credit_code: Option<String>,
    pub address: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub source: Option<String>,
    pub contacts: Option<Vec<Contact>>,
    pub postcode: Option<String>,
    pub birth_date: Option<String>,
    pub id_number: Option<String>,
    pub note: Option<String>,
    /// The customer's record id in the CRM it came from.
    pub external_id: Option<String>,
}

impl CustomerPatch {
    fn apply(self, mut f: CustomerFields) -> CustomerFields {
        fn set<T>(slot: &mut T, v: Option<T>) {
            if let Some(v) = v {
                *slot = v;
            }
        }
        set(&mut f.kind, self.kind);
        set(&mut f.name, self.name);
        set(&mut f.phones, self.phones);
        set(&mut f.emails, self.emails);
        set(&mut f.contacts, self.contacts);
        for (slot, v) in [
            (&mut f.website, self.website),
            (&mut f.credit_code, self.credit_code),
            (&mut f.address, self.address),
            (&mut f.province, self.province),
            (&mut f.city, self.city),
            (&mut f.industry, self.industry),
            (&mut f.size, self.size),
            (&mut f.source, self.source),
            (&mut f.postcode, self.postcode),
            (&mut f.birth_date, self.birth_date),
            (&mut f.id_number, self.id_number),
            (&mut f.note, self.note),
            (&mut f.external_id, self.external_id),
        ] {
            if let Some(v) = v {
                *slot = Some(v);
            }
        }
        f
    }
}

pub(crate) const MAX_PAGE: i64 = 200;
pub(crate) const DEFAULT_PAGE: i64 = 50;

pub(crate) fn page_bounds(limit: Option<i64>, offset: Option<i64>) -> Result<(i64, i64)> {
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ServiceError::invalid(
            "limit",
            "out_of_range",
            format!("limit must be between 1 and {MAX_PAGE}"),
        ));
    }
    let offset = offset.unwrap_or(0);
    if offset < 0 {
        return Err(ServiceError::invalid(
            "offset",
            "out_of_range",
            "offset must not be negative",
        ));
    }
    Ok((limit, offset))
}

impl Service {
    /// Tidies a record, checks its shape (a name, lengths) and profiles it, with the values
    /// kept unverified and the values that cannot be used; nothing is read or written.
    fn checked(&self, fields: CustomerFields) -> Result<(CustomerFields, Checked)> {
        let fields = fields.tidy();
        let errs = fields.validate_shape();
        if !errs.is_empty() {
            return Err(ServiceError::Invalid(errs));
        }
        let checked = self.matcher.profile_checked(&fields);
        Ok((fields, checked))
    }

    /// A record as a rep enters it: every value that cannot be used is an error.
    pub(crate) fn prepare(&self, fields: CustomerFields) -> Result<(CustomerFields, Profile)> {
        let (fields, profile, _) = self.prepare_strict(fields)?;
        Ok((fields, profile))
    }

    /// [`Service::prepare`], with the warnings about the values kept unverified.
    fn prepare_strict(
        &self,
        fields: CustomerFields,
    ) -> Result<(CustomerFields, Profile, Vec<FieldError>)> {
        let (fields, c) = self.checked(fields)?;
        if !c.errors.is_empty() {
            return Err(ServiceError::Invalid(c.errors));
        }
        Ok((fields, c.profile, c.warnings))
    }

    /// Like [`Service::prepare`], for imports and inbound leads, where a refused row or lead
    /// is a lost customer: a value that cannot be what its field says (letters for a phone,
    /// an e-mail without `@`) is taken out of its field and kept, as typed, in the note.
    /// Returns the warnings too: those values, and the values kept unverified. Only what
    /// cannot be set aside (no name, a name too long) is still an error.
    pub(crate) fn prepare_keeping(
        &self,
        fields: CustomerFields,
    ) -> Result<(CustomerFields, Profile, Vec<FieldError>)> {
        let (mut fields, checked) = self.checked(fields)?;
        if checked.errors.is_empty() {
            return Ok((fields, checked.profile, checked.warnings));
        }
        let mut warnings = checked.warnings;
        let mut notes = Vec::new();
        let mut refused = Vec::new();
        for e in checked.errors {
            match fields.set_aside(&e.field) {
                Some((label, value)) => {
                    notes.push(format!("{label}: {value}"));
                    warnings.push(FieldError::new(
                        e.field,
                        "kept_in_note",
                        format!(
                            "{}；已原样保存到备注 / kept as typed in the note",
                            e.message
                        ),
                    ));
                }
                None => refused.push(e),
            }
        }
        if !refused.is_empty() {
            return Err(ServiceError::Invalid(refused));
        }
        let set_aside = format!(
            "未能识别的值 / values not recognized — {}",
            notes.join("; ")
        );
        fields.note = Some(match fields.note.take() {
            Some(n) => format!("{n}\n{set_aside}"),
            None => set_aside,
        });
        let fields = fields.tidy();
        let profile = self
            .matcher
            .profile(&fields)
            .map_err(ServiceError::Invalid)?;
        Ok((fields, profile, warnings))
    }

    /// Stored customers that `profile` matches (suspected or duplicate), duplicates first,
    /// at most `max_matches` of them, and how many more there are.
    pub(crate) async fn find_matches(
        &self,
        exec: &mut Exec<'_>,
        profile: &Profile,
        exclude: Option<Id>,
    ) -> Result<Found> {
        let per_key = self.config.candidates_per_key;
        let found = exec
            .candidates_under(
                &profile.query_keys(),
                &profile.frequency_keys(),
                exclude,
                per_key,
                NAME_COUNT_LIMIT as i64,
            )
            .await?;
        let freq = frequency_of(profile, &found.counts);
        let candidates: Vec<(Candidate, Profile)> = exec
            .candidates(&found.ids)
            .await?
            .into_iter()
            .filter_map(|c| stored_profile(&c).map(|p| (c, p)))
            .collect();
        let freq = freq.with_cores(profile, candidates.iter().map(|(_, p)| p));
        let matches = candidates
            .iter()
            .map(|(c, stored)| self.match_view(profile, c, stored, freq))
            .filter(|m| m.verdict != Verdict::Distinct)
            .collect();
        Ok(Found::ranked(
            matches,
            self.config.max_matches,
            !found.capped,
        ))
    }

    pub(crate) fn compare_candidate(
        &self,
        profile: &Profile,
        c: Candidate,
        freq: NameFrequency,
    ) -> Result<Option<MatchView>> {
        Ok(stored_profile(&c).map(|stored| self.match_view(profile, &c, &stored, freq)))
    }

    /// How `profile` compares with stored customer `c` (whose profile is `stored`).
    pub(crate) fn match_view(
        &self,
        profile: &Profile,
        c: &Candidate,
        stored: &Profile,
        freq: NameFrequency,
    ) -> MatchView {
        let cmp = self.matcher.compare_with(profile, stored, freq);
        MatchView {
            customer_id: c.id,
            name: c.name.clone(),
            in_pool: c.owner.is_none(),
            owner: c.owner.clone().map(OwnerView::from),
            owned_since: c.owned_since,
            created_at: c.created_at,
            score: cmp.score,
            verdict: cmp.verdict,
            reasons: cmp.reasons,
            partial_name: cmp.partial_name,
        }
    }

    /// The duplicate check without saving anything.
    pub async fn check_customer(
        &self,
        _actor: &User,
        fields: CustomerFields,
    ) -> Result<CheckOutcome> {
        let (_, profile, warnings) = self.prepare_strict(fields)?;
        self.check_prepared(&profile, warnings).await
    }

    /// The duplicate check of a prepared record.
    pub(crate) async fn check_prepared(
        &self,
        profile: &Profile,
        warnings: Vec<FieldError>,
    ) -> Result<CheckOutcome> {
        let mut conn = self.store.read().await?;
        let found = self.find_matches(&mut conn.exec(), profile, None).await?;
        let verdict = match found.matches.first().map(|m| m.verdict) {
            Some(Verdict::Duplicate) => CheckVerdict::Duplicate,
            Some(Verdict::Suspected) => CheckVerdict::Suspected,
            _ => CheckVerdict::New,
        };
        Ok(CheckOutcome {
            verdict,
            matches: found.matches,
            more_matches: found.more,
            more_matches_exact: found.more_exact,
            warnings,
        })
    }

    /// Enters a customer: checked against every stored customer inside the transaction that
    /// saves it, owned by the actor (first come, first served), recorded in the audit log.
    pub async fn create_customer(&self, actor: &User, fields: CustomerFields) -> Result<Created> {
        let (fields, profile) = self.prepare(fields)?;
        self.create_prepared(actor, fields, profile).await
    }

    /// [`Service::create_customer`] of a prepared record.
    pub(crate) async fn create_prepared(
        &self,
        actor: &User,
        fields: CustomerFields,
        profile: Profile,
    ) -> Result<Created> {
        let entered = match self.store.backend() {
            // One writer: entries waiting for it are saved together (see `entries`).
            Backend::Sqlite => self.enter_grouped(actor, fields, profile).await?,
            // Concurrent writers: an entry locks its own keys only, so entries of different
            // companies do not wait for each other.
            Backend::Postgres => self.enter_one(actor, &fields, &profile).await?,
        };
        let customer = self.get_customer(actor, entered.id).await?;
        Ok(Created {
            customer,
            suspected: entered.suspected,
            collision_cases: entered.collision_cases,
        })
    }

    /// Enters one prepared customer in a transaction of its own.
    pub(crate) async fn enter_one(
        &self,
        actor: &User,
        fields: &CustomerFields,
        profile: &Profile,
    ) -> Result<Entered> {
        let mut tx = self.store.begin().await?;
        tx.lock_keys(&profile.lock_keys()).await?;
        tx.lock_user(actor.id).await?;
        let matches = self
            .find_matches(&mut tx.exec(), profile, None)
            .await?
            .matches;
        let (duplicates, suspected): (Vec<_>, Vec<_>) = matches
            .into_iter()
            .partition(|m| m.verdict == Verdict::Duplicate);
        if !duplicates.is_empty() {
            drop(tx);
            tracing::info!(actor = %actor.username, matched = duplicates[0].customer_id, "duplicate blocked");
            self.record_blocked(actor, fields, &duplicates[0]).await;
            return Err(ServiceError::Duplicate {
                matches: duplicates,
            });
        }
        self.ensure_cap_locked(&mut tx, actor).await?;
        let now = self.now();
        let id = match self
            .insert_new(
                &mut tx,
                actor,
                fields,
                profile,
                Some(actor.id),
                rules::FIRST_COME,
            )
            .await?
        {
            Ok(id) => id,
            Err(holder) => {
                drop(tx);
                let err = self.duplicate_of(profile, holder).await;
                if let ServiceError::Duplicate { matches } = &err
                    && let Some(m) = matches.first()
                {
                    self.record_blocked(actor, fields, m).await;
                }
                return Err(err);
            }
        };
        // Looks like another rep's customer: a case for their managers to settle.
        let collision_cases = self
            .open_cases_for_matches(
                &mut tx.exec(),
                CaseOrigin::SuspectedEntry,
                actor,
                Subject {
                    customer_id: id,
                    name: &fields.name,
                    entered_at: now,
                    owner_id: actor.id,
                },
                &suspected,
            )
            .await?;
        tx.commit().await?;
        self.grew();
        tracing::info!(actor = %actor.username, customer_id = id, "customer created");
        Ok(Entered {
            id,
            suspected,
            collision_cases,
        })
    }

    /// Saves a new customer that the caller has locked and checked, owned by `owner` (or in
    /// the pool), with its `created` audit entry under `rule`. `Ok(Err(holder))`: another
    /// customer holds one of its unique identifiers (possible only for a writer that skipped
    /// the key locks; the unique index still holds); the caller must roll back.
    pub(crate) async fn insert_new(
        &self,
        tx: &mut WriteTx,
        actor: &User,
        fields: &CustomerFields,
        profile: &Profile,
        owner: Option<Id>,
        rule: &str,
    ) -> Result<std::result::Result<Id, Id>> {
        let profile_json =
            serde_json::to_string(profile).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let now = self.now();
        let inserted = tx
            .exec()
            .insert_customer(&NewCustomer {
                fields,
                matching: MatchData {
                    name_search: &profile.name.folded,
                    profile: &profile_json,
                    version: i64::from(PROFILE_VERSION),
                    keys: &profile.index_keys(),
                    identities: &profile.unique_keys(),
                },
                created_by: actor.id,
                owner_id: owner,
                now,
                entered_at: None,
                protected_until: None,
            })
            .await;
        let id = match inserted {
            Ok(id) => id,
            Err(StoreError::IdentityTaken { customer_id, .. }) => return Ok(Err(customer_id)),
            Err(e) => return Err(e.into()),
        };
        tx.exec()
            .append_audit(&NewAuditEntry {
                at: now,
                customer_id: id,
                action: AuditAction::Created,
                actor_id: actor.id,
                before_owner_id: None,
                after_owner_id: owner,
                rule,
                reason: None,
            })
            .await?;
        Ok(Ok(id))
    }

    /// Records that an entry was refused as a duplicate (its own transaction: the entry's was
    /// rolled back). The owner and their managers see who tried, and when.
    async fn record_blocked(&self, actor: &User, entered: &CustomerFields, m: &MatchView) {
        let result: Result<()> = async {
            let mut tx = self.store.begin().await?;
            self.blocked_event(&mut tx.exec(), actor, entered, m)
                .await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not record a blocked duplicate");
        }
    }

    /// The `duplicate.blocked` event of an entry refused as a duplicate of `m`.
    pub(crate) async fn blocked_event(
        &self,
        exec: &mut Exec<'_>,
        actor: &User,
        entered: &CustomerFields,
        m: &MatchView,
    ) -> Result<()> {
        let owner_id = match &m.owner {
            Some(o) => exec.user_by_username(&o.username).await?.map(|u| u.id),
            None => None,
        };
        self.emit_blocked(exec, actor, entered, m, owner_id).await
    }

    /// [`Service::blocked_event`] when the matched customer's owner id is known.
    pub(crate) async fn emit_blocked(
        &self,
        exec: &mut Exec<'_>,
        actor: &User,
        entered: &CustomerFields,
        m: &MatchView,
        owner_id: Option<Id>,
    ) -> Result<()> {
        let mut events = EventBatch::default();
        events.push(duplicate_blocked(actor, entered, m, owner_id));
        events.write(self, exec).await?;
        Ok(())
    }

    pub(crate) async fn duplicate_of(&self, profile: &Profile, customer_id: Id) -> ServiceError {
        let result: Result<Vec<MatchView>> = async {
            let mut conn = self.store.read().await?;
            let candidates = conn.exec().candidates(&[customer_id]).await?;
            let mut out = Vec::new();
            for c in candidates {
                if let Some(mut m) = self.compare_candidate(profile, c, NameFrequency::default())? {
                    m.verdict = Verdict::Duplicate;
                    out.push(m);
                }
            }
            Ok(out)
        }
        .await;
        match result {
            Ok(matches) => ServiceError::Duplicate { matches },
            Err(e) => e,
        }
    }

    /// A customer as `actor` may see it. Someone else's customer is refused, with its owner
    /// and masked hints in the refusal; a pool customer is shown masked.
    pub async fn get_customer(&self, actor: &User, id: Id) -> Result<CustomerView> {
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        let customer = exec
            .get_customer(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "customer" })?;
        if customer.merged_into.is_some() {
            return Err(ServiceError::Merged {
                id,
                into: resolve(&mut exec, id).await?,
            });
        }
        let mut users = UserCache::default();
        let view = self.view(&mut exec, &mut users, actor, customer).await?;
        if view.access == Access::Limited && view.owner.is_some() {
            return Err(refused(view));
        }
        Ok(view)
    }

    /// Customer `id` as `actor` sees it, without the access check (after a change `actor`
    /// was allowed to make).
    pub(crate) async fn view_by_id(&self, actor: &User, id: Id) -> Result<CustomerView> {
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        let customer = exec
            .get_customer(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "customer" })?;
        self.view(&mut exec, &mut UserCache::default(), actor, customer)
            .await
    }

    /// Loads a customer that `actor` may change, or explains why not.
    pub(crate) async fn customer_for_change(
        &self,
        exec: &mut Exec<'_>,
        actor: &User,
        id: Id,
    ) -> Result<(Customer, Option<User>)> {
        let customer = exec
            .get_customer(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "customer" })?;
        let owner = match customer.owner_id {
            Some(o) => exec.user_by_id(o).await?,
            None => None,
        };
        if customer_access(actor, owner.as_ref()) == Access::Full {
            return Ok((customer, owner));
        }
        let mut users = UserCache::default();
        let view = self.view(exec, &mut users, actor, customer).await?;
        Err(refused(view))
    }

    pub(crate) async fn view(
        &self,
        exec: &mut Exec<'_>,
        users: &mut UserCache,
        actor: &User,
        c: Customer,
    ) -> Result<CustomerView> {
        let owner = match c.owner_id {
            Some(id) => Some(users.get(exec, id).await?),
            None => None,
        };
        let creator = users.get(exec, c.created_by).await?;
        let access = customer_access(actor, owner.as_ref());
        // The marks on values kept unverified are for those who see the values.
        let warnings = if access == Access::Full {
            self.matcher.warnings(&c.fields)
        } else {
            Vec::new()
        };
        Ok(CustomerView::new(
            c,
            access,
            warnings,
            OwnerView::from(&creator),
            owner.as_ref().map(OwnerView::from),
        ))
    }

    pub async fn list_customers(
        &self,
        actor: &User,
        req: ListCustomers,
    ) -> Result<Page<CustomerView>> {
        let (limit, offset) = page_bounds(req.limit, req.offset)?;
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        let scope = req.scope.unwrap_or(match actor.role {
            Role::Rep => Scope::Mine,
            Role::Manager => Scope::Team,
            Role::Admin => Scope::All,
        });
        let store_scope = match scope {
            Scope::Mine => CustomerScope::Owner(actor.id),
            Scope::Pool => CustomerScope::Pool,
            Scope::All if actor.is_admin() => CustomerScope::All,
            Scope::All => {
                return Err(ServiceError::forbidden(
                    "only an admin may list all customers",
                ));
            }
            Scope::Team if actor.role == Role::Rep => {
                return Err(ServiceError::forbidden(
                    "only managers and admins may list a team's customers",
                ));
            }
            Scope::Team => match &actor.team {
                Some(team) => match exec.team_by_name(team).await? {
                    Some(t) => CustomerScope::Team(t.id),
                    None => CustomerScope::Owner(actor.id),
                },
                None if actor.is_admin() => CustomerScope::All,
                None => CustomerScope::Owner(actor.id),
            },
        };
        let owner_id = match req
            .owner
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(username) => match exec.user_by_username(username).await? {
                Some(u) => Some(u.id),
                None => {
                    return Err(ServiceError::invalid(
                        "owner",
                        "unknown_user",
                        format!("no user named {username}"),
                    ));
                }
            },
            None => None,
        };
        let (name_contains, keys) = search_terms(req.q.as_deref());
        let query = CustomerQuery {
            scope: store_scope,
            name_contains,
            keys,
            owner_id,
            industry: req.industry.filter(|s| !s.trim().is_empty()),
            source: req.source.filter(|s| !s.trim().is_empty()),
            sort: match req.sort.unwrap_or_default() {
                Sort::Newest => CustomerSort::CreatedDesc,
                Sort::Oldest => CustomerSort::CreatedAsc,
                Sort::Name => CustomerSort::NameAsc,
                Sort::RecentlyUpdated => CustomerSort::UpdatedDesc,
                Sort::Stale => CustomerSort::LastFollowupAsc,
                Sort::RecentlyFollowedUp => CustomerSort::LastFollowupDesc,
            },
            limit,
            offset,
        };
        let (customers, total) = exec.list_customers(&query).await?;
        let mut users = UserCache::default();
        let mut items = Vec::with_capacity(customers.len());
        for c in customers {
            items.push(self.view(&mut exec, &mut users, actor, c).await?);
        }
        Ok(Page {
            items,
            total,
            limit,
            offset,
        })
    }

    /// Changes a customer. If the change gives it an identifier of another customer, it is
    /// refused as a duplicate, exactly as a new entry would be.
    pub async fn update_customer(
        &self,
        actor: &User,
        id: Id,
        patch: CustomerPatch,
    ) -> Result<CustomerView> {
        let mut tx = self.store.begin().await?;
        let id = self.lock_customer(&mut tx, id).await?;
        let (customer, _) = self.customer_for_change(&mut tx.exec(), actor, id).await?;
        let old_profile = self.matcher.profile(&customer.fields).ok();
        let (fields, profile) = self.prepare(patch.apply(customer.fields.clone()))?;
        let keys = profile.index_keys();
        let mut lock: Vec<MatchKey> = profile.lock_keys();
        if let Some(old) = &old_profile {
            lock.extend(old.lock_keys());
        }
        tx.lock_keys(&lock).await?;
        let matches = self
            .find_matches(&mut tx.exec(), &profile, Some(id))
            .await?
            .matches;
        // Only what this change brings about blocks it: a pair that was already a duplicate
        // before (entered under older rules, say) must not freeze the customer.
        let (duplicates, suspected): (Vec<MatchView>, Vec<MatchView>) = matches
            .into_iter()
            .partition(|m| m.verdict == Verdict::Duplicate);
        let new_duplicates = self
            .filter_previous(&mut tx.exec(), old_profile.as_ref(), duplicates)
            .await?;
        if !new_duplicates.is_empty() {
            return Err(ServiceError::Duplicate {
                matches: new_duplicates,
            });
        }
        let profile_json =
            serde_json::to_string(&profile).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let res = tx
            .exec()
            .update_customer(
                id,
                &fields,
                &MatchData {
                    name_search: &profile.name.folded,
                    profile: &profile_json,
                    version: i64::from(PROFILE_VERSION),
                    keys: &keys,
                    identities: &profile.unique_keys(),
                },
                self.now(),
            )
            .await;
        match res {
            Ok(()) => {}
            Err(StoreError::IdentityTaken { customer_id, .. }) => {
                drop(tx);
                return Err(self.duplicate_of(&profile, customer_id).await);
            }
            Err(e) => return Err(e.into()),
        }
        if let Some(owner_id) = customer.owner_id {
            self.open_cases_for_matches(
                &mut tx.exec(),
                CaseOrigin::Update,
                actor,
                Subject {
                    customer_id: id,
                    name: &fields.name,
                    entered_at: customer.created_at,
                    owner_id,
                },
                &suspected,
            )
            .await?;
        }
        tx.commit().await?;
        self.get_customer(actor, id).await
    }

    /// Drops matches that the customer's previous profile already matched as duplicates.
    async fn filter_previous(
        &self,
        exec: &mut Exec<'_>,
        old: Option<&Profile>,
        matches: Vec<MatchView>,
    ) -> Result<Vec<MatchView>> {
        let Some(old) = old else { return Ok(matches) };
        if matches.is_empty() {
            return Ok(matches);
        }
        let ids: Vec<Id> = matches.iter().map(|m| m.customer_id).collect();
        let previously: Vec<Id> = exec
            .candidates(&ids)
            .await?
            .into_iter()
            .filter(|c| {
                serde_json::from_str::<Profile>(&c.profile)
                    .map(|p| self.matcher.compare(old, &p).verdict == Verdict::Duplicate)
                    .unwrap_or(false)
            })
            .map(|c| c.id)
            .collect();
        Ok(matches
            .into_iter()
            .filter(|m| !previously.contains(&m.customer_id))
            .collect())
    }
}

/// A candidate's stored profile; an unreadable one is logged and skipped.
pub(crate) fn stored_profile(c: &Candidate) -> Option<Profile> {
    serde_json::from_str(&c.profile)
        .map_err(|e| {
            tracing::error!(customer_id = c.id, error = %e, "stored match profile is unreadable; skipping");
        })
        .ok()
}

/// The brand and name-key counts of `profile` among `counts` (counted under its keys).
pub(crate) fn frequency_of(profile: &Profile, counts: &HashMap<MatchKey, u64>) -> NameFrequency {
    NameFrequency::of(profile, |k| counts.get(k).map(|&n| n.min(NAME_COUNT_LIMIT)))
}

/// Matches of one record, best first, cut to the number a rep can read.
#[derive(Debug, Clone, Default)]
pub(crate) struct Found {
    pub matches: Vec<MatchView>,
    /// Matches beyond those listed.
    pub more: u64,
    /// Whether every stored customer that might match was compared (no key gave all it may).
    pub more_exact: bool,
}

impl Found {
    pub(crate) fn ranked(mut matches: Vec<MatchView>, max: usize, exact: bool) -> Found {
        let more = best_first(&mut matches, max, |m| (m.verdict, m.score, m.customer_id)) as u64;
        Found {
            matches,
            more,
            more_exact: exact,
        }
    }
}

fn refused(view: CustomerView) -> ServiceError {
    let message = match &view.owner {
        Some(o) => format!(
            "客户 {} 归 {}（{}）所有，您无权查看或修改 / customer #{} is owned by {}",
            view.name, o.display_name, o.username, view.id, o.username
        ),
        None => format!(
            "客户 {} 在公海中，请先领取 / customer #{} is in the public pool; claim it first",
            view.name, view.id
        ),
    };
    ServiceError::Forbidden {
        message,
        customer: Some(Box::new(view)),
    }
}

/// Splits a search box entry: a whole phone, e-mail or credit code is looked up by its key,
/// anything else is a name fragment.
fn search_terms(q: Option<&str>) -> (Option<String>, Vec<MatchKey>) {
    let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else {
        return (None, Vec::new());
    };
    if q.contains('@')
        && let Ok(e) = email::normalize_email(q)
    {
        return (None, vec![MatchKey::new(KeyKind::Email, e.address)]);
    }
    if let Ok(c) = credit_code::normalize_credit_code(q) {
        return (None, vec![MatchKey::new(KeyKind::CreditCode, c.as_str())]);
    }
    let digits = q.chars().filter(char::is_ascii_digit).count();
    if digits >= 7
        && let Ok(phones) = phone::parse_phones(q)
        && !phones.is_empty()
    {
        return (
            None,
            phones
                .into_iter()
                .map(|p| MatchKey::new(KeyKind::Phone, p.e164))
                .collect(),
        );
    }
    // Folded, "字節跳動" finds "字节跳动"; a query of punctuation only is searched as typed.
    let folded = text::fold(q);
    (
        Some(if folded.is_empty() {
            q.to_string()
        } else {
            folded
        }),
        Vec::new(),
    )
}

/// Users looked up while building a list of views, each once.
#[derive(Default)]
pub(crate) struct UserCache(HashMap<Id, User>);

impl UserCache {
    pub(crate) async fn get(&mut self, exec: &mut Exec<'_>, id: Id) -> Result<User> {
        if let Some(u) = self.0.get(&id) {
            return Ok(u.clone());
        }
        let u = exec
            .user_by_id(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "user" })?;
        self.0.insert(id, u.clone());
        Ok(u)
    }
}

/// The `duplicate.blocked` event of an entry refused as a duplicate of `m` (owned by
/// `owner_id`), seen by its owner and the rep who entered it.
pub(crate) fn duplicate_blocked(
    actor: &User,
    entered: &CustomerFields,
    m: &MatchView,
    owner_id: Option<Id>,
) -> PendingEvent {
    // The strongest evidence names the match reason in reports.
    let reason = m
        .reasons
        .iter()
        .filter(|r| r.weight > 0.0)
        .max_by(|a, b| a.weight.total_cmp(&b.weight))
        .map(|r| r.field.clone());
    PendingEvent {
        kind: EventType::DuplicateBlocked,
        customer_id: Some(m.customer_id),
        actor_id: Some(actor.id),
        owner_id,
        users: vec![actor.id],
        data: serde_json::json!({
            "entered_name": entered.name,
            "source": entered.source,
            "reason": reason,
            "matched_customer_id": m.customer_id,
            "matched_name": m.name,
            "owner": m.owner.as_ref().map(|o| o.username.clone()),
            "by": actor.username,
            "score": m.score,
        }),
    }
}
