/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * etrace.h - the one definition of everything the kernel side and user space share:
 * the record written to the ring buffer, the per-syscall capture plan, the counters.
 * Rust sees these through the libbpf-cargo skeleton (`etrace_skel::types`); never copy
 * them by hand. Constants are enums, not #defines, so that they reach BTF and so the
 * skeleton too.
 */
#ifndef ETRACE_H
#define ETRACE_H

enum etrace_limits {
	ETRACE_MAX_ARGS = 6,
	ETRACE_COMM_LEN = 16,
	ETRACE_MAX_SYSCALLS = 1024, /* syscall numbers index the plan and counter arrays */
	ETRACE_DATA_MAX = 16384,    /* payload budget of one event; a power of two */
	ETRACE_ARG_MAX = 8192,      /* hard cap of one argument chunk; a power of two */
	ETRACE_STRARRAY_MAX = 128,  /* most elements read from argv/envp-style arrays */
	ETRACE_IOV_MAX = 64,        /* most iovecs whose buffers are read */
	ETRACE_SOCKADDR_MAX = 128,  /* a sockaddr_storage */
	ETRACE_CMSG_MAX = 1024,     /* most control-message bytes read from a msghdr */
	ETRACE_HIST_BUCKETS = 40,   /* log2 latency buckets of the summary (up to 2^40 ns) */
	ETRACE_UIOVEC_SIZE = 16,    /* a user struct iovec as the records carry it (LP64) */
	ETRACE_MAX_ERRNO = 4095,    /* a return value in [-MAX_ERRNO, 0) is an error */
	ETRACE_SIGINFO_SIZE = 48,   /* the kernel's struct kernel_siginfo (LP64) */
	ETRACE_MAX_SIGNAL = 64,     /* signals are 1..64 */
	ETRACE_PATH_MAX = 4096,     /* most bytes of an fd's path (-y); a power of two */
	ETRACE_PATH_DEPTH = 32,     /* most components of an fd's path */
	ETRACE_STACK_ARG = 15,      /* the chunk `arg` of a user stack (-k): u64 addresses */
	ETRACE_SOCK_ARG = 14,       /* the chunk `arg` of a struct etrace_sockinfo */
	ETRACE_STACK_MAX = 32,      /* most frames of a user stack */
};

/* what to read behind an argument: enum etrace_kind */
enum etrace_kind {
	ETRACE_K_NONE = 0, /* the register value is all there is */
	ETRACE_K_STR = 1, /* NUL-terminated string */
	ETRACE_K_BUF = 2, /* bytes: fixed size, or sized by an argument / the return value */
	ETRACE_K_STRARRAY = 3, /* NULL-terminated array of string pointers */
	/*
	 * iovec array (count from the size fields): a chunk with the array, then one
	 * ETRACE_C_ELEM chunk per buffer; the buffers share max_len bytes, and at exit hold at
	 * most ret bytes in all
	 */
	ETRACE_K_IOVEC = 4,
	/*
	 * struct user_msghdr: chunks of the struct, the name, the iovec array, then the buffers
	 * (ETRACE_C_ELEM) as for ETRACE_K_IOVEC, then the control data (ETRACE_C_END)
	 */
	ETRACE_K_MSGHDR = 5,
};

/* when to read it: bitmask */
enum etrace_when {
	ETRACE_W_ENTRY = 1,
	ETRACE_W_EXIT = 2, /* only when the syscall returned >= 0 */
	ETRACE_W_ERROR = 4, /* at exit, only when the syscall returned < 0 */
};

/* where a ETRACE_K_BUF size comes from */
enum etrace_size_src {
	ETRACE_S_FIXED = 0, /* elem_size bytes */
	ETRACE_S_ARG = 1, /* args[size_arg] * elem_size bytes */
	ETRACE_S_RET = 2, /* ret * elem_size bytes */
	ETRACE_S_ARGPTR = 3, /* (the u32 args[size_arg] points to) * elem_size bytes */
	/*
	 * _IOC_SIZE(args[size_arg]) bytes, read at entry when _IOC_DIR has _IOC_WRITE and at
	 * exit when it has _IOC_READ (ioctl requests that encode their argument's size)
	 */
	ETRACE_S_IOC = 4,
};

struct etrace_arg_plan {
	__u8 kind;
	__u8 when;
	__u8 size_src;
	__u8 size_arg;
	__u32 elem_size;
	__u32 max_len; /* capture cap in bytes (per element for strarray) */
};

