//! parquet: events as the rows of a Parquet file, in one flat typed schema (`COLUMNS`,
//! docs/analysis.md); row groups are written as they fill, each followed by a footer, so that a
//! killed etrace leaves a file readable up to its last row group.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::builder::{
    BooleanBuilder, Int32Builder, Int64Builder, StringBuilder, TimestampNanosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::{add_encoded_arrow_schema_to_metadata, ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::{FileMetaData, ParquetMetaData, ParquetMetaDataWriter};
use parquet::file::properties::{WriterProperties, WriterPropertiesPtr};
use parquet::schema::types::ColumnPath;
use parquet::schema::types::SchemaDescPtr;

use crate::model::context::Ctx;
use crate::model::event::{Event, Life, LifeEvent, Outcome, Phase, Value};
use crate::render::json;

/// A row group holds at most this many events...
const ROW_GROUP_ROWS: usize = 65_536;
/// ... or this many bytes, encoded (the writer's estimate)...
const ROW_GROUP_BYTES: usize = 64 << 20;
/// ... and, with `with_max_age` (live), is written this long after its first event at most.
pub const ROW_GROUP_AGE: Duration = Duration::from_secs(5);
/// Events held in the column builders before they are encoded, by number and by bytes.
const BATCH_ROWS: usize = 8192;
const BATCH_BYTES: usize = 16 << 20;

/// The parameter names whose string is the call's `path` column, the first one present.
const PATH_PARAMS: [&str; 7] = [
    "filename",
    "pathname",
    "path",
    "oldname",
    "oldpath",
    "dir_name",
    "specialfile",
];
/// The parameter names whose integer is the call's `count` column (a size in bytes or items).
const COUNT_PARAMS: [&str; 3] = ["count", "len", "size"];

/// The columns: name, Arrow type, what it holds. docs/analysis.md is made from this list.
macro_rules! columns {
    ($($name:ident: $builder:ident, $ty:expr, $doc:literal;)*) => {
        struct Columns {
            $($name: $builder,)*
        }

        impl Columns {
            fn new() -> Self {
                let mut c = Columns { $($name: $builder::new(),)* };
                c.time = TimestampNanosecondBuilder::new().with_timezone("UTC");
                c
            }

            fn schema() -> Schema {
                Schema::new(vec![$(Field::new(stringify!($name), $ty, true),)*])
            }

            fn finish(&mut self) -> Vec<ArrayRef> {
                vec![$(Arc::new(self.$name.finish()) as ArrayRef,)*]
            }
        }

        /// Each column's name, type and meaning, in file order (docs/analysis.md's table).
        pub fn columns() -> Vec<(&'static str, &'static str, &'static str)> {
            vec![$((stringify!($name), type_name(&$ty), $doc),)*]
        }
    };
}

fn type_name(t: &DataType) -> &'static str {
    match t {
        DataType::Utf8 => "string",
        DataType::Int32 => "int32",
        DataType::Int64 => "int64",
        DataType::Boolean => "boolean",
        DataType::Timestamp(..) => "timestamp (ns, UTC)",
        _ => "?",
    }
}

