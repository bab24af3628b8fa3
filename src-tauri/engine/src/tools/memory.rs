//! The memory tool, with the semantics of Claude's `memory_20250818`:
//! `view`, `create`, `str_replace`, `insert`, `delete` and `rename` on paths
//! under `/memories`, over the versioned memory stores. Every write is a new
//! version authored by the agent in this session.
//!
//! Mounts: the agent's own store is `/memories` itself; every other attached
//! store appears as the directory `/memories/<store name>`, read-only or
//! read-write as attached. Refusals (traversal, paths outside `/memories`,
//! the root itself, size limits, read-only stores) come back as tool errors
//! the model can act on; they never name a host path.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{MemoryEffect, ToolOutput};
use crate::store::{Access, Agent, WriteMeta};
use crate::{Error, Store, memory_path};

/// The tool's name as the model calls it.
pub const NAME: &str = "memory";
/// Claude's native tool type for it.
pub const ANTHROPIC_TOOL_TYPE: &str = "memory_20250818";
/// The beta that enables the native memory tool.
pub const ANTHROPIC_BETA: &str = "context-management-2025-06-27";

/// One attached store as the session sees it.
#[derive(Debug, Clone)]
pub struct Mount {
    pub store_id: String,
    pub store_name: String,
    pub access: Access,
    /// `None` for the agent's own store at `/memories`; else the directory
    /// name under `/memories`.
    pub dir: Option<String>,
}

/// The stores an agent's session mounts, in attach order.
pub fn mounts_for(agent: &Agent) -> Vec<Mount> {
    agent
        .stores
        .iter()
        .map(|s| Mount {
            store_id: s.store_id.clone(),
            store_name: s.store_name.clone(),
            access: s.access,
            dir: (s.store_name != agent.name).then(|| s.store_name.clone()),
        })
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
enum Command {
    View {
        path: String,
        view_range: Option<Vec<i64>>,
    },
    Create {
        path: String,
        file_text: String,
    },
    StrReplace {
        path: String,
        old_str: String,
        new_str: Option<String>,
    },
    Insert {
        path: String,
        insert_line: i64,
        insert_text: String,
    },
    Delete {
        path: String,
    },
    Rename {
        old_path: String,
        new_path: String,
    },
}

/// The memory tool bound to one session.
pub struct MemoryTool {
    store: Arc<Store>,
    mounts: Vec<Mount>,
    agent_id: String,
    session_id: String,
}

/// A path resolved to a mount and the document path inside that store.
struct Resolved<'a> {
    mount: &'a Mount,
    /// The path inside the store (`/memories/...`).
    inner: String,
    /// The path as the model wrote it, normalised.
    shown: String,
}

impl MemoryTool {
    pub fn new(store: Arc<Store>, mounts: Vec<Mount>, agent_id: &str, session_id: &str) -> Self {
        MemoryTool {
            store,
            mounts,
            agent_id: agent_id.into(),
            session_id: session_id.into(),
        }
    }

