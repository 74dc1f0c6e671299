//! Customers, their contacts, match keys and unique identities.

use std::collections::{BTreeSet, HashMap};

use leadguard_domain::customer::{Contact, Customer, CustomerFields, CustomerKind};
use leadguard_domain::keys::{KeyKind, MatchKey};
use leadguard_domain::{Id, Timestamp};
use sqlx::QueryBuilder;

use crate::Result;
use crate::error::StoreError;
use crate::exec::{Exec, on_backend};

/// What the matching engine derived from a customer, stored with it.
pub struct MatchData<'a> {
    /// Folded name, for search.
    pub name_search: &'a str,
    /// The engine's profile, serialized, and its version.
    pub profile: &'a str,
    pub version: i64,
    /// Blocking keys this customer is found under.
    pub keys: &'a [MatchKey],
    /// Identifiers that belong to this customer only.
    pub identities: &'a [MatchKey],
}

/// A customer to insert.
pub struct NewCustomer<'a> {
    pub fields: &'a CustomerFields,
    pub matching: MatchData<'a>,
    pub created_by: Id,
    pub owner_id: Option<Id>,
    pub now: Timestamp,
    /// When it was entered in the system it comes from (a migration): its created-at and
    /// owned-since, the first-come evidence. `None`: now.
    pub entered_at: Option<Timestamp>,
    /// Not recycled before then (a migrated customer's owner gets a full window to follow it
    /// up, however old its owned-since).
    pub protected_until: Option<Timestamp>,
}

/// What belongs to a saved customer row: its contacts, keys and identities.
pub struct CustomerParts<'a> {
    pub id: Id,
    pub contacts: &'a [Contact],
    pub keys: &'a [MatchKey],
    pub identities: &'a [MatchKey],
}

/// Rows per multi-row statement: well under SQLite's 32,766 and PostgreSQL's 65,535 bound
/// parameters for the widest table written this way (six columns).
const ROWS_PER_STATEMENT: usize = 1000;

/// A customer's stored match profile, for batch scans.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredProfile {
    pub id: Id,
    pub name: String,
    /// Owner's username; `None` in the pool.
    pub owner: Option<String>,
    /// The engine's profile (JSON).
    pub profile: String,
}

/// Who owns a customer, as others may learn it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerInfo {
    pub id: Id,
    pub username: String,
    pub display_name: String,
    pub team: Option<String>,
}

/// Customers found under a record's keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CandidateIds {
    /// Ascending, each once.
    pub ids: Vec<Id>,
    /// Some key held more customers than were taken from it.
    pub capped: bool,
    /// Customers under each counted key (up to the per-key limit).
    pub counts: HashMap<MatchKey, u64>,
}

