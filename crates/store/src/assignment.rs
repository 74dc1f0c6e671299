//! Assignment rules, their versions, the shared round-robin state, decisions, and the facts
//! about reps that strategies weigh.

use std::collections::HashMap;

use leadguard_domain::{Id, Timestamp};
use sqlx::QueryBuilder;

use crate::Result;
use crate::exec::{Exec, on_backend};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleRow {
    pub id: Id,
    pub name: String,
    pub position: i64,
    pub conditions: String,
    pub team_id: Option<Id>,
    pub reps: String,
    pub weights: String,
    pub strategy: String,
    pub version: i64,
    pub created_by: Id,
    pub created_at: Timestamp,
    pub updated_by: Id,
    pub updated_at: Timestamp,
}

macro_rules! select_rule {
    () => {
        "SELECT id, name, position, conditions, team_id, reps, weights, strategy, version,
                created_by, created_at, updated_by, updated_at
         FROM assignment_rules "
    };
}

/// A rule as saved (JSON columns already encoded).
pub struct RuleData<'a> {
    pub name: &'a str,
    pub position: i64,
    pub conditions: &'a str,
    pub team_id: Option<Id>,
    pub reps: &'a str,
    pub weights: &'a str,
    pub strategy: &'a str,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleVersionRow {
    pub version: i64,
    pub snapshot: String,
    pub changed_by: Id,
    pub changed_at: Timestamp,
}

pub struct NewDecision<'a> {
    pub at: Timestamp,
    pub customer_id: Option<Id>,
    pub rule_id: Option<Id>,
    pub rule_version: Option<i64>,
    pub strategy: Option<&'a str>,
    pub user_id: Option<Id>,
    pub outcome: &'a str,
    pub explanation: &'a str,
    pub lead: &'a str,
    pub actor_id: Id,
}

/// What best_match weighs about one rep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RepRecord {
    pub same_industry: i64,
    pub same_province: i64,
    pub won: i64,
    pub closed: i64,
}

