//! Reads a log file as a stream of JSON records without ever holding the
//! file in memory. The file is a sequence of top-level JSON values: one per
//! line (JSON Lines) or laid out any way (a JSON document, possibly a huge
//! array). A top-level object is one record; a top-level array's elements
//! are records one by one, followed by a group end (so the messages of a
//! bare messages array can be gathered into one conversation).
//!
//! JSON Lines are read line by line, so a line that is not JSON is reported
//! and the next line read. Anything else is parsed by serde_json straight
//! from the reader, an array element at a time ([`serde::Deserializer::deserialize_seq`]
//! with a visitor), so a syntax error there ends the reading: a JSON
//! parser cannot find where the next element starts.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;

use serde::Deserializer as _;
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde_json::Value;

/// How much of the start of the file is looked at to tell JSON Lines from
/// a JSON document (a first line longer than this is read as a document).
const PROBE_BYTES: usize = 1 << 20;

/// The largest record read (one JSON Lines line, one array element, one
/// top-level value). A bigger one is not held in memory: a line is skipped
/// and reported, a document stops there with a sentence.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

fn record_too_big(max: usize) -> String {
    let size = if max >= 1 << 20 {
        format!("{} MB", max >> 20)
    } else {
        format!("{max} bytes")
    };
    format!(
        "a record is larger than {size}, the most Reverie reads as one conversation; split the file or remove that record"
    )
}

/// Where a record is in the file, for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    /// 1-based count of records read so far, this one included.
    pub record: u64,
    /// The line: of the record in JSON Lines; in a JSON document, the line
    /// the record ends on.
    pub line: Option<u64>,
    /// For an element of an array: its 1-based index in the array.
    pub element: Option<u64>,
    /// In a JSON document: the byte offset just past the record.
    pub byte_offset: Option<u64>,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {}", self.record)?;
        match (self.byte_offset, self.line, self.element) {
            (None, Some(line), Some(element)) => write!(f, " (line {line}, element {element})"),
            (None, Some(line), None) => write!(f, " (line {line})"),
            (Some(offset), line, element) => {
                write!(f, " (")?;
                if let Some(element) = element {
                    write!(f, "array element {element}, ")?;
                }
                if let Some(line) = line {
                    write!(f, "ending on line {line}, ")?;
                }
                write!(f, "byte {offset})")
            }
            (None, None, _) => Ok(()),
        }
    }
}

/// What the reader hands over.
pub enum Piece {
    /// One record.
    Record(Value, Position),
    /// A JSON Lines line that is not JSON (it is skipped).
    Unreadable(Position, String),
    /// The end of a top-level array (and of the file).
    GroupEnd,
}

/// Whether to keep reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// How the reading ended.
#[derive(Debug)]
pub enum Ended {
    /// Every record was read (or the callback asked to stop).
    Complete,
    /// A syntax error in a JSON document: nothing after it was read.
    Broken { position: Position, message: String },
}

/// Bytes and lines a parser has consumed, shared with the element visitor
/// (which cannot reach the reader the parser borrows).
#[derive(Clone, Default)]
struct Counts {
    bytes: Rc<Cell<u64>>,
    newlines: Rc<Cell<u64>>,
    /// Bytes since the last record was handed over.
    since_record: Rc<Cell<u64>>,
}

impl Counts {
    fn add(&self, data: &[u8]) {
        self.bytes.set(self.bytes.get() + data.len() as u64);
        self.since_record
            .set(self.since_record.get() + data.len() as u64);
        let lines = data.iter().filter(|&&b| b == b'\n').count() as u64;
        self.newlines.set(self.newlines.get() + lines);
    }

    /// Where the parser is now: just past the value it last read.
    fn position(&self, record: u64, element: Option<u64>) -> Position {
        Position {
            record,
            line: Some(self.newlines.get() + 1),
            element,
            byte_offset: Some(self.bytes.get()),
        }
    }
}

/// A reader that counts what is read through it.
struct Tracked<R> {
    inner: R,
    counts: Counts,
    max_record: usize,
}

impl<R: BufRead> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.counts.since_record.get() > self.max_record as u64 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                record_too_big(self.max_record),
            ));
        }
        let n = self.inner.read(buf)?;
        self.counts.add(&buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Tracked<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let amt = amt.min(buf.len());
            self.counts.add(&buf[..amt]);
        }
        self.inner.consume(amt);
    }
}

/// How the file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Decided from the first line: JSON Lines when it is a whole value.
    #[default]
    Sniff,
    /// One record per line (a `.jsonl` file): a bad line, even the first,
    /// is skipped.
    JsonLines,
}

/// Reads `input` to the end (or until `on_piece` says stop), handing over
/// each record. I/O errors and the callback's errors end it with `Err`.
pub fn read_pieces<R: Read, E: From<std::io::Error>>(
    input: R,
    on_piece: &mut dyn FnMut(Piece) -> Result<Flow, E>,
) -> Result<Ended, E> {
    read_pieces_as(input, Layout::Sniff, on_piece)
}

