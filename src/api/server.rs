//! The HTTP server. warp 0.4's `serve` does not expose hyper's settings, so
//! connections are accepted here and each is served by hyper's HTTP/1
//! connection with the routes as its service (`warp::service`, lent to
//! each request by `Routes` rather than cloned for it).
//!
//! Limits ([`ServerLimits`]):
//! - **header timeout**: a request's head (request line and headers) must
//!   arrive within it, counted from the connection's opening or the end of
//!   the previous response — so it also closes idle keep-alive connections
//!   (slowloris, forgotten clients);
//! - **idle timeout**: a connection on which no byte moves in either
//!   direction for this long is closed (a client that stops reading its
//!   response, a stalled upload);
//! - **connection cap**: at the cap, no further connection is accepted until
//!   one closes: new ones wait in the kernel's listen queue (the OS refuses
//!   them once that queue is full), and no file descriptor is spent on them;
//! - a request head over [`MAX_HEAD_BYTES`] gets hyper's `431` (the routes
//!   answer a URI over [`MAX_URI_BYTES`](super::MAX_URI_BYTES) with a JSON 414).
//!
//! Shutdown: the listener closes, idle connections close at once, requests
//! in flight get [`ServerLimits::shutdown_grace`] to finish, then whatever
//! is still open is dropped. So `serve` returns in bounded time.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};

use super::{routes, AppState};

/// Default time allowed for a request's head, seconds.
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 10;
/// Default time a connection may stay without any byte moving, seconds.
pub const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 60;
/// Default number of connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// Default time requests in flight get to finish at shutdown, seconds.
pub const DEFAULT_SHUTDOWN_GRACE_SECS: u64 = 5;
/// Largest request head (request line and headers) read, bytes.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The server's protective limits (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Time allowed for a request's head, from the connection's opening or
    /// the end of the previous response.
    pub header_timeout: Duration,
    /// A connection without any byte moving for this long is closed.
    pub idle_timeout: Duration,
    /// Connections served at once; more wait in the listen queue.
    pub max_connections: usize,
    /// Time requests in flight get to finish once shutdown starts.
    pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
    fn default() -> ServerLimits {
        ServerLimits {
            header_timeout: Duration::from_secs(DEFAULT_HEADER_TIMEOUT_SECS),
            idle_timeout: Duration::from_secs(DEFAULT_IDLE_TIMEOUT_SECS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_grace: Duration::from_secs(DEFAULT_SHUTDOWN_GRACE_SECS),
        }
    }
}

/// Serves the routes on `listener` with the default [`ServerLimits`] until
/// `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    serve_with(listener, state, ServerLimits::default(), shutdown).await;
}

/// Serves the routes on `listener` under `limits` until `shutdown`
/// completes, then closes every connection within `limits.shutdown_grace`.
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let filter = routes(state);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // At the cap, wait for a connection to close before accepting.
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        while connections.try_join_next().is_some() {}
        let io = hyper_util::rt::TokioIo::new(IdleTimeout::new(stream, limits.idle_timeout));
        let service = Routes::new(warp::service(filter.clone()));
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_header_size(MAX_HEAD_BYTES)
            .serve_connection(io, service);
        let conn = graceful.watch(conn);
        connections.spawn(async move {
            if let Err(error) = conn.await {
                tracing::debug!(%peer, %error, "Connection closed on an error.");
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::debug!(
        open = connections.len(),
        "Server stopping: closing connections."
    );
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            grace_secs = limits.shutdown_grace.as_secs_f64(),
            "Requests still running at the end of the shutdown grace: closing their connections."
        );
    }
    connections.shutdown().await;
}

/// An `accept` error: a connection reset before it was accepted is nothing;
/// anything else (out of file descriptors) is logged and waited out briefly
/// rather than retried in a busy loop.
async fn accept_failed(error: io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "Cannot accept a connection.");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// A stream that fails with `TimedOut` once no byte has moved in either
/// direction for `idle` while its reader or writer waits.
struct IdleTimeout<S> {
    inner: S,
    idle: Duration,
    last_activity: Instant,
    timer: Pin<Box<Sleep>>,
}

impl<S> IdleTimeout<S> {
    fn new(inner: S, idle: Duration) -> IdleTimeout<S> {
        let now = Instant::now();
        IdleTimeout {
            inner,
            idle,
            last_activity: now,
            timer: Box::pin(tokio::time::sleep_until(now + idle)),
        }
    }

    /// After a read or write that waits: ready with an error once idle too long.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        loop {
            let deadline = self.last_activity + self.idle;
            if deadline <= Instant::now() {
                return Poll::Ready(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no byte moved for {} s", self.idle.as_secs_f64()),
                ));
            }
            if self.timer.deadline() != deadline || self.timer.is_elapsed() {
                // Bytes moved since the timer was set: push it back.
                self.timer.as_mut().reset(deadline);
            }
            std::task::ready!(self.timer.as_mut().poll(cx));
        }
    }

    /// The outcome of a write to the inner stream: bytes written count as
    /// activity, a wait counts towards the idle timeout.
    fn written(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match polled {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.last_activity = Instant::now();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.poll_idle(cx).map(Err),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleTimeout<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.last_activity = Instant::now();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => this.poll_idle(cx).map(Err),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.written(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.written(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The routes as one connection's hyper service.
///
/// hyper_util's `TowerToHyperService` clones the tower service for every
/// request, and cloning a warp filter tree clones every route's captured
/// state (an `AppState` per route): measured 7–8 % of the CPU of a cached
/// trends answer. warp's service needs `&mut` only to start a request and
/// its future owns what it uses, so each connection keeps one service and
/// lends it to each request in turn (hyper calls it from the connection's
/// task only, so the lock is never contended).
struct Routes<S>(std::sync::Mutex<S>);

impl<S> Routes<S> {
    fn new(service: S) -> Routes<S> {
        Routes(std::sync::Mutex::new(service))
    }
}

impl<S, R> hyper::service::Service<R> for Routes<S>
where
    S: tower_service::Service<R> + Clone,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn call(&self, req: R) -> S::Future {
        match self.0.lock() {
            Ok(mut service) => service.call(req),
            // A panic while starting an earlier request: the service itself is
            // unchanged by a call (warp keeps nothing), so a copy serves.
            Err(poisoned) => poisoned.into_inner().clone().call(req),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Only detects a hang.
    const HANG: Duration = Duration::from_secs(30);

    #[tokio::test]
    async fn a_stalled_read_or_write_times_out() {
        let (near, _far) = tokio::io::duplex(64);
        let mut reader = IdleTimeout::new(near, Duration::from_millis(100));
        let mut buf = [0u8; 8];
        let err = tokio::time::timeout(HANG, reader.read(&mut buf))
            .await
            .expect("the idle timeout fires")
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);

        // The peer reads nothing: the pipe fills up, then the write times out.
        let (near, _far) = tokio::io::duplex(64);
        let mut writer = IdleTimeout::new(near, Duration::from_millis(100));
        let err = tokio::time::timeout(HANG, writer.write_all(&[7u8; 4096]))
            .await
            .expect("the idle timeout fires")
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn bytes_that_move_pass_through() {
        let (near, mut far) = tokio::io::duplex(64);
        let mut s = IdleTimeout::new(near, Duration::from_secs(60));
        s.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        far.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        far.write_all(b"pong").await.unwrap();
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"pong");
    }
}
