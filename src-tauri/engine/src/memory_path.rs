//! Paths inside a memory store. Every document lives under `/memories`, the
//! same shape as Claude's memory tool; this module is the one place that
//! decides what a valid path is, so the store, the memory tool, the folder
//! mirror and dreams all refuse the same things. Messages never mention a
//! host path: they are shown to models as well as people.
//!
//! A valid path is one every copy of a store can hold: it is NFC-normalised
//! (so `é` typed two ways is one name), holds no control, bidirectional or
//! invisible characters (which make a name read differently than it is),
//! keeps each name short enough for any file system (with room for the
//! mirror's conflict copies) and stays a few folders deep. [`lookalike_key`]
//! gives the Unicode "skeleton" of a name (UTS #39, lower-cased), so the store
//! can refuse a new path that would look the same as, or differ only in case
//! from, one it already holds — such pairs cannot sit side by side in a
//! mirrored folder or a zip opened on another computer.

use unicode_normalization::UnicodeNormalization;

use crate::{Error, Result};

pub const ROOT: &str = "/memories";
/// The document that says what every other document holds.
pub const INDEX: &str = "/memories/_index.md";
pub const MAX_PATH_BYTES: usize = 512;
/// Bytes in one file or folder name. File systems allow 255; the rest is
/// kept for the mirror's conflict copies (`name.conflict-<time>.md`).
pub const MAX_SEGMENT_BYTES: usize = 200;
/// Folders and the file name together, below `/memories`.
pub const MAX_DEPTH: usize = 16;

/// Checks and normalises a document path. Accepts `/memories/a/b.md` and the
/// relative `a/b.md` (taken as under `/memories`); refuses `..`, `.`, empty
/// segments, backslashes, control characters, absolute paths elsewhere and
/// `/memories` itself. The result is in Unicode NFC. A path that names a new
/// document must also pass [`check_new`].
pub fn normalize(path: &str) -> Result<String> {
    let composed: String = path.nfc().collect();
    let trimmed = composed.trim();
    if trimmed.is_empty() {
        return Err(Error::Invalid(
            "the path is empty; give one like /memories/notes.md".into(),
        ));
    }
    let rest = if trimmed == ROOT || trimmed == "/memories/" {
        return Err(Error::Invalid(
            "/memories is the store's root directory, not a document; name a file under it".into(),
        ));
    } else if let Some(rest) = trimmed.strip_prefix("/memories/") {
        rest
    } else if trimmed.starts_with('/') {
        return Err(Error::Invalid(format!(
            "'{}' is outside the memory store; every path must start with /memories/",
            trimmed.escape_debug()
        )));
    } else {
        trimmed
    };
    let mut segments = Vec::new();
    for segment in rest.split('/') {
        match segment {
            "" => {
                return Err(Error::Invalid(format!(
                    "'{}' has an empty path segment; remove the doubled or trailing slash",
                    trimmed.escape_debug()
                )));
            }
            "." | ".." => {
                return Err(Error::Invalid(format!(
                    "'{}' uses '{segment}'; paths may not step out of or around /memories",
                    trimmed.escape_debug()
                )));
            }
            s if s.chars().any(|c| c.is_control() || c == '\\') => {
                return Err(Error::Invalid(format!(
                    "'{}' contains a backslash or a control character; use plain names and '/'",
                    trimmed.escape_debug()
                )));
            }
            s => segments.push(s),
        }
    }
    let normalized = format!("{ROOT}/{}", segments.join("/"));
    if normalized.len() > MAX_PATH_BYTES {
        return Err(Error::Invalid(format!(
            "the path is {} bytes long; keep it under {MAX_PATH_BYTES}",
            normalized.len()
        )));
    }
    Ok(normalized)
}

