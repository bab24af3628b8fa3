//! A memory store exported as plain files: each live document at
//! `memories/<path>` (document `/memories/a/b.md` is `memories/a/b.md`),
//! plus `manifest.json` listing every file with its sha256, size, version
//! and last change, so another tool (or a person) can check what it got.
//! Written as a folder or a zip file, either way all at once: the folder
//! is built next to its destination and renamed into place, the zip
//! written to a temporary file first, so a failure leaves nothing half
//! written. Read-only on the store.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::{Error, Result, Store};

/// The version tag of the manifest.
pub const MANIFEST_SCHEMA: &str = "reverie.memory_export/1";
pub const MANIFEST_FILE: &str = "manifest.json";

#[derive(Debug, Clone, Serialize)]
pub struct ManifestEntry {
    /// The document's path in the store.
    pub path: String,
    /// The file, relative to the export's root.
    pub file: String,
    pub sha256: String,
    pub size: i64,
    pub version: i64,
    pub updated_at: String,
    pub pinned: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub schema: &'static str,
    pub store: String,
    pub store_id: String,
    pub description: String,
    pub exported_at: String,
    pub documents: Vec<ManifestEntry>,
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    pub path: PathBuf,
    pub zip: bool,
    pub documents: usize,
    pub bytes: i64,
}

/// The file a document is written to: `memories/` and its path, each
/// segment a plain name (document paths are checked on write; this makes
/// sure no file lands outside the export whatever the database holds).
fn file_of(path: &str) -> Result<String> {
    let relative = path.strip_prefix('/').unwrap_or(path);
    let plain = relative
        .split('/')
        .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains(['\\', '\0']));
    if !plain || !relative.starts_with("memories/") {
        return Err(Error::Invalid(format!(
            "document path {path} cannot be exported as a file"
        )));
    }
    Ok(relative.to_string())
}

/// Refuses, before anything is written, a store holding two documents that
/// could not both be files (one also a folder, or two names alike up to case
/// or lookalike letters). The store no longer accepts such pairs; one saved
/// earlier is named so it can be renamed, instead of a file silently lost.
fn refuse_clashes<'a>(paths: impl Iterator<Item = &'a str>) -> Result<()> {
    use std::collections::HashMap;
    let mut files: HashMap<String, &str> = HashMap::new();
    let mut folders: HashMap<String, &str> = HashMap::new();
    for path in paths {
        let key = crate::memory_path::lookalike_key(path);
        let clash = files
            .get(&key)
            .or_else(|| folders.get(&key))
            .copied()
            .or_else(|| {
                key.match_indices('/')
                    .skip(2)
                    .find_map(|(i, _)| files.get(&key[..i]).copied())
            });
        if let Some(other) = clash {
            return Err(Error::Conflict(format!(
                "{other} and {path} cannot both be files (one is also a folder, or the names look alike); rename one of them, then export again (nothing was written)"
            )));
        }
        for (i, _) in key.match_indices('/').skip(2) {
            folders.entry(key[..i].to_string()).or_insert(path);
        }
        files.insert(key, path);
    }
    Ok(())
}

/// Writes the store `store_name_or_id` to `out`: a folder (which must not
/// exist yet, or be empty) or, with `zip`, a zip file (which must not exist).
/// Exports a store as `<store>-memory.zip` in `dir` (the Downloads folder,
/// for the app's one-click export), under a name no file has yet.
pub fn export_zip_into(store: &Store, store_name_or_id: &str, dir: &Path) -> Result<ExportReport> {
    let memory = store.memory_store(store_name_or_id)?;
    std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e))?;
    let safe: String = memory
        .name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let path = crate::downloads::unused_path(dir, &format!("{safe}-memory.zip"))?;
    export_store(store, &memory.id, &path, true)
}

