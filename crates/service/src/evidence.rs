//! What a record found to duplicate a customer (a row of a file, an inbound lead) brings that
//! the customer lacks is kept on it (see [`absorb_evidence`]): a rerun of the file, or the next
//! entry of that company by another rep, meets all of it. Every addition is audited.

use std::collections::HashSet;

use leadguard_domain::Id;
use leadguard_domain::Timestamp;
use leadguard_domain::audit::{AuditAction, rules};
use leadguard_domain::customer::{Customer, CustomerFields};
use leadguard_domain::keys::MatchKey;
use leadguard_domain::merge::{absorb_evidence, describe_added};
use leadguard_domain::user::User;
use leadguard_matching::Profile;
use leadguard_store::{CustomerParts, NewAuditEntry, WriteTx};

use crate::Service;
use crate::error::{Result, ServiceError};

/// An audit entry of evidence kept: customer, actor, its owner, what was added.
pub(crate) type GainedEntry = (Id, Id, Option<Id>, String);

impl Service {
    /// In `tx`, keeps on `customer` what `record`, found to duplicate it, brings that it
    /// lacks (an inbound lead's phone, say); what was added.
    pub(crate) async fn keep_evidence(
        &self,
        tx: &mut WriteTx,
        actor: &User,
        customer: &Customer,
        record: &CustomerFields,
        now: Timestamp,
    ) -> Result<Option<String>> {
        let keys = self.matcher.identity_keys(record);
        let holders = tx.exec().identity_holders(&keys).await?;
        let Some(after) = self.absorb(&customer.fields, record, |k| holders.contains_key(k)) else {
            return Ok(None);
        };
        let profile = self.matcher.profile_lenient(&after).0;
        let had = self.matcher.profile_lenient(&customer.fields).0;
        let (keys, identities) = (had.index_keys(), had.unique_keys());
        let what = describe_added(&customer.fields, &after);
        self.save_gained(
            tx,
            &[Gained {
                id: customer.id,
                fields: &after,
                profile: &profile,
                before: Some((&keys, &identities)),
            }],
            &[(customer.id, actor.id, customer.owner_id, what.clone())],
            now,
        )
        .await?;
        Ok(Some(what))
    }

    /// What a duplicate row brings that `customer` lacks ([`absorb_evidence`]), leaving out
    /// the phones, e-mails and credit code that a customer holds already (`held`: by their
    /// unique keys; this one, under another spelling, or another, which keeps them).
    pub(crate) fn absorb(
        &self,
        customer: &CustomerFields,
        row: &CustomerFields,
        held: impl Fn(&MatchKey) -> bool,
    ) -> Option<CustomerFields> {
        let keys_held = |one: CustomerFields| self.matcher.identity_keys(&one).iter().any(&held);
        let mut held_values: HashSet<&str> = HashSet::new();
        let phones = row
            .phones
            .iter()
            .chain(row.contacts.iter().flat_map(|c| &c.phones));
        for v in phones {
            if keys_held(CustomerFields {
                phones: vec![v.clone()],
                ..Default::default()
            }) {
                held_values.insert(v);
            }
        }
        let emails = row
            .emails
            .iter()
            .chain(row.contacts.iter().flat_map(|c| &c.emails));
        for v in emails {
            if keys_held(CustomerFields {
                emails: vec![v.clone()],
                ..Default::default()
            }) {
                held_values.insert(v);
            }
        }
        if let Some(v) = &row.credit_code
            && keys_held(CustomerFields {
                credit_code: Some(v.clone()),
                ..Default::default()
            })
        {
            held_values.insert(v);
        }
        absorb_evidence(customer, row, |v| held_values.contains(v))
    }

    /// Saves the customers that gained a duplicate row's evidence, and the audit entries that
    /// say what came from whom. Only what was added is written: the customer's row, its
    /// contacts, and the keys and identities it did not have (a few statements for a whole
    /// batch, however many customers gained). Each customer is in `gained` once.
    pub(crate) async fn save_gained(
        &self,
        tx: &mut WriteTx,
        gained: &[Gained<'_>],
        audit: &[GainedEntry],
        now: Timestamp,
    ) -> Result<()> {
        let json: Vec<String> = gained
            .iter()
            .map(|g| serde_json::to_string(g.profile))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let rows: Vec<(Id, &CustomerFields, &str)> = gained
            .iter()
            .zip(&json)
            .map(|(g, profile)| (g.id, g.fields, profile.as_str()))
            .collect();
        tx.exec().update_evidence_rows(&rows, now).await?;
        // Customers saved before this batch: their contacts are written again, their keys and
        // identities only where new. (Those saved by it are written whole with the batch.)
        let stored: Vec<(&Gained, Vec<MatchKey>, Vec<MatchKey>)> = gained
            .iter()
            .filter_map(|g| {
                let (keys, identities) = g.before?;
                let new = |now: Vec<MatchKey>, had: &[MatchKey]| -> Vec<MatchKey> {
                    now.into_iter().filter(|k| !had.contains(k)).collect()
                };
                Some((
                    g,
                    new(g.profile.index_keys(), keys),
                    new(g.profile.unique_keys(), identities),
                ))
            })
            .collect();
        let ids: Vec<Id> = stored.iter().map(|(g, ..)| g.id).collect();
        tx.exec().delete_contacts_of(&ids).await?;
        let parts: Vec<CustomerParts> = stored
            .iter()
            .map(|(g, keys, identities)| CustomerParts {
                id: g.id,
                contacts: &g.fields.contacts,
                keys,
                identities,
            })
            .collect();
        tx.exec()
            .insert_customer_parts(&parts)
            .await
            .map_err(crate::bulk::batch_conflict)?;
        let entries: Vec<NewAuditEntry> = audit
            .iter()
            .map(|(id, actor, owner, what)| NewAuditEntry {
                at: now,
                customer_id: *id,
                action: AuditAction::EvidenceAdded,
                actor_id: *actor,
                before_owner_id: *owner,
                after_owner_id: *owner,
                rule: rules::DUPLICATE_EVIDENCE,
                reason: Some(what),
            })
            .collect();
        tx.exec().append_audit_many(&entries).await?;
        Ok(())
    }
}

/// A customer that gained evidence, as it is now.
pub(crate) struct Gained<'a> {
    pub id: Id,
    pub fields: &'a CustomerFields,
    pub profile: &'a Profile,
    /// The index keys and unique keys it had in the store before; `None` for a customer
    /// saved by the same batch (its parts are written with the batch).
    pub before: Option<(&'a [MatchKey], &'a [MatchKey])>,
}

/// Whether a duplicate row (`row`) may bring anything its customer (`current`) lacks: a phone,
/// e-mail, contact, web site or credit code it does not have. Decided on the profiles alone,
/// so that a file imported again costs no read of the customers it repeats.
pub(crate) fn brings_evidence(current: &Profile, row: &Profile) -> bool {
    row.phones
        .iter()
        .any(|p| !current.phones.iter().any(|q| q.e164 == p.e164))
        || row.emails.iter().any(|e| !current.emails.contains(e))
        || row.contacts.iter().any(|c| !current.contacts.contains(c))
        || row.domains.iter().any(|d| !current.domains.contains(d))
        || (current.credit_code.is_none() && row.credit_code.is_some())
}