columns! {
    event: StringBuilder, DataType::Utf8,
        "`syscall`, or the lifecycle event: `fork`, `exec`, `exit`, `signal`";
    syscall: StringBuilder, DataType::Utf8, "the syscall's name (`openat`); null for lifecycle events";
    nr: Int32Builder, DataType::Int32, "its number on the traced architecture";
    time: TimestampNanosecondBuilder, DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())), "wall-clock time of the call's entry (or of the event)";
    ts: Int64Builder, DataType::Int64, "the same instant, CLOCK_BOOTTIME nanoseconds (JSON `ts`)";
    pid: Int32Builder, DataType::Int32, "process id";
    tid: Int32Builder, DataType::Int32, "thread id";
    ppid: Int32Builder, DataType::Int32, "parent process id (null when no context was read)";
    comm: StringBuilder, DataType::Utf8, "the thread's name (bytes that are not UTF-8 as U+FFFD)";
    duration_ns: Int64Builder, DataType::Int64, "time in the call; null when it did not return";
    ret: Int64Builder, DataType::Int64, "return value; null when the call did not return";
    errno: StringBuilder, DataType::Utf8, "errno name of a failed call (`ENOENT`), else null";
    fd: Int64Builder, DataType::Int64,
        "the first file-descriptor argument (`fd`, `dfd`, `oldfd`, `epfd`...)";
    path: StringBuilder, DataType::Utf8,
        "the first path argument (`filename`, `pathname`, `path`, `oldname`...), as passed";
    count: Int64Builder, DataType::Int64, "the size argument (`count`, `len` or `size`)";
    fd_path: StringBuilder, DataType::Utf8,
        "with -y: what `fd` refers to (`/etc/hosts`, `socket:[1234]`)";
    ret_path: StringBuilder, DataType::Utf8, "with -y: what a returned fd refers to";
    args: StringBuilder, DataType::Utf8,
        "JSON object: every argument by its kernel name, as in the JSON output; for a lifecycle \
         event, what it says (`child_tid`, `kind`, `status`, `siginfo`...)";
    sym: StringBuilder, DataType::Utf8, "JSON object: the arguments' symbolic forms (JSON `sym`)";
    after: StringBuilder, DataType::Utf8, "JSON object: what the call wrote back (JSON `after`)";
    fds: StringBuilder, DataType::Utf8, "with -y: JSON object of every fd's description";
    stack: StringBuilder, DataType::Utf8, "with -k: JSON array of frames (JSON `stack`)";
    truncated: BooleanBuilder, DataType::Boolean, "some argument was cut short";
    unfinished: BooleanBuilder, DataType::Boolean, "tracing ended before the call returned";
    child_pid: Int32Builder, DataType::Int32, "fork: the new process (or thread's process)";
    child_tid: Int32Builder, DataType::Int32, "fork: the new thread";
    filename: StringBuilder, DataType::Utf8, "exec: the program executed";
    exit_code: Int32Builder, DataType::Int32, "exit: the exit code, when it exited";
    signal: StringBuilder, DataType::Utf8,
        "signal: the signal delivered; exit: the signal that killed it (`SIGKILL`)";
    uid: Int64Builder, DataType::Int64, "context: real user id";
    gid: Int64Builder, DataType::Int64, "context: real group id";
    euid: Int64Builder, DataType::Int64, "context: effective user id";
    egid: Int64Builder, DataType::Int64, "context: effective group id";
    suid: Int64Builder, DataType::Int64, "context: saved user id";
    sgid: Int64Builder, DataType::Int64, "context: saved group id";
    fsuid: Int64Builder, DataType::Int64, "context: filesystem user id";
    fsgid: Int64Builder, DataType::Int64, "context: filesystem group id";
    cap_effective: Int64Builder, DataType::Int64, "context: effective capability bits";
    cgroup_id: Int64Builder, DataType::Int64, "context: cgroup v2 id";
    cgroup: StringBuilder, DataType::Utf8, "context: cgroup v2 path, when known";
    ns_pid: Int64Builder, DataType::Int64, "context: pid namespace inode number";
    ns_mnt: Int64Builder, DataType::Int64, "context: mount namespace";
    ns_net: Int64Builder, DataType::Int64, "context: network namespace";
    ns_uts: Int64Builder, DataType::Int64, "context: UTS namespace";
    ns_ipc: Int64Builder, DataType::Int64, "context: IPC namespace";
    ns_user: Int64Builder, DataType::Int64, "context: user namespace";
    ns_cgroup: Int64Builder, DataType::Int64, "context: cgroup namespace";
    ns_time: Int64Builder, DataType::Int64, "context: time namespace";
}

/// The file, written sequentially by the Parquet writer; between row groups a footer stands
/// at its end (see `Writer::footer`), overwritten by the next row group.
struct Tail(File);

