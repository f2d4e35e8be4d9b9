/*
 * stack.c: a call stack known in advance, for -k. Built with -fno-omit-frame-pointer, so that
 * the kernel can walk it: main -> outer_frame -> inner_frame, which makes getppid with the
 * syscall instruction itself (a libc wrapper keeps no frame pointer, and the caller's frame
 * would be skipped). Then it stays alive a moment, so that its mappings can be read.
 */
#include <unistd.h>
#include <sys/syscall.h>

__attribute__((noinline)) long inner_frame(void)
{
	long ret = SYS_getppid;

#if defined(__x86_64__)
	__asm__ volatile("syscall" : "+a"(ret) : : "rcx", "r11", "memory");
#else
	ret = syscall(SYS_getppid);
#endif
	return ret;
}

__attribute__((noinline)) long outer_frame(void)
{
	return inner_frame() + 1;
}

int main(void)
{
	long r = outer_frame();

	usleep(300000);
	return r > 0 ? 0 : 1;
}