/// Checks a normalised path that is about to name a document for the first
/// time (a new document, a rename, a restore): no invisible or
/// text-direction characters, names short enough for any file system, and
/// not too deep. Lookups of existing documents use [`normalize`] alone, so a
/// document saved before these rules can still be read, renamed or deleted.
pub fn check_new(path: &str) -> Result<()> {
    let rest = path.strip_prefix("/memories/").unwrap_or(path);
    let segments: Vec<&str> = rest.split('/').collect();
    for s in &segments {
        if let Some(c) = s.chars().find(|c| is_invisible(*c)) {
            return Err(Error::Invalid(format!(
                "'{}' contains the invisible or text-direction character U+{:04X}, which makes a name read differently than it is; remove it",
                path.escape_debug(),
                c as u32
            )));
        }
        if s.len() > MAX_SEGMENT_BYTES {
            return Err(Error::Invalid(format!(
                "the name '{}…' is {} bytes long; keep each file or folder name under {MAX_SEGMENT_BYTES} bytes",
                s.chars().take(40).collect::<String>().escape_debug(),
                s.len()
            )));
        }
    }
    if segments.len() > MAX_DEPTH {
        return Err(Error::Invalid(format!(
            "the path is {} folders deep; keep it within {MAX_DEPTH} levels under /memories",
            segments.len()
        )));
    }
    Ok(())
}

/// [`normalize`] then [`check_new`]: the path a new document may take.
pub fn normalize_new(path: &str) -> Result<String> {
    let path = normalize(path)?;
    check_new(&path)?;
    Ok(path)
}

/// Characters that are not seen, or that reorder what is seen: Unicode's
/// default-ignorable code points (which include the bidirectional controls
/// U+200E/F, U+202A–E and U+2066–9, zero-width spaces and joiners, the
/// byte-order mark, variation selectors and tag characters), plus the
/// Arabic letter mark and the other invisible separators.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// What a name looks like, for telling apart names a person could confuse:
/// the UTS #39 skeleton of its lower-cased form. `аdmin.md` (Cyrillic а),
/// `admin.md` and `Admin.md` have one key.
pub fn lookalike_key(name: &str) -> String {
    let lower: String = name.nfc().flat_map(char::to_lowercase).collect();
    unicode_security::skeleton(&lower).collect()
}

/// Whether `name` has the lookalike key `key`, with [`lookalike_key`]
/// remembered per name: every new document is compared with each name
/// already in its store, so the same names' keys are asked for again on
/// every write. The memo is a pure cache, dropped whole when it grows past a
/// bound.
fn has_lookalike_key(name: &str, key: &str) -> bool {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    const MAX_NAMES: usize = 50_000;
    static KEYS: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let keys = KEYS.get_or_init(Default::default);
    if let Some(known) = keys.lock().unwrap_or_else(|p| p.into_inner()).get(name) {
        return known == key;
    }
    let computed = lookalike_key(name);
    let same = computed == key;
    let mut keys = keys.lock().unwrap_or_else(|p| p.into_inner());
    if keys.len() >= MAX_NAMES {
        keys.clear();
    }
    keys.insert(name.to_string(), computed);
    same
}

/// A new document path, ready to be checked against every path already in
/// its store: its names and their lookalike keys are worked out once.
pub struct NewPath<'a> {
    path: &'a str,
    names: Vec<&'a str>,
    keys: Vec<String>,
}

impl<'a> NewPath<'a> {
    pub fn new(path: &'a str) -> Self {
        let names: Vec<&str> = path.split('/').skip(2).collect();
        let keys = names.iter().map(|name| lookalike_key(name)).collect();
        NewPath { path, names, keys }
    }

    /// Why this path cannot join a store that holds `existing` (a
    /// normalised document path), as a sentence naming the existing
    /// document; `None` when they can sit side by side in any folder or
    /// zip. Refused: a name that looks the same as an existing one
    /// (lookalike letters or only a change of case), a folder that looks
    /// like another folder, and a path that would make a document also a
    /// folder (or a folder also a document).
    pub fn clash_with(&self, existing: &str) -> Option<String> {
        let new = self.path;
        if new == existing {
            return None;
        }
        let b: Vec<&str> = existing.split('/').skip(2).collect();
        let a = &self.names;
        for i in 0..a.len().min(b.len()) {
            if a[i] == b[i] {
                continue;
            }
            if !has_lookalike_key(b[i], &self.keys[i]) {
                return None;
            }
            let last = i + 1 == a.len() && i + 1 == b.len();
            if last {
                return Some(format!(
                    "{new} would look the same as the existing document {existing}; choose a clearly different name, or edit that one"
                ));
            }
            let folder = format!("{ROOT}/{}", b[..=i].join("/"));
            return Some(format!(
                "{new} would put it in a folder that looks the same as the existing {folder}/ (which holds {existing}); use that folder or a clearly different name"
            ));
        }
        if a.len() > b.len() {
            Some(format!(
                "{existing} is a document, so it cannot also be a folder holding {new}; rename one of them"
            ))
        } else {
            Some(format!(
                "{new} would be a document where the folder holding {existing} is; rename one of them"
            ))
        }
    }
}

