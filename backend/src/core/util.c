#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

int qty_from_double(double v, int integral, int64_t *out)
{
    double scaled, r;

    if (!isfinite(v))
        return -1;
    scaled = v * QTY_SCALE;
    if (fabs(scaled) > (double)QTY_MAX)
        return -1;
    r = nearbyint(scaled);
    /* JSON 0.1 arrives as 0.1000000000000000055..., so allow float noise
     * but nothing a person would call a different number. */
    if (fabs(scaled - r) > fmax(fabs(scaled) * 1e-12, 1e-9))
        return -1;
    if (integral && ((int64_t)r) % QTY_SCALE != 0)
        return -1;
    *out = (int64_t)r;
    return 0;
}

int qty_parse(const char *s, int64_t *out)
{
    int64_t whole = 0, frac = 0;
    int neg = 0, ndig = 0, nfrac = 0;

    if (*s == '-') {
        neg = 1;
        s++;
    }
    for (; *s >= '0' && *s <= '9'; s++, ndig++) {
        if (whole > QTY_MAX / QTY_SCALE / 10)
            return -1;
        whole = whole * 10 + (*s - '0');
    }
    if (ndig == 0)
        return -1;
    if (*s == '.') {
        s++;
        for (; *s >= '0' && *s <= '9'; s++) {
            if (nfrac == 3) {
                if (*s != '0') /* DECIMAL(15,3) never has more; refuse rather than round */
                    return -1;
                continue;
            }
            frac = frac * 10 + (*s - '0');
            nfrac++;
        }
        if (nfrac == 0)
            return -1;
    }
    if (*s != '\0')
        return -1;
    while (nfrac < 3) {
        frac *= 10;
        nfrac++;
    }
    *out = (whole * QTY_SCALE + frac) * (neg ? -1 : 1);
    return 0;
}

void qty_format(int64_t milli, char *out, size_t n)
{
    int64_t a = milli < 0 ? -milli : milli;
    int64_t whole = a / QTY_SCALE, frac = a % QTY_SCALE;

    if (frac == 0) {
        snprintf(out, n, "%s%lld", milli < 0 ? "-" : "", (long long)whole);
        return;
    }
    char f[4];
    snprintf(f, sizeof(f), "%03lld", (long long)frac);
    for (int i = 2; i > 0 && f[i] == '0'; i--)
        f[i] = '\0';
    snprintf(out, n, "%s%lld.%s", milli < 0 ? "-" : "", (long long)whole, f);
}

double qty_to_double(int64_t milli)
{
    return (double)milli / QTY_SCALE;
}

int64_t days_from_civil(int y, int m, int d)
{
    /* Howard Hinnant's algorithm: exact for every Gregorian date. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static int date_prefix(const char *s, int *y, int *m, int *d)
{
    if (strnlen(s, 10) < 10 || s[4] != '-' || s[7] != '-')
        return -1;
    if (digits(s, 4, y) || digits(s + 5, 2, m) || digits(s + 8, 2, d))
        return -1;
    if (*y < 1900 || *y > 2999 || *m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
        return -1;
    return 0;
}

int date_parse(const char *s, int *y, int *m, int *d)
{
    if (date_prefix(s, y, m, d) != 0 || s[10] != '\0')
        return -1;
    return 0;
}

int datetime_parse(const char *s, time_t *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
    const char *p;

    if (date_prefix(s, &y, &mo, &d) != 0)
        return -1;
    p = s + 10;
    if (*p == '\0')
        goto done;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return -1;
    p++;
    if (strnlen(p, 8) < 8 || p[2] != ':' || p[5] != ':')
        return -1;
    if (digits(p, 2, &h) || digits(p + 3, 2, &mi) || digits(p + 6, 2, &sec))
        return -1;
    if (h > 23 || mi > 59 || sec > 60)
        return -1;
    p += 8;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om, sign = *p == '-' ? -1 : 1;
        if (strnlen(p, 6) < 6 || p[3] != ':' || digits(p + 1, 2, &oh) || digits(p + 4, 2, &om) ||
            oh > 23 || om > 59)
            return -1;
        off = sign * (oh * 3600 + om * 60);
        p += 6;
    } else {
        return -1; /* a time without a zone is ambiguous: refuse it */
    }
    if (*p != '\0')
        return -1;
done:
    *out = (time_t)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off);
    return 0;
}

void datetime_sql(time_t t, char out[20])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

int parse_int64(const char *s, int64_t *out)
{
    char *end;
    long long v;

    if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9')))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int str_copy(char *dst, size_t n, const char *src)
{
    size_t len = strlen(src);
    if (n == 0)
        return -1;
    if (len >= n) {
        memcpy(dst, src, n - 1);
        dst[n - 1] = '\0';
        return -1;
    }
    memcpy(dst, src, len + 1);
    return 0;
}

int random_bytes(void *p, size_t n)
{
    unsigned char *c = p;
    while (n > 0) {
        ssize_t r = getrandom(c, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

void hex_encode(const unsigned char *p, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = '\0';
}

void sha256_hex(const void *data, size_t n, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(data, n, md, &len, EVP_sha256(), NULL);
    hex_encode(md, 32, out);
}
