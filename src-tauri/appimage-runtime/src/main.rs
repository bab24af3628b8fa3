//! # reverie-appimage-runtime
//!
//! The front of Reverie's AppImage, used when the Tauri bundler cannot fetch
//! its own AppImage tools (no network): an ELF program followed by a
//! SquashFS image of the app folder (`AppRun`, the desktop entry, the icon,
//! `usr/bin/…`), marked as an AppImage of type 2 (`AI\x02` at byte 8).
//!
//! Started, it finds the image right after its own ELF data (the end of the
//! section header table), unpacks it into a fresh temporary folder, runs
//! `AppRun` there with the arguments it was given and the variables AppImage
//! tools set (`APPIMAGE`, `APPDIR`, `ARGV0`, `OWD`), passes on SIGTERM and
//! SIGINT, removes the folder when the app exits and exits with its status.
//! It does not mount the image with FUSE, so `--appimage-extract-and-run`
//! and a plain start behave alike. `--appimage-extract` unpacks into
//! `./squashfs-root` and exits; `--appimage-offset` prints where the image
//! starts. It owns that unpacking and nothing of the app.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicI32, Ordering};

use backhand::{FilesystemReader, InnerNode};

static CHILD: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward(signal: libc::c_int) {
    let pid = CHILD.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe { libc::kill(pid, signal) };
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("This AppImage could not start: {message}.");
            ExitCode::from(127)
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let exe = fs::read_link("/proc/self/exe")
        .or_else(|_| std::env::current_exe())
        .map_err(|e| format!("it cannot find its own file ({e})"))?;
    let mut args: Vec<OsString> = std::env::args_os().collect();
    let argv0 = args.remove(0);
    let offset = image_offset(&exe)
        .map_err(|e| format!("{} is not a readable AppImage ({e})", exe.display()))?;

    match args.first().and_then(|a| a.to_str()) {
        Some("--appimage-offset") => {
            println!("{offset}");
            return Ok(ExitCode::SUCCESS);
        }
        Some("--appimage-extract") => {
            let target = PathBuf::from("squashfs-root");
            unpack(&exe, offset, &target)?;
            println!("{}", target.display());
            return Ok(ExitCode::SUCCESS);
        }
        Some("--appimage-extract-and-run") => {
            args.remove(0);
        }
        _ => {}
    }

    let dir = temp_dir();
    let result = unpack(&exe, offset, &dir).and_then(|()| start(&exe, &dir, &argv0, &args));
    let _ = fs::remove_dir_all(&dir);
    result
}

/// Where the image starts: the end of the ELF file's own data, i.e. the end
/// of its section header table (`e_shoff + e_shnum * e_shentsize`).
fn image_offset(exe: &Path) -> io::Result<u64> {
    let mut file = File::open(exe)?;
    let mut header = [0u8; 64];
    file.read_exact(&mut header)?;
    if &header[..4] != b"\x7fELF" || header[4] != 2 || header[5] != 1 {
        return Err(io::Error::other("not a 64-bit little-endian ELF file"));
    }
    let shoff = u64::from_le_bytes(header[0x28..0x30].try_into().unwrap_or_default());
    let shentsize = u16::from_le_bytes([header[0x3a], header[0x3b]]) as u64;
    let shnum = u16::from_le_bytes([header[0x3c], header[0x3d]]) as u64;
    let end = shoff + shentsize * shnum;
    let len = file.seek(SeekFrom::End(0))?;
    if end == 0 || end >= len {
        return Err(io::Error::other("no image follows the program"));
    }
    Ok(end)
}

fn temp_dir() -> PathBuf {
    let base = std::env::var_os("TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    base.join(format!(
        "appimage_extracted_{}_{stamp:x}",
        std::process::id()
    ))
}

/// Unpacks the whole image into `dir`, keeping modes and symbolic links.
fn unpack(exe: &Path, offset: u64, dir: &Path) -> Result<(), String> {
    let failed = |what: &str, e: &dyn std::fmt::Display| format!("{what} failed ({e})");
    let file = BufReader::new(File::open(exe).map_err(|e| failed("opening the image", &e))?);
    let image = FilesystemReader::from_reader_with_offset(file, offset)
        .map_err(|e| failed("reading the image", &e))?;
    fs::create_dir_all(dir).map_err(|e| failed("creating a temporary folder", &e))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| failed("securing the temporary folder", &e))?;
    for node in image.files() {
        let relative = node.fullpath.strip_prefix("/").unwrap_or(&node.fullpath);
        if relative.as_os_str().is_empty() {
            continue;
        }
        let path = dir.join(relative);
        let mode = u32::from(node.header.permissions) & 0o7777;
        match &node.inner {
            InnerNode::Dir(_) => {
                fs::create_dir_all(&path).map_err(|e| failed("creating a folder", &e))?;
                fs::set_permissions(&path, fs::Permissions::from_mode(mode | 0o700))
                    .map_err(|e| failed("setting a folder's mode", &e))?;
            }
            InnerNode::File(entry) => {
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent).map_err(|e| failed("creating a folder", &e))?;
                }
                let mut out = File::create(&path).map_err(|e| failed("writing a file", &e))?;
                io::copy(&mut image.file(entry).reader(), &mut out)
                    .map_err(|e| failed("unpacking a file", &e))?;
                fs::set_permissions(&path, fs::Permissions::from_mode(mode))
                    .map_err(|e| failed("setting a file's mode", &e))?;
            }
            InnerNode::Symlink(link) => {
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent).map_err(|e| failed("creating a folder", &e))?;
                }
                symlink(&link.link, &path).map_err(|e| failed("making a link", &e))?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Runs `AppRun` from the unpacked folder and waits for it.
fn start(exe: &Path, dir: &Path, argv0: &OsString, args: &[OsString]) -> Result<ExitCode, String> {
    let app_run = dir.join("AppRun");
    let mut child = Command::new(&app_run)
        .args(args)
        .env("APPIMAGE", exe)
        .env("APPDIR", dir)
        .env("ARGV0", argv0)
        .env("OWD", std::env::current_dir().unwrap_or_default())
        .spawn()
        .map_err(|e| format!("{} did not start ({e})", app_run.display()))?;
    CHILD.store(child.id() as i32, Ordering::SeqCst);
    // SAFETY: the handler only reads an atomic and calls kill.
    unsafe {
        libc::signal(libc::SIGTERM, forward as *const () as libc::sighandler_t);
        libc::signal(libc::SIGINT, forward as *const () as libc::sighandler_t);
        libc::signal(libc::SIGHUP, forward as *const () as libc::sighandler_t);
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for the app failed ({e})"))?;
    CHILD.store(0, Ordering::SeqCst);
    Ok(match status.code() {
        Some(code) => ExitCode::from(code.clamp(0, 255) as u8),
        None => ExitCode::from(128 + 15),
    })
}
