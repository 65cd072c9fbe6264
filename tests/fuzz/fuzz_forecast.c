/*
 * fuzz_forecast.c -- the forecast CSV (`reliefctl forecast`,
 * backend/src/ctl/forecast_cli.c): the whole command on an arbitrary input
 * file, from the reader (libcsv, header, periods, duplicate rows) through the
 * forecasting methods to the output file (/dev/null).  The first byte picks
 * the method, the horizon and --backtest; the rest is the file (an in-memory
 * memfd opened by its /proc/self/fd path).  The command needs no database;
 * its messages go to stderr (run with -close_fd_mask=3).
 */
#include "ctl/ctl.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"auto",    "naive", "ma",  "ses",
                                          "croston", "sba",   "tsb", "auto"};
    char path[64], horizon[8];
    int fd;

    if (size < 1)
        return 0;
    fd = memfd_create("fuzz_forecast", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (size > 1 && write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) {
        close(fd);
        return 0;
    }
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    snprintf(horizon, sizeof(horizon), "%d", 1 + (data[0] >> 4) * 3);
    char *argv[] = {"forecast",   "--input",   path,
                    "--output",   "/dev/null", "--horizon",
                    horizon,      "--method",  (char *)methods[data[0] & 7],
                    "--backtest", NULL};
    int argc = (data[0] & 8) ? 10 : 9;
    ctl_forecast(NULL, argc, argv);
    close(fd);
    return 0;
}
