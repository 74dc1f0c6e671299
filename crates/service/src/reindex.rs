//! Keeping stored match data current: when the engine's profile version changes, every
//! customer's profile and keys are rebuilt from its fields.

use leadguard_matching::profile::PROFILE_VERSION;
use leadguard_store::MatchData;

use crate::Service;
use crate::error::{Result, ServiceError};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReindexReport {
    pub rebuilt: u64,
    /// Identifiers that two customers now share: duplicates entered under older rules.
    pub shared_identifiers: u64,
}

const BATCH: i64 = 500;

impl Service {
    /// Rebuilds every stored profile older than the engine's. Safe to run from several
    /// processes at once: each batch is one transaction.
    pub async fn reindex(&self) -> Result<ReindexReport> {
        let mut report = ReindexReport::default();
        loop {
            let mut tx = self.store.begin().await?;
            let batch = tx
                .exec()
                .outdated_profiles(i64::from(PROFILE_VERSION), BATCH)
                .await?;
            if batch.is_empty() {
                break;
            }
            for c in batch {
                let (profile, _) = self.matcher.profile_lenient(&c.fields);
                let json = serde_json::to_string(&profile)
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
                let taken = tx
                    .exec()
                    .replace_match_data(
                        c.id,
                        &MatchData {
                            name_search: &profile.name.folded,
                            profile: &json,
                            version: i64::from(PROFILE_VERSION),
                            keys: &profile.index_keys(),
                            identities: &profile.unique_keys(),
                        },
                    )
                    .await?;
                report.rebuilt += 1;
                report.shared_identifiers += taken.len() as u64;
            }
            tx.commit().await?;
        }
        self.refresh_population().await?;
        if report.rebuilt > 0 {
            tracing::info!(
                rebuilt = report.rebuilt,
                shared = report.shared_identifiers,
                "match profiles rebuilt"
            );
        }
        Ok(report)
    }
}
