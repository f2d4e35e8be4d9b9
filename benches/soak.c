/* soak: a paced two-thread syscall storm for the soak test (benches/soak.sh). Two threads each
 * read /dev/zero one byte at a time, BATCH reads then a 10 ms sleep, until killed: about
 * 2 * BATCH * 100 syscalls a second. usage: soak [BATCH] (default 25) */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long batch = 25;

static void *storm(void *arg)
{
	char c;
	int fd = open("/dev/zero", O_RDONLY);
	struct timespec pause = {0, 10 * 1000 * 1000};

	(void)arg;
	if (fd < 0)
		exit(1);
	for (;;) {
		for (long i = 0; i < batch; i++)
			if (read(fd, &c, 1) != 1)
				exit(1);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t a, b;

	if (argc > 1)
		batch = atol(argv[1]);
	if (pthread_create(&a, NULL, storm, NULL) || pthread_create(&b, NULL, storm, NULL))
		return 1;
	pthread_join(a, NULL);
	return 0;
}
