/*
 * Tiny assertion helpers for the C tests of shiliu. Include this file first: it
 * selects POSIX.1-2008 for mkstemp/mkdtemp under -std=c99.
 *
 * Conventions:
 *   CHECK(cond)                 fails with file:line and exits 1.
 *   S("literal")                a string literal as (const uint8_t *, size_t) — two
 *                               arguments; refuses anything but a literal.
 *   CS(str)                     a NUL-terminated string as pointer + length.
 *   CHECK_OK(call)              the call (written with `&err` as its error slot) must
 *                               return SHILIU_STATUS_OK; otherwise the error is printed.
 *   CHECK_FAILS(call, st, code) the call must fail with status `st` and, if `code` is
 *                               not 0, error code `code`; the error is freed.
 *   CHECK_HAS(json, "needle")   substring check (serde_json emits compact JSON).
 *   CHECK_LACKS(json, "needle") the opposite.
 *   EXEC_OK(reg, request)       runs a request that must succeed; returns the response.
 *   EXEC_FAILS(reg, req, st)    runs a request that must fail with status `st`.
 *   make_temp_dir(buf, n, name) a fresh /tmp directory, removed at exit.
 */
#ifndef SHILIU_TEST_UTIL_H
#define SHILIU_TEST_UTIL_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shiliu.h"

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

/* CHECK with an explanation printed on failure. */
#define CHECK_MSG(cond, msg)                                                     \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n  %s\n", __FILE__, __LINE__, #cond, \
                    (msg));                                                      \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

/* A string literal as pointer + length (the "" forces a literal at compile time). */
#define S(lit) (const uint8_t *)("" lit), (sizeof("" lit) - 1)
/* A NUL-terminated string as pointer + length. */
#define CS(str) (const uint8_t *)(str), strlen(str)

static inline void check_ok_(int32_t st, struct shiliu_error *err, const char *file, int line,
                             const char *expr) {
    if (st != SHILIU_STATUS_OK) {
        fprintf(stderr, "%s:%d: %s\n  failed: status %d, code %u: %s\n", file, line, expr,
                (int)st, (unsigned)shiliu_error_code(err), shiliu_error_message(err));
        shiliu_error_free(err);
        exit(1);
    }
    if (err != NULL) {
        fprintf(stderr, "%s:%d: %s\n  returned OK but set the error slot\n", file, line, expr);
        exit(1);
    }
}

static inline void check_fails_(int32_t st, struct shiliu_error *err, int32_t want_status,
                                uint32_t want_code, const char *file, int line,
                                const char *expr) {
    int bad = st != want_status || err == NULL || shiliu_error_status(err) != st ||
              (want_code != 0 && shiliu_error_code(err) != want_code) ||
              shiliu_error_message(err)[0] == '\0';
    if (bad) {
        fprintf(stderr,
                "%s:%d: %s\n  expected status %d code %u, got status %d (error %s, code %u: %s)\n",
                file, line, expr, (int)want_status, (unsigned)want_code, (int)st,
                err ? "set" : "NULL", (unsigned)shiliu_error_code(err), shiliu_error_message(err));
        shiliu_error_free(err);
        exit(1);
    }
    shiliu_error_free(err);
}

/* `call` refers to a local `err` that this macro declares. */
#define CHECK_OK(call)                                                           \
    do {                                                                         \
        struct shiliu_error *err = NULL;                                                \
        int32_t st_ = (call);                                                    \
        check_ok_(st_, err, __FILE__, __LINE__, #call);                          \
    } while (0)

#define CHECK_FAILS(call, status, code)                                          \
    do {                                                                         \
        struct shiliu_error *err = NULL;                                                \
        int32_t st_ = (call);                                                    \
        check_fails_(st_, err, (status), (code), __FILE__, __LINE__, #call);     \
    } while (0)

static inline int contains(const char *hay, const char *needle) {
    return hay != NULL && strstr(hay, needle) != NULL;
}

/* Non-overlapping occurrences of `needle` in `hay`. */
static inline int count_of(const char *hay, const char *needle) {
    int n = 0;
    size_t len = strlen(needle);
    if (hay == NULL || len == 0) {
        return 0;
    }
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + len, needle)) {
        n++;
    }
    return n;
}