impl Exec<'_> {
    pub async fn insert_rule(&mut self, r: &RuleData<'_>, by: Id, now: Timestamp) -> Result<Id> {
        // Make room: the new rule takes its position, later ones move down.
        on_backend!(self, c => sqlx::query(
            "UPDATE assignment_rules SET position = position + 1 WHERE NOT deleted AND position >= $1",
        )
        .bind(r.position)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        let id = on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "INSERT INTO assignment_rules (name, position, conditions, team_id, reps, weights, strategy,
                 version, created_by, created_at, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $8, $9) RETURNING id",
        )
        .bind(r.name)
        .bind(r.position)
        .bind(r.conditions)
        .bind(r.team_id)
        .bind(r.reps)
        .bind(r.weights)
        .bind(r.strategy)
        .bind(by)
        .bind(now)
        .fetch_one(&mut **c)
        .await)?;
        self.renumber_rules(Some(id)).await?;
        Ok(id)
    }

    /// Replaces a rule, one version up.
    pub async fn update_rule(
        &mut self,
        id: Id,
        r: &RuleData<'_>,
        by: Id,
        now: Timestamp,
    ) -> Result<bool> {
        let current = self.rule(id).await?;
        let Some(current) = current else {
            return Ok(false);
        };
        // Moving up: the rules in between move down; moving down: they move up.
        if r.position < current.position {
            on_backend!(self, c => sqlx::query(
                "UPDATE assignment_rules SET position = position + 1
                 WHERE NOT deleted AND position >= $1 AND position < $2 AND id <> $3",
            )
            .bind(r.position)
            .bind(current.position)
            .bind(id)
            .execute(&mut **c)
            .await
            .map(|_| ()))?;
        } else if r.position > current.position {
            on_backend!(self, c => sqlx::query(
                "UPDATE assignment_rules SET position = position - 1
                 WHERE NOT deleted AND position > $1 AND position <= $2 AND id <> $3",
            )
            .bind(current.position)
            .bind(r.position)
            .bind(id)
            .execute(&mut **c)
            .await
            .map(|_| ()))?;
        }
        on_backend!(self, c => sqlx::query(
            "UPDATE assignment_rules SET name = $1, position = $2, conditions = $3, team_id = $4,
                 reps = $5, weights = $6, strategy = $7, version = version + 1,
                 updated_by = $8, updated_at = $9
             WHERE id = $10",
        )
        .bind(r.name)
        .bind(r.position)
        .bind(r.conditions)
        .bind(r.team_id)
        .bind(r.reps)
        .bind(r.weights)
        .bind(r.strategy)
        .bind(by)
        .bind(now)
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        self.renumber_rules(Some(id)).await?;
        Ok(true)
    }

    pub async fn delete_rule(&mut self, id: Id) -> Result<bool> {
        let n = on_backend!(self, c => sqlx::query(
            "UPDATE assignment_rules SET deleted = TRUE WHERE id = $1 AND NOT deleted",
        )
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
        self.renumber_rules(None).await?;
        Ok(n == 1)
    }

    /// Positions become 1, 2, 3 … in order; `first` wins a tie (the rule just placed there).
    async fn renumber_rules(&mut self, first: Option<Id>) -> Result<()> {
        let ids = on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "SELECT id FROM assignment_rules WHERE NOT deleted
             ORDER BY position, CASE WHEN id = $1 THEN 0 ELSE 1 END, id",
        )
        .bind(first.unwrap_or(0))
        .fetch_all(&mut **c)
        .await)?;
        for (i, id) in ids.iter().enumerate() {
            on_backend!(self, c => sqlx::query("UPDATE assignment_rules SET position = $1 WHERE id = $2")
                .bind(i as i64 + 1)
                .bind(*id)
                .execute(&mut **c)
                .await
                .map(|_| ()))?;
        }
        Ok(())
    }

    pub async fn rule(&mut self, id: Id) -> Result<Option<RuleRow>> {
        Ok(on_backend!(self, c => sqlx::query_as::<_, RuleRow>(
            concat!(select_rule!(), "WHERE id = $1 AND NOT deleted"),
        )
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?)
    }

    /// Live rules in evaluation order.
    pub async fn list_rules(&mut self) -> Result<Vec<RuleRow>> {
        Ok(on_backend!(self, c => sqlx::query_as::<_, RuleRow>(
            concat!(select_rule!(), "WHERE NOT deleted ORDER BY position, id"),
        )
        .fetch_all(&mut **c)
        .await)?)
    }

    pub async fn insert_rule_version(
        &mut self,
        rule_id: Id,
        version: i64,
        snapshot: &str,
        by: Id,
        at: Timestamp,
    ) -> Result<()> {
        on_backend!(self, c => sqlx::query(
            "INSERT INTO assignment_rule_versions (rule_id, version, snapshot, changed_by, changed_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(rule_id)
        .bind(version)
        .bind(snapshot)
        .bind(by)
        .bind(at)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    pub async fn rule_versions(&mut self, rule_id: Id) -> Result<Vec<RuleVersionRow>> {
        Ok(on_backend!(self, c => sqlx::query_as::<_, RuleVersionRow>(
            "SELECT version, snapshot, changed_by, changed_at FROM assignment_rule_versions
             WHERE rule_id = $1 ORDER BY version",
        )
        .bind(rule_id)
        .fetch_all(&mut **c)
        .await)?)
    }

    /// Round-robin state of a rule: user id -> current.
    pub async fn rotation(&mut self, rule_id: Id) -> Result<HashMap<Id, i64>> {
        let rows = on_backend!(self, c => sqlx::query_as::<_, (i64, i64)>(
            "SELECT user_id, current FROM assignment_rotation WHERE rule_id = $1",
        )
        .bind(rule_id)
        .fetch_all(&mut **c)
        .await)?;
        Ok(rows.into_iter().collect())
    }

    pub async fn set_rotation(&mut self, rule_id: Id, user_id: Id, current: i64) -> Result<()> {
        on_backend!(self, c => sqlx::query(
            "INSERT INTO assignment_rotation (rule_id, user_id, current) VALUES ($1, $2, $3)
             ON CONFLICT (rule_id, user_id) DO UPDATE SET current = excluded.current",
        )
        .bind(rule_id)
        .bind(user_id)
        .bind(current)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    pub async fn insert_decision(&mut self, d: &NewDecision<'_>) -> Result<Id> {
        Ok(on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "INSERT INTO assignment_decisions (at, customer_id, rule_id, rule_version, strategy,
                 user_id, outcome, explanation, lead, actor_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(d.at)
        .bind(d.customer_id)
        .bind(d.rule_id)
        .bind(d.rule_version)
        .bind(d.strategy)
        .bind(d.user_id)
        .bind(d.outcome)
        .bind(d.explanation)
        .bind(d.lead)
        .bind(d.actor_id)
        .fetch_one(&mut **c)
        .await)?)
    }

    /// Who the rule assigned last.
    pub async fn last_assigned(&mut self, rule_id: Id) -> Result<Option<Id>> {
        Ok(on_backend!(self, c => sqlx::query_scalar::<_, Option<i64>>(
            "SELECT user_id FROM assignment_decisions
             WHERE rule_id = $1 AND user_id IS NOT NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(rule_id)
        .fetch_optional(&mut **c)
        .await)?
        .flatten())
    }

    /// best_match facts for `users`: their customers in `industry` / `province`, and their
    /// deals won and closed.
    pub async fn rep_records(
        &mut self,
        users: &[Id],
        industry: Option<&str>,
        province: Option<&str>,
    ) -> Result<HashMap<Id, RepRecord>> {
        let mut out: HashMap<Id, RepRecord> = HashMap::new();
        if users.is_empty() {
            return Ok(out);
        }
        let rows = on_backend!(self, c => {
            let mut qb = QueryBuilder::new(
                "SELECT owner_id, SUM(CASE WHEN industry = ",
            );
            // A lead without an industry or province binds NULL, which equals nothing.
            // (Not a sentinel string: PostgreSQL refuses text with a NUL character.)
            qb.push_bind(industry)
                .push(" THEN 1 ELSE 0 END), SUM(CASE WHEN province = ")
                .push_bind(province)
                .push(" THEN 1 ELSE 0 END) FROM customers WHERE owner_id IN (");
            let mut sep = qb.separated(", ");
            for u in users {
                sep.push_bind(*u);
            }
            qb.push(") GROUP BY owner_id");
            qb.build_query_as::<(i64, i64, i64)>().fetch_all(&mut **c).await
        })?;
        for (u, ind, prov) in rows {
            let r = out.entry(u).or_default();
            r.same_industry = ind;
            r.same_province = prov;
        }
        let rows = on_backend!(self, c => {
            let mut qb = QueryBuilder::new(
                "SELECT created_by, SUM(CASE WHEN stage = 'won' THEN 1 ELSE 0 END),
                        SUM(CASE WHEN stage <> 'open' THEN 1 ELSE 0 END)
                 FROM deals WHERE created_by IN (",
            );
            let mut sep = qb.separated(", ");
            for u in users {
                sep.push_bind(*u);
            }
            qb.push(") GROUP BY created_by");
            qb.build_query_as::<(i64, i64, i64)>().fetch_all(&mut **c).await
        })?;
        for (u, won, closed) in rows {
            let r = out.entry(u).or_default();
            r.won = won;
            r.closed = closed;
        }
        Ok(out)
    }
}
