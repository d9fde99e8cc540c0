/* testdir.h -- a scratch folder for one test program: made under
 * $TEST_TMP (or /tmp) in the group setup, removed with everything in it
 * in the group teardown. Header-only, for tests/unit/ alone. */
#ifndef TESTDIR_H
#define TESTDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Makes "$TEST_TMP/NAME.XXXXXX" into dir (size bytes). Returns 0 or -1. */
static inline int testdir_make(char *dir, size_t size, const char *name)
{
	const char *base = getenv("TEST_TMP");
	snprintf(dir, size, "%s/%s.XXXXXX", base ? base : "/tmp", name);
	return mkdtemp(dir) ? 0 : -1;
}

/* Removes dir and everything below it. Returns 0 or -1. */
static inline int testdir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[1024];

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= (int)sizeof p)
				continue;
			if (unlink(p) < 0)
				testdir_remove(p);
		}
	closedir(d);
	return rmdir(dir);
}

#endif /* TESTDIR_H */
