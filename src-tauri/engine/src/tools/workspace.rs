//! The workspace tool: `list`, `read` and `write` files in one folder that
//! a session (and its subagents) share. Paths are relative to that folder;
//! `..`, absolute paths and symlinks that lead out are refused before any
//! file is touched, and messages only ever show the relative path.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};

use super::ToolOutput;

pub const NAME: &str = "workspace";
/// Largest file the tool reads back to the model.
pub const MAX_READ_BYTES: u64 = 1_000_000;
/// Largest file the tool writes.
pub const MAX_WRITE_BYTES: usize = 10_000_000;

#[derive(Debug, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
enum Command {
    List {
        #[serde(default)]
        path: Option<String>,
    },
    Read {
        path: String,
    },
    Write {
        path: String,
        content: String,
    },
}

pub struct WorkspaceTool {
    root: PathBuf,
}

impl WorkspaceTool {
    /// A tool confined to `root` (created if missing).
    pub fn new(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(WorkspaceTool {
            root: root.canonicalize()?,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn description() -> &'static str {
        "Files in this session's workspace folder, shared with any subagents. Commands: list (optional path of a \
         folder), read (path), write (path, content; creates folders as needed). Paths are relative to the workspace."
    }

    pub fn input_schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "command": {"type": "string", "enum": ["list", "read", "write"]},
                "path": {"type": "string", "description": "Relative to the workspace, e.g. reports/summary.md"},
                "content": {"type": "string", "description": "The whole file, for write"}
            },
            "required": ["command"]
        })
    }

    pub fn execute(&self, input: &Value) -> ToolOutput {
        let command: Command = match serde_json::from_value(input.clone()) {
            Ok(c) => c,
            Err(e) => {
                return ToolOutput::error(format!(
                    "Invalid workspace command: {e}. Use list, read or write."
                ));
            }
        };
        match command {
            Command::List { path } => self.list(path.as_deref().unwrap_or(".")),
            Command::Read { path } => self.read(&path),
            Command::Write { path, content } => self.write(&path, &content),
        }
    }

    /// Checks a relative path lexically and against symlinks on disk, and
    /// returns where it lives inside the root.
    pub fn resolve(&self, relative: &str) -> Result<PathBuf, String> {
        let shown = relative.trim();
        if shown.is_empty() {
            return Err(
                "The path is empty; give one relative to the workspace, e.g. notes.md".into(),
            );
        }
        if shown.contains('\0') || shown.contains('\\') {
            return Err(format!(
                "'{}' contains a backslash or a NUL character; use plain names and '/'",
                shown.escape_debug()
            ));
        }
        let mut full = self.root.clone();
        for component in Path::new(shown).components() {
            match component {
                Component::CurDir => {}
                Component::Normal(part) => {
                    full.push(part);
                    // A symlink anywhere on the way could lead out: refuse it.
                    if let Ok(meta) = std::fs::symlink_metadata(&full) {
                        if meta.file_type().is_symlink() {
                            return Err(format!(
                                "'{shown}' goes through a symbolic link; the workspace only follows plain files and folders"
                            ));
                        }
                    }
                }
                Component::ParentDir => {
                    return Err(format!(
                        "'{shown}' uses '..'; paths must stay inside the workspace"
                    ));
                }
                Component::RootDir | Component::Prefix(_) => {
                    return Err(format!(
                        "'{shown}' is an absolute path; give a path relative to the workspace"
                    ));
                }
            }
        }
        Ok(full)
    }

    fn list(&self, path: &str) -> ToolOutput {
        let dir = match self.resolve(path) {
            Ok(d) => d,
            Err(e) => return ToolOutput::error(e),
        };
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(_) => {
                return ToolOutput::error(format!("'{path}' is not a folder in the workspace"));
            }
        };
        let mut rows: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                let name = e.file_name().to_string_lossy().to_string();
                Some(if meta.is_dir() {
                    format!("{name}/")
                } else {
                    format!("{name}\t{} bytes", meta.len())
                })
            })
            .collect();
        rows.sort();
        if rows.is_empty() {
            return ToolOutput::ok(format!("'{path}' is empty."));
        }
        ToolOutput::ok(rows.join("\n"))
    }

    fn read(&self, path: &str) -> ToolOutput {
        let file = match self.resolve(path) {
            Ok(f) => f,
            Err(e) => return ToolOutput::error(e),
        };
        match std::fs::metadata(&file) {
            Ok(meta) if meta.is_file() && meta.len() > MAX_READ_BYTES => {
                return ToolOutput::error(format!(
                    "'{path}' is {} bytes; the tool reads files up to {MAX_READ_BYTES} bytes",
                    meta.len()
                ));
            }
            Ok(meta) if meta.is_file() => {}
            Ok(_) => return ToolOutput::error(format!("'{path}' is a folder; use list")),
            Err(_) => {
                return ToolOutput::error(format!("'{path}' does not exist in the workspace"));
            }
        }
        match std::fs::read(&file) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => ToolOutput::ok(text),
                Err(e) => ToolOutput::error(format!(
                    "'{path}' is a binary file ({} bytes) and cannot be shown as text",
                    e.as_bytes().len()
                )),
            },
            Err(_) => ToolOutput::error(format!("'{path}' could not be read")),
        }
    }

    fn write(&self, path: &str, content: &str) -> ToolOutput {
        if content.len() > MAX_WRITE_BYTES {
            return ToolOutput::error(format!(
                "the content is {} bytes; the tool writes files up to {MAX_WRITE_BYTES} bytes",
                content.len()
            ));
        }
        let file = match self.resolve(path) {
            Ok(f) => f,
            Err(e) => return ToolOutput::error(e),
        };
        if file == self.root {
            return ToolOutput::error("give a file name to write, not the workspace itself");
        }
        let parent = file.parent().unwrap_or(&self.root).to_path_buf();
        if std::fs::create_dir_all(&parent).is_err() {
            return ToolOutput::error(format!("could not create the folder for '{path}'"));
        }
        // Write a temporary file and rename it over the target, so a crash
        // leaves either the old file or the new one, never half of either.
        let result = tempfile::NamedTempFile::new_in(&parent).and_then(|mut tmp| {
            tmp.write_all(content.as_bytes())?;
            tmp.as_file().sync_all()?;
            tmp.persist(&file).map_err(|e| e.error)?;
            Ok(())
        });
        match result {
            Ok(()) => ToolOutput::ok(format!("Wrote {} bytes to '{path}'.", content.len())),
            Err(_) => ToolOutput::error(format!("could not write '{path}'")),
        }
    }
}

#[async_trait::async_trait]
impl super::ToolHandler for WorkspaceTool {
    fn name(&self) -> &str {
        NAME
    }
    fn definition(&self) -> crate::provider::Tool {
        crate::provider::Tool::new(NAME, Self::description(), Self::input_schema())
    }
    async fn call(
        &self,
        input: &Value,
        _cancel: &tokio_util::sync::CancellationToken,
    ) -> ToolOutput {
        self.execute(input)
    }
}
