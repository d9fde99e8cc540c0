/* kyb_file.h -- reads a whole data file into memory, for the KYB loaders
 * (kyb_tiers_load(), kyb_mcc_load()). Private to kyb/. */
#ifndef KYB_FILE_H
#define KYB_FILE_H

#include <stddef.h>

/* Reads the file at path, at most max bytes. Returns 0 and sets *buf
 * (owned, free() it; not NUL-terminated) and *len; or -errno of open() or
 * read() (-ENOENT, -EACCES, -EISDIR, ...), -EFBIG if the file is longer
 * than max, -ENOMEM; *buf is NULL then. */
int kyb_file_read(const char *path, size_t max, char **buf, size_t *len);

#endif