/// A stored customer that shares a key with a record being checked.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: Id,
    pub name: String,
    pub created_at: Timestamp,
    pub owner: Option<OwnerInfo>,
    pub owned_since: Option<Timestamp>,
    /// The engine's stored profile (JSON).
    pub profile: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerScope {
    All,
    /// Owned by this user.
    Owner(Id),
    /// Owned by any member of this team.
    Team(Id),
    /// In the public pool.
    Pool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CustomerSort {
    #[default]
    CreatedDesc,
    CreatedAsc,
    NameAsc,
    UpdatedDesc,
    /// Longest without follow-up first (never followed up counts as oldest).
    LastFollowupAsc,
    LastFollowupDesc,
}

impl CustomerSort {
    fn order_by(self) -> &'static str {
        match self {
            CustomerSort::CreatedDesc => "c.created_at DESC, c.id DESC",
            CustomerSort::CreatedAsc => "c.created_at ASC, c.id ASC",
            CustomerSort::NameAsc => "c.name_search ASC, c.id ASC",
            CustomerSort::UpdatedDesc => "c.updated_at DESC, c.id DESC",
            CustomerSort::LastFollowupAsc => {
                "CASE WHEN c.last_followup_at IS NULL THEN 0 ELSE 1 END, c.last_followup_at ASC, c.id ASC"
            }
            CustomerSort::LastFollowupDesc => {
                "CASE WHEN c.last_followup_at IS NULL THEN 1 ELSE 0 END, c.last_followup_at DESC, c.id DESC"
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct CustomerQuery {
    pub scope: CustomerScope,
    /// Fragment of the name, as typed or folded (compared with both).
    pub name_contains: Option<String>,
    /// Customers holding any of these keys (e.g. a phone typed into the search box).
    pub keys: Vec<MatchKey>,
    pub owner_id: Option<Id>,
    pub industry: Option<String>,
    pub source: Option<String>,
    pub sort: CustomerSort,
    pub limit: i64,
    pub offset: i64,
}

#[derive(sqlx::FromRow)]
struct CustomerRow {
    id: i64,
    kind: String,
    name: String,
    phones: String,
    emails: String,
    website: Option<String>,
    credit_code: Option<String>,
    address: Option<String>,
    province: Option<String>,
    city: Option<String>,
    industry: Option<String>,
    size: Option<String>,
    source: Option<String>,
    postcode: Option<String>,
    birth_date: Option<String>,
    id_number: Option<String>,
    note: Option<String>,
    external_id: Option<String>,
    created_by: i64,
    created_at: Timestamp,
    owner_id: Option<i64>,
    owned_since: Option<Timestamp>,
    last_followup_at: Option<Timestamp>,
    updated_at: Timestamp,
    merged_into: Option<i64>,
}

macro_rules! select_customer {
    () => {
        "SELECT c.id, c.kind, c.name, c.phones, c.emails, c.website, c.credit_code, c.address,
                c.province, c.city, c.industry, c.size, c.source, c.postcode, c.birth_date,
                c.id_number, c.note, c.external_id, c.created_by, c.created_at,
                c.owner_id, c.owned_since, c.last_followup_at, c.updated_at, c.merged_into
         FROM customers c "
    };
}

#[derive(sqlx::FromRow)]
struct ContactRow {
    customer_id: i64,
    name: String,
    title: Option<String>,
    phones: String,
    emails: String,
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    id: i64,
    name: String,
    created_at: Timestamp,
    owner_id: Option<i64>,
    owner_username: Option<String>,
    owner_display_name: Option<String>,
    owner_team: Option<String>,
    owned_since: Option<Timestamp>,
    profile: String,
}

fn to_json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_string())
}

fn from_json(id: Id, v: &str) -> Result<Vec<String>> {
    serde_json::from_str(v).map_err(|e| StoreError::Corrupt(format!("customer {id}: {e}")))
}

impl CustomerRow {
    fn into_customer(self, contacts: Vec<Contact>) -> Result<Customer> {
        let kind = CustomerKind::parse(&self.kind).ok_or_else(|| {
            StoreError::Corrupt(format!("customer {}: unknown kind {}", self.id, self.kind))
        })?;
        Ok(Customer {
            fields: CustomerFields {
                kind,
                name: self.name,
                phones: from_json(self.id, &self.phones)?,
                emails: from_json(self.id, &self.emails)?,
                website: self.website,
                credit_code: self.credit_code,
                address: self.address,
                province: self.province,
                city: self.city,
                industry: self.industry,
                size: self.size,
                source: self.source,
                contacts,
                postcode: self.postcode,
                birth_date: self.birth_date,
                id_number: self.id_number,
                note: self.note,
                external_id: self.external_id,
            },
            id: self.id,
            created_by: self.created_by,
            created_at: self.created_at,
            owner_id: self.owner_id,
            owned_since: self.owned_since,
            last_followup_at: self.last_followup_at,
            updated_at: self.updated_at,
            merged_into: self.merged_into,
        })
    }
}

impl Exec<'_> {
    /// Inserts a customer with its contacts, keys and identities. Fails with
    /// [`StoreError::IdentityTaken`] if another customer holds one of the identities; the
    /// caller's transaction must then be rolled back.
    pub async fn insert_customer(&mut self, n: &NewCustomer<'_>) -> Result<Id> {
        let id = self.insert_customer_row(n).await?;
        self.insert_customer_parts(&[CustomerParts {
            id,
            contacts: &n.fields.contacts,
            keys: n.matching.keys,
            identities: n.matching.identities,
        }])
        .await?;
        Ok(id)
    }

    /// Replaces a customer's fields (and everything derived from them).
    pub async fn update_customer(
        &mut self,
        id: Id,
        f: &CustomerFields,
        m: &MatchData<'_>,
        now: Timestamp,
    ) -> Result<()> {
        self.update_customer_row(id, f, m, now).await?;
        self.delete_contacts_of(&[id]).await?;
        self.delete_match_keys(id).await?;
        self.insert_customer_parts(&[CustomerParts {
            id,
            contacts: &f.contacts,
            keys: m.keys,
            identities: m.identities,
        }])
        .await
    }

    /// Replaces a customer's row (its fields, profile and search name), not its contacts, keys
    /// or identities: for a change that only adds to them, written with
    /// [`Exec::insert_customer_parts`].
    pub async fn update_customer_row(
        &mut self,
        id: Id,
        f: &CustomerFields,
        m: &MatchData<'_>,
        now: Timestamp,
    ) -> Result<()> {
        let affected = on_backend!(self, c => sqlx::query(
            "UPDATE customers SET kind = $1, name = $2, name_search = $3, phones = $4, emails = $5,
                 website = $6, credit_code = $7, address = $8, province = $9, city = $10,
                 industry = $11, size = $12, source = $13, profile = $14, updated_at = $15,
                 postcode = $16, birth_date = $17, id_number = $18, profile_version = $19,
                 note = $20, external_id = $21
             WHERE id = $22",
        )
        .bind(f.kind.as_str())
        .bind(&f.name)
        .bind(m.name_search)
        .bind(to_json(&f.phones))
        .bind(to_json(&f.emails))
        .bind(f.website.as_deref())
        .bind(f.credit_code.as_deref())
        .bind(f.address.as_deref())
        .bind(f.province.as_deref())
        .bind(f.city.as_deref())
        .bind(f.industry.as_deref())
        .bind(f.size.as_deref())
        .bind(f.source.as_deref())
        .bind(m.profile)
        .bind(now)
        .bind(f.postcode.as_deref())
        .bind(f.birth_date.as_deref())
        .bind(f.id_number.as_deref())
        .bind(m.version)
        .bind(f.note.as_deref())
        .bind(f.external_id.as_deref())
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
        if affected == 0 {
            return Err(StoreError::NotFound { what: "customer" });
        }
        Ok(())
    }

    /// Saves what customers gained from duplicates of them (see the service's `evidence`):
    /// their phones, e-mails, web site, credit code, legacy id and profile, a hundred per
    /// statement. Only those columns are set, so that the indexes on the others are left
    /// alone. Each customer once in `rows`.
    pub async fn update_evidence_rows(
        &mut self,
        rows: &[(Id, &CustomerFields, &str)],
        now: Timestamp,
    ) -> Result<()> {
        for chunk in rows.chunks(100) {
            let affected = on_backend!(self, c => {
                let mut qb = QueryBuilder::new(
                    "WITH v (id, phones, emails, website, credit_code, external_id, profile) AS (",
                );
                qb.push_values(chunk, |mut b, (id, f, profile)| {
                    b.push_bind(*id)
                        .push_bind(to_json(&f.phones))
                        .push_bind(to_json(&f.emails))
                        .push_bind(f.website.as_deref())
                        .push_bind(f.credit_code.as_deref())
                        .push_bind(f.external_id.as_deref())
                        .push_bind(*profile);
                });
                qb.push(
                    ") UPDATE customers SET phones = v.phones, emails = v.emails,
                         website = v.website, credit_code = v.credit_code,
                         external_id = v.external_id, profile = v.profile, updated_at = ",
                );
                qb.push_bind(now);
                qb.push(" FROM v WHERE customers.id = v.id");
                qb.build().execute(&mut **c).await.map(|r| r.rows_affected())
            })?;
            if affected < chunk.len() as u64 {
                return Err(StoreError::NotFound { what: "customer" });
            }
        }
        Ok(())
    }

    /// Deletes the contacts of these customers, a thousand per statement.
    pub async fn delete_contacts_of(&mut self, ids: &[Id]) -> Result<()> {
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            on_backend!(self, c => {
                let mut qb = QueryBuilder::new("DELETE FROM contacts WHERE customer_id IN (");
                let mut list = qb.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                list.push_unseparated(")");
                qb.build().execute(&mut **c).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    pub(crate) async fn delete_match_keys(&mut self, id: Id) -> Result<()> {
        on_backend!(self, c => sqlx::query("DELETE FROM customer_keys WHERE customer_id = $1")
            .bind(id).execute(&mut **c).await.map(|_| ()))?;
        on_backend!(self, c => sqlx::query("DELETE FROM customer_identities WHERE customer_id = $1")
            .bind(id).execute(&mut **c).await.map(|_| ()))?;
        Ok(())
    }

    /// Rebuilds what the engine derived from a customer (after the engine changed). Identities
    /// another customer already holds are skipped and returned: those pairs are duplicates
    /// entered under older rules, for a batch scan to report.
    pub async fn replace_match_data(&mut self, id: Id, m: &MatchData<'_>) -> Result<Vec<MatchKey>> {
        on_backend!(self, c => sqlx::query(
            "UPDATE customers SET name_search = $1, profile = $2, profile_version = $3 WHERE id = $4",
        )
        .bind(m.name_search)
        .bind(m.profile)
        .bind(m.version)
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        self.delete_match_keys(id).await?;
        self.insert_customer_parts(&[CustomerParts {
            id,
            contacts: &[],
            keys: m.keys,
            identities: &[],
        }])
        .await?;
        let mut taken = Vec::new();
        for k in m.identities {
            let one = CustomerParts {
                id,
                contacts: &[],
                keys: &[],
                identities: std::slice::from_ref(k),
            };
            match self.insert_customer_parts(&[one]).await {
                Ok(()) => {}
                Err(StoreError::IdentityTaken { .. }) => taken.push(k.clone()),
                Err(e) => return Err(e),
            }
        }
        Ok(taken)
    }

    /// Customers whose stored profile is older than `version`, oldest id first.
    pub async fn outdated_profiles(&mut self, version: i64, limit: i64) -> Result<Vec<Customer>> {
        let rows = on_backend!(self, c => sqlx::query_as::<_, CustomerRow>(
            concat!(select_customer!(), "WHERE c.profile_version < $1 AND c.merged_into IS NULL ORDER BY c.id LIMIT $2"),
        )
        .bind(version)
        .bind(limit)
        .fetch_all(&mut **c)
        .await)?;
        let ids: Vec<Id> = rows.iter().map(|r| r.id).collect();
        let mut contacts = self.contacts_of(&ids).await?;
        rows.into_iter()
            .map(|r| {
                let cs = contacts.remove(&r.id).unwrap_or_default();
                r.into_customer(cs)
            })
            .collect()
    }

    /// Saves one customer's row only; its contacts, keys and identities come with
    /// [`Exec::insert_customer_parts`]. Imports insert many rows, then all parts at once.
    pub async fn insert_customer_row(&mut self, n: &NewCustomer<'_>) -> Result<Id> {
        let f = n.fields;
        let m = &n.matching;
        let created_at = n.entered_at.unwrap_or(n.now);
        let owned_since = n.owner_id.map(|_| created_at);
        Ok(on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "INSERT INTO customers (kind, name, name_search, phones, emails, website, credit_code,
                 address, province, city, industry, size, source, created_by, created_at, owner_id,
                 owned_since, updated_at, profile, postcode, birth_date, id_number, profile_version,
                 note, protected_until, external_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                     $20, $21, $22, $23, $24, $25, $26)
             RETURNING id",
        )
        .bind(f.kind.as_str())
        .bind(&f.name)
        .bind(m.name_search)
        .bind(to_json(&f.phones))
        .bind(to_json(&f.emails))
        .bind(f.website.as_deref())
        .bind(f.credit_code.as_deref())
        .bind(f.address.as_deref())
        .bind(f.province.as_deref())
        .bind(f.city.as_deref())
        .bind(f.industry.as_deref())
        .bind(f.size.as_deref())
        .bind(f.source.as_deref())
        .bind(n.created_by)
        .bind(created_at)
        .bind(n.owner_id)
        .bind(owned_since)
        .bind(n.now)
        .bind(m.profile)
        .bind(f.postcode.as_deref())
        .bind(f.birth_date.as_deref())
        .bind(f.id_number.as_deref())
        .bind(m.version)
        .bind(f.note.as_deref())
        .bind(n.protected_until)
        .bind(f.external_id.as_deref())
        .fetch_one(&mut **c)
        .await)?)
    }

    /// `n` new customer ids, for rows inserted with [`Exec::insert_customer_rows`] in the same
    /// transaction (which holds the writer's lock on SQLite; PostgreSQL draws them from the
    /// column's sequence). Ids left unused are simply never seen.
    pub async fn reserve_customer_ids(&mut self, n: usize) -> Result<Vec<Id>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let count = i64::try_from(n).map_err(|_| StoreError::Corrupt("too many ids".into()))?;
        match self {
            Exec::Sqlite(c) => {
                let max: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM customers")
                    .fetch_one(&mut **c)
                    .await?;
                Ok((max + 1..=max + count).collect())
            }
            Exec::Postgres(c) => Ok(sqlx::query_scalar::<_, i64>(
                "SELECT nextval(pg_get_serial_sequence('customers', 'id'))
                 FROM generate_series(1, $1)",
            )
            .bind(count)
            .fetch_all(&mut **c)
            .await?),
        }
    }

    /// Saves customer rows under ids from [`Exec::reserve_customer_ids`], as
    /// [`Exec::insert_customer_row`] does one, two hundred per statement.
    pub async fn insert_customer_rows(&mut self, rows: &[(Id, NewCustomer<'_>)]) -> Result<()> {
        for chunk in rows.chunks(200) {
            let json: Vec<(String, String)> = chunk
                .iter()
                .map(|(_, n)| (to_json(&n.fields.phones), to_json(&n.fields.emails)))
                .collect();
            on_backend!(self, c => {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO customers (id, kind, name, name_search, phones, emails, website,
                         credit_code, address, province, city, industry, size, source, created_by,
                         created_at, owner_id, owned_since, updated_at, profile, postcode, birth_date,
                         id_number, profile_version, note, protected_until, external_id) ",
                );
                qb.push_values(chunk.iter().zip(&json), |mut b, ((id, n), (phones, emails))| {
                    let f = n.fields;
                    let m = &n.matching;
                    let created_at = n.entered_at.unwrap_or(n.now);
                    b.push_bind(*id)
                        .push_bind(f.kind.as_str())
                        .push_bind(f.name.as_str())
                        .push_bind(m.name_search)
                        .push_bind(phones.as_str())
                        .push_bind(emails.as_str())
                        .push_bind(f.website.as_deref())
                        .push_bind(f.credit_code.as_deref())
                        .push_bind(f.address.as_deref())
                        .push_bind(f.province.as_deref())
                        .push_bind(f.city.as_deref())
                        .push_bind(f.industry.as_deref())
                        .push_bind(f.size.as_deref())
                        .push_bind(f.source.as_deref())
                        .push_bind(n.created_by)
                        .push_bind(created_at)
                        .push_bind(n.owner_id)
                        .push_bind(n.owner_id.map(|_| created_at))
                        .push_bind(n.now)
                        .push_bind(m.profile)
                        .push_bind(f.postcode.as_deref())
                        .push_bind(f.birth_date.as_deref())
                        .push_bind(f.id_number.as_deref())
                        .push_bind(m.version)
                        .push_bind(f.note.as_deref())
                        .push_bind(n.protected_until)
                        .push_bind(f.external_id.as_deref());
                });
                qb.build().execute(&mut **c).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Saves the contacts, match keys and identities of customers whose rows are saved, a
    /// few statements for any number of customers. Fails with `IdentityTaken` (naming the
    /// first identifier held by another customer) if an identity is someone else's.
    pub async fn insert_customer_parts(&mut self, parts: &[CustomerParts<'_>]) -> Result<()> {
        let contacts: Vec<(Id, usize, &Contact)> = parts
            .iter()
            .flat_map(|p| p.contacts.iter().enumerate().map(|(i, c)| (p.id, i, c)))
            .collect();
        for chunk in contacts.chunks(ROWS_PER_STATEMENT) {
            on_backend!(self, c => {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO contacts (customer_id, position, name, title, phones, emails) ",
                );
                qb.push_values(chunk, |mut b, (id, pos, ct)| {
                    b.push_bind(*id)
                        .push_bind(*pos as i64)
                        .push_bind(ct.name.clone())
                        .push_bind(ct.title.clone())
                        .push_bind(to_json(&ct.phones))
                        .push_bind(to_json(&ct.emails));
                });
                qb.build().execute(&mut **c).await.map(|_| ())
            })?;
        }
        let keys: BTreeSet<(&MatchKey, Id)> = parts
            .iter()
            .flat_map(|p| p.keys.iter().map(move |k| (k, p.id)))
            .collect();
        let keys: Vec<_> = keys.into_iter().collect();
        for chunk in keys.chunks(ROWS_PER_STATEMENT) {
            on_backend!(self, c => {
                let mut qb = QueryBuilder::new("INSERT INTO customer_keys (kind, value, customer_id) ");
                qb.push_values(chunk, |mut b, (k, id)| {
                    b.push_bind(k.kind.as_str()).push_bind(k.value.clone()).push_bind(*id);
                });
                qb.push(" ON CONFLICT DO NOTHING");
                qb.build().execute(&mut **c).await.map(|_| ())
            })?;
        }
        let identities: BTreeSet<(&MatchKey, Id)> = parts
            .iter()
            .flat_map(|p| p.identities.iter().map(move |k| (k, p.id)))
            .collect();
        let identities: Vec<_> = identities.into_iter().collect();
        for chunk in identities.chunks(ROWS_PER_STATEMENT) {
            let inserted = on_backend!(self, c => {
                let mut qb = QueryBuilder::new("INSERT INTO customer_identities (kind, value, customer_id) ");
                qb.push_values(chunk, |mut b, (k, id)| {
                    b.push_bind(k.kind.as_str()).push_bind(k.value.clone()).push_bind(*id);
                });
                qb.push(" ON CONFLICT (kind, value) DO NOTHING");
                qb.build().execute(&mut **c).await.map(|r| r.rows_affected())
            })?;
            if inserted < chunk.len() as u64 {
                for (k, id) in chunk {
                    let holder = self.identity_holder(k).await?.unwrap_or_default();
                    if holder != *id {
                        return Err(StoreError::IdentityTaken {
                            kind: k.kind,
                            value: k.value.clone(),
                            customer_id: holder,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Who holds each of `keys` that some customer holds (an import batch's identifiers), in
    /// one statement per thousand keys.
    pub async fn identity_holders(&mut self, keys: &[MatchKey]) -> Result<HashMap<MatchKey, Id>> {
        let rows = self
            .customers_by_key(
                keys,
                "SELECT i.kind, i.value, i.customer_id FROM q
                 JOIN customer_identities i ON i.kind = q.kind AND i.value = q.value",
            )
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Runs `select` for `keys`, a thousand at a time, listed before it as `q (kind, value)`;
    /// `select` returns (kind, value, customer_id) rows.
    async fn customers_by_key(
        &mut self,
        keys: &[MatchKey],
        select: &str,
    ) -> Result<Vec<(MatchKey, Id)>> {
        let mut found = Vec::new();
        let keys: BTreeSet<&MatchKey> = keys.iter().collect();
        let keys: Vec<&MatchKey> = keys.into_iter().collect();
        for chunk in keys.chunks(ROWS_PER_STATEMENT) {
            let rows = on_backend!(self, c => {
                let mut qb = QueryBuilder::new("WITH q (kind, value) AS (");
                qb.push_values(chunk, |mut b, k| {
                    b.push_bind(k.kind.as_str()).push_bind(k.value.clone());
                });
                qb.push(") ").push(select);
                // Planned for each call (not a cached generic plan): the tables grow by the
                // thousands during an import, and a plan made when they were small scans them
                // whole.
                qb.build_query_as::<(String, String, i64)>().persistent(false).fetch_all(&mut **c).await
            })?;
            for (kind, value, id) in rows {
                if let Some(kind) = KeyKind::parse(&kind) {
                    found.push((MatchKey { kind, value }, id));
                }
            }
        }
        Ok(found)
    }

    /// Customers whose record id in a previous CRM is one of `ids`: (that id, customer,
    /// the customer it was merged into if it was), a thousand ids per statement.
    pub async fn customers_by_external_id(
        &mut self,
        ids: &[String],
    ) -> Result<Vec<(String, Id, Option<Id>)>> {
        self.customers_where_in("external_id", ids).await
    }

    /// Customers whose folded name (see the matching engine) is one of `names`: (that name,
    /// customer, the customer it was merged into if it was).
    pub async fn customers_by_folded_name(
        &mut self,
        names: &[String],
    ) -> Result<Vec<(String, Id, Option<Id>)>> {
        self.customers_where_in("name_search", names).await
    }

    /// The team of each customer's owner (`None`: in the pool, or an owner without a team).
    pub async fn owner_teams(&mut self, ids: &[Id]) -> Result<HashMap<Id, Option<String>>> {
        let ids: BTreeSet<Id> = ids.iter().copied().collect();
        let ids: Vec<Id> = ids.into_iter().collect();
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let rows = on_backend!(self, c => {
                let mut qb = QueryBuilder::new(
                    "SELECT c.id, t.name FROM customers c
                     LEFT JOIN users u ON u.id = c.owner_id
                     LEFT JOIN teams t ON t.id = u.team_id
                     WHERE c.id IN (",
                );
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                qb.push(")");
                qb.build_query_as::<(i64, Option<String>)>()
                    .persistent(false)
                    .fetch_all(&mut **c)
                    .await
            })?;
            out.extend(rows);
        }
        Ok(out)
    }

    async fn customers_where_in(
        &mut self,
        column: &'static str,
        values: &[String],
    ) -> Result<Vec<(String, Id, Option<Id>)>> {
        let values: BTreeSet<&String> = values.iter().filter(|v| !v.is_empty()).collect();
        let values: Vec<&String> = values.into_iter().collect();
        let mut found = Vec::new();
        for chunk in values.chunks(ROWS_PER_STATEMENT) {
            let rows = on_backend!(self, c => {
                let mut qb = QueryBuilder::new(format!(
                    "SELECT {column}, id, merged_into FROM customers WHERE {column} IN ("
                ));
                let mut sep = qb.separated(", ");
                for v in chunk {
                    sep.push_bind((*v).clone());
                }
                qb.push(") ORDER BY id");
                qb.build_query_as::<(String, i64, Option<i64>)>()
                    .persistent(false)
                    .fetch_all(&mut **c)
                    .await
            })?;
            found.extend(rows);
        }
        Ok(found)
    }

    pub async fn identity_holder(&mut self, key: &MatchKey) -> Result<Option<Id>> {
        Ok(on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "SELECT customer_id FROM customer_identities WHERE kind = $1 AND value = $2",
        )
        .bind(key.kind.as_str())
        .bind(&key.value)
        .fetch_optional(&mut **c)
        .await)?)
    }

    pub async fn get_customer(&mut self, id: Id) -> Result<Option<Customer>> {
        let row = on_backend!(self, c => sqlx::query_as::<_, CustomerRow>(concat!(select_customer!(), "WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(&mut **c)
            .await)?;
        let Some(row) = row else { return Ok(None) };
        let mut contacts = self.contacts_of(&[id]).await?;
        row.into_customer(contacts.remove(&id).unwrap_or_default())
            .map(Some)
    }

    /// The customers with these ids (those that exist), by id, five hundred per statement.
    pub async fn customers_by_ids(&mut self, ids: &[Id]) -> Result<HashMap<Id, Customer>> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows = on_backend!(self, c => {
                let mut qb = QueryBuilder::new(concat!(select_customer!(), "WHERE c.id IN ("));
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                qb.push(")");
                qb.build_query_as::<CustomerRow>().fetch_all(&mut **c).await
            })?;
            let mut contacts = self.contacts_of(chunk).await?;
            for r in rows {
                let cs = contacts.remove(&r.id).unwrap_or_default();
                let customer = r.into_customer(cs)?;
                out.insert(customer.id, customer);
            }
        }
        Ok(out)
    }

    async fn contacts_of(&mut self, ids: &[Id]) -> Result<HashMap<Id, Vec<Contact>>> {
        let mut out: HashMap<Id, Vec<Contact>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let rows = on_backend!(self, c => {
            let mut qb = QueryBuilder::new(
                "SELECT customer_id, name, title, phones, emails FROM contacts WHERE customer_id IN (",
            );
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            qb.push(") ORDER BY customer_id, position");
            qb.build_query_as::<ContactRow>().fetch_all(&mut **c).await
        })?;
        for r in rows {
            let contact = Contact {
                phones: from_json(r.customer_id, &r.phones)?,
                emails: from_json(r.customer_id, &r.emails)?,
                name: r.name,
                title: r.title,
            };
            out.entry(r.customer_id).or_default().push(contact);
        }
        Ok(out)
    }

    /// Ids of customers sharing any of `keys`, at most `per_key` per key so that a key shared by
    /// thousands (a common name) cannot blow up a check; whether some key had more customers
    /// than it gave; and how many customers each of `counted` holds (up to `count_limit`, or as
    /// many as the look-up gave for a key also looked up). One round trip for all of it.
    pub async fn candidates_under(
        &mut self,
        keys: &[MatchKey],
        counted: &[MatchKey],
        exclude: Option<Id>,
        per_key: i64,
        count_limit: i64,
    ) -> Result<CandidateIds> {
        // A counted key that is also looked up is counted by what the look-up gives.
        let extra: Vec<&MatchKey> = counted.iter().filter(|k| !keys.contains(k)).collect();
        if keys.is_empty() && extra.is_empty() {
            return Ok(CandidateIds::default());
        }
        // Looked-up keys give their ids; counted keys one row each, the count in place of an
        // id. The limits are written into the SQL, not bound: SQLite re-prepares a statement
        // whose LIMIT is a bound parameter every time it runs.
        let subqueries = keys
            .iter()
            .map(|k| (k, false))
            .chain(extra.iter().map(|k| (*k, true)));
        let found = on_backend!(self, c => {
            let mut qb = QueryBuilder::new("SELECT k, customer_id FROM (");
            for (i, (k, count)) in subqueries.clone().enumerate() {
                if i > 0 {
                    qb.push(" UNION ALL ");
                }
                let (select, rest) = if count {
                    ("COUNT(*) AS customer_id FROM (SELECT 1", format!(" LIMIT {count_limit}) AS s{i}"))
                } else {
                    ("customer_id FROM (SELECT customer_id", format!(" ORDER BY customer_id LIMIT {per_key}) AS s{i}"))
                };
                qb.push(format!("SELECT CAST({i} AS BIGINT) AS k, {select} FROM customer_keys WHERE kind = "))
                    .push_bind(k.kind.as_str().to_string())
                    .push(" AND value = ")
                    .push_bind(k.value.clone())
                    .push(" AND customer_id <> ")
                    .push_bind(exclude.unwrap_or(-1))
                    .push(rest);
            }
            qb.push(") AS candidates");
            qb.build_query_as::<(i64, i64)>().fetch_all(&mut **c).await
        })?;
        let mut per = vec![0i64; keys.len()];
        let mut counts: HashMap<MatchKey, u64> = HashMap::with_capacity(counted.len());
        let mut ids: Vec<Id> = Vec::with_capacity(found.len());
        for (k, id) in found {
            let Ok(k) = usize::try_from(k) else { continue };
            if let Some(n) = per.get_mut(k) {
                *n += 1;
                ids.push(id);
            } else if let Some(key) = extra.get(k - keys.len()) {
                counts.insert((*key).clone(), u64::try_from(id).unwrap_or(0));
            }
        }
        for (i, k) in keys.iter().enumerate() {
            if counted.contains(k) {
                counts.insert(k.clone(), u64::try_from(per[i]).unwrap_or(0));
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(CandidateIds {
            ids,
            capped: per.iter().any(|&n| n >= per_key),
            counts,
        })
    }

    /// How many customers are stored under each of `keys` (an import batch's brands and names),
    /// each counted up to `at_most`, a thousand keys per statement; only customers with an id up
    /// to `up_to` when given (those stored before a given moment).
    pub async fn key_counts_many(
        &mut self,
        keys: &[MatchKey],
        at_most: i64,
        up_to: Option<Id>,
    ) -> Result<HashMap<MatchKey, u64>> {
        let bound = up_to.unwrap_or(Id::MAX);
        let select = format!(
            "SELECT q.kind, q.value, (SELECT COUNT(*) FROM (
                SELECT 1 FROM customer_keys k WHERE k.kind = q.kind AND k.value = q.value
                AND k.customer_id <= {bound} LIMIT {at_most}) AS c) AS n FROM q"
        );
        Ok(self
            .customers_by_key(keys, &select)
            .await?
            .into_iter()
            .map(|(k, n)| (k, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// The largest customer id stored (0 when there is none).
    pub async fn max_customer_id(&mut self) -> Result<Id> {
        Ok(on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "SELECT COALESCE(MAX(id), 0) FROM customers",
        )
        .fetch_one(&mut **c)
        .await)?)
    }

    /// [`Exec::candidates_under`] for many records at once (an import batch): for every key, the
    /// first `per_key` customers found under it, in a few statements.
    pub async fn candidate_ids_by_key(
        &mut self,
        keys: &[MatchKey],
        per_key: i64,
    ) -> Result<HashMap<MatchKey, Vec<Id>>> {
        // Per key, the id of its `per_key`-th customer bounds the join: an index seek and a
        // short walk per key, however many customers share it.
        let select = format!(
            ", cut AS MATERIALIZED (
                SELECT q.kind, q.value, COALESCE((
                    SELECT k2.customer_id FROM customer_keys k2
                    WHERE k2.kind = q.kind AND k2.value = q.value
                    ORDER BY k2.customer_id LIMIT 1 OFFSET {}
                ), 9223372036854775807) AS last FROM q)
             SELECT k.kind, k.value, k.customer_id FROM cut
             JOIN customer_keys k ON k.kind = cut.kind AND k.value = cut.value
                                 AND k.customer_id <= cut.last",
            per_key.max(1) - 1
        );
        let mut found: HashMap<MatchKey, Vec<Id>> = HashMap::new();
        for (key, id) in self.customers_by_key(keys, &select).await? {
            found.entry(key).or_default().push(id);
        }
        Ok(found)
    }

    pub async fn candidates(&mut self, ids: &[Id]) -> Result<Vec<Candidate>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_backend!(self, c => {
            let mut qb = QueryBuilder::new(
                "SELECT c.id, c.name, c.created_at, c.owner_id, u.username AS owner_username,
                        u.display_name AS owner_display_name, t.name AS owner_team, c.owned_since, c.profile
                 FROM customers c
                 LEFT JOIN users u ON u.id = c.owner_id
                 LEFT JOIN teams t ON t.id = u.team_id
                 WHERE c.id IN (",
            );
            let mut sep = qb.separated(", ");
            // Padded to a power of two by repeating the last id, so that a few statement
            // shapes serve every number of candidates and stay in the statement cache.
            let padding = ids.len().next_power_of_two().max(8) - ids.len();
            for id in ids.iter().chain(std::iter::repeat_n(&ids[ids.len() - 1], padding)) {
                sep.push_bind(*id);
            }
            qb.push(") ORDER BY c.id");
            qb.build_query_as::<CandidateRow>().fetch_all(&mut **c).await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| Candidate {
                owner: match (r.owner_id, r.owner_username, r.owner_display_name) {
                    (Some(id), Some(username), Some(display_name)) => Some(OwnerInfo {
                        id,
                        username,
                        display_name,
                        team: r.owner_team,
                    }),
                    _ => None,
                },
                id: r.id,
                name: r.name,
                created_at: r.created_at,
                owned_since: r.owned_since,
                profile: r.profile,
            })
            .collect())
    }

    /// How many customers the user owns, up to `at_most` (their cap): exact below it, and no
    /// slower for a rep who owns fifty thousand (SQLite reads the count its triggers keep;
    /// PostgreSQL counts at most `at_most` index entries).
    pub async fn count_owned(&mut self, user_id: Id, at_most: u32) -> Result<u64> {
        let n = match self {
            Exec::Sqlite(c) => sqlx::query_scalar::<_, i64>(
                "SELECT COALESCE((SELECT owned FROM owner_counts WHERE user_id = $1), 0)",
            )
            .bind(user_id)
            .fetch_one(&mut **c)
            .await?
            .min(i64::from(at_most)),
            Exec::Postgres(c) => sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM (SELECT 1 FROM customers WHERE owner_id = $1 LIMIT $2) AS owned",
            )
            .bind(user_id)
            .bind(i64::from(at_most))
            .fetch_one(&mut **c)
            .await?,
        };
        Ok(n.max(0) as u64)
    }

    /// Moves a customer from `expected` to `new_owner` (`None`: the pool), only if its owner is
    /// still `expected`. Starts a new ownership: protected until `protected_until`, no recycle
    /// warning given yet. Returns whether it moved: a lost race is not an error here.
    pub async fn set_owner(
        &mut self,
        id: Id,
        expected: Option<Id>,
        new_owner: Option<Id>,
        now: Timestamp,
        protected_until: Option<Timestamp>,
    ) -> Result<bool> {
        let owned_since = new_owner.map(|_| now);
        let n = on_backend!(self, c => sqlx::query(
            "UPDATE customers SET owner_id = $1, owned_since = $2, updated_at = $3, protected_until = $4,
                 recycle_warned_at = NULL
             WHERE id = $5 AND owner_id IS NOT DISTINCT FROM $6",
        )
        .bind(new_owner)
        .bind(owned_since)
        .bind(now)
        .bind(protected_until)
        .bind(id)
        .bind(expected)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// A page of customers and the total number matching the query.
    pub async fn list_customers(&mut self, q: &CustomerQuery) -> Result<(Vec<Customer>, i64)> {
        let (rows, total) = on_backend!(self, c => {
            let mut qb = QueryBuilder::new(concat!(select_customer!(), "WHERE c.merged_into IS NULL"));
            push_customer_filter(&mut qb, q);
            qb.push(" ORDER BY ").push(q.sort.order_by());
            qb.push(" LIMIT ").push_bind(q.limit).push(" OFFSET ").push_bind(q.offset);
            let rows = qb.build_query_as::<CustomerRow>().fetch_all(&mut **c).await?;
            let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM customers c WHERE c.merged_into IS NULL");
            push_customer_filter(&mut qb, q);
            let total: i64 = qb.build_query_scalar().fetch_one(&mut **c).await?;
            Ok::<_, sqlx::Error>((rows, total))
        })?;
        let ids: Vec<Id> = rows.iter().map(|r| r.id).collect();
        let mut contacts = self.contacts_of(&ids).await?;
        let customers = rows
            .into_iter()
            .map(|r| {
                let cs = contacts.remove(&r.id).unwrap_or_default();
                r.into_customer(cs)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((customers, total))
    }

    /// Stored profiles with their customer's name and owner, by id, `limit` at a time after
    /// `after_id`: for scanning the whole customer base.
    pub async fn match_profiles(&mut self, after_id: Id, limit: i64) -> Result<Vec<StoredProfile>> {
        Ok(on_backend!(self, c => sqlx::query_as::<_, StoredProfile>(
            "SELECT c.id, c.name, u.username AS owner, c.profile
             FROM customers c LEFT JOIN users u ON u.id = c.owner_id
             WHERE c.id > $1 AND c.merged_into IS NULL ORDER BY c.id LIMIT $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(&mut **c)
        .await)?)
    }

    pub async fn count_customers(&mut self) -> Result<i64> {
        Ok(
            on_backend!(self, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM customers WHERE merged_into IS NULL")
            .fetch_one(&mut **c)
            .await)?,
        )
    }
}

/// Appends the WHERE conditions of `q` (after a `WHERE 1 = 1`).
fn push_customer_filter<DB>(qb: &mut QueryBuilder<DB>, q: &CustomerQuery)
where
    DB: sqlx::Database,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    match q.scope {
        CustomerScope::All => {}
        CustomerScope::Owner(id) => {
            qb.push(" AND c.owner_id = ").push_bind(id);
        }
        CustomerScope::Team(team) => {
            qb.push(" AND c.owner_id IN (SELECT id FROM users WHERE team_id = ")
                .push_bind(team)
                .push(")");
        }
        CustomerScope::Pool => {
            qb.push(" AND c.owner_id IS NULL");
        }
    }
    if let Some(owner) = q.owner_id {
        qb.push(" AND c.owner_id = ").push_bind(owner);
    }
    if let Some(s) = q.name_contains.as_deref().filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", escape_like(s));
        qb.push(" AND (c.name_search LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR c.name LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
    if !q.keys.is_empty() {
        qb.push(" AND c.id IN (SELECT customer_id FROM customer_keys WHERE ");
        for (i, k) in q.keys.iter().enumerate() {
            if i > 0 {
                qb.push(" OR ");
            }
            qb.push("(kind = ")
                .push_bind(k.kind.as_str().to_string())
                .push(" AND value = ")
                .push_bind(k.value.clone())
                .push(")");
        }
        qb.push(")");
    }
    if let Some(v) = q.industry.as_deref() {
        qb.push(" AND c.industry = ").push_bind(v.to_string());
    }
    if let Some(v) = q.source.as_deref() {
        qb.push(" AND c.source = ").push_bind(v.to_string());
    }
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}