/// [`read_pieces`] with the layout given.
pub fn read_pieces_as<R: Read, E: From<std::io::Error>>(
    input: R,
    layout: Layout,
    on_piece: &mut dyn FnMut(Piece) -> Result<Flow, E>,
) -> Result<Ended, E> {
    read_bounded(input, layout, MAX_RECORD_BYTES, on_piece)
}

/// [`read_pieces_as`] with the largest record given.
fn read_bounded<R: Read, E: From<std::io::Error>>(
    input: R,
    layout: Layout,
    max_record: usize,
    on_piece: &mut dyn FnMut(Piece) -> Result<Flow, E>,
) -> Result<Ended, E> {
    let mut reader = BufReader::with_capacity(PROBE_BYTES, input);
    skip_bom(&mut reader)?;
    if layout == Layout::JsonLines || looks_like_json_lines(&mut reader)? {
        read_lines(reader, max_record, on_piece)
    } else {
        read_document(
            Tracked {
                inner: reader,
                counts: Counts::default(),
                max_record,
            },
            on_piece,
        )
    }
}

fn skip_bom<R: BufRead>(reader: &mut R) -> std::io::Result<()> {
    if reader.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    Ok(())
}

/// True when the first non-blank line is a whole JSON value (so the file
/// is JSON Lines, or a one-line document small enough to read at once).
fn looks_like_json_lines<R: BufRead>(reader: &mut R) -> std::io::Result<bool> {
    let buf = reader.fill_buf()?;
    let start = buf
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(buf.len());
    let rest = &buf[start..];
    let end = match rest.iter().position(|&b| b == b'\n') {
        Some(end) => end,
        // The whole (small) file is one line.
        None if buf.len() < PROBE_BYTES => rest.len(),
        None => return Ok(false),
    };
    Ok(!rest.is_empty() && serde_json::from_slice::<serde::de::IgnoredAny>(&rest[..end]).is_ok())
}

fn read_lines<R: BufRead, E: From<std::io::Error>>(
    mut reader: R,
    max_record: usize,
    on_piece: &mut dyn FnMut(Piece) -> Result<Flow, E>,
) -> Result<Ended, E> {
    let mut line = Vec::new();
    let mut number = 0u64;
    let mut records = 0u64;
    loop {
        line.clear();
        let limit = max_record as u64 + 1;
        if (&mut reader).take(limit).read_until(b'\n', &mut line)? == 0 {
            break;
        }
        number += 1;
        if line.len() > max_record && line.last() != Some(&b'\n') {
            // Skip the rest of the line without holding it.
            loop {
                let buf = reader.fill_buf()?;
                if buf.is_empty() {
                    break;
                }
                match buf.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        reader.consume(i + 1);
                        break;
                    }
                    None => {
                        let n = buf.len();
                        reader.consume(n);
                    }
                }
            }
            records += 1;
            let position = Position {
                record: records,
                line: Some(number),
                element: None,
                byte_offset: None,
            };
            if on_piece(Piece::Unreadable(position, record_too_big(max_record)))? == Flow::Stop {
                return Ok(Ended::Complete);
            }
            continue;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let at = |records: u64, element: Option<u64>| Position {
            record: records,
            line: Some(number),
            element,
            byte_offset: None,
        };
        match serde_json::from_slice::<Value>(&line) {
            Ok(Value::Array(items)) => {
                for (i, item) in items.into_iter().enumerate() {
                    records += 1;
                    if on_piece(Piece::Record(item, at(records, Some(i as u64 + 1))))? == Flow::Stop
                    {
                        return Ok(Ended::Complete);
                    }
                }
                if on_piece(Piece::GroupEnd)? == Flow::Stop {
                    return Ok(Ended::Complete);
                }
            }
            Ok(value) => {
                records += 1;
                if on_piece(Piece::Record(value, at(records, None)))? == Flow::Stop {
                    return Ok(Ended::Complete);
                }
            }
            Err(e) => {
                records += 1;
                let message = format!("not valid JSON ({})", without_position(&e));
                if on_piece(Piece::Unreadable(at(records, None), message))? == Flow::Stop {
                    return Ok(Ended::Complete);
                }
            }
        }
    }
    on_piece(Piece::GroupEnd)?;
    Ok(Ended::Complete)
}

/// serde_json's message without its " at line 1 column 7" (a JSON Lines
/// line is numbered by the reader, not the parser).
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// What the element visitor shares with the loop around it.
struct DocumentState<'a, E> {
    on_piece: &'a mut dyn FnMut(Piece) -> Result<Flow, E>,
    counts: Counts,
    records: u64,
    /// The callback's error (or its wish to stop), carried past serde.
    outcome: Option<Result<Flow, E>>,
}

impl<E> DocumentState<'_, E> {
    /// Hands over one record; false when reading must end.
    fn record(&mut self, value: Value, element: Option<u64>) -> bool {
        self.counts.since_record.set(0);
        self.records += 1;
        let position = self.counts.position(self.records, element);
        match (self.on_piece)(Piece::Record(value, position)) {
            Ok(Flow::Continue) => true,
            other => {
                self.outcome = Some(other);
                false
            }
        }
    }
}

