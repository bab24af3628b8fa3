//! Importing past sessions from other tools' logs: Anthropic Messages JSON
//! ([`anthropic`]), OpenAI chat JSON including τ-bench trajectories
//! ([`openai`]), and Claude Managed Agents session event logs
//! ([`managed_agents`]), each as one JSON document (a conversation, or a
//! list of them) or JSON Lines (one conversation per line).
//!
//! The file is streamed ([`reader`]): a record at a time, so a 1 GB file
//! never sits in memory. Each session is stored in its own transaction with
//! an import key (sha256 of the agent and the record's canonical JSON), so
//! a kill mid-import leaves whole sessions only and running the import
//! again skips what is there. A record that is not a conversation is
//! reported with its position and skipped, or stops the import, as asked.

pub mod anthropic;
pub mod conversation;
pub mod managed_agents;
pub mod openai;
pub mod reader;

use std::io::{Read, Write};
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::store::{ImportOrigin, ImportedSession, SourceFormat};
use crate::{Error, Result, Store};
pub use reader::Position;
use reader::{Ended, Flow, Piece};

/// What to do with a record that is not a conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// Report it and go on with the next record.
    #[default]
    Skip,
    /// Report it and stop; sessions already stored stay.
    Stop,
}

impl std::str::FromStr for OnError {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "skip" => Ok(OnError::Skip),
            "stop" => Ok(OnError::Stop),
            other => Err(Error::Invalid(format!(
                "unknown error mode '{other}'; use skip or stop"
            ))),
        }
    }
}

/// Parses a format name; "auto" (or nothing) means sniff the file.
pub fn parse_format(name: Option<&str>) -> Result<Option<SourceFormat>> {
    match name {
        None | Some("auto") => Ok(None),
        Some(name) => name.parse().map(Some),
    }
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// `None`: decided from the first record that tells.
    pub format: Option<SourceFormat>,
    pub on_error: OnError,
    /// The file's name, kept as the sessions' source. A `.jsonl` (or
    /// `.ndjson`) name is read as JSON Lines whatever its first line holds.
    pub file_name: String,
}

impl ImportOptions {
    fn layout(&self) -> reader::Layout {
        let name = self.file_name.to_ascii_lowercase();
        if [".jsonl", ".ndjson", ".jsonlines"]
            .iter()
            .any(|ext| name.ends_with(ext))
        {
            reader::Layout::JsonLines
        } else {
            reader::Layout::Sniff
        }
    }
}

/// A record that was not imported, and why.
#[derive(Debug, Clone, Serialize)]
pub struct MalformedRecord {
    pub position: Position,
    /// The position for people ("record 7 (line 7)").
    pub at: String,
    pub message: String,
}

/// Malformed records listed in a summary (the count covers all).
const MALFORMED_LISTED: usize = 100;
/// Session ids listed in a summary (the count covers all).
const SESSIONS_LISTED: usize = 1000;
/// How often (in records) progress is reported.
const PROGRESS_EVERY: u64 = 100;

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportSummary {
    pub agent: String,
    pub file_name: String,
    /// The format read (decided from the file when asked for auto).
    pub format: Option<SourceFormat>,
    /// Records read: conversations, or messages and events of conversations
    /// given one per record.
    pub records: u64,
    /// Sessions created by this import.
    pub imported: u64,
    /// Sessions found already imported (the same record, the same agent).
    pub skipped_duplicates: u64,
    /// Records not imported because they are not conversations.
    pub malformed: u64,
    /// The first malformed records, with where they are and why.
    pub malformed_records: Vec<MalformedRecord>,
    /// Ids of the first sessions created, in file order.
    pub session_ids: Vec<String>,
    /// Why the import ended before the end of the file, if it did.
    pub stopped: Option<String>,
}

impl ImportSummary {
    /// One line for people.
    pub fn describe(&self) -> String {
        let mut line = format!(
            "imported {} session(s) into '{}' from {}",
            self.imported, self.agent, self.file_name
        );
        if let Some(format) = self.format {
            line += &format!(" ({})", format.as_str());
        }
        if self.skipped_duplicates > 0 {
            line += &format!("; skipped {} already imported", self.skipped_duplicates);
        }
        if self.malformed > 0 {
            line += &format!("; {} malformed record(s) not imported", self.malformed);
        }
        line
    }
}

