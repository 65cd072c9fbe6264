/*
 * fuzz_label.c -- label codes as people scan or type them
 * (label_code_parse in labels/src/code.c, used by label_find for GET
 * /labels/{code}, the scan page and /l/{code}): arbitrary text must either
 * be refused or give a canonical code whose UUID turns back into the very
 * same code (so a typo can never resolve to another label).  The QR text of
 * an accepted code is built too.
 */
#include "labels/code.h"
#include "labels/labels.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char code[LABEL_CODE_LEN + 1], again[LABEL_CODE_LEN + 1], uuid[37], code2[LABEL_CODE_LEN + 1];
    char *text = malloc(size + 1);

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (label_code_parse(text, code, uuid) == 0) {
        if (label_code_from_uuid(uuid, again) != 0 || strcmp(code, again) != 0)
            __builtin_trap(); /* an accepted code must round-trip through its UUID */
        /* the canonical form parses to itself */
        if (label_code_parse(code, code2, NULL) != 0 || strcmp(code, code2) != 0)
            __builtin_trap();
        char *qr = labels_qr_text("https://depot.example", code);
        free(qr);
    }
    free(text);
    return 0;
}
