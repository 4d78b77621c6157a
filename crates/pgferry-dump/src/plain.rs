//! Writing a plain SQL script whose data entries are read from the server while the script is written.
//!
//! The script writer (`pgferry_archive::script`) is synchronous and asks a [`DataSource`] for each data entry
//! in TOC order; the server is read asynchronously. The writer therefore runs on a blocking thread and talks to
//! the dump's task through a bounded channel: it sends the script text in chunks, and for a data entry a request
//! that the task answers by streaming that entry's data straight into the output. Only the task touches the
//! output and the connection, so the bytes come out in order, and memory stays bounded by the channel.

use std::io::{self, Write};

use pgferry_archive::script::{write_script, DataSource, ScriptOptions};
use pgferry_archive::{DumpId, Toc, TocEntry};
use tokio::sync::{mpsc, oneshot};

use crate::data::DataWriter;
use crate::DumpError;

/// Script text is sent to the task in chunks of about this size.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the writer thread and the task.
const CHANNEL_DEPTH: usize = 8;

enum Message {
    /// Script text, to be written as it is.
    Text(Vec<u8>),
    /// Write the data of this entry now, then answer.
    Data(DumpId, oneshot::Sender<bool>),
}

/// Writes `toc` as a plain script to `out`, with the data of its data entries read through `data`.
pub(crate) async fn write_with_data(
    toc: Toc,
    options: ScriptOptions,
    data: &DataWriter<'_>,
    out: &mut (dyn Write + Send),
) -> Result<(), DumpError> {
    let (sender, mut receiver) = mpsc::channel(CHANNEL_DEPTH);
    let writer = tokio::task::spawn_blocking(move || {
        let mut text = ChannelWriter {
            sender: sender.clone(),
            buffer: Vec::with_capacity(CHUNK),
        };
        let mut source = ChannelSource { sender };
        write_script(&toc, &options, &mut source, &mut text)?;
        text.flush()
    });

    let mut failure: Option<DumpError> = None;
    while let Some(message) = receiver.recv().await {
        match message {
            Message::Text(bytes) => {
                if failure.is_none() {
                    if let Err(error) = out.write_all(&bytes) {
                        failure = Some(error.into());
                    }
                }
            }
            Message::Data(id, done) => {
                let ok = if failure.is_none() {
                    let counted = data.track(id);
                    match data
                        .write(
                            id,
                            &mut crate::data::SyncOutput(&mut *out),
                            counted.as_ref(),
                        )
                        .await
                    {
                        Ok(()) => true,
                        Err(error) => {
                            failure = Some(error);
                            false
                        }
                    }
                } else {
                    false
                };
                let _ = done.send(ok);
            }
        }
    }
    let written = writer.await.map_err(|e| {
        DumpError::Write(io::Error::other(format!("the script writer failed: {e}")))
    })?;
    match failure {
        Some(error) => Err(error),
        None => Ok(written?),
    }
}

/// The script text side: buffers what the writer prints and sends it in chunks.
struct ChannelWriter {
    sender: mpsc::Sender<Message>,
    buffer: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        self.sender
            .blocking_send(Message::Text(chunk))
            .map_err(|_| stopped())
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// The data side: hands each data entry to the task and waits until its data is written.
struct ChannelSource {
    sender: mpsc::Sender<Message>,
}

impl DataSource for ChannelSource {
    fn write_data(&mut self, entry: &TocEntry, out: &mut dyn Write) -> io::Result<()> {
        // The text before the data (header, COPY statement) goes first.
        out.flush()?;
        let (done, answer) = oneshot::channel();
        self.sender
            .blocking_send(Message::Data(entry.dump_id, done))
            .map_err(|_| stopped())?;
        match answer.blocking_recv() {
            Ok(true) => Ok(()),
            _ => Err(stopped()),
        }
    }
}

fn stopped() -> io::Error {
    io::Error::other("the dump stopped")
}
