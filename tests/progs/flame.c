/*
 * flame.c: two call paths known in advance, for --flamegraph and --folded. Built with
 * -fno-omit-frame-pointer: main -> path_a -> leaf makes 30 getppid calls and sleeps 60 ms in
 * nanosleep; main -> path_b -> leaf makes 10 getppid calls and sleeps 20 ms. By count, path_a
 * has 3/4 of the getppid calls; by time, about 3/4 of the time in nanosleep. leaf makes each
 * syscall with the syscall instruction itself (a libc wrapper keeps no frame pointer).
 */
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) long leaf(long nr, long a0, long a1)
{
	long ret = nr;

#if defined(__x86_64__)
	register long r_a1 __asm__("rsi") = a1;
	__asm__ volatile("syscall" : "+a"(ret) : "D"(a0), "r"(r_a1) : "rcx", "r11", "memory");
#else
	ret = syscall(nr, a0, a1);
#endif
	return ret;
}

__attribute__((noinline)) void path_a(void)
{
	struct timespec ts = { 0, 60000000 };

	for (int i = 0; i < 30; i++)
		leaf(SYS_getppid, 0, 0);
	leaf(SYS_nanosleep, (long)&ts, 0);
}

__attribute__((noinline)) void path_b(void)
{
	struct timespec ts = { 0, 20000000 };

	for (int i = 0; i < 10; i++)
		leaf(SYS_getppid, 0, 0);
	leaf(SYS_nanosleep, (long)&ts, 0);
}

int main(void)
{
	path_a();
	path_b();
	usleep(300000); /* alive a moment, so that its mappings can be read */
	return 0;
}
