//! Recording events with the change they describe, and reading them back for the live stream.

use std::collections::{BTreeSet, HashMap};

use leadguard_domain::Id;
use leadguard_domain::event::{Event, EventType};
use leadguard_domain::user::{Role, User};
use leadguard_store::{EventAudience, Exec, NewEvent};

use crate::Service;
use crate::error::{Result, ServiceError};

/// An event to record, once its owner's team is known.
pub(crate) struct PendingEvent {
    pub kind: EventType,
    pub customer_id: Option<Id>,
    pub actor_id: Option<Id>,
    pub owner_id: Option<Id>,
    pub users: Vec<Id>,
    pub data: serde_json::Value,
}

/// Events of one transaction, recorded together: a bulk import records thousands, in a few
/// statements (the owners' teams read once each).
#[derive(Default)]
pub(crate) struct EventBatch {
    events: Vec<PendingEvent>,
    teams: HashMap<Id, Option<Id>>,
}

impl EventBatch {
    pub(crate) fn push(&mut self, e: PendingEvent) {
        self.events.push(e);
    }

    /// Records the events pushed since the last write, in their order; their ids.
    pub(crate) async fn write(
        &mut self,
        service: &Service,
        exec: &mut Exec<'_>,
    ) -> Result<Vec<Id>> {
        let owners: BTreeSet<Id> = self
            .events
            .iter()
            .filter_map(|e| e.owner_id)
            .filter(|o| !self.teams.contains_key(o))
            .collect();
        for o in owners {
            let team = exec.team_of(o).await?;
            self.teams.insert(o, team);
        }
        let at = service.now();
        let events = std::mem::take(&mut self.events);
        let rows: Vec<NewEvent> = events
            .iter()
            .map(|e| NewEvent {
                kind: e.kind,
                at,
                customer_id: e.customer_id,
                actor_id: e.actor_id,
                owner_id: e.owner_id,
                team_id: e
                    .owner_id
                    .and_then(|o| self.teams.get(&o).copied().flatten()),
                users: &e.users,
                data: &e.data,
            })
            .collect();
        Ok(exec.insert_events(&rows).await?)
    }
}

impl Service {
    /// Records an event in the current transaction. `owner` decides (with `users`) who may see
    /// it: the owner, the owner's team managers, the users involved, admins.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn emit(
        &self,
        exec: &mut Exec<'_>,
        kind: EventType,
        customer_id: Option<Id>,
        actor_id: Option<Id>,
        owner_id: Option<Id>,
        users: &[Id],
        data: serde_json::Value,
    ) -> Result<Id> {
        let mut batch = EventBatch::default();
        batch.push(PendingEvent {
            kind,
            customer_id,
            actor_id,
            owner_id,
            users: users.to_vec(),
            data,
        });
        batch
            .write(self, exec)
            .await?
            .first()
            .copied()
            .ok_or_else(|| ServiceError::Internal("an event was recorded without an id".into()))
    }

    /// Events after `after_id` that `actor` may see, oldest first.
    pub async fn events_after(&self, actor: &User, after_id: Id, limit: i64) -> Result<Vec<Event>> {
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        let audience = match actor.role {
            Role::Admin => EventAudience::All,
            Role::Manager => {
                let team_id = match &actor.team {
                    Some(t) => exec.team_by_name(t).await?.map(|t| t.id),
                    None => None,
                };
                EventAudience::User {
                    user_id: actor.id,
                    team_id,
                }
            }
            Role::Rep => EventAudience::User {
                user_id: actor.id,
                team_id: None,
            },
        };
        Ok(exec.events_after(after_id, audience, limit).await?)
    }

    /// The newest event id: a stream that starts now begins after it.
    pub async fn last_event_id(&self) -> Result<Id> {
        let mut conn = self.store.read().await?;
        Ok(conn.exec().last_event_id().await?)
    }
}
