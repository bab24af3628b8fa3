//! The mirrored folder on disk, seen as documents: `DIR/a/b.md` is
//! `/memories/a/b.md`. This module owns every file-system access the mirror
//! makes. It never follows a symbolic link (a linked file or directory is
//! refused, so nothing outside the folder is read or written), never reads a
//! file that is not a regular one, and replaces files atomically (a hidden
//! temporary file renamed over the old one), so an editor never sees half a
//! document. It knows nothing about the store.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use crate::memory_path;
use crate::store::{MAX_DOCUMENT_BYTES, sha256_hex};

/// Prefix of the mirror's own temporary files (hidden, so never imported).
const TEMP_PREFIX: &str = ".reverie-";

/// True for names the mirror leaves alone on both sides: hidden files and
/// folders (`.git`, `.foo.swp`, `.#foo`), backups (`foo~`) and the files
/// editors create while saving (vim's `4913`, emacs's `#foo#`, `*.swp`).
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name == "4913"
        || (name.starts_with('#') && name.ends_with('#'))
        || [".swp", ".swo", ".swx", ".tmp"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

/// True when a document's path has a segment the mirror ignores.
pub fn is_ignored_document(path: &str) -> bool {
    relative(path).split('/').any(is_ignored_name)
}

/// `/memories/a/b.md` → `a/b.md`.
pub fn relative(path: &str) -> &str {
    path.strip_prefix("/memories/").unwrap_or(path)
}

/// A text file found in the folder.
#[derive(Debug, Clone)]
pub struct FolderFile {
    pub sha256: String,
    pub content: String,
}

/// A file or folder that is not mirrored, and why (shown to the person).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Relative to the mirrored folder.
    pub file: String,
    pub reason: String,
}

/// Everything in the folder at one moment.
#[derive(Debug, Default)]
pub struct Scan {
    /// Document path → text.
    pub files: BTreeMap<String, FolderFile>,
    pub refused: Vec<Refusal>,
    /// Document paths (and directories) present in the folder but refused:
    /// the mirror must not take them for deletions, nor write over them.
    blocked: HashSet<String>,
}

impl Scan {
    pub fn is_blocked(&self, path: &str) -> bool {
        self.blocked.contains(path)
            || self
                .blocked
                .iter()
                .any(|dir| memory_path::is_within(path, dir))
    }
}

/// Why a write or removal did not happen.
#[derive(Debug)]
pub enum FolderError {
    /// The file is not what the sync saw a moment ago (someone is editing
    /// it); the next sync will look again.
    Changed,
    /// The mirror will not do this; the reason is for the person.
    Refused(String),
}

pub struct Folder {
    root: PathBuf,
}

impl Folder {
    /// `root` must be an existing, canonical directory.
    pub fn new(root: PathBuf) -> Folder {
        Folder { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads every mirrored file under the root. Fails only when the root
    /// itself cannot be read (then nothing may be taken as deleted).
    pub fn scan(&self) -> Result<Scan, String> {
        match fs::symlink_metadata(&self.root) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(format!(
                    "{} is no longer a folder; the mirror is paused until it is one again",
                    self.root.display()
                ));
            }
            Err(e) => {
                return Err(format!(
                    "cannot read the mirrored folder {} ({e}); the mirror is paused until it is back",
                    self.root.display()
                ));
            }
        }
        let mut scan = Scan::default();
        let entries = fs::read_dir(&self.root).map_err(|e| {
            format!(
                "cannot list the mirrored folder {} ({e}); check its permissions",
                self.root.display()
            )
        })?;
        self.scan_dir(entries, "", &mut scan);
        Ok(scan)
    }