    /// The JSON Schema of the tool's input, for providers without the
    /// native memory tool (OpenAI-compatible servers).
    pub fn input_schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "command": {"type": "string", "enum": ["view", "create", "str_replace", "insert", "delete", "rename"]},
                "path": {"type": "string", "description": "A path under /memories"},
                "view_range": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
                "file_text": {"type": "string"},
                "old_str": {"type": "string"},
                "new_str": {"type": "string"},
                "insert_line": {"type": "integer"},
                "insert_text": {"type": "string"},
                "old_path": {"type": "string"},
                "new_path": {"type": "string"}
            },
            "required": ["command"]
        })
    }

    pub fn description() -> &'static str {
        "Your long-term memory: a directory of files under /memories that persists between sessions. \
         Commands: view (a directory or a file, with optional view_range [start, end] lines), create (path, file_text), \
         str_replace (path, old_str that must occur exactly once, new_str), insert (path, insert_line, insert_text), \
         delete (path), rename (old_path, new_path). Check /memories before starting work and record what you learn."
    }

    /// Runs one call. Never panics; bad input is a tool error.
    pub fn execute(&self, input: &Value) -> ToolOutput {
        let command: Command = match serde_json::from_value(input.clone()) {
            Ok(c) => c,
            Err(e) => {
                return ToolOutput::error(format!(
                    "Invalid memory command: {e}. Use one of view, create, str_replace, insert, delete, rename with their parameters."
                ));
            }
        };
        match self.run(command) {
            Ok(out) => out,
            Err(e) => ToolOutput::error(e.to_string()),
        }
    }

    fn run(&self, command: Command) -> Result<ToolOutput, Error> {
        match command {
            Command::View { path, view_range } => self.view(&path, view_range),
            Command::Create { path, file_text } => {
                let r = self.resolve(&path)?;
                self.writable(&r)?;
                let exists = self
                    .store
                    .read_document(&r.mount.store_id, &r.inner)?
                    .is_some();
                if exists {
                    return Err(Error::Invalid(format!(
                        "File {} already exists. Use str_replace or insert to edit it, or delete it first.",
                        r.shown
                    )));
                }
                let v = self.store.write_document(
                    &r.mount.store_id,
                    &r.inner,
                    &file_text,
                    &self.meta("created"),
                )?;
                Ok(
                    ToolOutput::ok(format!("File created successfully at: {}", r.shown))
                        .with_effect(self.effect("write", &r, Some(v.seq))),
                )
            }
            Command::StrReplace {
                path,
                old_str,
                new_str,
            } => {
                let r = self.resolve(&path)?;
                self.writable(&r)?;
                let (doc, content) = self.read(&r)?;
                let positions: Vec<usize> =
                    content.match_indices(&old_str).map(|(i, _)| i).collect();
                if old_str.is_empty() || positions.is_empty() {
                    return Err(Error::Invalid(format!(
                        "No replacement was performed, old_str `{old_str}` did not appear verbatim in {}.",
                        r.shown
                    )));
                }
                if positions.len() > 1 {
                    let lines: Vec<String> = positions
                        .iter()
                        .map(|&i| (content[..i].matches('\n').count() + 1).to_string())
                        .collect();
                    return Err(Error::Invalid(format!(
                        "No replacement was performed. Multiple occurrences of old_str `{old_str}` in lines: {}. Please ensure it is unique.",
                        lines.join(", ")
                    )));
                }
                let updated = content.replacen(&old_str, new_str.as_deref().unwrap_or(""), 1);
                let v = self.store.write_document(
                    &r.mount.store_id,
                    &r.inner,
                    &updated,
                    &self.meta("str_replace").expecting(doc),
                )?;
                Ok(
                    ToolOutput::ok("The memory file has been edited.").with_effect(self.effect(
                        "write",
                        &r,
                        Some(v.seq),
                    )),
                )
            }
            Command::Insert {
                path,
                insert_line,
                insert_text,
            } => {
                let r = self.resolve(&path)?;
                self.writable(&r)?;
                let (doc, content) = self.read(&r)?;
                let mut lines: Vec<&str> = content.split_inclusive('\n').collect();
                if insert_line < 0 || insert_line as usize > lines.len() {
                    return Err(Error::Invalid(format!(
                        "Invalid `insert_line` parameter: {insert_line}. It should be within the range of lines of the file: [0, {}]",
                        lines.len()
                    )));
                }
                let mut text = insert_text.clone();
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                // Inserting after a last line that lacks a newline must not glue the two.
                let mut fixed_last = String::new();
                if insert_line as usize == lines.len() {
                    if let Some(last) = lines.last() {
                        if !last.ends_with('\n') {
                            fixed_last = format!("{last}\n");
                        }
                    }
                }
                if !fixed_last.is_empty() {
                    let n = lines.len();
                    lines[n - 1] = &fixed_last;
                }
                lines.insert(insert_line as usize, &text);
                let v = self.store.write_document(
                    &r.mount.store_id,
                    &r.inner,
                    &lines.concat(),
                    &self.meta("insert").expecting(doc),
                )?;
                Ok(
                    ToolOutput::ok(format!("The file {} has been edited.", r.shown))
                        .with_effect(self.effect("write", &r, Some(v.seq))),
                )
            }
            Command::Delete { path } => {
                let r = self.resolve(&path)?;
                self.writable(&r)?;
                let dir_docs = self.documents_under(&r)?;
                if self
                    .store
                    .read_document(&r.mount.store_id, &r.inner)?
                    .is_some()
                {
                    let v = self.store.delete_document(
                        &r.mount.store_id,
                        &r.inner,
                        &self.meta("deleted"),
                    )?;
                    return Ok(ToolOutput::ok(format!("Successfully deleted {}", r.shown))
                        .with_effect(self.effect("write", &r, Some(v.seq))));
                }
                if dir_docs.is_empty() {
                    return Err(Error::Invalid(format!(
                        "The path {} does not exist",
                        r.shown
                    )));
                }
                for doc in &dir_docs {
                    self.store.delete_document(
                        &r.mount.store_id,
                        doc,
                        &self.meta("deleted with its directory"),
                    )?;
                }
                Ok(ToolOutput::ok(format!("Successfully deleted {}", r.shown))
                    .with_effect(self.effect("write", &r, None)))
            }
            Command::Rename { old_path, new_path } => {
                let from = self.resolve(&old_path)?;
                let to = self.resolve(&new_path)?;
                self.writable(&from)?;
                self.writable(&to)?;
                if from.mount.store_id != to.mount.store_id {
                    return Err(Error::Invalid(format!(
                        "{} and {} are in different memory stores; create the new file and delete the old one instead",
                        from.shown, to.shown
                    )));
                }
                if self
                    .store
                    .read_document(&from.mount.store_id, &from.inner)?
                    .is_none()
                {
                    // A directory: move every document under it.
                    let docs = self.documents_under(&from)?;
                    if docs.is_empty() {
                        return Err(Error::Invalid(format!(
                            "The path {} does not exist",
                            from.shown
                        )));
                    }
                    for doc in docs {
                        let target = format!("{}{}", to.inner, &doc[from.inner.len()..]);
                        self.store.rename_document(
                            &from.mount.store_id,
                            &doc,
                            &target,
                            &self.meta("renamed with its directory"),
                        )?;
                    }
                } else {
                    self.store.rename_document(
                        &from.mount.store_id,
                        &from.inner,
                        &to.inner,
                        &self.meta("renamed"),
                    )?;
                }
                Ok(ToolOutput::ok(format!(
                    "Successfully renamed {} to {}",
                    from.shown, to.shown
                ))
                .with_effect(self.effect("write", &to, None)))
            }
        }
    }

    fn view(&self, path: &str, range: Option<Vec<i64>>) -> Result<ToolOutput, Error> {
        let dir = memory_path::normalize_dir(path).map_err(|e| Error::Invalid(e.to_string()))?;
        if dir == memory_path::ROOT {
            return Ok(ToolOutput::ok(self.listing(None)?));
        }
        let r = self.resolve(&dir)?;
        if let Some((_, content)) = self.store.read_document(&r.mount.store_id, &r.inner)? {
            let lines: Vec<&str> = content.lines().collect();
            let (start, end) = match range.as_deref() {
                None => (1, lines.len() as i64),
                Some([s, e]) => {
                    let end = if *e == -1 { lines.len() as i64 } else { *e };
                    if *s < 1 || end < *s || end > lines.len() as i64 {
                        return Err(Error::Invalid(format!(
                            "Invalid view_range [{s}, {e}]: {} has {} lines; use 1-based [start, end] with end -1 for the last line.",
                            r.shown,
                            lines.len()
                        )));
                    }
                    (*s, end)
                }
                Some(_) => {
                    return Err(Error::Invalid(
                        "view_range must be two numbers: [start, end]".into(),
                    ));
                }
            };
            let mut out = format!("Here's the content of {} with line numbers:\n", r.shown);
            for (i, line) in lines
                .iter()
                .enumerate()
                .skip((start - 1).max(0) as usize)
                .take((end - start + 1).max(0) as usize)
            {
                out.push_str(&format!("{:>6}\t{}\n", i + 1, line));
            }
            return Ok(ToolOutput::ok(out).with_effect(self.effect("read", &r, None)));
        }
        let docs = self.documents_under(&r)?;
        if docs.is_empty()
            && r.mount.dir.as_deref().map(|d| format!("/memories/{d}")) != Some(r.shown.clone())
        {
            return Err(Error::Invalid(format!(
                "The path {} does not exist. Please provide a valid path.",
                r.shown
            )));
        }
        Ok(ToolOutput::ok(self.listing(Some(&r))?))
    }

    /// A directory listing in the reference handler's shape: sizes and
    /// paths, two levels deep.
    fn listing(&self, under: Option<&Resolved<'_>>) -> Result<String, Error> {
        let mut rows: Vec<(String, i64)> = Vec::new();
        let (title, mounts): (String, Vec<&Mount>) = match under {
            None => ("/memories".into(), self.mounts.iter().collect()),
            Some(r) => (r.shown.clone(), vec![r.mount]),
        };
        for mount in mounts {
            let prefix = match &mount.dir {
                Some(d) => format!("/memories/{d}"),
                None => "/memories".into(),
            };
            let inner_dir = under.map(|r| r.inner.clone());
            for doc in self
                .store
                .list_documents(&mount.store_id, inner_dir.as_deref())?
            {
                let shown = format!("{prefix}{}", &doc.path["/memories".len()..]);
                rows.push((shown, doc.size));
            }
            if under.is_none() && mount.dir.is_some() {
                let ro = if mount.access == Access::ReadOnly {
                    " (read-only)"
                } else {
                    ""
                };
                rows.push((format!("{prefix}/{ro}"), 0));
            }
        }
        let depth_base = title.matches('/').count();
        rows.retain(|(p, _)| p.trim_end_matches('/').matches('/').count() <= depth_base + 2);
        rows.sort();
        let total: i64 = rows.iter().map(|r| r.1).sum();
        let mut out = format!(
            "Here're the files and directories up to 2 levels deep in {title}, excluding hidden items and node_modules:\n{}\t{title}\n",
            human_size(total)
        );
        for (path, size) in rows {
            out.push_str(&format!("{}\t{path}\n", human_size(size)));
        }
        Ok(out)
    }

    fn resolve(&self, path: &str) -> Result<Resolved<'_>, Error> {
        let normalized = memory_path::normalize(path).map_err(|e| Error::Invalid(e.to_string()))?;
        let rest = &normalized["/memories/".len()..];
        let first = rest.split('/').next().unwrap_or("");
        if let Some(mount) = self.mounts.iter().find(|m| m.dir.as_deref() == Some(first)) {
            let inner_rest = rest[first.len()..].trim_start_matches('/');
            let inner = if inner_rest.is_empty() {
                "/memories".to_string()
            } else {
                format!("/memories/{inner_rest}")
            };
            return Ok(Resolved {
                mount,
                inner,
                shown: normalized,
            });
        }
        let own = self.mounts.iter().find(|m| m.dir.is_none()).ok_or_else(|| {
            Error::Invalid("this agent has no memory store of its own; only its attached stores can be used".into())
        })?;
        Ok(Resolved {
            mount: own,
            inner: normalized.clone(),
            shown: normalized,
        })
    }

    fn writable(&self, r: &Resolved<'_>) -> Result<(), Error> {
        if r.inner == memory_path::ROOT {
            return Err(Error::Invalid(format!(
                "{} is a directory that holds a memory store; it cannot be changed itself",
                r.shown
            )));
        }
        if r.mount.access == Access::ReadOnly {
            return Err(Error::Invalid(format!(
                "{} is in the read-only memory store '{}'; you can view it but not change it",
                r.shown, r.mount.store_name
            )));
        }
        Ok(())
    }

    /// The current sha256 and content of a document that must exist.
    fn read(&self, r: &Resolved<'_>) -> Result<(String, String), Error> {
        let (doc, content) = self
            .store
            .read_document(&r.mount.store_id, &r.inner)?
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "The path {} does not exist. Please provide a valid path.",
                    r.shown
                ))
            })?;
        Ok((doc.sha256, content))
    }

    fn documents_under(&self, r: &Resolved<'_>) -> Result<Vec<String>, Error> {
        if r.inner == memory_path::ROOT {
            return Ok(self
                .store
                .list_documents(&r.mount.store_id, None)?
                .into_iter()
                .map(|d| d.path)
                .collect());
        }
        Ok(self
            .store
            .list_documents(&r.mount.store_id, Some(&r.inner))?
            .into_iter()
            .map(|d| d.path)
            .filter(|p| p != &r.inner)
            .collect())
    }

    fn meta(&self, reason: &str) -> WriteMeta {
        WriteMeta::agent(&self.agent_id, &self.session_id, reason)
    }

    fn effect(&self, kind: &'static str, r: &Resolved<'_>, version: Option<i64>) -> MemoryEffect {
        MemoryEffect {
            kind,
            store: r.mount.store_name.clone(),
            path: r.shown.clone(),
            version,
        }
    }
}

fn human_size(bytes: i64) -> String {
    if bytes < 1024 {
        format!("{bytes}")
    } else {
        format!("{:.1}K", bytes as f64 / 1024.0)
    }
}