/// Imports the file at `path` (`-` reads standard input) into `agent`.
pub fn import_file(
    store: &Store,
    agent: &str,
    path: &Path,
    format: Option<SourceFormat>,
    on_error: OnError,
    progress: &mut dyn FnMut(&ImportSummary),
) -> Result<ImportSummary> {
    if path == Path::new("-") {
        let options = ImportOptions {
            format,
            on_error,
            file_name: "stdin".into(),
        };
        return import_reader(store, agent, std::io::stdin().lock(), &options, progress);
    }
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
            Error::Invalid(format!(
                "cannot read {}: {e}; check the path and that the file is readable",
                path.display()
            ))
        }
        _ => Error::io(path, e),
    })?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(Error::Invalid(format!(
            "{} is a folder; give a JSON or JSON Lines file",
            path.display()
        )));
    }
    let options = ImportOptions {
        format,
        on_error,
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string()),
    };
    import_reader(store, agent, file, &options, progress).map_err(|e| match e {
        Error::Io { source, .. } => Error::io(path, source),
        other => other,
    })
}

/// Imports from any reader (a file, standard input, bytes in memory).
pub fn import_reader<R: Read>(
    store: &Store,
    agent: &str,
    input: R,
    options: &ImportOptions,
    progress: &mut dyn FnMut(&ImportSummary),
) -> Result<ImportSummary> {
    let agent = store.agent(agent)?;
    let mut importer = Importer {
        store,
        agent_id: agent.id.clone(),
        options,
        format: options.format,
        decided: options.format.is_some(),
        group: None,
        progress,
        summary: ImportSummary {
            agent: agent.name.clone(),
            file_name: options.file_name.clone(),
            format: options.format,
            ..Default::default()
        },
    };
    let ended = reader::read_pieces_as(input, options.layout(), &mut |piece| importer.piece(piece))
        .map_err(|e| match e {
            Failure::Io(e) => Error::io(&options.file_name, e),
            Failure::Engine(e) => e,
        })?;
    if let Ended::Broken { position, message } = ended {
        let explanation = format!(
            "{message}. A syntax error inside a JSON document cannot be skipped: nothing after it was read. \
             Fix the file (or convert it to JSON Lines, one conversation per line, where a bad line is skipped) \
             and import it again; the sessions imported so far will be skipped as already imported"
        );
        importer.report(position, explanation.clone());
        importer.summary.stopped = Some(format!("the file is not valid JSON at {position}"));
    }
    if importer.summary.records == 0 && importer.summary.malformed == 0 {
        return Err(Error::Invalid(format!(
            "{} holds no records; give a JSON or JSON Lines file of conversations",
            options.file_name
        )));
    }
    let summary = importer.summary;
    (importer.progress)(&summary);
    Ok(summary)
}

enum Failure {
    Io(std::io::Error),
    Engine(Error),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Engine(e)
    }
}

/// Messages or events given one per record, gathered into one session.
struct Group {
    parts: Vec<Value>,
    hasher: Sha256,
    first: Position,
    /// The session the parts belong to, when the records say.
    session: Option<String>,
    /// A record of the group that could not be read: the group is dropped.
    broken: Option<(Position, String)>,
}

struct Importer<'a> {
    store: &'a Store,
    agent_id: String,
    options: &'a ImportOptions,
    /// The format in use: asked for, sniffed, or (until a record tells)
    /// Anthropic, which reads plain text conversations like OpenAI does.
    format: Option<SourceFormat>,
    decided: bool,
    group: Option<Group>,
    progress: &'a mut dyn FnMut(&ImportSummary),
    summary: ImportSummary,
}

/// How a record relates to sessions.
enum Shape {
    /// A whole conversation.
    Whole,
    /// One message or event of a conversation spread over records.
    Part { session: Option<String> },
}

