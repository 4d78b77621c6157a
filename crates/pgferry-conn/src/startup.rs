//! Watching the server's side of the startup exchange.
//!
//! tokio-postgres does not expose the process id the server announces in BackendKeyData, nor the
//! ParameterStatus values. Pooler detection needs the first (a pooler announces its own, made-up id), so the
//! socket is wrapped in [`ObservedStream`], which reads the message framing of everything the server sends
//! until the first ReadyForQuery and records what it needs. After that it only passes bytes through.

use std::collections::BTreeMap;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What the server said about itself while the connection started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartupInfo {
    /// The process id from BackendKeyData, when the server (or proxy) sent one.
    pub announced_pid: Option<i32>,
    /// ParameterStatus values (`server_version`, `is_superuser`, `session_authorization`, ...).
    pub parameters: BTreeMap<String, String>,
    /// Whether ReadyForQuery was seen, which ends the startup phase.
    pub ready: bool,
}

/// A sans-IO reader of backend message framing: bytes in, [`StartupInfo`] updated.
#[derive(Debug, Default)]
pub(crate) struct StartupObserver {
    pending: Vec<u8>,
    info: StartupInfo,
    /// Set when the stream stopped looking like protocol messages; the observer then stays silent.
    confused: bool,
}

const BACKEND_KEY_DATA: u8 = b'K';
const PARAMETER_STATUS: u8 = b'S';
const READY_FOR_QUERY: u8 = b'Z';
/// Startup messages are small; anything claiming to be larger than this is not a message we care to buffer.
const MAX_STARTUP_MESSAGE: usize = 1 << 20;

impl StartupObserver {
    /// Whether the observer still wants to see bytes.
    pub(crate) fn is_watching(&self) -> bool {
        !self.info.ready && !self.confused
    }

    /// What has been learned so far.
    pub(crate) fn info(&self) -> &StartupInfo {
        &self.info
    }

    /// Feeds bytes read from the server, in order.
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        if !self.is_watching() {
            return;
        }
        self.pending.extend_from_slice(bytes);
        let mut consumed = 0;
        while self.is_watching() {
            let rest = &self.pending[consumed..];
            if rest.len() < 5 {
                break;
            }
            let tag = rest[0];
            let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
            if !(4..=MAX_STARTUP_MESSAGE).contains(&len) {
                self.confused = true;
                break;
            }
            if rest.len() < 1 + len {
                break;
            }
            let body = rest[5..1 + len].to_vec();
            consumed += 1 + len;
            self.message(tag, &body);
        }
        self.pending.drain(..consumed);
        if !self.is_watching() {
            self.pending = Vec::new();
        }
    }

    fn message(&mut self, tag: u8, body: &[u8]) {
        match tag {
            BACKEND_KEY_DATA if body.len() >= 4 => {
                self.info.announced_pid =
                    Some(i32::from_be_bytes([body[0], body[1], body[2], body[3]]));
            }
            PARAMETER_STATUS => {
                let mut parts = body.split(|b| *b == 0);
                if let (Some(name), Some(value)) = (parts.next(), parts.next()) {
                    self.info.parameters.insert(
                        String::from_utf8_lossy(name).into_owned(),
                        String::from_utf8_lossy(value).into_owned(),
                    );
                }
            }
            READY_FOR_QUERY => self.info.ready = true,
            _ => {}
        }
    }
}

/// A stream that shows the server's startup messages to a [`StartupObserver`] and otherwise passes bytes on.
#[derive(Debug)]
pub(crate) struct ObservedStream<S> {
    inner: S,
    observer: Arc<Mutex<StartupObserver>>,
    watching: bool,
}

impl<S> ObservedStream<S> {
    /// Wraps `inner`; the returned handle reads what the observer learned.
    pub(crate) fn new(inner: S) -> (Self, Arc<Mutex<StartupObserver>>) {
        let observer = Arc::new(Mutex::new(StartupObserver::default()));
        let stream = ObservedStream {
            inner,
            observer: Arc::clone(&observer),
            watching: true,
        };
        (stream, observer)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ObservedStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if self.watching {
            if let Poll::Ready(Ok(())) = result {
                let mut observer = self.observer.lock().unwrap_or_else(|e| e.into_inner());
                observer.feed(&buf.filled()[before..]);
                let still = observer.is_watching();
                drop(observer);
                self.watching = still;
            }
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ObservedStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        out.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    fn startup_bytes() -> Vec<u8> {
        let mut bytes = message(b'R', &0u32.to_be_bytes()); // AuthenticationOk
        bytes.extend(message(b'S', b"server_version\x0017.2\x00"));
        bytes.extend(message(b'S', b"is_superuser\x00on\x00"));
        let mut key = 4242i32.to_be_bytes().to_vec();
        key.extend_from_slice(&7u32.to_be_bytes());
        bytes.extend(message(b'K', &key));
        bytes.extend(message(b'Z', b"I"));
        bytes.extend(message(b'K', &[0, 0, 0, 9, 0, 0, 0, 9])); // after ReadyForQuery: ignored
        bytes
    }

    #[test]
    fn reads_key_data_and_parameters_in_one_piece() {
        let mut observer = StartupObserver::default();
        observer.feed(&startup_bytes());
        let info = observer.info();
        assert_eq!(info.announced_pid, Some(4242));
        assert_eq!(info.parameters["server_version"], "17.2");
        assert_eq!(info.parameters["is_superuser"], "on");
        assert!(info.ready);
        assert!(!observer.is_watching());
    }

    #[test]
    fn reads_the_same_byte_by_byte() {
        let mut observer = StartupObserver::default();
        for byte in startup_bytes() {
            observer.feed(&[byte]);
        }
        assert_eq!(observer.info().announced_pid, Some(4242));
        assert!(observer.info().ready);
    }

    #[test]
    fn gives_up_quietly_on_garbage() {
        let mut observer = StartupObserver::default();
        observer.feed(&[b'X', 0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
        assert!(!observer.is_watching());
        assert_eq!(observer.info().announced_pid, None);
        observer.feed(&startup_bytes());
        assert_eq!(observer.info().announced_pid, None);
    }
}
