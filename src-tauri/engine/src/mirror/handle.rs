//! Open folders, for the folder mirror: every file and folder below the
//! mirror's root is reached relative to an open handle on its parent, one
//! name at a time, and never through a symbolic link (`openat` with
//! `O_NOFOLLOW`, via `rustix`). Swapping a folder for a link while the mirror
//! works (a race) therefore cannot send a read or a write outside: the link
//! is refused, or the mirror keeps working in the folder it already holds.
//!
//! On systems without `openat` (Windows) the same calls check each name with
//! `symlink_metadata` first, which refuses links but cannot close the race.

use std::fs::File;
use std::io;
use std::path::Path;

/// What a name in a folder is, without following a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File,
    Link,
    /// A device, pipe or socket.
    Other,
    Missing,
}

/// The identity of an open file or folder (device and inode), to tell
/// whether a name still leads to the same one.
pub type Identity = (u64, u64);

#[cfg(unix)]
mod imp {
    use super::*;
    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    use std::os::fd::OwnedFd;

    pub struct DirHandle {
        fd: OwnedFd,
    }

    fn kind_of(mode: u32) -> Kind {
        match FileType::from_raw_mode(mode as _) {
            FileType::Directory => Kind::Dir,
            FileType::RegularFile => Kind::File,
            FileType::Symlink => Kind::Link,
            _ => Kind::Other,
        }
    }

    const DIR_FLAGS: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::NOFOLLOW)
        .union(OFlags::CLOEXEC);

    impl DirHandle {
        /// Opens the mirror's root folder itself (a link there is refused too).
        pub fn open_root(path: &Path) -> io::Result<DirHandle> {
            let fd = rustix::fs::open(path, DIR_FLAGS, Mode::empty())?;
            Ok(DirHandle { fd })
        }

        // `st_mode` is u16 on some systems.
        #[allow(clippy::unnecessary_cast)]
        pub fn kind(&self, name: &str) -> io::Result<Kind> {
            match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => Ok(kind_of(st.st_mode as u32)),
                Err(rustix::io::Errno::NOENT) => Ok(Kind::Missing),
                Err(e) => Err(e.into()),
            }
        }

        /// The folder `name` inside this one; fails (ELOOP or ENOTDIR) when
        /// it is a link or not a folder.
        pub fn open_dir(&self, name: &str) -> io::Result<DirHandle> {
            let fd = rustix::fs::openat(&self.fd, name, DIR_FLAGS, Mode::empty())?;
            Ok(DirHandle { fd })
        }

        pub fn create_dir(&self, name: &str) -> io::Result<()> {
            Ok(rustix::fs::mkdirat(
                &self.fd,
                name,
                Mode::from_raw_mode(0o777),
            )?)
        }

        /// Opens a file for reading without following a link or blocking on
        /// a pipe; the caller checks what it got.
        pub fn open_read(&self, name: &str) -> io::Result<File> {
            let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
            Ok(File::from(rustix::fs::openat(
                &self.fd,
                name,
                flags,
                Mode::empty(),
            )?))
        }

        /// Creates a new file (never an existing one, never through a link).
        pub fn create_new(&self, name: &str) -> io::Result<File> {
            let flags =
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            Ok(File::from(rustix::fs::openat(
                &self.fd,
                name,
                flags,
                Mode::from_raw_mode(0o666),
            )?))
        }

        /// Renames within this folder.
        pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
            Ok(rustix::fs::renameat(&self.fd, from, &self.fd, to)?)
        }

        pub fn remove_file(&self, name: &str) -> io::Result<()> {
            Ok(rustix::fs::unlinkat(&self.fd, name, AtFlags::empty())?)
        }

        pub fn remove_dir(&self, name: &str) -> io::Result<()> {
            Ok(rustix::fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR)?)
        }

        /// The names in this folder with what each is (not following links).
        /// Names that are not UTF-8 come back lossily, marked `false`.
        pub fn entries(&self) -> io::Result<Vec<(String, bool, Kind)>> {
            let mut out = Vec::new();
            for entry in rustix::fs::Dir::read_from(&self.fd)? {
                let entry = entry?;
                let bytes = entry.file_name().to_bytes();
                if bytes == b"." || bytes == b".." {
                    continue;
                }
                let (name, utf8) = match std::str::from_utf8(bytes) {
                    Ok(s) => (s.to_string(), true),
                    Err(_) => (String::from_utf8_lossy(bytes).into_owned(), false),
                };
                let kind = match entry.file_type() {
                    FileType::Directory => Kind::Dir,
                    FileType::RegularFile => Kind::File,
                    FileType::Symlink => Kind::Link,
                    FileType::Unknown if utf8 => self.kind(&name)?,
                    _ => Kind::Other,
                };
                out.push((name, utf8, kind));
            }
            Ok(out)
        }

        pub fn identity(&self) -> io::Result<Identity> {
            let st = rustix::fs::fstat(&self.fd)?;
            Ok((st.st_dev as u64, st.st_ino as u64))
        }

        /// The identity of what `name` is now (not following a link).
        pub fn identity_of(&self, name: &str) -> io::Result<Identity> {
            let st = rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW)?;
            Ok((st.st_dev as u64, st.st_ino as u64))
        }
    }

    pub fn file_identity(file: &File) -> io::Result<Identity> {
        let st = rustix::fs::fstat(file)?;
        Ok((st.st_dev as u64, st.st_ino as u64))
    }

    /// True for the errors `O_NOFOLLOW` / `O_DIRECTORY` give when a name is
    /// a link or not a folder.
    pub fn is_link_or_not_dir(e: &io::Error) -> bool {
        matches!(
            e.raw_os_error(),
            Some(code) if code == rustix::io::Errno::LOOP.raw_os_error()
                || code == rustix::io::Errno::NOTDIR.raw_os_error()
        )
    }
}

