//! The running set as the API sees it ([`Collection`]): each source with
//! its next fire time, whether it runs now and why it is disabled; runs
//! started on demand; the set read again.

use std::sync::Arc;

use time::OffsetDateTime;

use super::running::{Running, Trigger};
use crate::api::collection::{
    Collection, ReloadError, ReloadOutcome, SourceInfo, TriggerError, TriggeredRun,
};

/// The scheduler's [`Collection`].
pub(super) struct Control(pub(super) Arc<Running>);

impl Collection for Control {
    fn sources(&self) -> Vec<SourceInfo> {
        let now = OffsetDateTime::now_utc();
        let stopping = self.0.is_stopping();
        let set = self.0.lock();
        set.entries
            .iter()
            .map(|(id, entry)| {
                let s = &entry.planned.source;
                SourceInfo {
                    id: id.clone(),
                    name: s.name.clone(),
                    kind: s.extractor.kind().to_owned(),
                    schedule: s.schedule.as_ref().map(|c| c.as_str().to_owned()),
                    next_run: entry
                        .cron()
                        .filter(|_| !stopping)
                        .and_then(|c| c.next_after(now)),
                    enabled: s.enabled,
                    disabled_reason: entry.planned.disabled.clone(),
                    running: set.is_running(id),
                }
            })
            .collect()
    }

    fn trigger(&self, id: &str) -> Result<TriggeredRun, TriggerError> {
        self.0.start_run(id, Trigger::Admin)
    }

    fn reload(&self) -> Result<ReloadOutcome, ReloadError> {
        self.0.reload()
    }
}