impl Write for Tail {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Events to a Parquet file.
pub struct Writer {
    writer: Option<ArrowWriter<Tail>>,
    schema: SchemaRef,
    /// What the footers between row groups say of the file.
    descr: SchemaDescPtr,
    props: WriterPropertiesPtr,
    cols: Columns,
    /// Events in the builders, and about how many bytes.
    rows: usize,
    bytes: usize,
    /// Events written in row groups.
    pub written: u64,
    /// CLOCK_REALTIME minus CLOCK_BOOTTIME: `ts` to wall-clock time.
    realtime_offset_ns: i64,
    /// Live: a row group is written this long after its first event at most.
    max_age: Option<Duration>,
    oldest: Option<Instant>,
    /// The JSON of one column, reused.
    scratch: Vec<u8>,
}

fn err(e: parquet::errors::ParquetError) -> io::Error {
    io::Error::other(e)
}

impl Writer {
    /// Start the file (already created, empty): a valid Parquet file of no rows from the start.
    pub fn new(file: File, realtime_offset_ns: i64) -> io::Result<Writer> {
        let schema = Arc::new(Columns::schema());
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
            .set_created_by(format!("etrace {}", env!("CARGO_PKG_VERSION")));
        // columns of (nearly) unique values: a dictionary only costs time
        let unique = ["time", "ts", "duration_ns", "args", "stack"];
        let mut props = unique
            .iter()
            .fold(props, |p, c| {
                p.set_column_dictionary_enabled(ColumnPath::from(*c), false)
            })
            .build();
        add_encoded_arrow_schema_to_metadata(&schema, &mut props);
        let props = Arc::new(props);
        let descr = Arc::new(ArrowSchemaConverter::new().convert(&schema).map_err(err)?);
        let writer = ArrowWriter::try_new(Tail(file), schema.clone(), Some((*props).clone()))
            .map_err(err)?;
        let mut w = Writer {
            writer: Some(writer),
            schema,
            descr,
            props,
            cols: Columns::new(),
            rows: 0,
            bytes: 0,
            written: 0,
            realtime_offset_ns,
            max_age: None,
            oldest: None,
            scratch: Vec::with_capacity(4096),
        };
        w.footer()?;
        Ok(w)
    }

    /// Live: write a row group at the latest `age` after its first event, so that a killed
    /// etrace loses no more than that.
    pub fn with_max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// After the last row group: the file's footer, so that the file is whole as it stands.
    /// The next row group is written over it.
    fn footer(&mut self) -> io::Result<()> {
        let w = self.writer.as_mut().expect("writer open");
        w.sync()?;
        let groups = w.flushed_row_groups().to_vec();
        let rows = groups.iter().map(|g| g.num_rows()).sum();
        let meta = FileMetaData::new(
            self.props.writer_version().as_num(),
            rows,
            Some(self.props.created_by().to_string()),
            self.props.key_value_metadata().cloned(),
            self.descr.clone(),
            None,
        );
        let meta = ParquetMetaData::new(meta, groups);
        let mut footer = Vec::with_capacity(16 << 10);
        ParquetMetaDataWriter::new(&mut footer, &meta)
            .finish()
            .map_err(err)?;
        let at = w.bytes_written() as u64;
        let file = &w.inner().0;
        file.write_all_at(&footer, at)?;
        file.set_len(at + footer.len() as u64)
    }