/// Why `new` cannot join a store that holds `existing`: see [`NewPath::clash_with`].
pub fn clash(new: &str, existing: &str) -> Option<String> {
    NewPath::new(new).clash_with(existing)
}

/// Checks a directory path for listing: `/memories` itself is allowed.
pub fn normalize_dir(path: &str) -> Result<String> {
    let trimmed = path.trim().trim_end_matches('/');
    if trimmed.is_empty() || trimmed == ROOT {
        return Ok(ROOT.to_string());
    }
    normalize(trimmed)
}

/// True when `path` is `dir` itself or lies below it.
pub fn is_within(path: &str, dir: &str) -> bool {
    path == dir || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises() {
        assert_eq!(normalize("/memories/a.md").unwrap(), "/memories/a.md");
        assert_eq!(normalize("notes/b.md").unwrap(), "/memories/notes/b.md");
        assert_eq!(normalize_dir("/memories/").unwrap(), "/memories");
        assert!(is_within("/memories/a/b.md", "/memories/a"));
        assert!(!is_within("/memories/ab.md", "/memories/a"));
    }

    #[test]
    fn refuses_escapes() {
        for bad in [
            "/memories",
            "/memories/",
            "/etc/passwd",
            "/memories/../etc/passwd",
            "../x",
            "/memories/a/./b",
            "/memories//a",
            "/memories/a\\..\\b",
            "/memories/a\0b",
            "/memories/evil\u{202E}dm.md",
            "/memories/zero\u{200B}width.md",
            "/memories/bom\u{FEFF}.md",
            "/memories/lrm\u{200E}.md",
            "",
        ] {
            let err = normalize_new(bad).unwrap_err().to_string();
            assert!(!err.is_empty(), "{bad}");
            assert!(!err.contains("/root") && !err.contains("/home"), "{err}");
        }
    }

    #[test]
    fn one_unicode_form() {
        let decomposed = "/memories/e\u{0301}.md";
        let composed = "/memories/\u{00E9}.md";
        assert_eq!(normalize(decomposed).unwrap(), composed);
        assert_eq!(normalize(composed).unwrap(), composed);
    }

    #[test]
    fn names_and_depth_are_bounded() {
        let long = format!("/memories/{}.md", "a".repeat(300));
        assert!(
            normalize_new(&long)
                .unwrap_err()
                .to_string()
                .contains("bytes")
        );
        // An old document with such a name can still be looked up.
        assert!(normalize(&long).is_ok());
        let ok = format!("/memories/{}.md", "a".repeat(MAX_SEGMENT_BYTES - 3));
        assert!(normalize_new(&ok).is_ok());
        let deep = format!("/memories/{}x.md", "d/".repeat(MAX_DEPTH));
        assert!(
            normalize_new(&deep)
                .unwrap_err()
                .to_string()
                .contains("deep")
        );
    }

    #[test]
    fn lookalikes_and_file_folder_clashes_are_named() {
        let cyrillic = normalize("/memories/\u{0430}dmin.md").unwrap();
        let msg = clash(&cyrillic, "/memories/admin.md").unwrap();
        assert!(msg.contains("/memories/admin.md"), "{msg}");
        assert!(clash("/memories/Admin.md", "/memories/admin.md").is_some());
        assert!(clash("/memories/\u{0430}/x.md", "/memories/a/y.md").is_some());
        let msg = clash("/memories/a/b.md", "/memories/a").unwrap();
        assert!(msg.contains("cannot also be a folder"), "{msg}");
        assert!(clash("/memories/a", "/memories/a/b.md").is_some());
        assert!(clash("/memories/admin.md", "/memories/admin.txt").is_none());
        assert!(clash("/memories/a/b.md", "/memories/a/c.md").is_none());
        assert!(clash("/memories/ab/c.md", "/memories/a/c.md").is_none());
        assert!(clash("/memories/a.md", "/memories/a.md").is_none());
    }
}