#[cfg(not(unix))]
mod imp {
    use super::*;
    use std::fs;
    use std::path::PathBuf;

    pub struct DirHandle {
        path: PathBuf,
    }

    fn refuse_link(path: &Path) -> io::Result<()> {
        if fs::symlink_metadata(path)?.file_type().is_symlink() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a symbolic link",
            ));
        }
        Ok(())
    }

    impl DirHandle {
        pub fn open_root(path: &Path) -> io::Result<DirHandle> {
            refuse_link(path)?;
            Ok(DirHandle {
                path: path.to_path_buf(),
            })
        }
        // `st_mode` is u16 on some systems.
        #[allow(clippy::unnecessary_cast)]
        pub fn kind(&self, name: &str) -> io::Result<Kind> {
            match fs::symlink_metadata(self.path.join(name)) {
                Ok(m) if m.file_type().is_symlink() => Ok(Kind::Link),
                Ok(m) if m.is_dir() => Ok(Kind::Dir),
                Ok(m) if m.is_file() => Ok(Kind::File),
                Ok(_) => Ok(Kind::Other),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Kind::Missing),
                Err(e) => Err(e),
            }
        }
        pub fn open_dir(&self, name: &str) -> io::Result<DirHandle> {
            match self.kind(name)? {
                Kind::Dir => Ok(DirHandle {
                    path: self.path.join(name),
                }),
                Kind::Missing => Err(io::ErrorKind::NotFound.into()),
                _ => Err(io::Error::new(io::ErrorKind::InvalidInput, "not a folder")),
            }
        }
        pub fn create_dir(&self, name: &str) -> io::Result<()> {
            fs::create_dir(self.path.join(name))
        }
        pub fn open_read(&self, name: &str) -> io::Result<File> {
            let path = self.path.join(name);
            refuse_link(&path)?;
            File::open(path)
        }
        pub fn create_new(&self, name: &str) -> io::Result<File> {
            fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(self.path.join(name))
        }
        pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
            fs::rename(self.path.join(from), self.path.join(to))
        }
        pub fn remove_file(&self, name: &str) -> io::Result<()> {
            fs::remove_file(self.path.join(name))
        }
        pub fn remove_dir(&self, name: &str) -> io::Result<()> {
            fs::remove_dir(self.path.join(name))
        }
        pub fn entries(&self) -> io::Result<Vec<(String, bool, Kind)>> {
            let mut out = Vec::new();
            for entry in fs::read_dir(&self.path)? {
                let entry = entry?;
                let raw = entry.file_name();
                let (name, utf8) = match raw.to_str() {
                    Some(s) => (s.to_string(), true),
                    None => (raw.to_string_lossy().into_owned(), false),
                };
                let t = entry.file_type()?;
                let kind = if t.is_symlink() {
                    Kind::Link
                } else if t.is_dir() {
                    Kind::Dir
                } else if t.is_file() {
                    Kind::File
                } else {
                    Kind::Other
                };
                out.push((name, utf8, kind));
            }
            Ok(out)
        }
        pub fn identity(&self) -> io::Result<Identity> {
            Ok((0, 0))
        }
        pub fn identity_of(&self, _name: &str) -> io::Result<Identity> {
            Ok((0, 0))
        }
    }

    pub fn file_identity(_file: &File) -> io::Result<Identity> {
        Ok((0, 0))
    }

    pub fn is_link_or_not_dir(e: &io::Error) -> bool {
        e.kind() == io::ErrorKind::InvalidInput
    }
}

pub use imp::{DirHandle, file_identity, is_link_or_not_dir};