    /// Add a syscall event (a call still in flight is not a row: its event will be); bit i of
    /// `fd_args`: argument i is a file descriptor.
    pub fn add(&mut self, e: &Event<'_>, fd_args: u8) -> io::Result<()> {
        if e.phase == Phase::Pending {
            return Ok(());
        }
        let c = &mut self.cols;
        c.event.append_value("syscall");
        c.syscall.append_value(&e.syscall);
        c.nr.append_value(e.nr as i32);
        self.who((e.pid, e.tid, e.ppid), &e.comm, e.ts, e.ctx.as_deref());
        let c = &mut self.cols;
        c.duration_ns.append_option(e.duration_ns.map(|d| d as i64));
        c.ret.append_option(e.ret);
        c.errno.append_option(e.errno);
        let arg = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| e.args.iter().find(|(a, _)| a == n).map(|(_, v)| v))
        };
        let fd_arg = e
            .args
            .iter()
            .take(6)
            .enumerate()
            .find(|(i, _)| fd_args >> i & 1 != 0)
            .map(|(_, a)| a);
        c.fd.append_option(fd_arg.and_then(|(_, v)| v.raw_int()));
        match arg(&PATH_PARAMS) {
            Some(Value::Str { bytes, .. }) => c.path.append_value(String::from_utf8_lossy(bytes)),
            _ => c.path.append_null(),
        }
        c.count
            .append_option(arg(&COUNT_PARAMS).and_then(Value::raw_int));
        let desc = |name: &str| {
            e.fds
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, d)| String::from_utf8_lossy(&d.text))
        };
        c.fd_path.append_option(fd_arg.and_then(|(n, _)| desc(n)));
        c.ret_path.append_option(desc("ret"));
        let s = &mut self.scratch;
        s.clear();
        json::args_object(s, &e.args)?;
        self.bytes += s.len();
        append_json(&mut c.args, s);
        s.clear();
        match json::sym_object(s, &e.args, e.ret_sym.as_deref())? {
            true => append_json(&mut c.sym, s),
            false => c.sym.append_null(),
        }
        s.clear();
        match e.after.is_empty() {
            true => c.after.append_null(),
            false => {
                json::args_object(s, &e.after)?;
                append_json(&mut c.after, s);
            }
        }
        s.clear();
        match e.fds.is_empty() {
            true => c.fds.append_null(),
            false => {
                json::fds_object(s, &e.fds)?;
                append_json(&mut c.fds, s);
            }
        }
        s.clear();
        match e.stack.is_empty() {
            true => c.stack.append_null(),
            false => {
                json::stack_array(s, &e.stack)?;
                self.bytes += s.len();
                append_json(&mut c.stack, s);
            }
        }
        let truncated = e.payload_truncated || e.args.iter().any(|(_, v)| v.is_truncated());
        c.truncated.append_value(truncated);
        c.unfinished.append_value(e.phase == Phase::Unfinished);
        c.child_pid.append_null();
        c.child_tid.append_null();
        c.filename.append_null();
        c.exit_code.append_null();
        c.signal.append_null();
        self.added()
    }

    /// Add a lifecycle event: fork, exec, exit, signal.
    pub fn add_life(&mut self, e: &LifeEvent<'_>) -> io::Result<()> {
        let c = &mut self.cols;
        c.event.append_value(e.life.name());
        c.syscall.append_null();
        c.nr.append_null();
        self.who((e.pid, e.tid, e.ppid), &e.comm, e.ts, e.ctx.as_deref());
        let c = &mut self.cols;
        for b in [&mut c.duration_ns, &mut c.ret, &mut c.fd, &mut c.count] {
            b.append_null();
        }
        for b in [
            &mut c.errno,
            &mut c.path,
            &mut c.fd_path,
            &mut c.ret_path,
            &mut c.sym,
            &mut c.after,
            &mut c.fds,
            &mut c.stack,
        ] {
            b.append_null();
        }
        // what the JSON line says beyond whose it is: `,"k":v,...` made an object
        let s = &mut self.scratch;
        s.clear();
        json::life_fields(s, &e.life)?;
        match s.first_mut() {
            Some(b) => *b = b'{',
            None => s.push(b'{'),
        }
        s.push(b'}');
        self.bytes += s.len();
        append_json(&mut c.args, s);
        c.truncated.append_value(false);
        c.unfinished.append_value(false);
        let (mut child, mut file, mut code, mut signal) = (None, None, None, None);
        match &e.life {
            Life::Fork {
                child_pid,
                child_tid,
                ..
            } => child = Some((*child_pid as i32, *child_tid as i32)),
            Life::Exec { filename, .. } => file = Some(String::from_utf8_lossy(filename)),
            Life::Exit { outcome, .. } => match outcome {
                Outcome::Exited(c) => code = Some(*c),
                Outcome::Killed { signal: s, .. } => signal = Some(s.as_str()),
            },
            Life::Signal { name, .. } => signal = Some(name.as_str()),
        }
        c.child_pid.append_option(child.map(|c| c.0));
        c.child_tid.append_option(child.map(|c| c.1));
        c.filename.append_option(file);
        c.exit_code.append_option(code);
        c.signal.append_option(signal);
        self.added()
    }

    /// The columns every event has: whose, when, and the thread's context.
    fn who(
        &mut self,
        (pid, tid, ppid): (u32, u32, Option<u32>),
        comm: &[u8],
        ts: u64,
        ctx: Option<&Ctx>,
    ) {
        let c = &mut self.cols;
        let wall = i64::try_from(ts)
            .ok()
            .and_then(|t| t.checked_add(self.realtime_offset_ns));
        c.time.append_option(wall);
        c.ts.append_value(ts as i64);
        c.pid.append_value(pid as i32);
        c.tid.append_value(tid as i32);
        c.ppid.append_option(ppid.map(|p| p as i32));
        c.comm.append_value(String::from_utf8_lossy(comm));
        let creds = ctx.map(Ctx::creds);
        let cred = |i: usize| creds.map(|c| i64::from(c[i].1));
        for (i, b) in [
            &mut c.uid,
            &mut c.gid,
            &mut c.euid,
            &mut c.egid,
            &mut c.suid,
            &mut c.sgid,
            &mut c.fsuid,
            &mut c.fsgid,
        ]
        .into_iter()
        .enumerate()
        {
            b.append_option(cred(i));
        }
        c.cap_effective
            .append_option(ctx.map(|x| x.cap_effective as i64));
        c.cgroup_id.append_option(ctx.map(|x| x.cgroup_id as i64));
        c.cgroup
            .append_option(ctx.and_then(|x| x.cgroup.as_deref()));
        // in NS_NAMES order
        for (i, b) in [
            &mut c.ns_pid,
            &mut c.ns_mnt,
            &mut c.ns_net,
            &mut c.ns_uts,
            &mut c.ns_ipc,
            &mut c.ns_user,
            &mut c.ns_cgroup,
            &mut c.ns_time,
        ]
        .into_iter()
        .enumerate()
        {
            b.append_option(ctx.map(|x| i64::from(x.ns[i])));
        }
    }

    /// An event was added: encode the batch when it is full, write the row group when it is.
    fn added(&mut self) -> io::Result<()> {
        self.rows += 1;
        self.oldest.get_or_insert_with(Instant::now);
        if self.rows >= BATCH_ROWS || self.bytes >= BATCH_BYTES {
            self.encode()?;
        }
        Ok(())
    }

    /// The builders' rows to the writer; a row group, with its footer, when it is full.
    fn encode(&mut self) -> io::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let batch = RecordBatch::try_new(self.schema.clone(), self.cols.finish())
            .map_err(io::Error::other)?;
        self.rows = 0;
        self.bytes = 0;
        let w = self.writer.as_mut().expect("writer open");
        let before = w.flushed_row_groups().len();
        w.write(&batch).map_err(err)?;
        self.written += batch.num_rows() as u64;
        if w.flushed_row_groups().len() > before {
            self.footer()?;
            self.oldest = (self
                .writer
                .as_ref()
                .is_some_and(|w| w.in_progress_rows() > 0))
            .then(Instant::now);
        }
        Ok(())
    }

    /// Live, now and then: the rows that have waited `max_age` go to a row group.
    pub fn tick(&mut self) -> io::Result<()> {
        if let (Some(age), Some(t)) = (self.max_age, self.oldest) {
            if t.elapsed() >= age {
                self.row_group()?;
            }
        }
        Ok(())
    }

    /// Write what is buffered as a row group, and the footer after it.
    fn row_group(&mut self) -> io::Result<()> {
        self.encode()?;
        let w = self.writer.as_mut().expect("writer open");
        if w.in_progress_rows() > 0 {
            w.flush().map_err(err)?;
            self.footer()?;
        }
        self.oldest = None;
        Ok(())
    }

    /// Write the rest and the final footer (with the page indexes); the events written.
    pub fn finish(&mut self) -> io::Result<u64> {
        if self.writer.is_none() {
            return Ok(self.written);
        }
        self.encode()?;
        let mut w = self.writer.take().expect("writer open");
        w.finish().map_err(err)?;
        // an earlier footer may have reached further
        w.inner().0.set_len(w.bytes_written() as u64)?;
        Ok(self.written)
    }
}

