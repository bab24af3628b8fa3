//! What happens before the window exists: internal errors end in one
//! sentence instead of a backtrace, a missing display is said plainly, and
//! each data folder gets its own single-instance name, so a second launch
//! on the same folder shows the first window instead of a second app. It
//! owns those checks; it never opens the store.

use std::hash::{Hash, Hasher};
use std::path::Path;

/// Replaces Rust's panic message and backtrace with one sentence a user
/// can act on (the detail stays on stderr for a bug report).
pub fn install_panic_message() {
    std::panic::set_hook(Box::new(|info| {
        let detail = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "Reverie stopped because of an internal error; please report it with this line: {detail}{place}"
        );
    }));
}

/// Opens the display before Tauri does; `Err` holds the sentence to print.
pub fn check_display() -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        let no_display = std::env::var_os("DISPLAY").is_none_or(|v| v.is_empty())
            && std::env::var_os("WAYLAND_DISPLAY").is_none_or(|v| v.is_empty());
        if no_display {
            return Err(no_display_sentence());
        }
        if gtk::init().is_err() {
            return Err(no_display_sentence());
        }
    }
    Ok(())
}

pub fn no_display_sentence() -> String {
    "Reverie needs a desktop session to show its window, and none was found (DISPLAY and WAYLAND_DISPLAY do not lead to one); start it from your desktop, or use the `reverie` command without a window.".into()
}

/// The single-instance name for a data folder: the app identifier plus a
/// hash of the folder, valid as a D-Bus name (elements may not start with
/// a digit).
pub fn instance_id(identifier: &str, data_dir: &Path) -> String {
    let folder = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    folder.hash(&mut hasher);
    format!("{identifier}.data{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_data_folder_gets_its_own_instance_name() {
        let a = instance_id(
            "app.reverie.desktop",
            Path::new("/home/ann/.local/share/reverie"),
        );
        let b = instance_id("app.reverie.desktop", Path::new("/home/ann/other folder"));
        assert_ne!(a, b);
        assert_eq!(
            a,
            instance_id(
                "app.reverie.desktop",
                Path::new("/home/ann/.local/share/reverie")
            )
        );
        // A valid D-Bus well-known name: elements of [A-Za-z0-9_-], none
        // starting with a digit, at most 255 bytes.
        assert!(a.len() <= 255);
        for element in a.split('.') {
            assert!(!element.is_empty());
            assert!(!element.starts_with(|c: char| c.is_ascii_digit()), "{a}");
            assert!(
                element
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            );
        }
    }

    #[test]
    fn the_no_display_message_is_one_sentence() {
        let s = no_display_sentence();
        assert!(!s.contains('\n'));
        assert!(s.ends_with('.'));
    }
}
