//! A fault-injecting HTTP/1.1 server on 127.0.0.1:0 that logs every request.
//!
//! Written on a raw `TcpListener` so it can misbehave in ways a real server
//! framework will not: reset a connection mid-body, drip a body slowly,
//! never answer. Every response closes its connection (one request per
//! connection keeps the log and the faults simple).
//!
//! Routes map an exact `path?query` to a list of replies: each request takes
//! the next one, and the last one repeats. Unknown paths answer 404 — so
//! `/robots.txt` is "no rules" unless a test sets it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// One way of answering a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete response.
    Full {
        /// Status code.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// Body bytes (sent as they are: pre-compress them for gzip tests).
        body: Vec<u8>,
    },
    /// Headers announcing `declared` bytes, `body`, then a TCP reset.
    ResetMidBody {
        /// The announced `Content-Length`.
        declared: usize,
        /// What is actually sent before the reset.
        body: Vec<u8>,
    },
    /// A 200 whose body comes `chunk` by `chunk`, one every `every`.
    Drip {
        /// One piece.
        chunk: Vec<u8>,
        /// Pieces sent.
        count: usize,
        /// Pause between pieces.
        every: Duration,
    },
    /// Reads the request and never answers.
    Hang,
    /// 200 with this `ETag`, or 304 when the request's `If-None-Match` matches.
    Etag {
        /// The entity tag (with quotes).
        etag: String,
        /// The body of a 200.
        body: Vec<u8>,
    },
}

impl Reply {
    /// 200 with a content type and a body.
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Full {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// `status` with a short text body.
    pub fn status(status: u16) -> Reply {
        Reply::Full {
            status,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: format!("status {status}").into_bytes(),
        }
    }

    /// Adds a header to a [`Reply::Full`].
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Full { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    /// `GET`, `POST`…
    pub method: String,
    /// `path?query`.
    pub path: String,
    /// When it arrived.
    pub at: Instant,
    /// Request headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The request body (as announced by `Content-Length`).
    pub body: Vec<u8>,
}

impl Logged {
    /// A request header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

type Routes = Arc<Mutex<HashMap<String, Vec<Reply>>>>;

/// The server; stops (and drops every open connection) when dropped.
pub struct FaultServer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    log: Arc<Mutex<Vec<Logged>>>,
    routes: Routes,
    task: JoinHandle<()>,
}

impl FaultServer {
    /// Starts a server with `routes`.
    pub async fn start(routes: Vec<(&str, Vec<Reply>)>) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let routes: Routes = Arc::new(Mutex::new(
            routes.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        ));
        let log2 = log.clone();
        let routes2 = routes.clone();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                connections.spawn(serve(stream, log2.clone(), routes2.clone()));
                while connections.try_join_next().is_some() {}
            }
        });
        FaultServer {
            base,
            log,
            routes,
            task,
        }
    }

    /// Adds (or replaces) a route, e.g. one pointing to a server started later.
    pub fn with_route(self, path: &str, replies: Vec<Reply>) -> FaultServer {
        self.routes.lock().unwrap().insert(path.to_owned(), replies);
        self
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Every request so far.
    pub fn log(&self) -> Vec<Logged> {
        self.log.lock().unwrap().clone()
    }

    /// The paths requested so far, in order.
    pub fn paths(&self) -> Vec<String> {
        self.log().into_iter().map(|l| l.path).collect()
    }

    /// How many times `path` was requested.
    pub fn hits(&self, path: &str) -> usize {
        self.log().iter().filter(|l| l.path == path).count()
    }

    /// Every request header value seen so far, of every request, joined
    /// (to assert that a secret never arrived, whatever the header).
    pub fn all_header_text(&self) -> String {
        self.log()
            .iter()
            .flat_map(|l| l.headers.iter().map(|(k, v)| format!("{k}: {v}\n")))
            .collect()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, log: Arc<Mutex<Vec<Logged>>>, routes: Routes) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let reply = {
        let mut routes = routes.lock().unwrap();
        match routes.get_mut(&request.path) {
            Some(list) if list.len() > 1 => Some(list.remove(0)),
            Some(list) => list.first().cloned(),
            None => None,
        }
    }
    .unwrap_or_else(|| Reply::status(404));
    let if_none_match = request.header("if-none-match").map(str::to_owned);
    log.lock().unwrap().push(request);
    let _ = answer(&mut stream, reply, if_none_match).await;
}

async fn read_request(stream: &mut TcpStream) -> Option<Logged> {
    let mut buf = Vec::new();
    let mut piece = [0u8; 4096];
    let end = loop {
        let n = stream.read(&mut piece).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&piece[..n]);
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let mut request = Logged {
        method,
        path,
        at: Instant::now(),
        headers: lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect(),
        body: buf[end + 4..].to_vec(),
    };
    // Read the request body, so that closing does not reset the connection.
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while request.body.len() < length {
        let n = stream.read(&mut piece).await.ok()?;
        if n == 0 {
            break;
        }
        request.body.extend_from_slice(&piece[..n]);
    }
    Some(request)
}

fn head(status: u16, headers: &[(String, String)], length: Option<usize>) -> Vec<u8> {
    let mut text = format!("HTTP/1.1 {status} X\r\nConnection: close\r\n");
    if let Some(n) = length {
        text.push_str(&format!("Content-Length: {n}\r\n"));
    }
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.into_bytes()
}

async fn answer(
    stream: &mut TcpStream,
    reply: Reply,
    if_none_match: Option<String>,
) -> std::io::Result<()> {
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            stream
                .write_all(&head(status, &headers, Some(body.len())))
                .await?;
            stream.write_all(&body).await?;
        }
        Reply::ResetMidBody { declared, body } => {
            let ct = [("Content-Type".to_owned(), "application/json".to_owned())];
            stream.write_all(&head(200, &ct, Some(declared))).await?;
            stream.write_all(&body).await?;
            stream.flush().await?;
            tokio::time::sleep(Duration::from_millis(20)).await;
            stream.set_zero_linger()?;
            return Ok(()); // dropped with zero linger: RST
        }
        Reply::Drip {
            chunk,
            count,
            every,
        } => {
            let ct = [("Content-Type".to_owned(), "application/json".to_owned())];
            stream
                .write_all(&head(200, &ct, Some(chunk.len() * count)))
                .await?;
            for _ in 0..count {
                tokio::time::sleep(every).await;
                stream.write_all(&chunk).await?;
                stream.flush().await?;
            }
        }
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Reply::Etag { etag, body } => {
            if if_none_match.as_deref() == Some(etag.as_str()) {
                let h = [("ETag".to_owned(), etag)];
                stream.write_all(&head(304, &h, None)).await?;
            } else {
                let h = [
                    ("ETag".to_owned(), etag),
                    ("Content-Type".to_owned(), "application/json".to_owned()),
                ];
                stream.write_all(&head(200, &h, Some(body.len()))).await?;
                stream.write_all(&body).await?;
            }
        }
    }
    stream.flush().await?;
    stream.shutdown().await
}
