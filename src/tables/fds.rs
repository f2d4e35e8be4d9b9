//! fds: formats/fds parsed: which syscall parameters and return values are file descriptors
//! (for -y).

use std::collections::HashSet;

use crate::tables::{data_lines, FormatError};

pub const FDS: &str = include_str!("../../formats/fds");

#[derive(Debug, Clone, Default)]
pub struct Fds {
    /// parameters that are fds in every syscall that has them
    any: HashSet<String>,
    /// (syscall, parameter)
    args: HashSet<(String, String)>,
    /// syscalls that return an fd
    rets: HashSet<String>,
}

impl Fds {
    /// Whether parameter `param` of `syscall` is a file descriptor.
    pub fn is_fd_arg(&self, syscall: &str, param: &str) -> bool {
        self.any.contains(param)
            || self
                .args
                .contains(&(syscall.to_string(), param.to_string()))
    }

    /// Whether `syscall` returns a file descriptor.
    pub fn returns_fd(&self, syscall: &str) -> bool {
        self.rets.contains(syscall)
    }

    /// The syscall names the file names, for the check against tracefs.
    pub fn named(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.args
            .iter()
            .map(|(s, p)| (s.as_str(), Some(p.as_str())))
            .chain(self.rets.iter().map(|s| (s.as_str(), None)))
    }
}

pub fn parse(text: &str) -> Result<Fds, FormatError> {
    let mut out = Fds::default();
    for (line, l) in data_lines(text) {
        let err = |msg: String| FormatError {
            file: "fds",
            line,
            msg,
        };
        let (sys, param) = l
            .split_once('.')
            .filter(|(s, p)| !s.is_empty() && !p.is_empty() && !p.contains(char::is_whitespace))
            .ok_or_else(|| {
                err(format!(
                    "expected `syscall.param`, `*.param` or `syscall.ret`, got `{l}`"
                ))
            })?;
        match (sys, param) {
            ("*", p) => out.any.insert(p.to_string()),
            (s, "ret") => out.rets.insert(s.to_string()),
            (s, p) => out.args.insert((s.to_string(), p.to_string())),
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_fd_parameters_and_returns() {
        let f = parse(FDS).unwrap();
        assert!(f.is_fd_arg("read", "fd"));
        assert!(f.is_fd_arg("openat", "dfd"));
        assert!(f.is_fd_arg("dup", "fildes"));
        assert!(!f.is_fd_arg("pipe2", "fildes"));
        assert!(!f.is_fd_arg("read", "count"));
        assert!(f.returns_fd("openat") && f.returns_fd("socket"));
        assert!(!f.returns_fd("read"));
        assert!(parse("openat dfd").is_err());
        assert!(parse("openat.").is_err());
    }
}