pub fn export_store(
    store: &Store,
    store_name_or_id: &str,
    out: &Path,
    zip: bool,
) -> Result<ExportReport> {
    let memory = store.memory_store(store_name_or_id)?;
    let mut files: Vec<(ManifestEntry, String)> = Vec::new();
    for doc in store.list_documents(&memory.id, None)? {
        // Content and hash come from one read, so the manifest matches the file.
        let Some((doc, content)) = store.read_document(&memory.id, &doc.path)? else {
            continue;
        };
        files.push((
            ManifestEntry {
                file: file_of(&doc.path)?,
                path: doc.path,
                sha256: doc.sha256,
                size: doc.size,
                version: doc.version,
                updated_at: doc.updated_at,
                pinned: doc.pinned,
            },
            content,
        ));
    }
    refuse_clashes(files.iter().map(|(e, _)| e.path.as_str()))?;
    let manifest = Manifest {
        schema: MANIFEST_SCHEMA,
        store: memory.name.clone(),
        store_id: memory.id.clone(),
        description: memory.description.clone(),
        exported_at: crate::ids::now(),
        documents: files.iter().map(|(e, _)| e.clone()).collect(),
    };
    let manifest_text =
        serde_json::to_string_pretty(&manifest).expect("a manifest always serialises") + "\n";
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(Error::Invalid(format!(
            "{} does not exist; create it first or export somewhere else",
            parent.display()
        )));
    }
    if zip {
        if out.exists() {
            return Err(Error::Conflict(format!(
                "{} already exists; give a new file name (nothing was overwritten)",
                out.display()
            )));
        }
        write_zip(out, &parent, &files, &manifest_text)?;
    } else {
        write_folder(out, &parent, &files, &manifest_text)?;
    }
    Ok(ExportReport {
        path: out.to_path_buf(),
        zip,
        documents: files.len(),
        bytes: files.iter().map(|(e, _)| e.size).sum(),
    })
}

fn write_folder(
    out: &Path,
    parent: &Path,
    files: &[(ManifestEntry, String)],
    manifest: &str,
) -> Result<()> {
    let empty_dir = match fs::read_dir(out) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Error::Conflict(format!(
                    "{} is not empty; export into a new or empty folder (nothing was overwritten)",
                    out.display()
                )));
            }
            true
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(Error::io(out, e)),
    };
    let staging = tempfile::Builder::new()
        .prefix(".reverie-export-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(parent, e))?;
    for (entry, content) in files {
        let path = staging.path().join(&entry.file);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        fs::write(&path, content).map_err(|e| Error::io(&path, e))?;
    }
    let manifest_path = staging.path().join(MANIFEST_FILE);
    fs::write(&manifest_path, manifest).map_err(|e| Error::io(&manifest_path, e))?;
    if empty_dir {
        fs::remove_dir(out).map_err(|e| Error::io(out, e))?;
    }
    let staged = staging.keep();
    fs::rename(&staged, out).map_err(|e| {
        let _ = fs::remove_dir_all(&staged);
        Error::io(out, e)
    })
}

fn write_zip(
    out: &Path,
    parent: &Path,
    files: &[(ManifestEntry, String)],
    manifest: &str,
) -> Result<()> {
    let temp = tempfile::Builder::new()
        .prefix(".reverie-export-")
        .suffix(".zip")
        .tempfile_in(parent)
        .map_err(|e| Error::io(parent, e))?;
    let zip_error = |e: zip::result::ZipError| Error::io(out, std::io::Error::other(e));
    let mut writer = zip::ZipWriter::new(temp.as_file());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (entry, content) in files {
        writer
            .start_file(entry.file.as_str(), options)
            .map_err(zip_error)?;
        writer
            .write_all(content.as_bytes())
            .map_err(|e| Error::io(out, e))?;
    }
    writer
        .start_file(MANIFEST_FILE, options)
        .map_err(zip_error)?;
    writer
        .write_all(manifest.as_bytes())
        .map_err(|e| Error::io(out, e))?;
    writer.finish().map_err(zip_error)?;
    temp.as_file().sync_all().map_err(|e| Error::io(out, e))?;
    temp.persist_noclobber(out).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            Error::Conflict(format!(
                "{} already exists; give a new file name (nothing was overwritten)",
                out.display()
            ))
        } else {
            Error::io(out, e.error)
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::refuse_clashes;

    #[test]
    fn pairs_that_cannot_both_be_files_are_named() {
        assert!(
            refuse_clashes(["/memories/a.md", "/memories/b/c.md", "/memories/bc.md"].into_iter())
                .is_ok()
        );
        for pair in [
            ["/memories/a", "/memories/a/b.md"],
            ["/memories/a/b.md", "/memories/a"],
            ["/memories/Notes.md", "/memories/notes.md"],
            ["/memories/x/\u{0430}.md", "/memories/x/a.md"],
        ] {
            let err = refuse_clashes(pair.into_iter()).unwrap_err().to_string();
            assert!(err.contains(pair[0]) && err.contains(pair[1]), "{err}");
        }
    }
}
