//! Files the user asked to keep (an exported session, a rubric), saved into
//! their Downloads folder, for windows that cannot download like a browser
//! (the app's webview). It never overwrites: a name already taken gets
//! " (2)", " (3)", ... before its extension. It writes nothing else.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Overrides the folder (tests, or a user who keeps downloads elsewhere).
pub const ENV_VAR: &str = "REVERIE_DOWNLOADS_DIR";

/// The user's Downloads folder, else their home folder.
pub fn folder() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(ENV_VAR).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let dirs = directories::UserDirs::new().ok_or_else(|| {
        Error::Invalid("this system has no home folder to save the file in".into())
    })?;
    Ok(dirs
        .download_dir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dirs.home_dir().to_path_buf()))
}

/// A path in `dir` for `file_name` that no file has yet: the name itself,
/// else "name (2).ext", "name (3).ext"… The caller must still create it
/// without overwriting (another process may take the name first).
pub fn unused_path(dir: &Path, file_name: &str) -> Result<PathBuf> {
    let (stem, ext) = match file_name.rfind('.') {
        Some(i) if i > 0 => (&file_name[..i], &file_name[i..]),
        _ => (file_name, ""),
    };
    (1..1000)
        .map(|n| {
            dir.join(if n == 1 {
                file_name.to_string()
            } else {
                format!("{stem} ({n}){ext}")
            })
        })
        .find(|path| !path.exists())
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{} already holds 999 files named like {file_name}; clear some out",
                dir.display()
            ))
        })
}

/// Saves `text` as `file_name` in `dir` and returns the path it got.
/// `file_name` must be a plain name, not a path.
pub fn save(dir: &Path, file_name: &str, text: &str) -> Result<PathBuf> {
    let plain = !file_name.is_empty()
        && file_name != "."
        && file_name != ".."
        && !file_name.contains(['/', '\\', '\0'])
        && !file_name.starts_with('.');
    if !plain {
        return Err(Error::Invalid(format!(
            "'{file_name}' is not a plain file name; give a name like report.json"
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let (stem, ext) = match file_name.rfind('.') {
        Some(i) if i > 0 => (&file_name[..i], &file_name[i..]),
        _ => (file_name, ""),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    tmp.write_all(text.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::io(tmp.path(), e))?;
    for n in 1..1000 {
        let name = if n == 1 {
            file_name.to_string()
        } else {
            format!("{stem} ({n}){ext}")
        };
        let path = dir.join(name);
        // persist_noclobber: the name is taken atomically or not at all.
        match tmp.persist_noclobber(&path) {
            Ok(_) => return Ok(path),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => tmp = e.file,
            Err(e) => return Err(Error::io(&path, e.error)),
        }
    }
    Err(Error::Invalid(format!(
        "{} already holds 999 files named like {file_name}; clear some out",
        dir.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_without_overwriting_and_refuses_paths() {
        let dir = tempfile::tempdir().unwrap();
        let a = save(dir.path(), "session.json", "one").unwrap();
        let b = save(dir.path(), "session.json", "two").unwrap();
        assert_eq!(a.file_name().unwrap(), "session.json");
        assert_eq!(b.file_name().unwrap(), "session (2).json");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "one");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "two");
        for bad in ["../x.json", "a/b.json", "", "..", ".hidden"] {
            assert!(save(dir.path(), bad, "x").is_err(), "{bad}");
        }
        // Only the two files: no temporary left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