/* etrace_plan.flags */
enum etrace_plan_flags {
	ETRACE_P_ENABLED = 1, /* trace this syscall */
	ETRACE_P_NORETURN = 2, /* emit at entry: exit, exit_group never return */
	ETRACE_P_EXEC = 4, /* execve / execveat: arms a launched command */
	ETRACE_P_CTX = 8, /* can change the caller's context: compare it again at exit */
	/*
	 * what is read depends on the values of arguments sel[0] and sel[1]: the `variants` map,
	 * keyed by struct etrace_variant_key, may hold another plan for them (fcntl by cmd, ioctl
	 * by request, getsockopt by level and optname)
	 */
	ETRACE_P_VARIANTS = 16,
	/*
	 * args[0] is a socket whose data is read by its family (a netlink socket's messages): an
	 * ETRACE_SOCK_ARG chunk says which, at entry
	 */
	ETRACE_P_SOCK = 32,
};

/* what an ETRACE_SOCK_ARG chunk holds: the socket's family and protocol */
struct etrace_sockinfo {
	__u16 family;
	__u16 protocol;
};

enum etrace_sel {
	ETRACE_SEL_NONE = 0xff, /* etrace_plan.sel: no argument */
	ETRACE_MAX_VARIANTS = 512, /* entries of the variants map */
};

struct etrace_plan {
	struct etrace_arg_plan args[ETRACE_MAX_ARGS];
	__u32 flags;
	__u8 entry_args; /* bit i: args[i] is read at entry */
	__u8 exit_args; /* bit i: args[i] is read at exit */
	__u8 fd_args; /* bit i: args[i] is a file descriptor (-y) */
	__u8 fd_ret; /* 1: the return value is a file descriptor (-y) */
	__u8 sel[2]; /* ETRACE_P_VARIANTS: the selecting arguments, or ETRACE_SEL_NONE */
	__u8 err_args; /* bit i: args[i] is read at exit when the call failed */
	__u8 pad;
	__u32 sel_mask[2]; /* the bits of each selecting argument that choose (futex's op & 127) */
};

/* The key of a plan variant: the syscall and its selecting arguments, masked (sel_mask). */
struct etrace_variant_key {
	__u32 nr;
	__u32 v[2]; /* 0 for ETRACE_SEL_NONE */
};

/*
 * The first field of every ring-buffer record says which struct it is. A thread's process
 * context is sent as its own record when it changes (and before the thread's first event),
 * so that the per-syscall record stays small: user space keeps the latest one per thread.
 */
enum etrace_rec_type {
	ETRACE_T_SYSCALL = 1, /* struct etrace_record */
	ETRACE_T_CTX = 2, /* struct etrace_ctx */
	ETRACE_T_FORK = 3, /* struct etrace_fork */
	ETRACE_T_EXEC = 4, /* struct etrace_exec, then the filename */
	ETRACE_T_EXIT = 5, /* struct etrace_exit */
	ETRACE_T_SIGNAL = 6, /* struct etrace_signal */
	ETRACE_T_FD = 7, /* struct etrace_fd, then the name */
};

/* etrace_record.flags */
enum etrace_record_flags {
	ETRACE_R_EXITED = 1, /* ret and ts_exit are valid */
	ETRACE_R_DATA_TRUNC = 2, /* the event's payload budget ran out */
	/*
	 * the thread's context changed while the call ran (setuid, unshare, setns, execve): the
	 * context record sent just before this one holds the context at exit, the one before it
	 * the context at entry
	 */
	ETRACE_R_CTX_CHANGED = 4,
	ETRACE_R_CTX_LOST = 8, /* a context record of this call could not be sent */
	/*
	 * not the call's event but a copy of it while it is still in flight, sent by a scan of the
	 * in-flight state (the iter/task programs): with ETRACE_R_PENDING it has run longer than
	 * the pending threshold (or began before tracing); with ETRACE_R_UNFINISHED tracing stopped
	 * before it returned. Its event, if it returns while traced, comes later as usual.
	 */
	ETRACE_R_PENDING = 16,
	ETRACE_R_UNFINISHED = 32,
	/*
	 * the call began before tracing did (the attach scan found the thread inside it):
	 * ts_enter is when it was found, the arguments are the registers then, and input
	 * arguments are read at exit (ETRACE_C_REREAD chunks)
	 */
	ETRACE_R_BEFORE = 64,
};

/*
 * One syscall. Followed by data_len bytes of chunks: each a struct etrace_chunk and
 * chunk.len bytes of data (no padding).
 */
struct etrace_record {
	__u16 type; /* ETRACE_T_SYSCALL */
	__u16 flags;
	__u16 nchunks;
	__u16 data_len;
	__u32 pid; /* thread-group id */
	__u32 tid;
	__u64 ts_enter; /* CLOCK_BOOTTIME, ns */
	__u64 ts_exit;
	__u64 args[ETRACE_MAX_ARGS];
	__s64 ret;
	__u32 nr;
	char comm[ETRACE_COMM_LEN];
	__u32 pad;
};

