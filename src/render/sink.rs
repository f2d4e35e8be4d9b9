//! sink: where rendered events go: stdout (`-o -`), a file created with O_EXCL and mode 0600
//! (it will hold what traced processes read and wrote), or something that is not a regular file
//! and already exists (`/dev/null`, `/dev/stderr`, a FIFO), written to as it is.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Create `path` for writing: it must not exist yet; mode 0600.
pub fn create_new(path: &Path) -> Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => anyhow::anyhow!(existing_error(path)),
            _ => anyhow::anyhow!(e).context(format!("cannot create {}", path.display())),
        })
}

/// Why an existing `path` is not written to.
fn existing_error(path: &Path) -> String {
    let p = path.display();
    match (std::fs::symlink_metadata(path), std::fs::metadata(path)) {
        (Ok(l), Err(_)) if l.file_type().is_symlink() => format!(
            "{p} is a symlink to a missing file; etrace creates output files itself and does \
             not follow a link to do it"
        ),
        (_, Ok(m)) if m.is_dir() => format!("{p} is a directory"),
        _ => format!("{p} already exists; etrace does not overwrite output files"),
    }
}

/// Our own standard output or error, when `meta` is the file it writes to (`/dev/stderr`,
/// `/proc/self/fd/1`): a duplicate of that descriptor, which writes where it does (opening the
/// path anew would start at offset 0 of a redirected file).
fn own_stream(meta: &std::fs::Metadata) -> Option<File> {
    let streams = [
        io::stdout().as_fd().try_clone_to_owned(),
        io::stderr().as_fd().try_clone_to_owned(),
    ];
    streams.into_iter().flatten().map(File::from).find(|f| {
        f.metadata()
            .is_ok_and(|m| (m.dev(), m.ino()) == (meta.dev(), meta.ino()))
    })
}

/// Open `path` for -o: created new, or, when something already stands there, written to only
/// if it is not a regular file (a device, a FIFO) or is our own standard output or error.
/// Returns the file and whether this run created it.
fn open_path(path: &Path) -> Result<(File, bool)> {
    match create_new(path) {
        Ok(f) => return Ok((f, true)),
        Err(e) if std::fs::symlink_metadata(path).is_err() => return Err(e),
        Err(_) => {}
    }
    let Ok(meta) = std::fs::metadata(path) else {
        bail!(existing_error(path));
    };
    if let Some(f) = own_stream(&meta) {
        return Ok((f, false));
    }
    if meta.is_file() || meta.is_dir() {
        bail!(existing_error(path));
    }
    let f = OpenOptions::new()
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {} for writing", path.display()))?;
    Ok((f, false))
}

/// Create `/tmp/etrace-<random><suffix>` (O_EXCL, 0600) and keep it.
pub fn create_temp(suffix: &str) -> Result<(File, PathBuf)> {
    let tmp = tempfile::Builder::new()
        .prefix("etrace-")
        .suffix(suffix)
        .tempfile_in("/tmp")
        .context("cannot create an output file in /tmp")?;
    tmp.keep()
        .map_err(|e| anyhow::anyhow!("cannot keep the output file: {}", e.error))
}

/// Open the destination: `path` (`-` is standard output; see open_path), else a new
/// `/tmp/etrace-<random><suffix>` when `temp_suffix` is given (its path logged), else stdout.
pub fn open(path: Option<&Path>, temp_suffix: Option<&str>) -> Result<Sink> {
    Ok(match (path, temp_suffix) {
        (Some(p), _) if p == Path::new("-") => Sink::stdout(),
        (Some(p), _) => {
            let (f, created) = open_path(p)?;
            let mut sink = Sink::file(f, p.to_path_buf());
            sink.created = created;
            sink
        }
        (None, Some(suffix)) => {
            let (f, p) = create_temp(suffix)?;
            log::info!("output file: {}", p.display());
            Sink::file(f, p)
        }
        (None, None) => Sink::stdout(),
    })
}

/// A buffered destination, remembering its path for messages.
pub struct Sink {
    pub w: BufWriter<Box<dyn Write>>,
    pub path: Option<PathBuf>,
    /// This run created the file at `path`.
    pub created: bool,
}

/// The files this run created, removed when it fails before tracing starts, so that the
/// corrected command does not find them in its way; `keep` once tracing has started.
#[derive(Default)]
pub struct NewFiles(Vec<PathBuf>);

impl NewFiles {
    pub fn add(&mut self, sink: &Sink) {
        if let (true, Some(p)) = (sink.created, &sink.path) {
            self.0.push(p.clone());
        }
    }

    /// A file this run created with `create_new`.
    pub fn add_path(&mut self, path: &Path) {
        self.0.push(path.to_path_buf());
    }

    pub fn keep(mut self) {
        self.0.clear();
    }
}

impl Drop for NewFiles {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Sink {
    pub fn stdout() -> Sink {
        Sink {
            w: BufWriter::with_capacity(1 << 16, Box::new(io::stdout())),
            path: None,
            created: false,
        }
    }
    /// A file this run created (see `open` for the others).
    pub fn file(f: File, path: PathBuf) -> Sink {
        Sink {
            w: BufWriter::with_capacity(1 << 20, Box::new(f)),
            path: Some(path),
            created: true,
        }
    }
    /// A sink that discards everything (benchmarks, fuzzing, a flamegraph's events); named
    /// /dev/null in messages.
    pub fn discard() -> Sink {
        Sink {
            w: BufWriter::with_capacity(1 << 16, Box::new(io::sink())),
            path: Some(PathBuf::from("/dev/null")),
            created: false,
        }
    }
    pub fn name(&self) -> String {
        self.path
            .as_ref()
            .map_or("standard output".into(), |p| p.display().to_string())
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.w.write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.w.write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn files_are_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.json");
        create_new(&p).unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let e = create_new(&p).unwrap_err();
        assert!(format!("{e:#}").contains("already exists"), "{e:#}");
        let e = open(Some(&p), None).err().unwrap();
        assert!(format!("{e:#}").contains("already exists"), "{e:#}");
        let link = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).unwrap();
        let e = open(Some(&link), None).err().unwrap();
        assert!(
            format!("{e:#}").contains("is a symlink to a missing file"),
            "{e:#}"
        );
        assert!(!dir.path().join("nowhere").exists());
        let e = open(Some(dir.path()), None).err().unwrap();
        assert!(format!("{e:#}").ends_with("is a directory"), "{e:#}");
        // not regular files: written to as they are, and never counted as created
        let null = open(Some(Path::new("/dev/null")), None).unwrap();
        assert!(!null.created);
        let mut files = NewFiles::default();
        let made = dir.path().join("made.json");
        files.add(&open(Some(&made), None).unwrap());
        files.add(&null);
        drop(files);
        assert!(!made.exists(), "a failed start removes what it created");
        assert!(Path::new("/dev/null").exists());
        assert!(open(Some(Path::new("-")), None).unwrap().path.is_none());
        let (_, t) = create_temp(".json").unwrap();
        assert!(t
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("etrace-"));
        assert_eq!(
            std::fs::metadata(&t).unwrap().permissions().mode() & 0o777,
            0o600
        );
        std::fs::remove_file(t).unwrap();
    }
}