static inline void check_has_(const char *json, const char *needle, int want, const char *file,
                              int line) {
    if (contains(json, needle) != want) {
        fprintf(stderr, "%s:%d: expected %s %s\n  in: %s\n", file, line,
                want ? "substring" : "no substring", needle, json ? json : "(NULL)");
        exit(1);
    }
}

#define CHECK_HAS(json, needle) check_has_((json), (needle), 1, __FILE__, __LINE__)
#define CHECK_LACKS(json, needle) check_has_((json), (needle), 0, __FILE__, __LINE__)

/* printf into a fixed buffer, failing the test if it does not fit. */
__attribute__((format(printf, 3, 4))) static inline const char *
fmt(char *buf, size_t size, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(buf, size, format, ap);
    va_end(ap);
    CHECK(n >= 0 && (size_t)n < size);
    return buf;
}

/* Runs one request that must succeed; returns the response (free with shiliu_string_free). */
static inline char *exec_ok_(const struct shiliu_registry *reg, const char *request, const char *file,
                             int line) {
    char *out = NULL;
    struct shiliu_error *err = NULL;
    int32_t st = shiliu_registry_execute(reg, CS(request), &out, &err);
    if (st != SHILIU_STATUS_OK || out == NULL) {
        fprintf(stderr, "%s:%d: request %s\n  failed: status %d, code %u: %s\n", file, line,
                request, (int)st, (unsigned)shiliu_error_code(err), shiliu_error_message(err));
        shiliu_error_free(err);
        exit(1);
    }
    CHECK(err == NULL);
    return out;
}

#define EXEC_OK(reg, request) exec_ok_((reg), (request), __FILE__, __LINE__)

/* Runs one request that must fail with `status`; returns the error code. */
static inline uint32_t exec_fails_(const struct shiliu_registry *reg, const char *request,
                                   int32_t status, const char *file, int line) {
    char *out = NULL;
    struct shiliu_error *err = NULL;
    int32_t st = shiliu_registry_execute(reg, CS(request), &out, &err);
    if (st != status || err == NULL || out != NULL) {
        fprintf(stderr, "%s:%d: request %s\n  expected status %d, got %d (%s)\n", file, line,
                request, (int)status, (int)st, err ? shiliu_error_message(err) : out);
        shiliu_string_free(out);
        shiliu_error_free(err);
        exit(1);
    }
    uint32_t code = shiliu_error_code(err);
    shiliu_error_free(err);
    return code;
}

#define EXEC_FAILS(reg, request, status) exec_fails_((reg), (request), (status), __FILE__, __LINE__)

/* Removes a flat directory and the files in it; a no-op if it is gone. */
static inline void remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        return;
    }
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        char path[512];
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            unlink(fmt(path, sizeof path, "%s/%s", dir, e->d_name));
        }
    }
    closedir(d);
    rmdir(dir);
}

/* Remembers a temporary directory (dir != NULL) or removes all remembered ones. */
static inline void temp_dirs_(const char *dir) {
    static char dirs[8][128];
    static int n;
    if (dir != NULL) {
        CHECK(n < 8 && strlen(dir) < sizeof dirs[0]);
        strcpy(dirs[n++], dir);
        return;
    }
    while (n > 0) {
        remove_dir(dirs[--n]);
    }
}

static inline void temp_dirs_at_exit_(void) {
    temp_dirs_(NULL);
}

/* Creates a fresh directory /tmp/shiliu-c-NAME-XXXXXX in buf; it is removed with its
 * files when the test exits (also after a failed CHECK). */
static inline void make_temp_dir(char *buf, size_t size, const char *name) {
    static int registered;
    fmt(buf, size, "/tmp/shiliu-c-%s-XXXXXX", name);
    CHECK(mkdtemp(buf) != NULL);
    if (!registered) {
        CHECK(atexit(temp_dirs_at_exit_) == 0);
        registered = 1;
    }
    temp_dirs_(buf);
}

/* Writes `text` to `path` (truncating); fails the test on any error. */
static inline void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(text, 1, strlen(text), f) == strlen(text));
    CHECK(fclose(f) == 0);
}

#endif /* SHILIU_TEST_UTIL_H */
