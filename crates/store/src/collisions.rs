//! Collision cases (撞单): opened once per pair, listed per inbox, decided once.

use std::collections::HashMap;

use leadguard_domain::{Id, Timestamp};
use sqlx::QueryBuilder;

use crate::Result;
use crate::exec::{Exec, on_backend};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    pub id: Id,
    pub origin: String,
    pub status: String,
    pub first_customer_id: Id,
    pub second_customer_id: Option<Id>,
    pub first_user_id: Id,
    pub second_user_id: Id,
    pub team_id: Option<Id>,
    pub entered: Option<String>,
    pub score: Option<f64>,
    pub verdict: Option<String>,
    pub reasons: String,
    pub reason: Option<String>,
    pub opened_by: Id,
    pub opened_at: Timestamp,
    pub decided_by: Option<Id>,
    pub decided_at: Option<Timestamp>,
    pub winner_id: Option<Id>,
    pub decision_rule: Option<String>,
    pub decision_reason: Option<String>,
    pub merged: Option<bool>,
}

macro_rules! select_case {
    () => {
        "SELECT id, origin, status, first_customer_id, second_customer_id, first_user_id,
                second_user_id, team_id, entered, score, verdict, reasons, reason, opened_by,
                opened_at, decided_by, decided_at, winner_id, decision_rule, decision_reason, merged
         FROM collision_cases "
    };
}

pub struct NewCase<'a> {
    pub origin: &'a str,
    pub first_customer_id: Id,
    pub second_customer_id: Option<Id>,
    pub first_user_id: Id,
    pub second_user_id: Id,
    pub team_id: Option<Id>,
    pub entered: Option<&'a str>,
    pub score: Option<f64>,
    pub verdict: Option<&'a str>,
    pub reasons: &'a str,
    pub reason: Option<&'a str>,
    pub opened_by: Id,
    pub opened_at: Timestamp,
    pub pair_key: &'a str,
}

/// Whose cases a listing shows.
#[derive(Debug, Clone, Copy)]
pub enum CaseInbox {
    All,
    /// A team's cases, and those the user is a party to.
    Team {
        team_id: Option<Id>,
        user_id: Id,
    },
    /// The cases a user is a party to.
    Party {
        user_id: Id,
    },
}

pub struct Decision<'a> {
    pub decided_by: Id,
    pub decided_at: Timestamp,
    pub winner_id: Id,
    pub rule: &'a str,
    pub reason: Option<&'a str>,
    pub merged: bool,
}

fn push_inbox<DB>(qb: &mut QueryBuilder<DB>, inbox: CaseInbox)
where
    DB: sqlx::Database,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    match inbox {
        CaseInbox::All => {}
        CaseInbox::Team { team_id, user_id } => {
            qb.push(" AND (first_user_id = ")
                .push_bind(user_id)
                .push(" OR second_user_id = ")
                .push_bind(user_id);
            if let Some(t) = team_id {
                qb.push(" OR team_id = ").push_bind(t);
            }
            qb.push(")");
        }
        CaseInbox::Party { user_id } => {
            qb.push(" AND (first_user_id = ")
                .push_bind(user_id)
                .push(" OR second_user_id = ")
                .push_bind(user_id)
                .push(")");
        }
    }
}

