/*
 * export.h -- a table as a file: CSV or XLSX from a JSON array of objects
 * (the rows an API answer already holds), and the PDF readiness reports.
 *
 * Columns are the keys of the first row whose values are scalars (nested
 * objects and arrays are left out); numbers stay numbers in XLSX, the header
 * row is bold.  XLSX goes through libxlsxwriter, which writes to a file: a
 * private temporary file in /tmp, read back and unlinked.
 */
#ifndef RELIEF_EXPORT_H
#define RELIEF_EXPORT_H

#include <jansson.h>
#include <stddef.h>

#include "http.h"

/* Answer 200 with `rows` as CSV / XLSX (attachment `filename`).  rows is
 * borrowed.  -1 with 500 on failure. */
int resp_csv_json(struct resp *rs, json_t *rows, const char *filename, struct app_err *err);
int resp_xlsx_json(struct resp *rs, json_t *rows, const char *sheet, const char *filename,
                   struct app_err *err);

/*
 * PDF readiness reports (report_pdf.c), A4 portrait, Chinese text through
 * pango.  town: a town readiness answer (GET /readiness/towns/{code});
 * check: NULL, or the check's signature block ({status, signed_by_name,
 * signed_at, reviewed_by_name, reviewed_at, review_comment}); draft: print
 * a "draft" mark.  city: the city answer (GET /readiness/city).  *out is
 * malloc'd (free it).  -1 with 500 on failure.
 */
int report_pdf_town(json_t *town, json_t *check, int draft, char **out, size_t *len,
                    struct app_err *err);
int report_pdf_city(json_t *city, char **out, size_t *len, struct app_err *err);
/* Answer 200 with a PDF body (takes pdf). */
void resp_pdf(struct resp *rs, char *pdf, size_t len, const char *filename);

#endif