impl Importer<'_> {
    fn piece(&mut self, piece: Piece) -> std::result::Result<Flow, Failure> {
        match piece {
            Piece::Record(value, position) => {
                self.summary.records += 1;
                if self.summary.records % PROGRESS_EVERY == 0 {
                    (self.progress)(&self.summary);
                }
                self.record(value, position)
            }
            Piece::Unreadable(position, message) => match &mut self.group {
                Some(group) if group.broken.is_none() => {
                    group.broken = Some((position, message));
                    Ok(Flow::Continue)
                }
                Some(_) => Ok(Flow::Continue),
                None => Ok(self.report(position, message)),
            },
            Piece::GroupEnd => self.flush(),
        }
    }

    fn format(&mut self, value: &Value) -> SourceFormat {
        if !self.decided {
            if let Some(sniffed) = sniff(value) {
                self.format = Some(sniffed);
                self.decided = true;
                self.summary.format = Some(sniffed);
            } else if self.format.is_none() {
                self.format = Some(SourceFormat::Anthropic);
                self.summary.format = Some(SourceFormat::Anthropic);
            }
        }
        self.format.unwrap_or(SourceFormat::Anthropic)
    }

    fn record(&mut self, value: Value, position: Position) -> std::result::Result<Flow, Failure> {
        let format = self.format(&value);
        let shape = match shape(format, &value) {
            Ok(shape) => shape,
            Err(message) => {
                if self.flush()? == Flow::Stop {
                    return Ok(Flow::Stop);
                }
                return Ok(self.report(position, message));
            }
        };
        match shape {
            Shape::Whole => {
                if self.flush()? == Flow::Stop {
                    return Ok(Flow::Stop);
                }
                let mut hasher = key_hasher(&self.agent_id);
                canonical(&value, &mut HashWriter(&mut hasher));
                let key = hex::encode(hasher.finalize());
                self.store_session(key, position, || whole(format, value))
            }
            Shape::Part { session } => {
                if let Some(group) = &self.group
                    && group.session != session
                    && self.flush()? == Flow::Stop
                {
                    return Ok(Flow::Stop);
                }
                let agent_id = self.agent_id.clone();
                let group = self.group.get_or_insert_with(|| Group {
                    parts: Vec::new(),
                    hasher: key_hasher(&agent_id),
                    first: position,
                    session,
                    broken: None,
                });
                // Hashed as the list of its parts, so a messages array
                // hashes the same wherever it stands in a file.
                group
                    .hasher
                    .update(if group.parts.is_empty() { b"[" } else { b"," });
                canonical(&value, &mut HashWriter(&mut group.hasher));
                group.parts.push(value);
                Ok(Flow::Continue)
            }
        }
    }

    /// Stores the gathered parts as one session.
    fn flush(&mut self) -> std::result::Result<Flow, Failure> {
        let Some(group) = self.group.take() else {
            return Ok(Flow::Continue);
        };
        if let Some((position, message)) = group.broken {
            return Ok(self.report(
                position,
                format!(
                    "{message}; the conversation it belongs to (from {}) was not imported",
                    group.first
                ),
            ));
        }
        let format = self.format.unwrap_or(SourceFormat::Anthropic);
        let mut hasher = group.hasher;
        hasher.update(b"]");
        let key = hex::encode(hasher.finalize());
        let parts = group.parts;
        self.store_session(key, group.first, || parts_of(format, parts))
    }

    fn store_session(
        &mut self,
        key: String,
        position: Position,
        convert: impl FnOnce() -> std::result::Result<ImportedSession, String>,
    ) -> std::result::Result<Flow, Failure> {
        if self.store.is_imported(&key)? {
            self.summary.skipped_duplicates += 1;
            return Ok(Flow::Continue);
        }
        let session = match convert() {
            Ok(session) => session,
            Err(message) => return Ok(self.report(position, message)),
        };
        let origin = ImportOrigin {
            import_key: key,
            format: self.format.unwrap_or(SourceFormat::Anthropic),
            file_name: self.options.file_name.clone(),
            record: position.record as i64,
            line: position.line.map(|l| l as i64),
        };
        match self
            .store
            .insert_imported_session(&self.agent_id, &origin, &session)?
        {
            Some(id) => {
                self.summary.imported += 1;
                if self.summary.session_ids.len() < SESSIONS_LISTED {
                    self.summary.session_ids.push(id);
                }
            }
            None => self.summary.skipped_duplicates += 1,
        }
        Ok(Flow::Continue)
    }

    /// Records a malformed record; says whether to go on.
    fn report(&mut self, position: Position, message: String) -> Flow {
        self.summary.malformed += 1;
        if self.summary.malformed_records.len() < MALFORMED_LISTED {
            self.summary.malformed_records.push(MalformedRecord {
                at: position.to_string(),
                position,
                message,
            });
        }
        match self.options.on_error {
            OnError::Skip => Flow::Continue,
            OnError::Stop => {
                if self.summary.stopped.is_none() {
                    self.summary.stopped = Some(format!(
                        "stopped at the malformed {position}, as asked (on error: stop)"
                    ));
                }
                Flow::Stop
            }
        }
    }
}

