#include "jsonin.h"

#include "../core/util.h"

#include <string.h>

static const struct jfield *find(const struct jfield *spec, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(spec[i].name, key) == 0)
            return &spec[i];
    return NULL;
}

static int read_one(const struct jfield *f, json_t *v, struct app_err *err)
{
    switch (f->type) {
    case JF_ID:
    case JF_INT:
        if (!json_is_integer(v))
            return err_field(err, 400, "bad_type", f->name, "%s must be an integer", f->name);
        if (f->type == JF_ID && json_integer_value(v) <= 0)
            return err_field(err, 400, "bad_value", f->name, "%s must be a positive id", f->name);
        *(int64_t *)f->out = json_integer_value(v);
        return 0;
    case JF_NUM:
        if (!json_is_number(v))
            return err_field(err, 400, "bad_type", f->name, "%s must be a number", f->name);
        *(double *)f->out = json_number_value(v);
        return 0;
    case JF_BOOL:
        if (!json_is_boolean(v))
            return err_field(err, 400, "bad_type", f->name, "%s must be true or false", f->name);
        *(int *)f->out = json_is_true(v);
        return 0;
    case JF_ARRAY:
        if (!json_is_array(v))
            return err_field(err, 400, "bad_type", f->name, "%s must be an array", f->name);
        if (json_array_size(v) == 0 || json_array_size(v) > f->size)
            return err_field(err, 400, "bad_value", f->name, "give 1 to %zu entries in %s", f->size,
                             f->name);
        *(json_t **)f->out = v;
        return 0;
    case JF_OBJECT:
        if (!json_is_object(v))
            return err_field(err, 400, "bad_type", f->name, "%s must be an object", f->name);
        *(json_t **)f->out = v;
        return 0;
    case JF_STR:
    case JF_DATE:
    case JF_DATETIME:
        break;
    }
    if (!json_is_string(v))
        return err_field(err, 400, "bad_type", f->name, "%s must be a string", f->name);
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return err_field(err, 400, "bad_value", f->name, "%s must not contain NUL", f->name);
    if (f->type == JF_STR) {
        if (str_copy(f->out, f->size, s) != 0)
            return err_field(err, 400, "bad_value", f->name, "%s is longer than %zu bytes", f->name,
                             f->size - 1);
        return 0;
    }
    if (f->type == JF_DATE) {
        int y, m, d;
        if (date_parse(s, &y, &m, &d) != 0)
            return err_field(err, 400, "bad_date", f->name, "%s must be a date YYYY-MM-DD",
                             f->name);
        memcpy(f->out, s, 11);
        return 0;
    }
    if (datetime_parse(s, (time_t *)f->out) != 0)
        return err_field(err, 400, "bad_date", f->name,
                         "%s must be a date-time like 2026-04-01T08:00:00Z", f->name);
    return 0;
}

int json_read(json_t *obj, const struct jfield *spec, size_t n, struct app_err *err)
{
    const char *key;
    json_t *v;

    if (!json_is_object(obj))
        return err_set(err, 400, "bad_json", "the body must be a JSON object");
    json_object_foreach(obj, key, v)
    {
        if (!find(spec, n, key))
            return err_field(err, 400, "unknown_field", key, "unknown field %s", key);
    }
    for (size_t i = 0; i < n; i++) {
        v = json_object_get(obj, spec[i].name);
        if (spec[i].present)
            *spec[i].present = 0;
        if (!v) {
            if (spec[i].required)
                return err_field(err, 400, "missing_field", spec[i].name, "%s is required",
                                 spec[i].name);
            continue;
        }
        if (json_is_null(v)) {
            if (spec[i].required)
                return err_field(err, 400, "bad_type", spec[i].name, "%s must not be null",
                                 spec[i].name);
            continue;
        }
        if (read_one(&spec[i], v, err) != 0)
            return -1;
        if (spec[i].present)
            *spec[i].present = 1;
    }
    return 0;
}

int json_qty_check(double v, int integral, int allow_negative, const char *field, int64_t *milli,
                   struct app_err *err)
{
    if (qty_from_double(v, integral, milli) != 0 || *milli == 0 ||
        (!allow_negative && *milli < 0)) {
        if (integral && qty_from_double(v, 0, milli) == 0 && *milli != 0)
            return err_field(err, 400, "bad_quantity", field,
                             "%s must be a whole number: this item is counted in pieces", field);
        return err_field(err, 400, "bad_quantity", field,
                         allow_negative ? "%s must be a non-zero number with at most 3 decimals"
                                        : "%s must be a positive number with at most 3 decimals",
                         field);
    }
    return 0;
}