/* the namespaces of a context, in this order */
enum etrace_ns {
	ETRACE_NS_PID = 0,
	ETRACE_NS_MNT = 1,
	ETRACE_NS_NET = 2,
	ETRACE_NS_UTS = 3,
	ETRACE_NS_IPC = 4,
	ETRACE_NS_USER = 5,
	ETRACE_NS_CGROUP = 6,
	ETRACE_NS_TIME = 7,
	ETRACE_NS_COUNT = 8,
};

/* etrace_ctx.flags */
enum etrace_ctx_flags {
	ETRACE_X_AT_EXIT = 1, /* read at a syscall's exit (else at entry) */
};

/*
 * A thread's process context: credentials (kernel-global ids), effective capabilities,
 * namespace inode numbers (0: the kernel lacks that namespace), the cgroup v2 id (the
 * cgroup directory's inode number) and the parent process.
 */
struct etrace_ctx {
	__u16 type; /* ETRACE_T_CTX */
	__u16 flags;
	__u32 tid;
	__u64 ts;
	__u32 pid;
	__u32 ppid;
	__u32 uid, gid, euid, egid, suid, sgid, fsuid, fsgid;
	__u64 cap_effective;
	__u64 cgroup_id;
	__u32 ns[ETRACE_NS_COUNT];
};

/* A task created by a traced one (sched_process_fork), sent by the parent. */
struct etrace_fork {
	__u16 type; /* ETRACE_T_FORK */
	__u16 pad;
	__u32 tid; /* the parent thread */
	__u64 ts;
	__u32 pid;
	__u32 child_pid;
	__u32 child_tid;
	__s32 nr; /* the syscall the parent was in (clone, clone3, fork, vfork), or -1 */
	__u64 clone_flags; /* that call's flags when it has them (clone, clone3) */
	char comm[ETRACE_COMM_LEN];
};

/* A successful exec (sched_process_exec). Followed by filename_len bytes of filename. */
struct etrace_exec {
	__u16 type; /* ETRACE_T_EXEC */
	__u16 filename_len;
	__u32 tid; /* after the exec: the thread-group id */
	__u64 ts;
	__u32 pid;
	__u32 old_tid; /* the thread that called exec (differs when it was not the leader) */
	char old_comm[ETRACE_COMM_LEN]; /* empty when unknown */
	char comm[ETRACE_COMM_LEN];
};

/* etrace_exit.flags */
enum etrace_exit_flags {
	ETRACE_E_GROUP_DEAD = 1, /* the last thread of its process */
};

/* A traced thread's end (sched_process_exit). */
struct etrace_exit {
	__u16 type; /* ETRACE_T_EXIT */
	__u16 flags;
	__u32 tid;
	__u64 ts;
	__u32 pid;
	__s32 code; /* wait status: exit code << 8, or the signal number (| 0x80: core dumped) */
	char comm[ETRACE_COMM_LEN];
};

/*
 * A signal delivered to a traced thread (signal_deliver: the thread is about to run its
 * handler, or the default action). info is the kernel's siginfo as delivered (zeros when it had
 * none, as for a group exit's SIGKILL).
 */
/* etrace_signal.flags */
enum etrace_signal_flags {
	ETRACE_SIG_NOINFO = 1, /* delivered without a siginfo (a group exit's SIGKILL) */
};

struct etrace_signal {
	__u16 type; /* ETRACE_T_SIGNAL */
	__u16 flags;
	__u32 tid;
	__u64 ts;
	__u32 pid;
	__s32 sig;
	__u8 info[ETRACE_SIGINFO_SIZE];
	char comm[ETRACE_COMM_LEN];
};

/*
 * A thread user space found inside a syscall when tracing started (/proc/PID/task/TID/syscall):
 * the value of the attach_tids map, keyed by tid.
 */
struct etrace_attach_call {
	__s64 nr;
	__u64 args[ETRACE_MAX_ARGS];
};

/* what a file descriptor refers to: etrace_fd.kind */
enum etrace_fd_kind {
	ETRACE_FD_CLOSED = 0, /* no open file at that number */
	ETRACE_FD_PATH = 1, /* a file: the name is its path from its mount namespace's root */
	ETRACE_FD_PIPE = 2, /* pipe:[ino] */
	ETRACE_FD_SOCKET = 3, /* socket:[ino]; with -yy, its family, type and endpoints */
	ETRACE_FD_ANON = 4, /* anon_inode:NAME (eventfd, epoll, timerfd, ...) */
};

