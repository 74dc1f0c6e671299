//! The event log and webhook outbox. Events are written in the transaction of the change they
//! describe, with one delivery row per subscribed webhook, so an event exists exactly when its
//! change does and no webhook can miss it.

use leadguard_domain::event::{Event, EventType};
use leadguard_domain::{Id, Timestamp};
use sqlx::QueryBuilder;

use crate::Result;
use crate::error::StoreError;
use crate::exec::{Exec, on_backend};

pub struct NewEvent<'a> {
    pub kind: EventType,
    pub at: Timestamp,
    pub customer_id: Option<Id>,
    pub actor_id: Option<Id>,
    /// The customer's owner and that owner's team, for who may see the event.
    pub owner_id: Option<Id>,
    pub team_id: Option<Id>,
    /// Further users involved (both reps of a collision, the previous owner…).
    pub users: &'a [Id],
    pub data: &'a serde_json::Value,
}

/// Whose events a reader may see.
#[derive(Debug, Clone, Copy)]
pub enum EventAudience {
    All,
    /// Events of this user, and of this team's customers when a team is given (managers).
    User {
        user_id: Id,
        team_id: Option<Id>,
    },
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub(crate) id: i64,
    #[sqlx(rename = "type")]
    pub(crate) kind: String,
    pub(crate) at: Timestamp,
    pub(crate) customer_id: Option<i64>,
    pub(crate) actor: Option<String>,
    pub(crate) data: String,
}

impl EventRow {
    pub(crate) fn into_event(self) -> Result<Event> {
        Ok(Event {
            kind: EventType::parse(&self.kind).ok_or_else(|| {
                StoreError::Corrupt(format!("event {}: unknown type {}", self.id, self.kind))
            })?,
            id: self.id,
            at: self.at,
            customer_id: self.customer_id,
            actor: self.actor,
            data: serde_json::from_str(&self.data).unwrap_or(serde_json::Value::Null),
        })
    }
}

/// Event ids are assigned at insert; serializing event writers (PostgreSQL) makes them commit in
/// id order, so a reader that resumes after the last id it saw never skips one.
const EVENT_ORDER_LOCK: i64 = 0x4c47_4556_454e_5453;

impl Exec<'_> {
    pub async fn insert_event(&mut self, e: &NewEvent<'_>) -> Result<Id> {
        self.insert_events(std::slice::from_ref(e))
            .await?
            .first()
            .copied()
            .ok_or_else(|| StoreError::Corrupt("an inserted event has no id".into()))
    }

    /// Inserts `events` in their order, a thousand per statement, each with one delivery per
    /// active webhook that wants its type (an empty list wants all); their ids, ascending.
    pub async fn insert_events(&mut self, events: &[NewEvent<'_>]) -> Result<Vec<Id>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        if let Exec::Postgres(c) = self {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(EVENT_ORDER_LOCK)
                .execute(&mut **c)
                .await?;
        }
        let mut ids = Vec::with_capacity(events.len());
        for chunk in events.chunks(1000) {
            let rows: Vec<(String, String)> = chunk
                .iter()
                .map(|e| {
                    let users = e
                        .users
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(",");
                    (format!(",{users},"), e.data.to_string())
                })
                .collect();
            let mut got = on_backend!(self, c => {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO events (type, at, customer_id, actor_id, owner_id, team_id, users, data) ",
                );
                qb.push_values(chunk.iter().zip(&rows), |mut b, (e, (users, data))| {
                    b.push_bind(e.kind.as_str())
                        .push_bind(e.at)
                        .push_bind(e.customer_id)
                        .push_bind(e.actor_id)
                        .push_bind(e.owner_id)
                        .push_bind(e.team_id)
                        .push_bind(users.as_str())
                        .push_bind(data.as_str());
                });
                qb.push(" RETURNING id");
                qb.build_query_scalar::<i64>().fetch_all(&mut **c).await
            })?;
            got.sort_unstable();
            if let (Some(first), Some(last)) = (got.first(), got.last()) {
                // The ids of one statement are consecutive under the event order (the write
                // lock on SQLite, the advisory lock above on PostgreSQL).
                on_backend!(self, c => sqlx::query(
                    "INSERT INTO webhook_deliveries (webhook_id, event_id, status, attempts, next_attempt_at)
                     SELECT w.id, e.id, 'pending', 0, e.at FROM events e
                     JOIN webhooks w ON w.active
                          AND (w.events = '[]' OR w.events LIKE '%\"' || e.type || '\"%')
                     WHERE e.id >= $1 AND e.id <= $2
                     ORDER BY e.id, w.id",
                )
                .bind(*first)
                .bind(*last)
                .execute(&mut **c)
                .await
                .map(|_| ()))?;
            }
            ids.extend(got);
        }
        Ok(ids)
    }

    /// Events after `after_id` that `audience` may see, oldest first.
    pub async fn events_after(
        &mut self,
        after_id: Id,
        audience: EventAudience,
        limit: i64,
    ) -> Result<Vec<Event>> {
        let rows = on_backend!(self, c => {
            let mut qb = QueryBuilder::new(
                "SELECT e.id, e.type, e.at, e.customer_id, u.username AS actor, e.data
                 FROM events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.id > ",
            );
            qb.push_bind(after_id);
            if let EventAudience::User { user_id, team_id } = audience {
                qb.push(" AND (e.owner_id = ")
                    .push_bind(user_id)
                    .push(" OR e.actor_id = ")
                    .push_bind(user_id)
                    .push(" OR e.users LIKE ")
                    .push_bind(format!("%,{user_id},%"));
                if let Some(t) = team_id {
                    qb.push(" OR e.team_id = ").push_bind(t);
                }
                qb.push(")");
            }
            qb.push(" ORDER BY e.id LIMIT ").push_bind(limit);
            qb.build_query_as::<EventRow>().fetch_all(&mut **c).await
        })?;
        rows.into_iter().map(EventRow::into_event).collect()
    }

    /// The newest event id (0 when there is none).
    pub async fn last_event_id(&mut self) -> Result<Id> {
        Ok(on_backend!(self, c => sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM events")
            .fetch_one(&mut **c)
            .await)?
        .unwrap_or(0))
    }
}
