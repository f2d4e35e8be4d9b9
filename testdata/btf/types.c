/* Types for etrace's BTF unit tests: compile to BTF with `make testdata-btf`. Layouts follow
 * the x86_64 kernel's, so that the tests can check offsets against known values. */
typedef unsigned short umode_t;
typedef long long __kernel_loff_t;
typedef __kernel_loff_t loff_t;
typedef unsigned long size_t;

struct stat {
	unsigned long st_dev;
	unsigned long st_ino;
	unsigned long st_nlink;
	unsigned int st_mode;
	unsigned int st_uid;
	unsigned int st_gid;
	unsigned int __pad0;
	unsigned long st_rdev;
	long st_size;
	long st_blksize;
	long st_blocks;
	unsigned long st_atime;
	unsigned long st_atime_nsec;
	unsigned long st_mtime;
	unsigned long st_mtime_nsec;
	unsigned long st_ctime;
	unsigned long st_ctime_nsec;
	long __unused[3];
};

struct iovec {
	void *iov_base;
	size_t iov_len;
};

struct pollfd {
	int fd;
	short events;
	short revents;
};

enum etrace_test_kind { ETK_A, ETK_B = 7 };

struct etrace_test_bits {
	unsigned int lo : 3;
	unsigned int hi : 5;
	union {
		int as_int;
		unsigned char as_bytes[4];
	};
	char tag[4];
	enum etrace_test_kind kind;
};

struct __user_cap_header_struct {
	unsigned int version;
	int pid;
};
typedef struct __user_cap_header_struct *cap_user_header_t;

/* keep every type in the object's BTF */
struct stat *t1;
struct iovec *t2;
struct pollfd *t10;
struct etrace_test_bits *t3;
cap_user_header_t t4;
umode_t t5;
loff_t t6;
int t7;
unsigned long t8;
char t9;
