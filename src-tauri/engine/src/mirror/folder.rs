//! The mirrored folder on disk, seen as documents: `DIR/a/b.md` is
//! `/memories/a/b.md`. This module owns every file-system access the mirror
//! makes. It never follows a symbolic link (a linked file or directory is
//! refused, so nothing outside the folder is read or written), never reads a
//! file that is not a regular one, and replaces files atomically (a hidden
//! temporary file renamed over the old one), so an editor never sees half a
//! document. It knows nothing about the store.
//!
//! Every access below the root goes through open folder handles
//! ([`super::handle`]), one name at a time and never through a link, so a
//! folder swapped for a link mid-write cannot redirect it; temporary files
//! live in the document's own folder, and a write is checked again after its
//! rename (see [`Folder::write`]).

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use super::handle::{DirHandle, Kind, file_identity, is_link_or_not_dir};
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

/// The folders on the way to a document, opened one inside the other from
/// the root: `dirs[i]` holds `names[i]`; the last one holds the document.
struct Walk {
    dirs: Vec<DirHandle>,
    names: Vec<String>,
}

impl Walk {
    fn parent(&self) -> &DirHandle {
        self.dirs.last().expect("a walk starts at the root")
    }

    fn file_name(&self) -> &str {
        self.names.last().expect("a document path has a name")
    }
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
        let root = match fs::symlink_metadata(&self.root) {
            Ok(meta) if meta.is_dir() => DirHandle::open_root(&self.root),
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
        };
        let root = root.map_err(|e| {
            format!(
                "cannot open the mirrored folder {} ({e}); the mirror is paused until it is a plain folder again",
                self.root.display()
            )
        })?;
        let mut scan = Scan::default();
        let entries = root.entries().map_err(|e| {
            format!(
                "cannot list the mirrored folder {} ({e}); check its permissions",
                self.root.display()
            )
        })?;
        self.scan_dir(&root, entries, "", &mut scan);
        Ok(scan)
    }

    fn scan_dir(
        &self,
        dir: &DirHandle,
        entries: Vec<(String, bool, Kind)>,
        rel_dir: &str,
        scan: &mut Scan,
    ) {
        for (name, utf8, kind) in entries {
            if !utf8 {
                scan.refused.push(Refusal {
                    file: join(rel_dir, &name),
                    reason: "its name is not valid UTF-8; rename it to import it".into(),
                });
                continue;
            }
            if is_ignored_name(&name) {
                if name.starts_with(TEMP_PREFIX) && name.ends_with(".tmp") && kind == Kind::File {
                    // Left behind by a mirror that was killed mid-write.
                    let _ = dir.remove_file(&name);
                }
                continue;
            }
            let rel = join(rel_dir, &name);
            let doc_path = match memory_path::normalize_new(&format!("/memories/{rel}")) {
                Ok(path) => path,
                Err(e) => {
                    scan.refused.push(Refusal {
                        file: rel,
                        reason: format!("it cannot be a memory document: {e}"),
                    });
                    continue;
                }
            };
            let link_refusal =
                "it is a symbolic link; the mirror never follows links out of the folder";
            match kind {
                Kind::Missing => {}
                Kind::Link => {
                    scan.blocked.insert(doc_path);
                    scan.refused.push(Refusal {
                        file: rel,
                        reason: link_refusal.into(),
                    });
                }
                Kind::Dir => match dir.open_dir(&name).and_then(|d| {
                    let entries = d.entries()?;
                    Ok((d, entries))
                }) {
                    Ok((sub, entries)) => self.scan_dir(&sub, entries, &rel, scan),
                    Err(e) => {
                        scan.blocked.insert(doc_path);
                        scan.refused.push(Refusal {
                            file: format!("{rel}/"),
                            reason: if is_link_or_not_dir(&e) {
                                link_refusal.into()
                            } else {
                                format!("the folder cannot be read ({e}); check its permissions")
                            },
                        });
                    }
                },
                Kind::File => match read_text(dir, &name) {
                    Ok(content) => {
                        let sha256 = sha256_hex(content.as_bytes());
                        scan.files.insert(doc_path, FolderFile { sha256, content });
                    }
                    Err(reason) => {
                        scan.blocked.insert(doc_path);
                        scan.refused.push(Refusal { file: rel, reason });
                    }
                },
                Kind::Other => {
                    scan.blocked.insert(doc_path);
                    scan.refused.push(Refusal {
                        file: rel,
                        reason: "it is not a regular file (a device, pipe or socket)".into(),
                    });
                }
            }
        }
    }

    /// Writes a document's text to its file, creating folders as needed.
    /// `expected` is the sha256 the file had at the last scan (`None`: it
    /// must not exist); anything else means someone is editing it.
    ///
    /// The temporary file is made in the document's own folder, through the
    /// open handle on that folder, and renamed over the document there.
    /// Afterwards the path is walked again from the root: if the folder was
    /// moved away while the file was written (swapped for a link, say), the
    /// new file is taken back out and the write counts as not done.
    pub fn write(
        &self,
        path: &str,
        content: &str,
        expected: Option<&str>,
    ) -> Result<(), FolderError> {
        let walk = self.walk(path, true)?;
        let old_meta = self.check_current(&walk, path, expected)?;
        let dir = walk.parent();
        let name = walk.file_name();
        let temp = format!("{TEMP_PREFIX}{}.tmp", crate::ids::new_id());
        let mut written_identity = None;
        let written = (|| -> std::io::Result<()> {
            let mut file = dir.create_new(&temp)?;
            written_identity = Some(file_identity(&file)?);
            file.write_all(content.as_bytes())?;
            if let Some(meta) = &old_meta {
                file.set_permissions(meta.permissions())?;
            }
            file.sync_all()?;
            dir.rename(&temp, name)
        })();
        if let Err(e) = written {
            let _ = dir.remove_file(&temp);
            return Err(FolderError::Refused(format!(
                "cannot write {} ({e})",
                relative(path)
            )));
        }
        if !self.still_inside(&walk) {
            // Take back only our own file, if it is still the one there.
            if written_identity.is_some() && dir.identity_of(name).ok() == written_identity {
                let _ = dir.remove_file(name);
            }
            return Err(FolderError::Changed);
        }
        Ok(())
    }

    /// Removes a document's file if it still holds `expected`, then any
    /// folders left empty (never the root).
    pub fn remove(&self, path: &str, expected: &str) -> Result<(), FolderError> {
        let walk = self.walk(path, false)?;
        if self.check_current(&walk, path, Some(expected))?.is_none() {
            return Ok(());
        }
        walk.parent()
            .remove_file(walk.file_name())
            .map_err(|e| FolderError::Refused(format!("cannot remove {} ({e})", relative(path))))?;
        // dirs[i] holds names[i]; remove emptied folders from the deepest up.
        for i in (0..walk.dirs.len() - 1).rev() {
            if walk.dirs[i].remove_dir(&walk.names[i]).is_err() {
                break;
            }
        }
        Ok(())
    }

    /// True when the document's file (or anything in its way) exists.
    pub fn occupied(&self, path: &str) -> bool {
        let Ok(path) = memory_path::normalize(path) else {
            return true;
        };
        let Ok(mut dir) = DirHandle::open_root(&self.root) else {
            return true;
        };
        let segments: Vec<&str> = relative(&path).split('/').collect();
        let (name, dirs) = segments.split_last().expect("a normalized path has a name");
        for segment in dirs {
            match dir.kind(segment) {
                Ok(Kind::Missing) => return false,
                Ok(Kind::Dir) => match dir.open_dir(segment) {
                    Ok(next) => dir = next,
                    Err(_) => return true,
                },
                _ => return true,
            }
        }
        !matches!(dir.kind(name), Ok(Kind::Missing))
    }

    /// Opens every folder on the way to a document, from the root, never
    /// through a link (creating missing folders when `create` is set).
    fn walk(&self, path: &str, create: bool) -> Result<Walk, FolderError> {
        let path = memory_path::normalize(path).map_err(|e| FolderError::Refused(e.to_string()))?;
        let rel = relative(&path);
        let segments: Vec<&str> = rel.split('/').collect();
        let root = DirHandle::open_root(&self.root).map_err(|e| {
            FolderError::Refused(format!(
                "cannot open the mirrored folder {} ({e})",
                self.root.display()
            ))
        })?;
        let mut walk = Walk {
            dirs: vec![root],
            names: segments.iter().map(|s| s.to_string()).collect(),
        };
        for i in 0..segments.len() - 1 {
            let segment = segments[i];
            let shown = segments[..=i].join("/");
            let dir = walk.parent();
            let refuse_link = || {
                FolderError::Refused(format!(
                    "{shown}/ is a symbolic link; the mirror never writes through links"
                ))
            };
            match dir.kind(segment) {
                Ok(Kind::Link) => return Err(refuse_link()),
                Ok(Kind::Dir) => {}
                Ok(Kind::File | Kind::Other) => {
                    return Err(FolderError::Refused(format!(
                        "{shown} is a file, so it cannot hold {rel}; rename one of them"
                    )));
                }
                Ok(Kind::Missing) if create => match dir.create_dir(segment) {
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
                Ok(Kind::Missing) => return Err(FolderError::Changed),
                Err(e) => {
                    return Err(FolderError::Refused(format!("cannot use {shown}/ ({e})")));
                }
            }
            // Whatever the name was a moment ago, open it only as a folder.
            match dir.open_dir(segment) {
                Ok(next) => walk.dirs.push(next),
                Err(e) if is_link_or_not_dir(&e) => return Err(refuse_link()),
                Err(e) if e.kind() == ErrorKind::NotFound => return Err(FolderError::Changed),
                Err(e) => {
                    return Err(FolderError::Refused(format!("cannot use {shown}/ ({e})")));
                }
            }
        }
        Ok(walk)
    }

    /// True when the folders of `walk` are still where they were: walked
    /// again from the root, every name leads to the same folder.
    fn still_inside(&self, walk: &Walk) -> bool {
        let Ok(mut dir) = DirHandle::open_root(&self.root) else {
            return false;
        };
        for (held, name) in walk.dirs.iter().zip(&walk.names) {
            match (dir.identity(), held.identity()) {
                (Ok(a), Ok(b)) if a == b => {}
                _ => return false,
            }
            if std::ptr::eq(held, walk.parent()) {
                return true;
            }
            match dir.open_dir(name) {
                Ok(next) => dir = next,
                Err(_) => return false,
            }
        }
        false
    }

    /// Checks the target holds what the last scan saw; returns its
    /// metadata when it exists.
    fn check_current(
        &self,
        walk: &Walk,
        path: &str,
        expected: Option<&str>,
    ) -> Result<Option<fs::Metadata>, FolderError> {
        let rel = relative(path);
        let dir = walk.parent();
        let name = walk.file_name();
        match dir.kind(name) {
            Ok(Kind::Link) => Err(FolderError::Refused(format!(
                "{rel} is a symbolic link; the mirror never writes through links"
            ))),
            Ok(Kind::Dir | Kind::Other) => Err(FolderError::Refused(format!(
                "{rel} is a folder or a special file, not a document"
            ))),
            Ok(Kind::File) => {
                let Some(expected) = expected else {
                    return Err(FolderError::Changed);
                };
                let file = dir.open_read(name).map_err(|_| FolderError::Changed)?;
                let meta = file.metadata().map_err(|_| FolderError::Changed)?;
                match read_open_file(file) {
                    Ok(text) if sha256_hex(text.as_bytes()) == expected => Ok(Some(meta)),
                    _ => Err(FolderError::Changed),
                }
            }
            Ok(Kind::Missing) => match expected {
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
fn read_text(dir: &DirHandle, name: &str) -> Result<String, String> {
    let file = dir.open_read(name).map_err(|e| {
        if is_link_or_not_dir(&e) {
            "it is a symbolic link; the mirror never follows links out of the folder".to_string()
        } else {
            format!("it cannot be read ({e})")
        }
    })?;
    read_open_file(file)
}

fn read_open_file(mut file: File) -> Result<String, String> {
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
