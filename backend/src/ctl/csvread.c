#include "csvread.h"

#include "../core/util.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parser state shared with libcsv's callbacks. */
struct load {
    struct csvr_table *t;
    int cur_line;  /* line being fed to the parser */
    int in_record; /* a record has started and not yet ended */
    int rec_line;  /* line where the current record started */
    char **fields; /* fields of the current record */
    int nf, capf;
    int failed; /* 1 after an error (message already written) */
    int nomem;
    char *msg;
    size_t msglen;
};

static void fail(struct load *L, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct load *L, int line, const char *fmt, ...)
{
    char reason[256];
    va_list ap;

    if (L->failed)
        return;
    L->failed = 1;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    snprintf(L->msg, L->msglen, "%s:%d: %s", L->t->path, line, reason);
}

static void free_fields(char **f, int n)
{
    if (!f)
        return;
    for (int i = 0; i < n; i++)
        free(f[i]);
    free(f);
}

static void on_field(void *s, size_t len, void *data)
{
    struct load *L = data;
    char *copy;

    if (L->failed)
        return;
    if (L->nf == L->capf) {
        int ncap = L->capf ? L->capf * 2 : 16;
        char **nf = realloc(L->fields, (size_t)ncap * sizeof(*nf));
        if (!nf) {
            L->nomem = 1;
            fail(L, L->rec_line, "out of memory");
            return;
        }
        L->fields = nf;
        L->capf = ncap;
    }
    copy = malloc(len + 1);
    if (!copy) {
        L->nomem = 1;
        fail(L, L->rec_line, "out of memory");
        return;
    }
    if (len)
        memcpy(copy, s, len);
    copy[len] = '\0';
    if (memchr(copy, '\0', len)) {
        free(copy);
        fail(L, L->rec_line, "NUL byte in a field");
        return;
    }
    L->fields[L->nf++] = copy;
}

static void on_record(int c, void *data)
{
    struct load *L = data;
    struct csvr_table *t = L->t;

    (void)c;
    L->in_record = 0;
    if (L->failed) {
        free_fields(L->fields, L->nf);
        L->fields = NULL;
        L->nf = L->capf = 0;
        return;
    }
    if (!t->header) {
        t->header = L->fields;
        t->ncols = L->nf;
        for (int i = 0; i < t->ncols; i++) {
            if (!t->header[i][0])
                fail(L, L->rec_line, "empty column name in the header (column %d)", i + 1);
            for (int j = 0; j < i; j++)
                if (strcmp(t->header[i], t->header[j]) == 0)
                    fail(L, L->rec_line, "column '%s' appears twice in the header", t->header[i]);
        }
    } else if (L->nf != t->ncols) {
        fail(L, L->rec_line, "expected %d fields (as in the header), found %d", t->ncols, L->nf);
        free_fields(L->fields, L->nf);
    } else {
        if (t->nrows % 64 == 0) {
            struct csvr_row *nr = realloc(t->rows, (size_t)(t->nrows + 64) * sizeof(*nr));
            if (!nr) {
                L->nomem = 1;
                fail(L, L->rec_line, "out of memory");
                free_fields(L->fields, L->nf);
                goto reset;
            }
            t->rows = nr;
        }
        t->rows[t->nrows].line = L->rec_line;
        t->rows[t->nrows].f = L->fields;
        t->nrows++;
    }
reset:
    L->fields = NULL;
    L->nf = L->capf = 0;
}

/* Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        int len;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + (size_t)len > n)
            return 0;
        for (int k = 1; k < len; k++) {
            if ((s[i + (size_t)k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + (size_t)k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += (size_t)len;
    }
    return 1;
}

static int only_eol(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

int csvr_load(const char *path, struct csvr_table *t, char *msg, size_t msglen)
{
    struct csv_parser p;
    struct load L;
    FILE *fp;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    memset(t, 0, sizeof(*t));
    memset(&L, 0, sizeof(L));
    L.t = t;
    L.msg = msg;
    L.msglen = msglen;
    if (str_copy(t->path, sizeof(t->path), path) != 0) {
        snprintf(msg, msglen, "%s: path too long", path);
        return -1;
    }
    fp = fopen(path, "rb");
    if (!fp) {
        snprintf(msg, msglen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        fclose(fp);
        snprintf(msg, msglen, "%s: out of memory", path);
        return -1;
    }
    while (!L.failed && (n = getline(&line, &cap, fp)) != -1) {
        const char *s = line;
        size_t len = (size_t)n;
        L.cur_line++;
        if (L.cur_line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3;
            len -= 3;
        }
        if (memchr(s, '\0', len)) {
            fail(&L, L.cur_line, "NUL byte in the file");
            break;
        }
        if (!utf8_valid((const unsigned char *)s, len)) {
            fail(&L, L.cur_line, "not valid UTF-8 text");
            break;
        }
        if (!L.in_record && !only_eol(s, len)) {
            L.in_record = 1;
            L.rec_line = L.cur_line;
        }
        if (csv_parse(&p, s, len, on_field, on_record, &L) != len && !L.failed)
            fail(&L, L.in_record ? L.rec_line : L.cur_line, "%s",
                 csv_error(&p) == CSV_EPARSE ? "malformed quoting" : csv_strerror(csv_error(&p)));
    }
    if (!L.failed && ferror(fp))
        fail(&L, L.cur_line, "read error: %s", strerror(errno));
    if (!L.failed && csv_fini(&p, on_field, on_record, &L) != 0)
        fail(&L, L.rec_line ? L.rec_line : L.cur_line,
             "malformed quoting (an unterminated quoted field?)");
    csv_free(&p);
    free(line);
    fclose(fp);
    free_fields(L.fields, L.nf);
    if (!L.failed && !t->header)
        fail(&L, 1, "the file is empty (no header line)");
    if (L.failed) {
        csvr_free(t);
        return -1;
    }
    return 0;
}

void csvr_free(struct csvr_table *t)
{
    for (int r = 0; r < t->nrows; r++)
        free_fields(t->rows[r].f, t->ncols);
    free(t->rows);
    free_fields(t->header, t->ncols);
    t->rows = NULL;
    t->header = NULL;
    t->nrows = t->ncols = 0;
}

int csvr_col(const struct csvr_table *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->header[i], name) == 0)
            return i;
    return -1;
}

int csvr_require(const struct csvr_table *t, const char *const *names, char *msg, size_t msglen)
{
    for (int i = 0; names[i]; i++)
        if (csvr_col(t, names[i]) < 0) {
            snprintf(msg, msglen, "%s:1: missing column '%s'", t->path, names[i]);
            return -1;
        }
    return 0;
}

const char *csvr_get(const struct csvr_table *t, int row, int col)
{
    if (row < 0 || row >= t->nrows || col < 0 || col >= t->ncols)
        return "";
    return t->rows[row].f[col];
}
