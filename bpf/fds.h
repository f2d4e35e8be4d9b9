/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fds.h - what a file descriptor refers to (-y, -yy): a path walked up the dentry and mount
 * trees, a pipe, a socket and its endpoints, an anon inode. Sent as an fd record when the
 * kernel's cache says the description changed; user space keeps the latest per (pid, fd).
 * Part of the one compilation unit of etrace.bpf.c, which includes it.
 */
#ifndef ETRACE_FDS_H
#define ETRACE_FDS_H

#define PIPEFS_MAGIC 0x50495045
#define SOCKFS_MAGIC 0x534F434B
#define ANON_INODE_FS_MAGIC 0x09041934
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16
#define AT_FDCWD -100
#define NAME_MASK (ETRACE_PATH_MAX - 1)
/* keeps the compiler from dropping a mask it can prove redundant (the verifier cannot) */
#define opaque(v) asm volatile("" : "+r"(v))

/* The mount a vfsmount is embedded in. */
static __always_inline struct mount *real_mount(struct vfsmount *m)
{
	return (struct mount *)((void *)m - bpf_core_field_offset(struct mount, mnt));
}

/* The walk up a path, one dentry per step: its state, plain numbers for the verifier. */
struct path_walk {
	__u64 dentry;
	__u64 vmnt;
	__u64 mnt;
	__u32 n; /* components found */
	__u32 trunc;
};

