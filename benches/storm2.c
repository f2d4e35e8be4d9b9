/* storm2: the two-thread syscall storm of the benchmark. Two threads each read /dev/zero one
 * byte at a time N times (default 150000), so both cores make syscalls as fast as they can.
 * usage: storm2 [N] */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static long n = 150000;

static void *storm(void *arg)
{
	char c;
	int fd = open("/dev/zero", O_RDONLY);

	(void)arg;
	if (fd < 0)
		exit(1);
	for (long i = 0; i < n; i++)
		if (read(fd, &c, 1) != 1)
			exit(1);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t a, b;

	if (argc > 1)
		n = atol(argv[1]);
	if (pthread_create(&a, NULL, storm, NULL) || pthread_create(&b, NULL, storm, NULL))
		return 1;
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return 0;
}
