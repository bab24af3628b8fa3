//! Streaming import benchmark: generates JSON Lines and JSON array files of
//! realistic sessions (the τ-bench trajectories, repeated with new trial
//! numbers) in a temp folder, imports each into a fresh data folder, and
//! prints sessions/s, MB/s and the process's peak RSS growth during the
//! import (VmHWM from /proc/self/status, reset before each phase). The
//! same run imports a 20 MB file first as the baseline: memory is bounded
//! when the 200 MB imports grow the peak no more than the 20 MB one did,
//! and far less than the file's size.
//!
//! Run: `cargo bench -p reverie-engine --bench import_stream`
//! (`IMPORT_BENCH_MB=50` for a smaller big file.)

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use reverie_engine::Store;
use reverie_engine::demo::CORPUS;
use reverie_engine::import::reader::{Flow, Piece, read_pieces};
use reverie_engine::import::{ImportSummary, OnError, import_file};
use reverie_engine::store::{NewAgent, ProviderKind, SourceFormat};

const MB: u64 = 1 << 20;

/// A line of /proc/self/status, in bytes.
fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

/// Resets VmHWM to the current RSS (Linux ≥ 4.0: "5" in clear_refs).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Writes τ-bench records (each with a fresh trial number) until the file
/// holds `target` bytes; one record in memory at a time. Returns records.
fn generate(path: &Path, target: u64, array: bool) -> u64 {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut written = 0u64;
    let mut records = 0u64;
    if array {
        out.write_all(b"[\n").unwrap();
        written += 2;
    }
    let mut round = 0u64;
    while written < target {
        read_pieces(CORPUS, &mut |piece| -> std::io::Result<Flow> {
            let Piece::Record(mut record, _) = piece else {
                return Ok(Flow::Continue);
            };
            if written >= target {
                return Ok(Flow::Stop);
            }
            record["trial"] = (round * 1000 + records % 1000).into();
            let text = serde_json::to_string(&record).unwrap();
            if array && records > 0 {
                out.write_all(b",\n")?;
                written += 2;
            }
            out.write_all(text.as_bytes())?;
            if !array {
                out.write_all(b"\n")?;
                written += 1;
            }
            written += text.len() as u64;
            records += 1;
            Ok(Flow::Continue)
        })
        .unwrap();
        round += 1;
    }
    if array {
        out.write_all(b"\n]\n").unwrap();
    }
    out.flush().unwrap();
    records
}

/// Imports a generated file; returns the summary and the process's peak
/// RSS during the import.
fn phase(label: &str, size: u64, array: bool) -> (ImportSummary, u64) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir
        .path()
        .join(if array { "big.json" } else { "big.jsonl" });
    let started = Instant::now();
    let records = generate(&file, size, array);
    let bytes = std::fs::metadata(&file).unwrap().len();
    println!(
        "{label}: generated {:.0} MB, {records} sessions in {:.1} s",
        bytes as f64 / MB as f64,
        started.elapsed().as_secs_f64()
    );
    let store = Store::open(&dir.path().join("data")).unwrap();
    store
        .create_agent(&NewAgent {
            name: "bench".into(),
            provider: ProviderKind::OpenAi,
            model: "gpt-4o".into(),
            system_prompt: String::new(),
            tools: vec![],
        })
        .unwrap();
    reset_peak();
    let baseline = status_kb("VmRSS:");
    let started = Instant::now();
    let summary = import_file(
        &store,
        "bench",
        &file,
        Some(SourceFormat::OpenAi),
        OnError::Stop,
        &mut |_| {},
    )
    .unwrap();
    let secs = started.elapsed().as_secs_f64();
    let peak = status_kb("VmHWM:");
    let events = event_total(&store);
    let growth = peak.saturating_sub(baseline);
    println!(
        "{label}: imported {} sessions / {events} events in {secs:.1} s: {:.0} sessions/s, {:.0} events/s, {:.1} MB/s; \
         RSS at start {:.1} MB, peak during the import {:.1} MB (+{:.1} MB, {:.2}% of the file's size)",
        summary.imported,
        summary.imported as f64 / secs,
        events as f64 / secs,
        bytes as f64 / MB as f64 / secs,
        baseline as f64 / MB as f64,
        peak as f64 / MB as f64,
        growth as f64 / MB as f64,
        growth as f64 * 100.0 / bytes as f64
    );
    assert_eq!(summary.imported, records, "{summary:?}");
    (summary, peak)
}

/// Events stored by the import (counted after the peak was read).
fn event_total(store: &Store) -> i64 {
    let mut total = 0;
    for s in store
        .list_sessions(&reverie_engine::store::SessionFilter {
            limit: Some(usize::MAX >> 1),
            ..Default::default()
        })
        .unwrap()
    {
        total += store.event_count(&s.id).unwrap();
    }
    total
}

fn main() {
    let big = std::env::var("IMPORT_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200u64);
    println!(
        "process RSS before anything: {:.1} MB",
        status_kb("VmRSS:") as f64 / MB as f64
    );
    let (_, small) = phase("baseline  20 MB JSON Lines", 20 * MB, false);
    let (_, lines) = phase(&format!("big {big:>4} MB JSON Lines"), big * MB, false);
    let (_, array) = phase(&format!("big {big:>4} MB JSON array"), big * MB, true);
    println!(
        "peak RSS of the whole process while importing: 20 MB file {:.1} MB; {big} MB JSON Lines {:.1} MB; \
         {big} MB JSON array {:.1} MB (bounded: it does not follow the file's size)",
        small as f64 / MB as f64,
        lines as f64 / MB as f64,
        array as f64 / MB as f64
    );
}
