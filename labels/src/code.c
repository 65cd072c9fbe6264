#include "labels/code.h"

#include <string.h>
#include <uuid/uuid.h>

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static int symbol_value(char c)
{
    if (c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
    if (c == 'O')
        return 0;
    if (c == 'I' || c == 'L')
        return 1;
    const char *p = strchr(alphabet, c);
    return (p && c) ? (int)(p - alphabet) : -1;
}

/* Luhn mod N over base-32 digits: doubles every second digit from the right. */
static int luhn32(const int *v, int n)
{
    int sum = 0, factor = 2;
    for (int i = n - 1; i >= 0; i--) {
        int add = factor * v[i];
        factor = factor == 2 ? 1 : 2;
        sum += add / 32 + add % 32;
    }
    return (32 - sum % 32) % 32;
}

static void encode(const unsigned char u[16], char out[LABEL_CODE_LEN + 1])
{
    int v[26];
    /* 128 bits as 26 five-bit groups, most significant first (the first group has 3 bits). */
    for (int i = 25, bit = 0; i >= 0; i--, bit += 5) {
        int val = 0;
        for (int b = 0; b < 5; b++) {
            int pos = bit + b; /* bit position from the least significant end */
            if (pos < 128 && (u[15 - pos / 8] >> (pos % 8)) & 1)
                val |= 1 << b;
        }
        v[i] = val;
    }
    for (int i = 0; i < 26; i++)
        out[i] = alphabet[v[i]];
    out[26] = alphabet[luhn32(v, 26)];
    out[27] = '\0';
}

void label_code_new(char out[LABEL_CODE_LEN + 1])
{
    uuid_t u;
    uuid_generate_random(u);
    encode(u, out);
}

int label_code_from_uuid(const char *uuid_text, char out[LABEL_CODE_LEN + 1])
{
    uuid_t u;
    if (strlen(uuid_text) != 36 || uuid_parse(uuid_text, u) != 0)
        return -1;
    encode(u, out);
    return 0;
}

int label_code_parse(const char *in, char out[LABEL_CODE_LEN + 1], char *uuid_out)
{
    int v[LABEL_CODE_LEN], n = 0;
    unsigned char u[16];

    for (const char *p = in; *p; p++) {
        if (*p == '-' || *p == ' ')
            continue;
        int s = symbol_value(*p);
        if (s < 0 || n == LABEL_CODE_LEN)
            return -1;
        v[n++] = s;
    }
    if (n != LABEL_CODE_LEN || v[0] > 7) /* the first group carries only 3 bits */
        return -1;
    if (luhn32(v, 26) != v[26])
        return -1;
    memset(u, 0, sizeof(u));
    for (int i = 25, bit = 0; i >= 0; i--, bit += 5)
        for (int b = 0; b < 5; b++)
            if ((v[i] >> b) & 1)
                u[15 - (bit + b) / 8] |= (unsigned char)(1 << ((bit + b) % 8));
    for (int i = 0; i < LABEL_CODE_LEN; i++)
        out[i] = alphabet[v[i]];
    out[LABEL_CODE_LEN] = '\0';
    if (uuid_out)
        uuid_unparse_lower(u, uuid_out);
    return 0;
}
