/*
 * peakrss.c -- run a command and write its peak resident set (its own and
 * that of the children it waited for, in KiB) to a file.
 *
 * usage: peakrss OUTFILE COMMAND [ARG...]
 *
 * Why not wait4() from the benchmark's Python: a process started by a
 * large one inherits, across exec, the peak of the image it was forked
 * from, so the figure would be the Python interpreter's as much as the
 * command's.  This program is small, and it forks a fresh child for the
 * command, whose peak therefore starts at this program's size.  Exits with
 * the command's status (128 + signal number if a signal ended it).
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct rusage ru;
	FILE *out;
	pid_t pid;
	int st;

	if (argc < 3) {
		fprintf(stderr, "usage: peakrss OUTFILE COMMAND [ARG...]\n");
		return 64;
	}
	if ((pid = fork()) == -1) {
		fprintf(stderr, "peakrss: fork: %s\n", strerror(errno));
		return 71;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "peakrss: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &st, 0, &ru) == -1)
		if (errno != EINTR) {
			fprintf(stderr, "peakrss: wait4: %s\n", strerror(errno));
			return 71;
		}
	if ((out = fopen(argv[1], "w")) == NULL ||
	    fprintf(out, "%ld\n", ru.ru_maxrss) < 0 || fclose(out) == EOF) {
		fprintf(stderr, "peakrss: %s: %s\n", argv[1], strerror(errno));
		return 73;
	}
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}
