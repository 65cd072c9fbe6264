/*
 * fuzz_csv.c -- CSV imports (backend/src/ctl/csvread.c: the reader under
 * `reliefctl seed` and the purchasing imports): arbitrary bytes as a file,
 * loaded with csvr_load, then the column lookups the importers make.  The
 * file is an in-memory one (memfd) opened by its /proc/self/fd path, so the
 * reader runs unchanged, with its own fopen.
 */
#include "ctl/csvread.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const cols[] = {"code", "name_zh", "qty", NULL};
    struct csvr_table t;
    char path[64], msg[600];
    int fd = memfd_create("fuzz_csv", MFD_CLOEXEC);

    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    memset(&t, 0, sizeof(t));
    if (csvr_load(path, &t, msg, sizeof(msg)) == 0) {
        csvr_require(&t, cols, msg, sizeof(msg));
        for (int r = 0; r < t.nrows; r++)
            for (int c = -1; c <= t.ncols; c++)
                (void)strlen(csvr_get(&t, r, c < t.ncols ? c : -1));
        for (int c = 0; c < t.ncols; c++)
            if (csvr_col(&t, t.header[c]) < 0)
                __builtin_trap(); /* every header name finds a column */
    }
    csvr_free(&t);
    close(fd);
    return 0;
}
