//! folded: the user stacks of the traced calls (-k), folded and weighted by the time spent in
//! the calls or by their number: `comm;outer;...;inner;syscall weight` lines (the format other
//! flamegraph tools read), and a flamegraph of them drawn by inferno.

use std::collections::HashMap;
use std::io::{self, Write};

use crate::model::event::{Event, Frame};

/// Most distinct stacks kept: a traced program could make every stack differ; past this,
/// calls count under `[other stacks]`.
pub const MAX_STACKS: usize = 1 << 20;

/// What a stack weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Weight {
    // the time spent in the calls, in nanoseconds
    Time,
    // the number of calls
    Count,
}

impl Weight {
    /// The unit inferno names in each frame's tooltip.
    fn unit(self) -> &'static str {
        match self {
            Weight::Time => "ns",
            Weight::Count => "calls",
        }
    }
}

/// Stacks and their weights.
#[derive(Debug)]
pub struct Folded {
    weight: Weight,
    stacks: HashMap<String, u64>,
}

/// A name in a folded line: `;` (the separator) and control characters replaced.
fn push_name(name: &str, out: &mut String) {
    out.extend(name.chars().map(|c| match c {
        ';' => ':',
        c if c.is_control() => '?',
        c => c,
    }));
}

/// A frame's name: the function, else the file and offset, else the address.
fn frame_name(f: &Frame, out: &mut String) {
    match (&f.function, &f.module) {
        (Some((func, _)), _) => push_name(func, out),
        (None, Some((path, off))) => {
            push_name(path.rsplit('/').next().unwrap_or(path), out);
            out.push_str(&format!("+{off:#x}"));
        }
        (None, None) => out.push_str(&format!("{:#x}", f.addr)),
    }
}

impl Folded {
    pub fn new(weight: Weight) -> Folded {
        Folded {
            weight,
            stacks: HashMap::new(),
        }
    }

    /// Add a call: its stack (outermost frame first, after the comm), its name as the leaf.
    pub fn add(&mut self, ev: &Event<'_>) {
        if ev.stack.is_empty() {
            return;
        }
        let w = match self.weight {
            Weight::Time => ev.duration_ns.unwrap_or(0),
            Weight::Count => 1,
        };
        if w == 0 {
            return;
        }
        let mut key = String::with_capacity(256);
        push_name(&String::from_utf8_lossy(&ev.comm), &mut key);
        for f in ev.stack.iter().rev() {
            key.push(';');
            frame_name(f, &mut key);
        }
        key.push(';');
        key.push_str(&ev.syscall);
        if self.stacks.len() >= MAX_STACKS && !self.stacks.contains_key(&key) {
            key = "[other stacks]".into();
        }
        let slot = self.stacks.entry(key).or_default();
        *slot = slot.saturating_add(w);
    }

    /// No stack was added.
    pub fn is_empty(&self) -> bool {
        self.stacks.is_empty()
    }

    /// The folded lines, sorted.
    pub fn lines(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .stacks
            .iter()
            .map(|(k, w)| format!("{k} {w}"))
            .collect();
        v.sort();
        v
    }

    pub fn write_folded(&self, w: &mut dyn Write) -> io::Result<()> {
        for l in self.lines() {
            writeln!(w, "{l}")?;
        }
        Ok(())
    }

    /// The flamegraph, as an SVG.
    pub fn write_svg(&self, w: &mut dyn Write) -> io::Result<()> {
        let mut o = inferno::flamegraph::Options::default();
        o.title = match self.weight {
            Weight::Time => "etrace: time in syscalls, by user stack".into(),
            Weight::Count => "etrace: syscalls, by user stack".into(),
        };
        o.count_name = self.weight.unit().into();
        let lines = self.lines();
        inferno::flamegraph::from_lines(&mut o, lines.iter().map(String::as_str), w)
            .map_err(io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(name: &str) -> Frame {
        Frame {
            addr: 0x1000,
            module: Some(("/usr/bin/x".into(), 0x10)),
            function: Some((name.into(), 4)),
            source: None,
        }
    }

    #[test]
    fn stacks_fold_outermost_first_with_the_syscall_as_leaf() {
        let mut f = Folded::new(Weight::Count);
        let mut ev = Event {
            syscall: std::borrow::Cow::Borrowed("getppid"),
            nr: 110,
            pid: 10,
            tid: 10,
            ppid: Some(1),
            comm: crate::model::event::Comm::from_slice(b"prog"),
            ret: Some(1),
            args: vec![],
            stack: vec![frame("inner"), frame("outer;x"), frame("main")],
            ..Default::default()
        };
        f.add(&ev);
        f.add(&ev);
        let mut unknown = ev.clone();
        unknown.stack = vec![Frame {
            addr: 0x7f00,
            module: Some(("/lib/libc.so.6".into(), 0x1234)),
            function: None,
            source: None,
        }];
        f.add(&unknown);
        assert_eq!(
            f.lines(),
            [
                "prog;libc.so.6+0x1234;getppid 1",
                "prog;main;outer:x;inner;getppid 2"
            ]
        );
        let mut t = Folded::new(Weight::Time);
        ev.duration_ns = Some(1500);
        t.add(&ev);
        ev.duration_ns = None; // unfinished: no time to add
        t.add(&ev);
        assert_eq!(t.lines().len(), 1);
        assert!(t.lines()[0].ends_with(" 1500"));
        let mut svg = Vec::new();
        t.write_svg(&mut svg).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(
            svg.contains("<title>inner (1,500 ns, 100.00%)</title>"),
            "{svg}"
        );
    }
}
