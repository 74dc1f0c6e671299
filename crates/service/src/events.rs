//! Recording events with the change they describe, and reading them back for the live stream.

use leadguard_domain::Id;
use leadguard_domain::event::{Event, EventType};
use leadguard_domain::user::{Role, User};
use leadguard_store::{EventAudience, Exec, NewEvent};

use crate::Service;
use crate::error::Result;

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
        let team_id = match owner_id {
            Some(o) => exec.team_of(o).await?,
            None => None,
        };
        Ok(exec
            .insert_event(&NewEvent {
                kind,
                at: self.now(),
                customer_id,
                actor_id,
                owner_id,
                team_id,
                users,
                data: &data,
            })
            .await?)
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
