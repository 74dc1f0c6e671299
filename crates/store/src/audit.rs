//! The append-only audit log of ownership changes. There is no update or delete here, and the
//! database refuses them too (triggers in the migrations).

use leadguard_domain::audit::{AuditAction, AuditEntry};
use leadguard_domain::{Id, Timestamp};
use sqlx::QueryBuilder;

use crate::Result;
use crate::error::StoreError;
use crate::exec::{Exec, on_backend};

#[derive(Debug, Clone)]
pub struct NewAuditEntry<'a> {
    pub at: Timestamp,
    pub customer_id: Id,
    pub action: AuditAction,
    pub actor_id: Id,
    pub before_owner_id: Option<Id>,
    pub after_owner_id: Option<Id>,
    pub rule: &'a str,
    pub reason: Option<&'a str>,
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub customer_id: Option<Id>,
    /// Entries where this user acted, or was owner before or after.
    pub involving_user: Option<Id>,
    /// Entries where a member of this team acted, or was owner before or after.
    pub involving_team: Option<Id>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: Timestamp,
    customer_id: i64,
    action: String,
    actor: String,
    before_owner: Option<String>,
    after_owner: Option<String>,
    rule: String,
    reason: Option<String>,
}

impl Exec<'_> {
    pub async fn append_audit(&mut self, e: &NewAuditEntry<'_>) -> Result<Id> {
        Ok(on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "INSERT INTO audit_log (at, customer_id, action, actor_id, before_owner_id, after_owner_id, rule, reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(e.at)
        .bind(e.customer_id)
        .bind(e.action.as_str())
        .bind(e.actor_id)
        .bind(e.before_owner_id)
        .bind(e.after_owner_id)
        .bind(e.rule)
        .bind(e.reason)
        .fetch_one(&mut **c)
        .await)?)
    }

    /// Many entries in one statement per thousand (an import's `created` entries).
    pub async fn append_audit_many(&mut self, entries: &[NewAuditEntry<'_>]) -> Result<()> {
        for chunk in entries.chunks(1000) {
            on_backend!(self, c => {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO audit_log (at, customer_id, action, actor_id, before_owner_id, after_owner_id, rule, reason) ",
                );
                qb.push_values(chunk, |mut b, e| {
                    b.push_bind(e.at)
                        .push_bind(e.customer_id)
                        .push_bind(e.action.as_str())
                        .push_bind(e.actor_id)
                        .push_bind(e.before_owner_id)
                        .push_bind(e.after_owner_id)
                        .push_bind(e.rule.to_string())
                        .push_bind(e.reason.map(str::to_string));
                });
                qb.build().execute(&mut **c).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Oldest first, so that an owner history reads top to bottom.
    pub async fn list_audit(&mut self, f: &AuditFilter) -> Result<(Vec<AuditEntry>, i64)> {
        let (rows, total) = on_backend!(self, c => {
            let mut qb = QueryBuilder::new(
                "SELECT a.id, a.at, a.customer_id, a.action, ua.username AS actor,
                        ub.username AS before_owner, uc.username AS after_owner, a.rule, a.reason
                 FROM audit_log a
                 JOIN users ua ON ua.id = a.actor_id
                 LEFT JOIN users ub ON ub.id = a.before_owner_id
                 LEFT JOIN users uc ON uc.id = a.after_owner_id
                 WHERE 1 = 1",
            );
            push_audit_filter(&mut qb, f);
            qb.push(" ORDER BY a.id LIMIT ").push_bind(f.limit).push(" OFFSET ").push_bind(f.offset);
            let rows = qb.build_query_as::<AuditRow>().fetch_all(&mut **c).await?;
            let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM audit_log a WHERE 1 = 1");
            push_audit_filter(&mut qb, f);
            let total: i64 = qb.build_query_scalar().fetch_one(&mut **c).await?;
            Ok::<_, sqlx::Error>((rows, total))
        })?;
        let entries = rows
            .into_iter()
            .map(|r| {
                Ok(AuditEntry {
                    action: AuditAction::parse(&r.action).ok_or_else(|| {
                        StoreError::Corrupt(format!("audit {}: unknown action {}", r.id, r.action))
                    })?,
                    id: r.id,
                    at: r.at,
                    customer_id: r.customer_id,
                    actor: r.actor,
                    before_owner: r.before_owner,
                    after_owner: r.after_owner,
                    rule: r.rule,
                    reason: r.reason,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((entries, total))
    }
}

fn push_audit_filter<DB>(qb: &mut QueryBuilder<DB>, f: &AuditFilter)
where
    DB: sqlx::Database,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    if let Some(id) = f.customer_id {
        // A survivor's history includes that of the customers merged into it.
        qb.push(" AND (a.customer_id = ")
            .push_bind(id)
            .push(" OR a.customer_id IN (SELECT id FROM customers WHERE merged_into = ")
            .push_bind(id)
            .push("))");
    }
    if let Some(u) = f.involving_user {
        qb.push(" AND (a.actor_id = ")
            .push_bind(u)
            .push(" OR a.before_owner_id = ")
            .push_bind(u)
            .push(" OR a.after_owner_id = ")
            .push_bind(u)
            .push(")");
    }
    if let Some(t) = f.involving_team {
        qb.push(" AND (a.actor_id IN (SELECT id FROM users WHERE team_id = ")
            .push_bind(t)
            .push(") OR a.before_owner_id IN (SELECT id FROM users WHERE team_id = ")
            .push_bind(t)
            .push(") OR a.after_owner_id IN (SELECT id FROM users WHERE team_id = ")
            .push_bind(t)
            .push("))");
    }
}
