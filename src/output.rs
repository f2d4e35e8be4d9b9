//! output: where rendered events go: stdout, or a file created with O_EXCL and mode 0600 (it
//! will hold what traced processes read and wrote).

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Create `path` for writing: it must not exist yet; mode 0600.
pub fn create_new(path: &Path) -> Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| match path.exists() {
            true => format!(
                "{} already exists; etrace does not overwrite output files",
                path.display()
            ),
            false => format!("cannot create {}", path.display()),
        })
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

/// Open the destination: `path` (created, never overwritten), else a new
/// `/tmp/etrace-<random><suffix>` when `temp_suffix` is given (its path logged), else stdout.
pub fn open(path: Option<&Path>, temp_suffix: Option<&str>) -> Result<Sink> {
    Ok(match (path, temp_suffix) {
        (Some(p), _) => Sink::file(create_new(p)?, p.to_path_buf()),
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
}

impl Sink {
    pub fn stdout() -> Sink {
        Sink {
            w: BufWriter::with_capacity(1 << 16, Box::new(io::stdout())),
            path: None,
        }
    }
    pub fn file(f: File, path: PathBuf) -> Sink {
        Sink {
            w: BufWriter::with_capacity(1 << 20, Box::new(f)),
            path: Some(path),
        }
    }
    /// A sink that discards everything (benchmarks, fuzzing).
    pub fn discard() -> Sink {
        Sink {
            w: BufWriter::with_capacity(1 << 16, Box::new(io::sink())),
            path: None,
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