fn read_document<R: BufRead, E: From<std::io::Error>>(
    mut reader: Tracked<R>,
    on_piece: &mut dyn FnMut(Piece) -> Result<Flow, E>,
) -> Result<Ended, E> {
    let state = RefCell::new(DocumentState {
        on_piece,
        counts: reader.counts.clone(),
        records: 0,
        outcome: None,
    });
    loop {
        // Skip the blanks between top-level values; stop at the end.
        let first = loop {
            let buf = reader.fill_buf()?;
            if buf.is_empty() {
                break None;
            }
            match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => {
                    let b = buf[i];
                    reader.consume(i);
                    break Some(b);
                }
                None => {
                    let n = buf.len();
                    reader.consume(n);
                }
            }
        };
        let Some(first) = first else { break };
        reader.counts.since_record.set(0);
        let mut de = serde_json::Deserializer::from_reader(&mut reader);
        let parsed = if first == b'[' {
            de.deserialize_seq(Elements { state: &state })
        } else {
            serde::Deserialize::deserialize(&mut de).map(|value: Value| {
                state.borrow_mut().record(value, None);
            })
        };
        drop(de);
        let mut s = state.borrow_mut();
        match s.outcome.take() {
            Some(Err(e)) => return Err(e),
            Some(Ok(_)) => return Ok(Ended::Complete),
            None => {}
        }
        if let Err(e) = parsed {
            if e.is_io() {
                return Err(E::from(std::io::Error::other(e.to_string())));
            }
            let mut position = s.counts.position(s.records + 1, None);
            position.line = Some(e.line() as u64);
            return Ok(Ended::Broken {
                position,
                message: e.to_string(),
            });
        }
        if first == b'[' && (s.on_piece)(Piece::GroupEnd)? == Flow::Stop {
            return Ok(Ended::Complete);
        }
    }
    let mut s = state.borrow_mut();
    (s.on_piece)(Piece::GroupEnd)?;
    Ok(Ended::Complete)
}

/// Visits a top-level array, handing over one element at a time.
struct Elements<'s, 'a, E> {
    state: &'s RefCell<DocumentState<'a, E>>,
}

impl<'de, E> Visitor<'de> for Elements<'_, '_, E> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut element = 0u64;
        while let Some(value) = seq.next_element_seed(OneValue)? {
            element += 1;
            if !self.state.borrow_mut().record(value, Some(element)) {
                return Err(serde::de::Error::custom("stopped by the importer"));
            }
        }
        Ok(())
    }
}

struct OneValue;

impl<'de> DeserializeSeed<'de> for OneValue {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        serde::Deserialize::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a reading handed over, in words.
    fn read(text: &str, max: usize) -> (Vec<String>, Result<Ended, std::io::Error>) {
        let mut seen = Vec::new();
        let ended = read_bounded(text.as_bytes(), Layout::Sniff, max, &mut |piece| -> Result<
            Flow,
            std::io::Error,
        > {
            seen.push(match piece {
                Piece::Record(v, _) => format!("record {v}"),
                Piece::Unreadable(at, why) => format!("skipped {at}: {why}"),
                Piece::GroupEnd => "end".into(),
            });
            Ok(Flow::Continue)
        });
        (seen, ended)
    }

    #[test]
    fn a_json_lines_record_over_the_limit_is_skipped_unheld() {
        let big = format!("{{\"text\": \"{}\"}}", "x".repeat(500));
        let text = format!("{{\"a\": 1}}\n{big}\n{{\"b\": 2}}\n");
        let (seen, ended) = read(&text, 100);
        assert!(matches!(ended, Ok(Ended::Complete)));
        assert_eq!(seen[0], r#"record {"a":1}"#);
        assert!(
            seen[1].starts_with("skipped record 2 (line 2): a record is larger than 100 bytes"),
            "{seen:?}"
        );
        assert_eq!(seen[2], r#"record {"b":2}"#);
    }

    #[test]
    fn a_document_element_over_the_limit_stops_with_a_sentence() {
        let text = format!(
            "[\n{{\"a\": 1}},\n{{\"text\": \"{}\"}},\n{{\"b\": 2}}\n]",
            "x".repeat(500)
        );
        let (seen, ended) = read(&text, 100);
        assert_eq!(seen, vec![r#"record {"a":1}"#.to_string()]);
        let err = ended.unwrap_err().to_string();
        assert!(err.contains("larger than 100 bytes"), "{err}");
        // Many small elements add up to far more than the limit: fine.
        let many = format!("[\n{}\n]", vec!["{\"n\": 1}"; 200].join(",\n"));
        let (seen, ended) = read(&many, 100);
        assert!(matches!(ended, Ok(Ended::Complete)));
        assert_eq!(
            seen.len(),
            202,
            "200 records, the array's end, the file's end"
        );
    }
}