/* One step up: a component of the path, or a mount crossed. Returns 1 when done. */
static long path_step(__u32 i, void *data)
{
	struct path_walk *w = data;
	struct dentry *d = (struct dentry *)w->dentry;
	struct vfsmount *vm = (struct vfsmount *)w->vmnt;
	struct mount *m = (struct mount *)w->mnt;
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	struct fd_scratch *s;
	__u32 zero = 0, n = w->n;

	if (d == BPF_CORE_READ(vm, mnt_root) || d == parent) {
		/* the root of a mount: go on from where it is mounted */
		struct mount *up = BPF_CORE_READ(m, mnt_parent);

		if (!up || up == m)
			return 1;
		w->dentry = (__u64)BPF_CORE_READ(m, mnt_mountpoint);
		w->mnt = (__u64)up;
		w->vmnt = (__u64)up + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	if (n >= ETRACE_PATH_DEPTH) {
		w->trunc = 1;
		return 1;
	}
	s = bpf_map_lookup_elem(&fd_scratch, &zero);
	if (!s)
		return 1;
	w->n = n + 1;
	/* n < ETRACE_PATH_DEPTH, a power of two: the mask is for older verifiers (6.1) */
	opaque(n);
	n &= ETRACE_PATH_DEPTH - 1;
	s->parts[n] = BPF_CORE_READ(d, d_name.name);
	s->lens[n] = BPF_CORE_READ(d, d_name.len);
	w->dentry = (__u64)parent;
	return 0;
}

/* Without bpf_loop: the step as a global function, which the verifier checks once. */
__noinline int path_step_global(__u32 i, struct path_walk *w)
{
	if (!w)
		return 1;
	return path_step(i, w);
}

/*
 * The path of (vmnt, dentry) into s->name, from its mount namespace's root, as d_path
 * writes it (without " (deleted)"). Returns its length, below ETRACE_PATH_MAX.
 */
static __noinline __u32 fd_path(struct fd_scratch *s, struct vfsmount *vmnt,
				struct dentry *dentry)
{
	struct path_walk w = {
		.dentry = (__u64)dentry,
		.vmnt = (__u64)vmnt,
		.mnt = (__u64)real_mount(vmnt),
	};
	__u32 n, pos = 0;

	if (!s)
		return 0;
	/* mount crossings take steps too */
	if (have_bpf_loop) {
		bpf_loop(ETRACE_PATH_DEPTH + 16, path_step, &w, 0);
	} else {
		for (__u32 i = 0; i < ETRACE_PATH_DEPTH + 16; i++)
			if (path_step_global(i, &w))
				break;
	}
	if (w.trunc)
		s->rec.flags |= ETRACE_FDF_TRUNC;
	n = w.n;
	if (n == 0) {
		s->name[0] = '/';
		return 1;
	}
	for (__u32 j = 0; j < ETRACE_PATH_DEPTH; j++) {
		__u32 i, len;

		if (j >= n)
			break;
		i = n - 1 - j;
		if (i >= ETRACE_PATH_DEPTH)
			break;
		opaque(i);
		i &= ETRACE_PATH_DEPTH - 1;
		len = s->lens[i] & 255; /* NAME_MAX; a mask, not a branch: no state to explore */
		if (pos + 1 + len >= ETRACE_PATH_MAX) {
			s->rec.flags |= ETRACE_FDF_TRUNC;
			break;
		}
		opaque(pos);
		s->name[pos & NAME_MASK] = '/';
		pos++;
		opaque(pos);
		opaque(len);
		bpf_probe_read_kernel(&s->name[pos & NAME_MASK], len & 255, s->parts[i]);
		pos += len;
	}
	return pos;
}

/* The file fd (not negative) names in task's fd table; NULL when none. */
static __always_inline struct file *fd_file(struct task_struct *task, __s32 fd)
{
	struct fdtable *fdt = task->files->fdt;
	struct file **fds = fdt->fd;
	struct file *file = NULL;

	if ((__u32)fd < fdt->max_fds)
		bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

/*
 * -yy: a socket's family, type, protocol and endpoints (AF_INET, AF_INET6: addresses and
 * ports; AF_UNIX: the bound path in the name, the peer's inode number in raddr); their digest.
 */
static __always_inline __u64 fd_socket(struct fd_scratch *s, struct file *file)
{
	struct socket *sock = BPF_CORE_READ(file, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	__u64 digest;

	s->rec.sock_type = BPF_CORE_READ(sock, type);
	s->rec.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	s->rec.protocol = BPF_CORE_READ(sk, sk_protocol);
	s->rec.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	s->rec.rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (s->rec.family == AF_UNIX) {
		struct unix_sock *u = (struct unix_sock *)sk;
		struct unix_address *a = BPF_CORE_READ(u, addr);
		struct sock *peer = BPF_CORE_READ(u, peer);
		__u64 ino = 0;
		int len;

		if (peer)
			ino = BPF_CORE_READ(peer, sk_socket, file, f_path.dentry, d_inode, i_ino);
		__builtin_memcpy(s->rec.raddr, &ino, 8);
		len = a ? BPF_CORE_READ(a, len) - 2 : 0; /* less sun_family */
		if (len > 0) {
			opaque(len);
			len &= 127;
			bpf_probe_read_kernel(s->name, len, &a->name[0].sun_path);
			s->rec.name_len = len;
		}
		return ((ino << 1) ^ (__u64)a) | 1;
	}
	if (s->rec.family == AF_INET) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		__builtin_memcpy(s->rec.laddr, &l, 4);
		__builtin_memcpy(s->rec.raddr, &r, 4);
	} else if (s->rec.family == AF_INET6) {
		BPF_CORE_READ_INTO(&s->rec.laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&s->rec.raddr, sk, __sk_common.skc_v6_daddr);
	}
	digest = ((__u64)s->rec.lport << 48) ^ ((__u64)s->rec.rport << 32);
	for (int i = 0; i < 16; i += 8)
		digest ^= *(__u64 *)&s->rec.laddr[i] * 31 ^ *(__u64 *)&s->rec.raddr[i] * 17;
	return digest | 1;
}

/*
 * Send what fd (of the calling process, tgid; fl is the calling thread's in-flight state)
 * refers to, unless it was sent and has not changed: the thread's memo answers for the fds its
 * calls keep naming, the process-wide cache for the rest. AT_FDCWD is the working directory;
 * other negative numbers are no fd. A global function: the verifier checks it once, not at each
 * of its callers.
 */
__noinline int fd_send(struct inflight *fl, __u32 tgid, __s32 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fd_key key = {.pid = tgid, .fd = fd};
	struct fd_seen seen = {}, *old;
	struct fd_scratch *s;
	struct file *file = NULL;
	struct path path = {};
	struct dentry *dentry;
	__u32 zero = 0, len = 0, slot = fd & 3;
	unsigned long magic;
	__u64 sock = 0;

	if (!fl || (fd < 0 && fd != AT_FDCWD))
		return 0;
	if (fd == AT_FDCWD) {
		struct fs_struct *fs = task->fs;

		bpf_core_read(&path, sizeof(path), &fs->pwd);
	} else {
		file = fd_file(task, fd);
		if (file)
			bpf_core_read(&path, sizeof(path), &file->f_path);
	}
	dentry = path.dentry;
	s = bpf_map_lookup_elem(&fd_scratch, &zero);
	if (!s)
		return 0;
	magic = dentry && show_fds >= 2 ? BPF_CORE_READ(dentry, d_sb, s_magic) : 0;
	if (magic == SOCKFS_MAGIC) {
		/* -yy: a socket's endpoints change without its file changing */
		__builtin_memset(&s->rec, 0, sizeof(s->rec));
		sock = fd_socket(s, file);
	}
	if (fl->fd_memo[slot].fd_plus1 == fd + 1 && fl->fd_memo[slot].file == (__u64)file &&
	    fl->fd_memo[slot].dentry == (__u64)dentry && fl->fd_memo[slot].sock == sock)
		return 0;
	if (dentry && show_fds < 2)
		magic = BPF_CORE_READ(dentry, d_sb, s_magic);
	seen.dentry = (__u64)dentry;
	seen.mnt = (__u64)path.mnt;
	seen.start_time = BPF_CORE_READ(task, group_leader, start_time);
	seen.sock = sock;
	old = bpf_map_lookup_elem(&fd_cache, &key);
	if (!old || old->dentry != seen.dentry || old->mnt != seen.mnt ||
	    old->start_time != seen.start_time || old->sock != seen.sock) {
		if (!sock)
			__builtin_memset(&s->rec, 0, sizeof(s->rec));
		s->rec.type = ETRACE_T_FD;
		s->rec.pid = tgid;
		s->rec.fd = fd;
		s->rec.flags |= fd == AT_FDCWD ? ETRACE_FDF_CWD : 0;
		s->rec.kind = dentry ? ETRACE_FD_PATH : ETRACE_FD_CLOSED;
		if (dentry)
			s->rec.ino = BPF_CORE_READ(dentry, d_inode, i_ino);
		if (magic == SOCKFS_MAGIC) {
			s->rec.kind = ETRACE_FD_SOCKET;
			len = s->rec.name_len; /* -yy: a unix socket's path */
		} else if (magic == PIPEFS_MAGIC) {
			s->rec.kind = ETRACE_FD_PIPE;
		} else if (magic == ANON_INODE_FS_MAGIC) {
			/* its name is the dentry's: [eventfd], [eventpoll], [timerfd] ... */
			s->rec.kind = ETRACE_FD_ANON;
			len = BPF_CORE_READ(dentry, d_name.len) & 255;
			bpf_probe_read_kernel(s->name, len, BPF_CORE_READ(dentry, d_name.name));
		} else if (dentry) {
			len = fd_path(s, path.mnt, dentry);
		}
		/* fd_path keeps a path below ETRACE_PATH_MAX bytes: the mask changes nothing but
		 * tells the verifier so */
		opaque(len);
		len &= NAME_MASK;
		s->rec.name_len = len;
		if (bpf_ringbuf_output(&events, s, sizeof(s->rec) + len, rb_flags())) {
			stat_inc(ETRACE_ST_FD_LOST);
			return 0; /* not remembered: the next event tries again */
		}
		stat_inc(ETRACE_ST_FD_SENT);
		bpf_map_update_elem(&fd_cache, &key, &seen, BPF_ANY);
	}
	fl->fd_memo[slot].fd_plus1 = fd + 1;
	fl->fd_memo[slot].file = (__u64)file;
	fl->fd_memo[slot].dentry = (__u64)dentry;
	fl->fd_memo[slot].sock = sock;
	return 0;
}

/*
 * ETRACE_P_SOCK: the family and protocol of the socket fd names, as an ETRACE_SOCK_ARG chunk
 * (none when fd is no socket). A global function, checked once.
 */
__noinline int sock_info(struct inflight *fl, __s32 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct etrace_sockinfo info = {};
	struct etrace_chunk *c;
	struct file *file;
	struct socket *sock;
	struct sock *sk;
	__u32 room = 0;

	if (!fl || fd < 0)
		return 0;
	file = fd_file(task, fd);
	if (!file || BPF_CORE_READ(file, f_path.dentry, d_sb, s_magic) != SOCKFS_MAGIC)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	info.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	info.protocol = BPF_CORE_READ(sk, sk_protocol);
	fl->netlink = info.family == AF_NETLINK;
	c = chunk_start(fl, &room);
	if (!c || room < sizeof(info))
		return 0;
	__builtin_memcpy((void *)(c + 1), &info, sizeof(info));
	chunk_finish(fl, c, ETRACE_SOCK_ARG, 0, sizeof(info));
	return 0;
}

#endif /* ETRACE_FDS_H */
