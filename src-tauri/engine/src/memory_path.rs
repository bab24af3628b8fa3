//! Paths inside a memory store. Every document lives under `/memories`, the
//! same shape as Claude's memory tool; this module is the one place that
//! decides what a valid path is, so the store, the memory tool, the folder
//! mirror and dreams all refuse the same things. Messages never mention a
//! host path: they are shown to models as well as people.

use crate::{Error, Result};

pub const ROOT: &str = "/memories";
/// The document that says what every other document holds.
pub const INDEX: &str = "/memories/_index.md";
pub const MAX_PATH_BYTES: usize = 512;

/// Checks and normalises a document path. Accepts `/memories/a/b.md` and the
/// relative `a/b.md` (taken as under `/memories`); refuses `..`, `.`, empty
/// segments, backslashes, control characters, absolute paths elsewhere and
/// `/memories` itself.
pub fn normalize(path: &str) -> Result<String> {
    let trimmed = path.trim();
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
            "'{trimmed}' is outside the memory store; every path must start with /memories/"
        )));
    } else {
        trimmed
    };
    let mut segments = Vec::new();
    for segment in rest.split('/') {
        match segment {
            "" => {
                return Err(Error::Invalid(format!(
                    "'{trimmed}' has an empty path segment; remove the doubled or trailing slash"
                )));
            }
            "." | ".." => {
                return Err(Error::Invalid(format!(
                    "'{trimmed}' uses '{segment}'; paths may not step out of or around /memories"
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
            "",
        ] {
            let err = normalize(bad).unwrap_err().to_string();
            assert!(!err.is_empty(), "{bad}");
            assert!(!err.contains("/root") && !err.contains("/home"), "{err}");
        }
    }
}
