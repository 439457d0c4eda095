//! What can go wrong in a pipeline step run on tokio's blocking pool: the
//! store's own error, or the task itself (it panicked or was cancelled),
//! which is not a store error.

use crate::store::StoreError;

/// Why a step run on the blocking pool gave no result.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StepError {
    /// The task panicked or was cancelled before it finished.
    #[error("the {task} task failed")]
    Task {
        /// What the task was doing (`ingest`, `mark-seen`).
        task: &'static str,
        /// Why it did not finish.
        #[source]
        source: tokio::task::JoinError,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs `work` on the blocking pool; a task that panics or is cancelled is
/// a [`StepError::Task`] named `task`.
pub(super) async fn blocking<T, F>(task: &'static str, work: F) -> Result<T, StepError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|source| StepError::Task { task, source })?
        .map_err(StepError::from)
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[tokio::test]
    async fn a_panicking_task_is_a_task_error_with_the_join_error_as_source() {
        let err = blocking("ingest", || -> Result<(), StoreError> { panic!("boom") })
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "the ingest task failed");
        let join = err
            .source()
            .and_then(|s| s.downcast_ref::<tokio::task::JoinError>())
            .expect("the join error is the source");
        assert!(join.is_panic());
    }

    #[tokio::test]
    async fn the_stores_error_and_value_pass_through() {
        assert_eq!(blocking("mark-seen", || Ok(3)).await.unwrap(), 3);
        let schema = || StoreError::Schema {
            dir: "data".into(),
            found: 1,
            expected: 2,
        };
        let err = blocking("mark-seen", move || -> Result<(), StoreError> {
            Err(schema())
        })
        .await
        .unwrap_err();
        assert!(
            matches!(err, StepError::Store(StoreError::Schema { found: 1, .. })),
            "{err:?}"
        );
        assert_eq!(err.to_string(), schema().to_string());
    }
}
