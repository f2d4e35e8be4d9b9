/*
 * known.c - a program whose syscalls etrace's live tests know in advance.
 * usage: known DIR   (DIR: an empty scratch directory)
 * It writes DIR/known.txt, reads it back, stats it, fails an open, blocks reading a pipe that a
 * child process writes 200 ms later, lets a second thread fail an open, then execs /bin/true.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[1024];

static void *thread_main(void *arg)
{
	char path[1200];

	(void)arg;
	snprintf(path, sizeof(path), "%s/from-thread", dir);
	openat(AT_FDCWD, path, O_RDONLY); /* ENOENT */
	return NULL;
}

int main(int argc, char **argv)
{
	static const char content[] = "etrace-known-content\n";
	char path[1200], missing[1200], buf[128];
	struct stat st;
	int fd, pfd[2];
	pthread_t th;
	pid_t child;

	if (argc != 2)
		return 2;
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	snprintf(path, sizeof(path), "%s/known.txt", dir);
	snprintf(missing, sizeof(missing), "%s/does-not-exist", dir);

	fd = openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, content, sizeof(content) - 1) != sizeof(content) - 1)
		return 3;
	close(fd);

	fd = openat(AT_FDCWD, path, O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf)) != sizeof(content) - 1)
		return 4;
	close(fd);
	if (fstatat(AT_FDCWD, path, &st, 0) != 0)
		return 5;

	openat(AT_FDCWD, missing, O_RDONLY); /* ENOENT */

	if (pipe(pfd) != 0)
		return 6;
	child = fork();
	if (child == 0) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		if (write(pfd[1], "late", 4) != 4)
			_exit(1);
		_exit(0);
	}
	if (read(pfd[0], buf, sizeof(buf)) != 4) /* blocks until the child writes */
		return 7;
	waitpid(child, NULL, 0);

	if (pthread_create(&th, NULL, thread_main, NULL) != 0)
		return 8;
	pthread_join(th, NULL);

	char *const args[] = { "true", "etrace-argv-marker", NULL };
	execv("/bin/true", args);
	return 9;
}