/// A JSON column's value: the bytes serde_json wrote are UTF-8.
fn append_json(b: &mut StringBuilder, json: &[u8]) {
    b.append_value(std::str::from_utf8(json).unwrap_or("null"));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/analysis.md's table of the columns is this list (`ETRACE_WRITE_DOCS=1` rewrites it).
    #[test]
    fn the_docs_list_every_column() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/analysis.md");
        let doc = std::fs::read_to_string(path).unwrap();
        let mut table = String::from("\n| column | type | holds |\n|---|---|---|\n");
        for (name, ty, holds) in columns() {
            table.push_str(&format!("| `{name}` | {ty} | {holds} |\n"));
        }
        let start = doc.find("<!-- columns:").unwrap();
        let start = start + doc[start..].find("-->").unwrap() + 3;
        let end = doc.find("<!-- /columns -->").unwrap();
        if std::env::var_os("ETRACE_WRITE_DOCS").is_some() {
            let new = format!("{}{table}{}", &doc[..start], &doc[end..]);
            std::fs::write(path, new).unwrap();
            return;
        }
        assert_eq!(
            doc[start..end],
            table,
            "run ETRACE_WRITE_DOCS=1 cargo test parquet"
        );
    }

    #[test]
    fn namespace_columns_follow_ns_names() {
        let names: Vec<_> = columns()
            .into_iter()
            .filter_map(|(n, ..)| n.strip_prefix("ns_"))
            .collect();
        assert_eq!(names, crate::model::context::NS_NAMES);
    }
}
