//! Printing: JSON for scripts, short aligned text for people, and the log
//! file in the data folder (which never receives a secret).
//!
//! Every line a command prints goes through [`write_stdout`] (main.rs
//! points `println!` and `print!` here), which never panics: when the reader
//! goes away (`reverie session list | head -1`) the rest of the output is
//! dropped and the command finishes what it was doing, then exits quietly
//! as Unix tools do, with the exit code of what it did (so a committed
//! write still reports success). Any other failure to write (a full disk)
//! is reported once the command is done. Output that *is* the result, such
//! as `session export`, checks its own writes with [`write_result`] and
//! fails with a sentence instead.

use std::io::{ErrorKind, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

/// Set once stdout's reader has gone; later output is dropped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
/// The first error writing to stdout other than a closed pipe.
static STDOUT_FAILED: Mutex<Option<String>> = Mutex::new(None);

/// Writes to stdout and flushes (so a closed reader is noticed now), never
/// panicking. See the module doc for what happens on failure.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        note_stdout_error(e);
    }
}

/// Writes to stderr, ignoring a closed one (there is nowhere left to say so).
pub fn write_stderr(args: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

fn note_stdout_error(e: std::io::Error) {
    STDOUT_CLOSED.store(true, Ordering::Relaxed);
    if e.kind() != ErrorKind::BrokenPipe {
        let mut failed = STDOUT_FAILED.lock().unwrap_or_else(|p| p.into_inner());
        failed.get_or_insert_with(|| e.to_string());
    }
}

/// Why the output could not be written, other than its reader leaving.
pub fn stdout_failure() -> Option<String> {
    STDOUT_FAILED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

/// Writes output that is the command's whole result (an export): a reader
/// that leaves before the end is a failure, said in a sentence.
pub fn write_result(what: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            if e.kind() == ErrorKind::BrokenPipe {
                anyhow::anyhow!(
                    "{what} was not delivered: the program reading it closed its end before the end; write it to a file with --output FILE"
                )
            } else {
                anyhow::anyhow!("{what} could not be written ({e}); write it to a file with --output FILE")
            }
        })
}

/// One line on stdout, for callers that want to stop when nobody reads.
pub fn line(text: &str) -> anyhow::Result<()> {
    write_stdout(format_args!("{text}\n"));
    Ok(())
}

pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints rows as left-aligned columns under a header.
pub fn table(header: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let text: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", text.join("  ").trim_end());
    };
    line(header.iter().map(|h| h.to_uppercase()).collect());
    for row in rows {
        line(row);
    }
}

/// The log file, with credentials in URLs masked in every line written.
struct MaskingWriter<W>(W);

impl<W: Write> Write for MaskingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => {
                let masked = reverie_engine::redact::mask_url_credentials(text);
                self.0.write_all(masked.as_bytes())?
            }
            Err(_) => self.0.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Appends structured logs to `<data>/logs/reverie.log`; `RUST_LOG` sets the level.
pub fn init_logging(data_dir: &Path) {
    let dir = reverie_engine::data_dir::logs_dir(data_dir);
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("reverie.log"))
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(MaskingWriter(file)))
        .try_init();
}

pub fn short_time(rfc3339: &str) -> String {
    // 2026-11-26T07:40:00.123Z -> 2026-11-26 07:40
    rfc3339
        .get(..16)
        .map(|s| s.replace('T', " "))
        .unwrap_or_else(|| rfc3339.to_string())
}

/// Money for people: `$0.0123`, or "cost unknown" when the model has no
/// price (a local model, a new one), never a misleading `$0.0000`.
pub fn money(data_dir: &Path, model: &str, usd: f64) -> String {
    // The same price table the run used (built in, plus the data folder's).
    let priced = reverie_engine::provider::ProviderRegistry::new(data_dir)
        .map(|r| r.prices().price(model).is_some())
        .unwrap_or(false);
    if priced || usd > 0.0 {
        format!("${usd:.4}")
    } else {
        format!("cost unknown (no price for {model})")
    }
}
