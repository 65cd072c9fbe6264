/*
 * log.h -- one line per event on stderr: "ts level event key=value ...".
 *
 * The macros test the level before evaluating their arguments, so a debug
 * line costs nothing when debug logging is off.
 */
#ifndef RELIEF_LOG_H
#define RELIEF_LOG_H

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

extern int log_level; /* set once at start-up, read-only afterwards */

void log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int log_level_parse(const char *s); /* "error".."debug"; -1 if unknown */

#define LOG_AT(lvl, ...)                                                                           \
    do {                                                                                           \
        if ((lvl) <= log_level)                                                                    \
            log_write((lvl), __VA_ARGS__);                                                         \
    } while (0)
#define LOG_ERROR(...) LOG_AT(LOG_LVL_ERROR, __VA_ARGS__)
#define LOG_WARN(...) LOG_AT(LOG_LVL_WARN, __VA_ARGS__)
#define LOG_INFO(...) LOG_AT(LOG_LVL_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) LOG_AT(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