/// The format a record is in, when it tells (`None` for plain text
/// conversations, which read the same in Anthropic and OpenAI form).
pub fn sniff(value: &Value) -> Option<SourceFormat> {
    match value {
        Value::Array(items) => items.iter().find_map(sniff),
        Value::Object(o) => {
            if o.contains_key("traj") {
                return Some(SourceFormat::OpenAi);
            }
            if o.contains_key("events") || managed_agents::is_event(value) {
                return Some(SourceFormat::ManagedAgents);
            }
            if let Some(Value::Array(data)) = o.get("data")
                && data.first().is_some_and(managed_agents::is_event)
            {
                return Some(SourceFormat::ManagedAgents);
            }
            if let Some(Value::Array(messages)) = o.get("messages") {
                if let Some(found) = messages.iter().find_map(sniff_message) {
                    return Some(found);
                }
                return o.contains_key("system").then_some(SourceFormat::Anthropic);
            }
            sniff_message(value)
        }
        _ => None,
    }
}

fn sniff_message(m: &Value) -> Option<SourceFormat> {
    let role = m.get("role")?.as_str()?;
    if matches!(role, "system" | "developer" | "tool" | "function")
        || m.get("tool_calls").is_some()
        || m.get("function_call").is_some()
    {
        return Some(SourceFormat::OpenAi);
    }
    let Some(Value::Array(blocks)) = m.get("content") else {
        return None;
    };
    blocks
        .iter()
        .find_map(|b| match b.get("type").and_then(Value::as_str)? {
            "tool_use" | "tool_result" | "thinking" | "redacted_thinking" | "image"
            | "document" => Some(SourceFormat::Anthropic),
            "image_url" | "input_audio" | "file" => Some(SourceFormat::OpenAi),
            _ => None,
        })
}

fn shape(format: SourceFormat, value: &Value) -> std::result::Result<Shape, String> {
    match (format, value) {
        (_, Value::Array(_)) => Ok(Shape::Whole),
        (SourceFormat::ManagedAgents, v) if managed_agents::is_event(v) => Ok(Shape::Part {
            session: managed_agents::session_of(v),
        }),
        (SourceFormat::ManagedAgents, Value::Object(o))
            if o.contains_key("events") || o.contains_key("data") =>
        {
            Ok(Shape::Whole)
        }
        (SourceFormat::ManagedAgents, _) => Err(
            "expected a Managed Agents session log (an object with \"events\") or one event (an object with a \"type\" like \"user.message\")"
                .into(),
        ),
        (SourceFormat::Anthropic, v) if anthropic::is_message(v) => {
            Ok(Shape::Part { session: None })
        }
        (SourceFormat::OpenAi, v) if openai::is_message(v) => Ok(Shape::Part { session: None }),
        (_, Value::Object(_)) => Ok(Shape::Whole),
        _ => Err(
            "expected a conversation (an object with \"messages\", or a list of messages), not a bare value"
                .into(),
        ),
    }
}

fn whole(format: SourceFormat, value: Value) -> std::result::Result<ImportedSession, String> {
    match format {
        SourceFormat::Anthropic => anthropic::conversation(value),
        SourceFormat::OpenAi => openai::conversation(value),
        SourceFormat::ManagedAgents => managed_agents::session(value),
    }
}

fn parts_of(
    format: SourceFormat,
    parts: Vec<Value>,
) -> std::result::Result<ImportedSession, String> {
    match format {
        SourceFormat::Anthropic => anthropic::messages(parts),
        SourceFormat::OpenAi => openai::messages(parts),
        SourceFormat::ManagedAgents => managed_agents::events(parts),
    }
}

/// The source's own id for a session: `id`, `session_id` or `conversation_id`.
pub(crate) fn original_id(meta: &Value) -> Option<String> {
    ["id", "session_id", "conversation_id"]
        .iter()
        .find_map(|k| match meta.get(*k)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
}

fn key_hasher(agent_id: &str) -> Sha256 {
    let mut hasher = Sha256::new();
    hasher.update(b"reverie.import/1\0");
    hasher.update(agent_id.as_bytes());
    hasher.update(b"\0");
    hasher
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes `value` as JSON with object keys sorted and no spaces, so the
/// same record hashes the same however the file laid it out.
fn canonical(value: &Value, out: &mut impl Write) {
    // Writing to a hasher cannot fail.
    let _ = write_canonical(value, out);
}

fn write_canonical(value: &Value, out: &mut impl Write) -> std::io::Result<()> {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            out.write_all(b"{")?;
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut *out, key)?;
                out.write_all(b":")?;
                write_canonical(&map[key], out)?;
            }
            out.write_all(b"}")
        }
        Value::Array(items) => {
            out.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_canonical(item, out)?;
            }
            out.write_all(b"]")
        }
        scalar => serde_json::to_writer(&mut *out, scalar).map_err(std::io::Error::other),
    }
}