/* etrace_fd.flags */
enum etrace_fd_flags {
	ETRACE_FDF_TRUNC = 1, /* the path was too deep or too long: its start is left out */
	ETRACE_FDF_CWD = 2, /* fd is AT_FDCWD: the name is the working directory */
};

/*
 * What a process's file descriptor refers to (-y), sent before the first event that names
 * that fd and again whenever it refers to something else (a cache in the kernel compares the
 * file's dentry and mount, the process's start time, and with -yy a socket's endpoints).
 * User space keeps the latest per (pid, fd). Followed by name_len bytes of name.
 */
struct etrace_fd {
	__u16 type; /* ETRACE_T_FD */
	__u8 kind;
	__u8 flags;
	__u32 pid;
	__s32 fd;
	__u16 name_len;
	__u16 family; /* sockets (-yy): AF_* */
	__u64 ino; /* pipes, sockets, anon inodes: the inode number */
	__u16 sock_type; /* SOCK_STREAM, SOCK_DGRAM, ... */
	__u16 protocol; /* IPPROTO_TCP, IPPROTO_UDP, a NETLINK_* protocol ... */
	__u16 lport; /* AF_INET/AF_INET6: local and remote ports, host order */
	__u16 rport;
	__u8 laddr[16]; /* local and remote addresses: 4 bytes (AF_INET) or 16 (AF_INET6) */
	__u8 raddr[16];
};

/* etrace_chunk.flags */
enum etrace_chunk_flags {
	ETRACE_C_EXIT = 1, /* read at exit (else at entry) */
	ETRACE_C_TRUNC = 2, /* more data than was captured */
	ETRACE_C_FAULT = 4, /* the user-memory read failed */
	ETRACE_C_REREAD = 8, /* entry read faulted; this is the re-read at exit or exec */
	ETRACE_C_ELEM = 16, /* one element of a string array */
	ETRACE_C_END = 32, /* end of a string array (its NULL terminator was read) */
	ETRACE_C_BLOB = 64, /* a whole string array as NUL-separated strings */
};

struct etrace_chunk {
	__u8 arg;
	__u8 flags;
	__u16 len;
};

struct etrace_counts {
	__u64 sent;
	__u64 lost;
};

/* indices of the per-CPU stats array */
enum etrace_stat {
	ETRACE_ST_ENTRY_FAULT = 0, /* an input read faulted at entry */
	ETRACE_ST_REREAD_OK = 1, /* ... and the re-read at exit got it */
	ETRACE_ST_REREAD_FAIL = 2, /* ... and the re-read at exit failed too */
	ETRACE_ST_EXEC_REREAD = 3, /* ... and sched_process_exec supplied it */
	ETRACE_ST_NO_STORAGE = 4, /* no per-thread in-flight state could be allocated */
	ETRACE_ST_CTX_SENT = 5, /* context records sent */
	ETRACE_ST_CTX_LOST = 6, /* context records the ring buffer had no room for */
	ETRACE_ST_LIFE_SENT = 7, /* fork / exec / exit records sent */
	ETRACE_ST_LIFE_LOST = 8, /* fork / exec / exit records the ring buffer had no room for */
	ETRACE_ST_SCAN_SENT = 9, /* in-flight copies sent by a scan (pending, at attach, at stop) */
	ETRACE_ST_SCAN_LOST = 10, /* ... that the ring buffer had no room for */
	ETRACE_ST_SIGNAL_SENT = 11, /* signal records sent */
	ETRACE_ST_SIGNAL_LOST = 12, /* signal records the ring buffer had no room for */
	ETRACE_ST_FD_SENT = 13, /* fd records sent (-y) */
	ETRACE_ST_FD_LOST = 14, /* fd records the ring buffer had no room for */
	ETRACE_ST_WAITED = 15, /* syscall records after which the thread waited for the consumer */
	ETRACE_ST_MAX = 16,
};

/*
 * --summary: per syscall, counted in the kernel for every call the filters keep, whether its
 * event reaches the ring buffer or not. hist[i] counts durations in [2^i, 2^(i+1)) ns.
 */
struct etrace_summary {
	__u64 calls;
	__u64 errors;
	__u64 total_ns;
	__u64 max_ns;
	__u64 hist[ETRACE_HIST_BUCKETS];
};

/* values of the traced-process map */
enum etrace_pid_state {
	ETRACE_PID_PENDING_EXEC = 1, /* launched by etrace; traced from its execve on */
	ETRACE_PID_TRACED = 2,
};

#endif /* ETRACE_H */
