/*
 * signals.c: signals whose siginfo is known. It sends itself SIGUSR1 (SI_USER, si_pid its own
 * pid), then forks a child that exits with 3 after 400 ms while the parent is blocked in read
 * on an empty pipe. SIGCHLD's handler is installed without SA_RESTART, so the read is
 * interrupted: ERESTARTSYS in the kernel, the signal, then rt_sigreturn returning EINTR.
 * Prints "child <pid> read <n>" on stdout.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void handler(int sig)
{
	(void)sig;
}

int main(void)
{
	struct sigaction sa;
	int p[2];
	char b;
	ssize_t n;
	pid_t child;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	kill(getpid(), SIGUSR1);
	if (pipe(p))
		return 1;
	child = fork();
	if (child == 0) {
		usleep(400000);
		_exit(3);
	}
	n = read(p[0], &b, 1);
	waitpid(child, NULL, 0);
	printf("child %d read %zd\n", (int)child, n);
	return 0;
}
