//! Shutdown: SIGINT (Ctrl-C) or SIGTERM, and a trigger shared with every
//! task that must stop (the HTTP server, the scheduler, each collection run).
//! A second signal while stopping ends the process at once with status
//! [`SECOND_SIGNAL_EXIT`].

use tokio_util::sync::CancellationToken;

/// The exit status when a second signal cuts a shutdown short (128 + SIGINT,
/// as shells report an interrupted command).
pub const SECOND_SIGNAL_EXIT: i32 = 130;

/// Resolves on SIGINT or SIGTERM.
pub async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A shutdown trigger and the futures that wait for it. Clones share it.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    token: CancellationToken,
}

impl Shutdown {
    /// A trigger not yet fired.
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// Fires it (again: no effect).
    pub fn trigger(&self) {
        self.token.cancel();
    }

    /// Whether it has fired.
    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// A future that resolves once fired.
    pub fn wait(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        self.token.clone().cancelled_owned()
    }

    /// Fires it on SIGINT or SIGTERM (a task on the current runtime); a
    /// second signal exits the process at once with [`SECOND_SIGNAL_EXIT`]
    /// (what was flushed stays; the next start repairs the counts).
    pub fn on_signal(&self) {
        let trigger = self.clone();
        tokio::spawn(async move {
            signal().await;
            tracing::info!("Shutting down (a second signal exits at once).");
            trigger.trigger();
            signal().await;
            eprintln!("Second signal: exiting now, without waiting for the runs.");
            std::process::exit(SECOND_SIGNAL_EXIT);
        });
    }
}