impl Exec<'_> {
    /// Opens a case; `None` if the pair already has an open one.
    pub async fn insert_case(&mut self, n: &NewCase<'_>) -> Result<Option<Id>> {
        Ok(on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "INSERT INTO collision_cases (origin, status, first_customer_id, second_customer_id,
                 first_user_id, second_user_id, team_id, entered, score, verdict, reasons, reason,
                 opened_by, opened_at, pair_key)
             VALUES ($1, 'open', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(n.origin)
        .bind(n.first_customer_id)
        .bind(n.second_customer_id)
        .bind(n.first_user_id)
        .bind(n.second_user_id)
        .bind(n.team_id)
        .bind(n.entered)
        .bind(n.score)
        .bind(n.verdict)
        .bind(n.reasons)
        .bind(n.reason)
        .bind(n.opened_by)
        .bind(n.opened_at)
        .bind(n.pair_key)
        .fetch_optional(&mut **c)
        .await)?)
    }

    /// Inserts `cases` a hundred per statement; a pair whose case a concurrent writer opened
    /// meanwhile is skipped. The ids of those inserted, by pair key.
    pub async fn insert_cases(&mut self, cases: &[NewCase<'_>]) -> Result<HashMap<String, Id>> {
        let mut out = HashMap::with_capacity(cases.len());
        for chunk in cases.chunks(100) {
            let rows: Vec<(i64, String)> = on_backend!(self, c => {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO collision_cases (origin, status, first_customer_id, second_customer_id,
                         first_user_id, second_user_id, team_id, entered, score, verdict, reasons, reason,
                         opened_by, opened_at, pair_key) ",
                );
                qb.push_values(chunk, |mut b, n| {
                    b.push_bind(n.origin)
                        .push_bind("open")
                        .push_bind(n.first_customer_id)
                        .push_bind(n.second_customer_id)
                        .push_bind(n.first_user_id)
                        .push_bind(n.second_user_id)
                        .push_bind(n.team_id)
                        .push_bind(n.entered)
                        .push_bind(n.score)
                        .push_bind(n.verdict)
                        .push_bind(n.reasons)
                        .push_bind(n.reason)
                        .push_bind(n.opened_by)
                        .push_bind(n.opened_at)
                        .push_bind(n.pair_key);
                });
                qb.push(" ON CONFLICT DO NOTHING RETURNING id, pair_key");
                qb.build_query_as::<(i64, String)>().fetch_all(&mut **c).await
            })?;
            out.extend(rows.into_iter().map(|(id, key)| (key, id)));
        }
        Ok(out)
    }

    /// The newest case of each pair that has one, open or decided: its id and status.
    pub async fn cases_for_pairs(
        &mut self,
        keys: &[&str],
    ) -> Result<HashMap<String, (Id, String)>> {
        let mut out = HashMap::new();
        for chunk in keys.chunks(500) {
            let rows: Vec<(i64, String, String)> = on_backend!(self, c => {
                let mut qb =
                    QueryBuilder::new("SELECT id, status, pair_key FROM collision_cases WHERE pair_key IN (");
                let mut sep = qb.separated(", ");
                for k in chunk {
                    sep.push_bind(*k);
                }
                qb.push(") ORDER BY id");
                qb.build_query_as::<(i64, String, String)>().fetch_all(&mut **c).await
            })?;
            for (id, status, key) in rows {
                out.insert(key, (id, status));
            }
        }
        Ok(out)
    }

    /// The newest case of a pair, open or decided.
    pub async fn case_for_pair(&mut self, pair_key: &str) -> Result<Option<CaseRow>> {
        Ok(on_backend!(self, c => sqlx::query_as::<_, CaseRow>(
            concat!(select_case!(), "WHERE pair_key = $1 ORDER BY id DESC LIMIT 1"),
        )
        .bind(pair_key)
        .fetch_optional(&mut **c)
        .await)?)
    }

    pub async fn case(&mut self, id: Id) -> Result<Option<CaseRow>> {
        Ok(
            on_backend!(self, c => sqlx::query_as::<_, CaseRow>(concat!(select_case!(), "WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut **c)
            .await)?,
        )
    }

    /// Newest first, with the total.
    pub async fn list_cases(
        &mut self,
        inbox: CaseInbox,
        status: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<CaseRow>, i64)> {
        Ok(on_backend!(self, c => {
            let mut qb = QueryBuilder::new(concat!(select_case!(), "WHERE 1 = 1"));
            push_inbox(&mut qb, inbox);
            if let Some(s) = status {
                qb.push(" AND status = ").push_bind(s);
            }
            qb.push(" ORDER BY id DESC LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
            let rows = qb.build_query_as::<CaseRow>().fetch_all(&mut **c).await?;
            let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM collision_cases WHERE 1 = 1");
            push_inbox(&mut qb, inbox);
            if let Some(s) = status {
                qb.push(" AND status = ").push_bind(s);
            }
            let total: i64 = qb.build_query_scalar().fetch_one(&mut **c).await?;
            Ok::<_, sqlx::Error>((rows, total))
        })?)
    }

    /// Records the decision if the case is still open; false if someone decided it first.
    pub async fn decide_case(&mut self, id: Id, d: &Decision<'_>) -> Result<bool> {
        let n = on_backend!(self, c => sqlx::query(
            "UPDATE collision_cases SET status = 'decided', decided_by = $1, decided_at = $2,
                 winner_id = $3, decision_rule = $4, decision_reason = $5, merged = $6
             WHERE id = $7 AND status = 'open'",
        )
        .bind(d.decided_by)
        .bind(d.decided_at)
        .bind(d.winner_id)
        .bind(d.rule)
        .bind(d.reason)
        .bind(d.merged)
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// How many follow-ups a customer has, and the latest.
    pub async fn followup_stats(&mut self, customer_id: Id) -> Result<(i64, Option<Timestamp>)> {
        Ok(
            on_backend!(self, c => sqlx::query_as::<_, (i64, Option<Timestamp>)>(
            "SELECT COUNT(*), MAX(at) FROM followups WHERE customer_id = $1",
        )
        .bind(customer_id)
        .fetch_one(&mut **c)
        .await)?,
        )
    }
}
