/*
 * suzhou_query — a small vendor-style program on the shiliu C API.
 *
 *   suzhou_query [REGISTRY-FILE]
 *
 * Opens the registry file (or, without an argument, a scratch registry in memory with
 * a three-unit network) and prints the unit tree as it was on 2003-06-30, as JSON.
 *
 * Build: cc -std=c99 suzhou_query.c -I ffi/include -L target/debug -lshiliu
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "shiliu.h"

/* Prints a failed call's error to stderr, frees it, and returns 1. */
static int fail(const char *what, int32_t status, struct shiliu_error *err) {
    fprintf(stderr, "suzhou_query: %s failed (status %d, code %u): %s\n", what, (int)status,
            (unsigned)shiliu_error_code(err), shiliu_error_message(err));
    shiliu_error_free(err);
    return 1;
}

/* Adds one unit; returns its id, or -1 after reporting the error. */
static int64_t add_unit(struct shiliu_registry *reg, const char *json) {
    int64_t id = -1;
    struct shiliu_error *err = NULL;
    int32_t st = shiliu_registry_add_unit(reg, (const uint8_t *)json, strlen(json), &id, &err);
    if (st != SHILIU_STATUS_OK) {
        fail("add unit", st, err);
        return -1;
    }
    return id;
}

/* 苏州市 → 沧浪区 → 府前街道, as recorded in 2003. */
static int build_network(struct shiliu_registry *reg) {
    char json[512];
    int64_t city = add_unit(reg, "{\"kind\":\"city\",\"name\":\"苏州市\",\"code\":\"320500\","
                                 "\"valid_from\":\"1983-01-18\"}");
    if (city < 0) {
        return 1;
    }
    snprintf(json, sizeof json,
             "{\"kind\":\"district\",\"name\":\"沧浪区\",\"code\":\"320502\",\"parent\":%" PRId64
             ",\"valid_from\":\"1983-01-18\"}", city);
    int64_t district = add_unit(reg, json);
    if (district < 0) {
        return 1;
    }
    snprintf(json, sizeof json,
             "{\"kind\":\"street\",\"name\":\"府前街道\",\"parent\":%" PRId64
             ",\"valid_from\":\"1983-01-18\"}", district);
    return add_unit(reg, json) < 0 ? 1 : 0;
}

int main(int argc, char **argv) {
    struct shiliu_registry *reg = NULL;
    struct shiliu_error *err = NULL;
    int32_t st;
    if (argc > 1) {
        static const char options[] = "{\"must_exist\":true}";
        st = shiliu_registry_open((const uint8_t *)argv[1], strlen(argv[1]),
                                  (const uint8_t *)options, sizeof options - 1, &reg, &err);
    } else {
        st = shiliu_registry_open_in_memory(NULL, 0, &reg, &err);
    }
    if (st != SHILIU_STATUS_OK) {
        return fail("open", st, err);
    }
    if (argc <= 1 && build_network(reg) != 0) {
        shiliu_registry_close(reg);
        return 1;
    }

    static const char request[] = "{\"op\":\"tree\",\"args\":{\"as_of\":\"2003-06-30\"}}";
    char *json = NULL;
    st = shiliu_registry_execute(reg, (const uint8_t *)request, sizeof request - 1, &json, &err);
    if (st != SHILIU_STATUS_OK) {
        shiliu_registry_close(reg);
        return fail("tree query", st, err);
    }
    printf("%s\n", json);
    shiliu_string_free(json);
    shiliu_registry_close(reg);
    return 0;
}
