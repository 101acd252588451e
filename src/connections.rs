//! The port's connections: accepted up to a limit, served by hyper with
//! timeouts that a slow or silent client cannot stretch, and drained at
//! shutdown.
//!
//! axum's own `serve` leaves hyper's header read timeout without a timer,
//! so a client that sends half a request line, or a body shorter than its
//! Content-Length, held its connection (and a task) for ever.
//!
//! With TLS on, the handshake runs in the connection's own task, within the
//! header read timeout: a slow or silent client never holds up the accept
//! loop, and holds its connection slot no longer than a plain one.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::either::Either;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::tls::ServerTls;

/// What bounds a connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, and how
    /// long an HTTP/1 connection may stay idle between requests.
    pub header_read_timeout: Duration,
    /// HTTP/2: how often an idle connection is pinged, and how long the
    /// answer may take before the connection is closed.
    pub http2_keep_alive: Duration,
}

/// Serves `app` on `listener` (over TLS when `tls` is given) until
/// `stopping` is cancelled, then lets the open connections finish their
/// calls (the caller bounds how long).
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<Arc<ServerTls>>,
    stopping: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.http2_keep_alive)
        .keep_alive_timeout(limits.http2_keep_alive);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                // The semaphore is never closed.
                Err(_) => break,
            },
            () = stopping.cancelled() => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors and the like: wait rather
                    // than spin; a reset before accept is nothing.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = stopping.cancelled() => break,
        };
        // Without TCP_NODELAY small gRPC answers waited for delayed ACKs
        // (40 ms stalls per request, measured with batches of 100).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        let service = app
            .clone()
            .map_request(|request: http::Request<Incoming>| request.map(axum::body::Body::new));
        let service = TowerToHyperService::new(service);
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let header_read_timeout = limits.header_read_timeout;
        let tls = tls.as_ref().map(|tls| tls.acceptor());
        tokio::spawn(async move {
            let stream = match tls {
                None => {
                    // hyper reads the first bytes to tell HTTP/1 from
                    // HTTP/2 before its header timeout starts: a client
                    // that sends nothing would hold its slot for ever.
                    let mut first = [0u8; 1];
                    if tokio::time::timeout(header_read_timeout, stream.peek(&mut first))
                        .await
                        .is_err()
                    {
                        tracing::debug!("connection sent nothing; closed");
                        return;
                    }
                    Either::Left(stream)
                }
                Some(acceptor) => match handshake(acceptor, stream, header_read_timeout).await {
                    Some(stream) => Either::Right(stream),
                    None => return,
                },
            };
            let connection = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            if let Err(error) = watcher.watch(connection).await {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// The TLS handshake and the first bytes of the first request, within
/// `timeout`; `None` (the connection closed) when they do not come.
///
/// ALPN has told the client's protocol, but hyper's detection of it, like
/// its HTTP/2 preface, waits without a timer: the buffer lets the first
/// bytes be awaited here without consuming them.
async fn handshake(
    acceptor: tokio_rustls::TlsAcceptor,
    stream: TcpStream,
    timeout: Duration,
) -> Option<BufReader<tokio_rustls::server::TlsStream<TcpStream>>> {
    let started = async {
        let mut stream = BufReader::new(acceptor.accept(stream).await?);
        let ended = stream.fill_buf().await?.is_empty();
        std::io::Result::Ok((!ended).then_some(stream))
    };
    match tokio::time::timeout(timeout, started).await {
        Ok(Ok(Some(stream))) => Some(stream),
        Ok(Ok(None)) => {
            tracing::debug!("tls connection closed before a request");
            None
        }
        Ok(Err(error)) => {
            // Scanners, clients that do not trust the certificate, missing
            // client certificates: common, and the client knows why.
            tracing::debug!(%error, "tls handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!("tls handshake or first request too slow; closed");
            None
        }
    }
}