    fn scan_dir(&self, entries: fs::ReadDir, rel_dir: &str, scan: &mut Scan) {
        for entry in entries {
            let Ok(entry) = entry else { continue };
            let raw_name = entry.file_name();
            let Some(name) = raw_name.to_str() else {
                let file = join(rel_dir, &raw_name.to_string_lossy());
                scan.refused.push(Refusal {
                    file,
                    reason: "its name is not valid UTF-8; rename it to import it".into(),
                });
                continue;
            };
            if is_ignored_name(name) {
                if name.starts_with(TEMP_PREFIX) && name.ends_with(".tmp") {
                    // Left behind by a mirror that was killed mid-write.
                    let _ = fs::remove_file(entry.path());
                }
                continue;
            }
            let rel = join(rel_dir, name);
            let doc_path = match memory_path::normalize(&format!("/memories/{rel}")) {
                Ok(path) => path,
                Err(e) => {
                    scan.refused.push(Refusal {
                        file: rel,
                        reason: format!("it cannot be a memory document: {e}"),
                    });
                    continue;
                }
            };
            // `DirEntry::file_type` does not follow links.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_symlink() {
                scan.blocked.insert(doc_path);
                scan.refused.push(Refusal {
                    file: rel,
                    reason:
                        "it is a symbolic link; the mirror never follows links out of the folder"
                            .into(),
                });
            } else if kind.is_dir() {
                match fs::read_dir(entry.path()) {
                    Ok(entries) => self.scan_dir(entries, &rel, scan),
                    Err(e) => {
                        scan.blocked.insert(doc_path);
                        scan.refused.push(Refusal {
                            file: format!("{rel}/"),
                            reason: format!(
                                "the folder cannot be read ({e}); check its permissions"
                            ),
                        });
                    }
                }
            } else if kind.is_file() {
                match read_text(&entry.path()) {
                    Ok(content) => {
                        let sha256 = sha256_hex(content.as_bytes());
                        scan.files.insert(doc_path, FolderFile { sha256, content });
                    }
                    Err(reason) => {
                        scan.blocked.insert(doc_path);
                        scan.refused.push(Refusal { file: rel, reason });
                    }
                }
            } else {
                scan.blocked.insert(doc_path);
                scan.refused.push(Refusal {
                    file: rel,
                    reason: "it is not a regular file (a device, pipe or socket)".into(),
                });
            }
        }
    }

    /// Writes a document's text to its file, creating folders as needed.
    /// `expected` is the sha256 the file had at the last scan (`None`: it
    /// must not exist); anything else means someone is editing it.
    pub fn write(
        &self,
        path: &str,
        content: &str,
        expected: Option<&str>,
    ) -> Result<(), FolderError> {
        let target = self.target(path, true)?;
        let old_meta = self.check_current(&target, path, expected)?;
        let parent = target.parent().expect("a target has a parent");
        let temp = parent.join(format!("{TEMP_PREFIX}{}.tmp", crate::ids::new_id()));
        let written = (|| -> std::io::Result<()> {
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp)?;
            file.write_all(content.as_bytes())?;
            if let Some(meta) = &old_meta {
                file.set_permissions(meta.permissions())?;
            }
            file.sync_all()?;
            fs::rename(&temp, &target)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(FolderError::Refused(format!(
                "cannot write {} ({e})",
                relative(path)
            )));
        }
        Ok(())
    }

    /// Removes a document's file if it still holds `expected`, then any
    /// folders left empty (never the root).
    pub fn remove(&self, path: &str, expected: &str) -> Result<(), FolderError> {
        let target = self.target(path, false)?;
        if self.check_current(&target, path, Some(expected))?.is_none() {
            return Ok(());
        }
        fs::remove_file(&target)
            .map_err(|e| FolderError::Refused(format!("cannot remove {} ({e})", relative(path))))?;
        let mut dir = target.parent();
        while let Some(d) = dir {
            if d == self.root || fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
        Ok(())
    }

    /// True when the document's file (or a folder in its way) exists.
    pub fn occupied(&self, path: &str) -> bool {
        fs::symlink_metadata(self.root.join(relative(path))).is_ok()
    }

    /// The file for a document path, checking that every folder on the way
    /// is a real folder inside the root (created when `create` is set).
    fn target(&self, path: &str, create: bool) -> Result<PathBuf, FolderError> {
        let path = memory_path::normalize(path).map_err(|e| FolderError::Refused(e.to_string()))?;
        let rel = relative(&path);
        let segments: Vec<&str> = rel.split('/').collect();
        let (name, dirs) = segments.split_last().expect("a normalized path has a name");
        let mut dir = self.root.clone();
        for (i, segment) in dirs.iter().enumerate() {
            dir.push(segment);
            let shown = segments[..=i].join("/");
            match fs::symlink_metadata(&dir) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(FolderError::Refused(format!(
                        "{shown}/ is a symbolic link; the mirror never writes through links"
                    )));
                }
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => {
                    return Err(FolderError::Refused(format!(
                        "{shown} is a file, so it cannot hold {rel}; rename one of them"
                    )));
                }
                Err(e) if e.kind() == ErrorKind::NotFound && create => match fs::create_dir(&dir) {
                    Ok(()) => {}
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                        return Err(FolderError::Changed);
                    }
                    Err(e) => {
                        return Err(FolderError::Refused(format!(
                            "cannot create the folder {shown}/ ({e})"
                        )));
                    }
                },
                Err(e) if e.kind() == ErrorKind::NotFound => return Err(FolderError::Changed),
                Err(e) => {
                    return Err(FolderError::Refused(format!("cannot use {shown}/ ({e})")));
                }
            }
        }
        Ok(dir.join(name))
    }

    /// Checks the target holds what the last scan saw; returns its
    /// metadata when it exists.
    fn check_current(
        &self,
        target: &Path,
        path: &str,
        expected: Option<&str>,
    ) -> Result<Option<fs::Metadata>, FolderError> {
        let rel = relative(path);
        match fs::symlink_metadata(target) {
            Ok(meta) if meta.file_type().is_symlink() => Err(FolderError::Refused(format!(
                "{rel} is a symbolic link; the mirror never writes through links"
            ))),
            Ok(meta) if !meta.is_file() => Err(FolderError::Refused(format!(
                "{rel} is a folder or a special file, not a document"
            ))),
            Ok(meta) => {
                let Some(expected) = expected else {
                    return Err(FolderError::Changed);
                };
                match read_text(target) {
                    Ok(text) if sha256_hex(text.as_bytes()) == expected => Ok(Some(meta)),
                    _ => Err(FolderError::Changed),
                }
            }
            Err(e) if e.kind() == ErrorKind::NotFound => match expected {
                None => Ok(None),
                Some(_) => Err(FolderError::Changed),
            },
            Err(e) => Err(FolderError::Refused(format!("cannot read {rel} ({e})"))),
        }
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Reads a regular file as document text, or says why it cannot be one.
/// Opens without following links and without blocking on a pipe, then
/// checks what was actually opened.
fn read_text(path: &Path) -> Result<String, String> {
    let mut file = open_no_follow(path).map_err(|e| match e.raw_os_error() {
        #[cfg(unix)]
        Some(libc::ELOOP) => {
            "it is a symbolic link; the mirror never follows links out of the folder".to_string()
        }
        _ => format!("it cannot be read ({e})"),
    })?;
    let meta = file
        .metadata()
        .map_err(|e| format!("it cannot be read ({e})"))?;
    if !meta.is_file() {
        return Err("it is not a regular file".into());
    }
    let limit = MAX_DOCUMENT_BYTES as u64;
    if meta.len() > limit {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    Read::by_ref(&mut file)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("it cannot be read ({e})"))?;
    if bytes.len() as u64 > limit {
        return Err(too_big(bytes.len() as u64));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| "it is not UTF-8 text; memory documents are plain text".to_string())?;
    if text.contains('\0') {
        return Err(
            "it holds NUL bytes, so it looks binary; memory documents are plain text".into(),
        );
    }
    Ok(text)
}

fn too_big(len: u64) -> String {
    format!(
        "it is {len} bytes; a memory document holds at most {MAX_DOCUMENT_BYTES} bytes — split it into several files"
    )
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    if fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(std::io::Error::new(
            ErrorKind::InvalidInput,
            "a symbolic link",
        ));
    }
    File::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_noise_is_ignored_and_documents_are_not() {
        for name in [
            ".notes.md.swp",
            ".#notes.md",
            "notes.md~",
            "4913",
            "#notes.md#",
            ".git",
            "x.tmp",
        ] {
            assert!(is_ignored_name(name), "{name}");
        }
        for name in ["notes.md", "a.conflict-20261126T080000Z.md", "README"] {
            assert!(!is_ignored_name(name), "{name}");
        }
        assert!(is_ignored_document("/memories/.git/config"));
        assert!(!is_ignored_document("/memories/a/b.md"));
    }
}
