//! Arguments whose meaning depends on another argument (issue 22), traced from
//! tests/progs/argdep.c and compared with strace's own forms, which `--style strace` writes:
//! fcntl locks, terminal ioctls, socket options, timeouts with the time left, utimensat's two
//! times, and a sleep's time left when a signal interrupts it.

use super::*;

/// The `--style strace` text of tests/progs/NAME.c run with ARGS, its syscalls filtered to
/// SYSCALLS, and (with `raw`) its dump recorded there too.
fn strace_style(name: &str, syscalls: &str, args: &[&str], raw: Option<&Path>) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let prog = compile_prog(tmp.path(), name);
    let text = tmp.path().join("out.txt");
    let mut all = vec![
        "--style",
        "strace",
        "-s",
        syscalls,
        "-o",
        text.to_str().unwrap(),
    ];
    if let Some(r) = raw {
        all.extend(["--also-raw", r.to_str().unwrap()]);
    }
    all.extend(["--", prog.to_str().unwrap()]);
    all.extend(args);
    let o = run(&all);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read_to_string(&text).unwrap()
}

/// Lines without their thread id.
fn untagged(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            l.split_once(' ')
                .map_or(l, |(_, r)| r)
                .trim_start()
                .to_string()
        })
        .collect()
}

/// argdep's lines in `--style strace` (thread ids cut off) and its JSON events.
fn trace_argdep() -> (Vec<String>, Vec<Value>) {
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("s");
    std::fs::create_dir(&scratch).unwrap();
    let raw = tmp.path().join("out.raw");
    let text = strace_style(
        "argdep",
        "fcntl,ioctl,setsockopt,getsockopt,pselect6,select,utimensat,clock_nanosleep",
        &[scratch.to_str().unwrap()],
        Some(&raw),
    );
    // the same capture decoded offline: the variants travel in the dump
    let json = tmp.path().join("out.json");
    let o = run(&[
        "--input",
        raw.to_str().unwrap(),
        "--json",
        "-o",
        json.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (untagged(&text), json_all(&json))
}

/// The line that starts with `start`, with its result column squeezed to one space.
fn line<'a>(lines: &'a [String], start: &str) -> String {
    let l: &'a String = lines
        .iter()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line starting `{start}` in {lines:#?}"));
    let (call, ret) = l
        .rsplit_once(") ")
        .map_or((l.as_str(), ""), |(c, r)| (c, r));
    format!("{call}) {}", ret.trim_start())
}

#[test]
fn arguments_decode_by_the_value_of_another_as_strace_shows_them() {
    require_root();
    let (lines, evs) = trace_argdep();
    for want in [
        // fcntl: struct flock by command (l_pid only where the kernel fills it)
        "fcntl(3, F_SETLK, {l_type=F_WRLCK, l_whence=SEEK_SET, l_start=0, l_len=10}) = 0",
        "fcntl(3, F_GETLK, {l_type=F_UNLCK, l_whence=SEEK_SET, l_start=0, l_len=10, l_pid=0}) = 0",
        "fcntl(3, F_OFD_SETLKW, {l_type=F_UNLCK, l_whence=SEEK_CUR, l_start=4, l_len=0}) = 0",
        "fcntl(6, F_SETFL, O_RDWR|O_NONBLOCK) = 0",
        // terminal ioctls on a pty: termios (key members without -v), winsize, ints
        "ioctl(4, TIOCGPTN, [0]) = 0",
        "ioctl(5, TCGETS, {c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, \
         c_cflag=B38400|CS8|CREAD, c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE, \
         ...}) = 0",
        "ioctl(5, TCSETSW, {c_iflag=ICRNL|IXON, ",
        "ioctl(5, TIOCSWINSZ, {ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}) = 0",
        "ioctl(5, TIOCGWINSZ, {ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}) = 0",
        "ioctl(4, FIONREAD, [0]) = 0",
        "ioctl(5, FIONBIO, [1]) = 0",
        // a request no table names: its _IOC fields
        "ioctl(5, _IOC(_IOC_READ, 0x55, 0x1, 0x8), 0x",
        // socket options by level and name; a refused connection's reason
        "setsockopt(6, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0",
        "setsockopt(6, SOL_TCP, TCP_NODELAY, [1], 4) = 0",
        "setsockopt(6, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=5}, 8) = 0",
        "getsockopt(6, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0",
        // the timeout asked for, and what was left
        "pselect6(0, NULL, NULL, NULL, {tv_sec=0, tv_nsec=20000000}, {p=NULL, size=8}) = 0 (Timeout)",
        "pselect6(8, [7], NULL, NULL, {tv_sec=5, tv_nsec=0}, NULL) = 1 (in [7], left {tv_sec=4, tv_nsec=",
        "utimensat(AT_FDCWD, \"",
        // the sleep's time left: written (and shown) only because a signal interrupted it
        "clock_nanosleep(CLOCK_MONOTONIC, 0, {tv_sec=5, tv_nsec=0}, {tv_sec=4, tv_nsec=",
    ] {
        let (start, _) = want.split_once('(').unwrap();
        let found = lines
            .iter()
            .filter(|l| l.starts_with(&format!("{start}(")))
            .map(|l| line(&lines, l))
            .any(|l| l.starts_with(want));
        assert!(found, "no line `{want}...` in {lines:#?}");
    }
    let utime = line(&lines, "utimensat(");
    assert!(
        utime.ends_with("[{tv_sec=1, tv_nsec=0}, {tv_sec=2, tv_nsec=0}], 0) = 0"),
        "{utime}"
    );
    let sleep = line(&lines, "clock_nanosleep(");
    assert!(
        sleep.ends_with("= ? ERESTART_RESTARTBLOCK (Interrupted by signal)"),
        "{sleep}"
    );

    // JSON, from the dump: numbers in args, names beside them, what was written back in `after`
    let get = |name: &str, pick: &dyn Fn(&Value) -> bool| -> Value {
        evs.iter()
            .find(|e| e["syscall"] == name && pick(e))
            .unwrap_or_else(|| panic!("no {name} event"))
            .clone()
    };
    let so = get("getsockopt", &|_| true);
    assert_eq!(so["args"]["optval"], 111, "ECONNREFUSED");
    assert_eq!(so["sym"]["optval"], "ECONNREFUSED");
    assert_eq!(so["sym"]["optname"], "SO_ERROR");
    let lk = get("fcntl", &|e| e["sym"]["cmd"] == "F_SETLK");
    assert_eq!(lk["args"]["arg"]["l_type"], 1);
    assert_eq!(lk["sym"]["arg"]["l_type"], "F_WRLCK");
    assert_eq!(lk["args"]["arg"]["l_len"], 10);
    let sel = get("pselect6", &|e| e["args"]["n"] != 0);
    assert_eq!(sel["args"]["tsp"]["tv_sec"], 5, "the timeout asked for");
    assert_eq!(sel["after"]["tsp"]["tv_sec"], 4, "the time left");
    assert_eq!(sel["sym"]["inp"], "[7]");
    assert_eq!(sel["after_sym"]["inp"], "[7]");
    let ws = get("ioctl", &|e| e["sym"]["cmd"] == "TIOCGWINSZ");
    assert_eq!(
        (&ws["args"]["arg"]["ws_row"], &ws["args"]["arg"]["ws_col"]),
        (&Value::from(24), &Value::from(80))
    );
}

#[test]
fn netlink_messages_decode_with_their_headers_as_strace_shows_them() {
    require_root();
    let text = strace_style("netlink", "sendto,recvmsg", &[], None);
    let pid = text.split_whitespace().next().unwrap().to_string();
    for want in [
        // the request, its fixed header (padding left out) and flags by message type
        "sendto(3, [{nlmsg_len=32, nlmsg_type=RTM_GETLINK, nlmsg_flags=NLM_F_REQUEST, \
         nlmsg_seq=1, nlmsg_pid=0}, {ifi_family=AF_UNSPEC, ifi_type=ARPHRD_NETROM, \
         ifi_index=2147483647, ifi_flags=0, ifi_change=0}], 32, 0,"
            .to_string(),
        // the error, with the request it answers
        format!(
            "msg_iov=[{{iov_base=[{{nlmsg_len=52, nlmsg_type=NLMSG_ERROR, nlmsg_flags=0, \
             nlmsg_seq=1, nlmsg_pid={pid}}}, {{error=-ENODEV, msg=[{{nlmsg_len=32, \
             nlmsg_type=RTM_GETLINK, nlmsg_flags=NLM_F_REQUEST, nlmsg_seq=1, nlmsg_pid=0}}, \
             {{ifi_family=AF_UNSPEC, ifi_type=ARPHRD_NETROM, ifi_index=2147483647, ifi_flags=0, \
             ifi_change=0}}]}}], iov_len=32768}}]"
        ),
        "nlmsg_type=RTM_GETADDR, nlmsg_flags=NLM_F_REQUEST|NLM_F_DUMP, nlmsg_seq=2".to_string(),
        // the dump: lo's address, its attributes by type, then the end of the dump
        "nlmsg_type=RTM_NEWADDR, nlmsg_flags=NLM_F_MULTI, nlmsg_seq=2".to_string(),
        "{ifa_family=AF_INET, ifa_prefixlen=8, ifa_flags=IFA_F_PERMANENT, \
         ifa_scope=RT_SCOPE_HOST, ifa_index=1}, [[{nla_len=8, nla_type=IFA_ADDRESS}, \
         \"\\177\\0\\0\\1\"]"
            .to_string(),
        "[{nla_len=7, nla_type=IFA_LABEL}, \"lo\\0\"]".to_string(),
        format!(
            "iov_base=[{{nlmsg_len=20, nlmsg_type=NLMSG_DONE, nlmsg_flags=NLM_F_MULTI, \
             nlmsg_seq=2, nlmsg_pid={pid}}}, 0]"
        ),
    ] {
        assert!(text.contains(&want), "no `{want}` in {text}");
    }
}

#[test]
fn futex_prctl_affinity_and_socket_protocols_show_what_each_command_uses() {
    require_root();
    let text = strace_style(
        "procctl",
        "futex,prctl,sched_setaffinity,sched_getaffinity,socket,fadvise64,sigaltstack,\
         sched_setattr,rt_sigtimedwait,waitid",
        &[],
        None,
    );
    let lines = untagged(&text);
    for want in [
        // futex: the arguments each command uses
        "FUTEX_WAKE_PRIVATE, 1) = 0",
        "FUTEX_WAIT_PRIVATE, 0, {tv_sec=0, tv_nsec=1000000}) = -1 EAGAIN",
        "FUTEX_WAIT_PRIVATE, 1, {tv_sec=0, tv_nsec=1000000}) = -1 ETIMEDOUT",
        "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=1000000}, \
         FUTEX_BITSET_MATCH_ANY) = -1 EAGAIN",
        "FUTEX_WAKE_OP_PRIVATE, 1, 1, 0x",
        ", FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1) = 0",
        "FUTEX_CMP_REQUEUE_PRIVATE, 1, 2, 0x",
        // prctl: arg2 by option, the unused ones left out
        "prctl(PR_SET_NAME, \"procctl-x\") = 0",
        "prctl(PR_GET_NAME, \"procctl-x\") = 0",
        "prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN) = 1",
        "prctl(PR_GET_DUMPABLE) = 1",
        "prctl(PR_SET_PDEATHSIG, SIGTERM) = 0",
        "prctl(PR_GET_PDEATHSIG, [SIGTERM]) = 0",
        "prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) = 0",
        // CPU masks as lists
        "sched_setaffinity(0, 128, [0]) = 0",
        "sched_getaffinity(0, 128, [0]) = ",
        // a socket's protocol by its family
        "socket(AF_UNIX, SOCK_STREAM, 0) = 3",
        "socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 3",
        "socket(AF_INET6, SOCK_DGRAM, IPPROTO_IP) = 3",
        "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3",
        "POSIX_FADV_SEQUENTIAL) = 0",
        // a signal stack, a scheduling attribute, a siginfo_t filled by the call
        "sigaltstack({ss_sp=0x",
        ", ss_flags=0, ss_size=16384}, NULL) = 0",
        "sched_setattr(0, {size=56, sched_policy=SCHED_OTHER, sched_flags=0, sched_nice=0,",
        "rt_sigtimedwait([USR1], {si_signo=SIGUSR1, si_code=SI_USER, si_pid=",
        "{tv_sec=0, tv_nsec=1000000}, 8) = 10",
        "waitid(P_PID, ",
        "{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=",
        ", si_uid=0, si_status=3, si_utime=0, si_stime=0}, WEXITED, NULL) = 0",
    ] {
        // the result column squeezed to one space
        let found = lines.iter().any(|l| {
            let squeezed = match l.rsplit_once(") ") {
                Some((c, r)) => format!("{c}) {}", r.trim_start()),
                None => l.clone(),
            };
            squeezed.contains(want)
        });
        assert!(found, "no `{want}` in {text}");
    }
}
