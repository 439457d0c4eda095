//! Store work of requests: run on tokio's blocking pool, a bounded number at
//! once, the others waiting their turn in arrival order.
//!
//! A request that misses the response cache reads the store and computes
//! its answer on the blocking pool, which grows to hundreds of threads. Left
//! unbounded, 32 simultaneous first questions on two cores are 32 threads
//! time-sliced against each other: every one of them finishes late, some
//! very late (the operating system's scheduler is not fair to a request,
//! and each thread evicts the others' caches and holds its own allocator
//! heap). With at most [`StoreWork::for_machine`] running and the rest
//! queued first come first served (tokio's semaphore is fair), each runs at
//! full speed, the wait is the queue ahead of it, and the slowest answer is
//! close to the typical one. Cached answers never queue: they are answered
//! on the async workers before any of this.
//!
//! A request whose client goes away while it waits leaves the queue without
//! running.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// The bound on concurrent store work, shared by every request of a server.
#[derive(Debug, Clone)]
pub struct StoreWork {
    permits: Arc<Semaphore>,
    limit: usize,
}

/// Why store work produced no result.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    /// The work panicked, or the runtime shut down under it.
    #[error("the work failed: {0}")]
    Failed(#[from] tokio::task::JoinError),
    /// The queue was closed (never done by the server; kept for
    /// completeness of the semaphore's contract).
    #[error("the work queue is closed")]
    Closed,
}

impl StoreWork {
    /// At most `limit` pieces of work at once (at least one).
    pub fn new(limit: usize) -> StoreWork {
        let limit = limit.max(1);
        StoreWork {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }

    /// Twice the machine's cores: the work is mostly computing over data in
    /// memory, with now and then a read from the page cache or the disk
    /// that a second worker per core covers.
    pub fn for_machine() -> StoreWork {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        StoreWork::new(cores * 2)
    }

    /// How many pieces of work may run at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Runs `work` on the blocking pool once its turn comes.
    pub async fn run<F, T>(&self, work: F) -> Result<T, WorkError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| WorkError::Closed)?;
        let result = tokio::task::spawn_blocking(move || {
            let _turn = permit;
            work()
        })
        .await?;
        Ok(result)
    }
}

impl Default for StoreWork {
    fn default() -> StoreWork {
        StoreWork::for_machine()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_than_the_limit_run_at_once_and_all_finish() {
        let work = StoreWork::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for i in 0..12 {
            let (work, running, most) = (work.clone(), running.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                work.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(5));
                    running.fetch_sub(1, Ordering::SeqCst);
                    i * 10
                })
                .await
            }));
        }
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap().unwrap());
        }
        assert_eq!(results, (0..12).map(|i| i * 10).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_panic_is_an_error_and_frees_its_turn() {
        let work = StoreWork::new(1);
        let failed = work.run(|| panic!("boom")).await;
        assert!(matches!(failed, Err(WorkError::Failed(_))));
        assert_eq!(work.run(|| 7).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn the_limit_is_at_least_one() {
        assert_eq!(StoreWork::new(0).limit(), 1);
        assert!(StoreWork::for_machine().limit() >= 2);
    }
}
