/* Statistics through the C ABI: population tables, trends, summaries, aggregate tables
 * as denominators, cubes exported and protected — as JSON through
 * shiliu_registry_execute and as CSV through shiliu_registry_execute_csv — and every
 * bad-input path of the CSV entry point. */
#include "test_util.h"

#include <pthread.h>

#define V SHILIU_STATUS_VALIDATION

typedef struct {
    int64_t city, gusu, wuzhong, shuangta, changqiao, baibu, nanyuan, cq;
} network;

static int64_t tx_of(const struct shiliu_registry *reg) {
    int64_t tx = -1;
    CHECK_OK(shiliu_registry_transaction(reg, &tx, &err));
    CHECK(tx >= 0);
    return tx;
}

/* The integer "result" of a write response (an id). */
static int64_t result_id(const char *json) {
    const char *r = strstr(json, "\"result\":");
    CHECK_MSG(r != NULL, json);
    int64_t id = strtoll(r + strlen("\"result\":"), NULL, 10);
    CHECK_MSG(id > 0, json);
    return id;
}

static int64_t add_unit(const struct shiliu_registry *reg, const char *kind, const char *name,
                        const char *code, int64_t parent) {
    char buf[512];
    if (parent > 0) {
        fmt(buf, sizeof buf,
            "{\"op\":\"add_unit\",\"args\":{\"kind\":\"%s\",\"name\":\"%s\",\"code\":\"%s\","
            "\"parent\":%lld,\"valid_from\":\"2000-01-01\"}}",
            kind, name, code, (long long)parent);
    } else {
        fmt(buf, sizeof buf,
            "{\"op\":\"add_unit\",\"args\":{\"kind\":\"%s\",\"name\":\"%s\",\"code\":\"%s\","
            "\"valid_from\":\"1983-01-18\"}}",
            kind, name, code);
    }
    char *out = EXEC_OK(reg, buf);
    int64_t id = result_id(out);
    shiliu_string_free(out);
    return id;
}

static void build(const struct shiliu_registry *reg, network *n) {
    n->city = add_unit(reg, "city", "苏州市", "320500", 0);
    n->gusu = add_unit(reg, "district", "姑苏区", "320508", n->city);
    n->wuzhong = add_unit(reg, "区", "吴中区", "320506", n->city);
    n->shuangta = add_unit(reg, "street", "双塔街道", "320508021", n->gusu);
    n->changqiao = add_unit(reg, "街道", "长桥街道", "320506001", n->wuzhong);
    n->baibu = add_unit(reg, "community", "百步街社区", "320508021017", n->shuangta);
    n->nanyuan = add_unit(reg, "community", "南园社区", "320508021018", n->shuangta);
    n->cq = add_unit(reg, "社区", "长桥社区", "320506001001", n->changqiao);
}

/* Adds `count` residents of one ethnicity to a community. */
static void add_residents(const struct shiliu_registry *reg, int count, const char *ethnicity,
                          const char *category, int64_t community, const char *arrived,
                          const char *left) {
    char buf[768], left_field[64] = "";
    static int serial;
    if (left != NULL) {
        fmt(left_field, sizeof left_field, ",\"left_on\":\"%s\"", left);
    }
    for (int i = 0; i < count; i++) {
        serial++;
        char *out = EXEC_OK(reg, fmt(buf, sizeof buf,
            "{\"op\":\"add_resident\",\"args\":{\"name\":\"居民%d\",\"sex\":\"%s\","
            "\"birth_date\":\"19%02d-0%d-1%d\",\"ethnicity\":\"%s\",\"category\":\"%s\","
            "\"community\":%lld,\"arrived_on\":\"%s\"%s}}",
            serial, serial % 2 ? "male" : "female", 60 + serial % 40, 1 + serial % 9,
            serial % 10, ethnicity, category, (long long)community, arrived, left_field));
        result_id(out);
        shiliu_string_free(out);
    }
}

/* --- reading a table answer: {"result":{...,"rows":[{...},{...}]}} -------------------- */

/* The next row object of a table document after `from` (NULL: the first); sets *end to
 * its closing brace. Rows hold scalars only, so a row is the text between braces. */
static const char *next_row(const char *json, const char *from, const char **end) {
    const char *p;
    if (from == NULL) {
        p = strstr(json, "\"rows\":[");
        CHECK_MSG(p != NULL, json);
        p += strlen("\"rows\":[");
    } else {
        p = from;
    }
    while (*p == ',') {
        p++;
    }
    if (*p != '{') {
        return NULL;
    }
    *end = strchr(p, '}');
    CHECK_MSG(*end != NULL, json);
    return p;
}

static int row_has(const char *row, const char *end, const char *needle) {
    size_t len = strlen(needle);
    for (const char *p = row; p + len <= end; p++) {
        if (memcmp(p, needle, len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The value text of `key` in a row (the characters after the colon). */
static const char *row_value(const char *row, const char *end, const char *key) {
    char needle[64];
    fmt(needle, sizeof needle, "\"%s\":", key);
    size_t len = strlen(needle);
    for (const char *p = row; p + len <= end; p++) {
        if (memcmp(p, needle, len) == 0) {
            return p + len;
        }
    }
    return NULL;
}

#define ABSENT (-2)
#define NULL_CELL (-1) /* null: missing or suppressed */

/* The integer `column` of the row of unit `code`, ethnicity `eth` (NULL: the total row,
 * or the only row of a table without keys) and period `period` (NULL: any): ABSENT if no
 * such row, NULL_CELL if the value is null. */
static long long cell(const char *json, const char *code, const char *eth, const char *period,
                      const char *column) {
    char want_code[64], want_eth[64], want_period[64];
    fmt(want_code, sizeof want_code, "\"code\":\"%s\"", code);
    if (eth != NULL) {
        fmt(want_eth, sizeof want_eth, "\"ethnicity\":\"%s\"", eth);
    } else {
        fmt(want_eth, sizeof want_eth, "\"ethnicity\":\"");
    }
    if (period != NULL) {
        fmt(want_period, sizeof want_period, "\"period\":\"%s\"", period);
    }
    const char *end = NULL;
    int found = 0;
    long long value = ABSENT;
    for (const char *row = next_row(json, NULL, &end); row != NULL;
         row = next_row(json, end + 1, &end)) {
        if (row_has(row, end, want_code) && row_has(row, end, want_eth) == (eth != NULL) &&
            (period == NULL || row_has(row, end, want_period))) {
            CHECK_MSG(!found, "two rows match one cell");
            found = 1;
            const char *v = row_value(row, end, column);
            CHECK_MSG(v != NULL, column);
            value = strncmp(v, "null", 4) == 0 ? NULL_CELL : strtoll(v, NULL, 10);
        }
    }
    return value;
}

/* Rows of a table document. */
static int row_count(const char *json) {
    const char *end = NULL;
    int n = 0;
    for (const char *row = next_row(json, NULL, &end); row != NULL;
         row = next_row(json, end + 1, &end)) {
        n++;
    }
    return n;
}

/* Rows whose `status` is `status`; also checks that no published headcount lies in
 * 1..k-1. */
static int rows_with_status(const char *json, const char *status, int k) {
    char needle[64];
    fmt(needle, sizeof needle, "\"status\":\"%s\"", status);
    const char *end = NULL;
    int n = 0;
    for (const char *row = next_row(json, NULL, &end); row != NULL;
         row = next_row(json, end + 1, &end)) {
        const char *h = row_value(row, end, "headcount");
        CHECK(h != NULL);
        if (strncmp(h, "null", 4) != 0) {
            long long v = strtoll(h, NULL, 10);
            CHECK_MSG(v == 0 || v >= k, "a published count below k");
        }
        n += row_has(row, end, needle);
    }
    return n;
}

/* --- CSV ------------------------------------------------------------------------------ */

static int starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int lines_of(const char *csv) {
    int n = 0;
    for (const char *p = csv; *p != '\0'; p++) {
        n += *p == '\n';
    }
    CHECK_MSG(csv[0] == '\0' || csv[strlen(csv) - 1] == '\n', "the last line ends in \\n");
    return n;
}

/* The line of `csv` starting with `prefix` and containing `needle` (if not NULL), copied
 * to buf without its '\n'; fails unless exactly one line matches. */
static const char *csv_line(const char *csv, const char *prefix, const char *needle, char *buf,
                            size_t size) {
    const char *found = NULL;
    size_t found_len = 0;
    for (const char *line = csv; *line != '\0';) {
        const char *nl = strchr(line, '\n');
        CHECK(nl != NULL);
        size_t len = (size_t)(nl - line);
        if (strncmp(line, prefix, strlen(prefix)) == 0) {
            CHECK(len < size);
            memcpy(buf, line, len);
            buf[len] = '\0';
            if (needle == NULL || contains(buf, needle)) {
                CHECK_MSG(found == NULL, buf);
                found = line;
                found_len = len;
            }
        }
        line = nl + 1;
    }
    CHECK_MSG(found != NULL, prefix);
    memcpy(buf, found, found_len);
    buf[found_len] = '\0';
    return buf;
}

/* Field `index` (0-based) of a CSV line without quoted commas, as text in buf. */
static const char *csv_field(const char *line, int index, char *buf, size_t size) {
    const char *p = line;
    for (int i = 0; i < index; i++) {
        p = strchr(p, ',');
        CHECK_MSG(p != NULL, line);
        p++;
    }
    size_t len = strcspn(p, ",");
    CHECK(len < size);
    memcpy(buf, p, len);
    buf[len] = '\0';
    return buf;
}

/* The index of column `name` in the header line of `csv`. */
static int csv_column(const char *csv, const char *name) {
    char field[64];
    size_t header = strcspn(csv, "\n");
    int i = 0;
    for (const char *p = csv; p < csv + header; i++) {
        size_t len = strcspn(p, ",\n");
        if (len == strlen(name) && strncmp(p, name, len) == 0) {
            return i;
        }
        p += len + 1;
    }
    fprintf(stderr, "no column %s in %s\n", name, csv_field(csv, 0, field, sizeof field));
    exit(1);
}

static char *csv_ok(const struct shiliu_registry *reg, const char *request) {
    char *csv = NULL;
    CHECK_OK(shiliu_registry_execute_csv(reg, CS(request), &csv, &err));
    CHECK(csv != NULL);
    return csv;
}

/* execute_csv must fail with `status`; the message must contain `needle` (if not NULL).
 * Returns the error code. */
static uint32_t csv_fails(const struct shiliu_registry *reg, const char *request, int32_t status,
                          const char *needle) {
    char *csv = NULL;
    struct shiliu_error *err = NULL;
    int32_t st = shiliu_registry_execute_csv(reg, CS(request), &csv, &err);
    if (st != status || err == NULL || csv != NULL || shiliu_error_status(err) != st ||
        (needle != NULL && !contains(shiliu_error_message(err), needle))) {
        fprintf(stderr, "request %s\n  expected status %d naming %s, got %d (%s)\n", request,
                (int)status, needle ? needle : "-", (int)st, err ? shiliu_error_message(err) : csv);
        exit(1);
    }
    uint32_t code = shiliu_error_code(err);
    shiliu_error_free(err);
    return code;
}

/* execute must fail with `status` and a message containing `needle`. */
static void exec_fails_naming(const struct shiliu_registry *reg, const char *request,
                              int32_t status, const char *needle) {
    char *out = NULL;
    struct shiliu_error *err = NULL;
    int32_t st = shiliu_registry_execute(reg, CS(request), &out, &err);
    if (st != status || err == NULL || out != NULL ||
        !contains(shiliu_error_message(err), needle)) {
        fprintf(stderr, "request %s\n  expected status %d naming %s, got %d (%s)\n", request,
                (int)status, needle, (int)st, err ? shiliu_error_message(err) : out);
        exit(1);
    }
    shiliu_error_free(err);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    CHECK(fseek(f, 0, SEEK_END) == 0);
    long size = ftell(f);
    CHECK(size >= 0);
    CHECK(fseek(f, 0, SEEK_SET) == 0);
    char *text = malloc((size_t)size + 1);
    CHECK(text != NULL);
    CHECK(fread(text, 1, (size_t)size, f) == (size_t)size);
    text[size] = '\0';
    fclose(f);
    return text;
}

/* --- readers racing a writer ----------------------------------------------------------- */

#define READERS 3
#define QUERIES 25
#define WRITES 20

typedef struct {
    const struct shiliu_registry *reg;
    int64_t city, gusu, wuzhong;
    int failures;
} reader_job;

/* The headcount of unit `id`'s total row in a population CSV, or -1. */
static long long csv_total(const char *csv, int64_t id, const char *code) {
    char prefix[96];
    fmt(prefix, sizeof prefix, "2024-12-31,%lld,%s,", (long long)id, code);
    for (const char *line = csv; *line != '\0';) {
        const char *nl = strchr(line, '\n');
        if (nl == NULL) {
            return -1;
        }
        if (strncmp(line, prefix, strlen(prefix)) == 0) {
            const char *total = strstr(line, ",,合计,");
            if (total != NULL && total < nl) {
                return strtoll(total + strlen(",,合计,"), NULL, 10);
            }
        }
        line = nl + 1;
    }
    return -1;
}

/* Each answer is one snapshot: the city's total is its districts' totals, and it never
 * goes back. */
static void *reader(void *arg) {
    reader_job *j = arg;
    long long last = 0;
    const char *request = "{\"op\":\"population\",\"args\":{\"as_of\":\"2024-12-31\","
                          "\"by\":[\"ethnicity\"]}}";
    for (int i = 0; i < QUERIES; i++) {
        char *csv = NULL;
        struct shiliu_error *err = NULL;
        int32_t st = shiliu_registry_execute_csv(j->reg, CS(request), &csv, &err);
        if (st != SHILIU_STATUS_OK || err != NULL || csv == NULL) {
            fprintf(stderr, "reader: status %d: %s\n", (int)st, shiliu_error_message(err));
            j->failures++;
        } else {
            long long city = csv_total(csv, j->city, "320500");
            long long gusu = csv_total(csv, j->gusu, "320508");
            long long wuzhong = csv_total(csv, j->wuzhong, "320506");
            if (city < 17 || city > 17 + WRITES || city != gusu + wuzhong || city < last) {
                fprintf(stderr, "reader: city %lld, districts %lld + %lld, before %lld\n", city,
                        gusu, wuzhong, last);
                j->failures++;
            }
            last = city;
        }
        shiliu_error_free(err);
        shiliu_string_free(csv);
    }
    return NULL;
}

int main(void) {
    char dir[128], db[192], census[192], cube[192], missing[192];
    char buf[2048], req[1024], line[512], field[64];
    make_temp_dir(dir, sizeof dir, "stats");
    fmt(db, sizeof db, "%s/stats.db", dir);
    fmt(census, sizeof census, "%s/七普.csv", dir);
    fmt(cube, sizeof cube, "%s/cube.csv", dir);
    fmt(missing, sizeof missing, "%s/missing.csv", dir);

    struct shiliu_registry *reg = NULL;
    CHECK_OK(shiliu_registry_open(CS(db), S("{\"today\":\"2025-06-30\"}"), &reg, &err));
    network n;
    build(reg, &n);
    int64_t units_only = tx_of(reg);

    /* 百步街: 6 回族 since 2020, 2 满族 since 2021. 南园: 3 回族 since 2022, 1 蒙古族 since
     * 2023. 长桥: 5 苗族 (migrants) since 2019, 1 回族 2019 – mid 2023. */
    add_residents(reg, 6, "回族", "registered", n.baibu, "2020-03-01", NULL);
    add_residents(reg, 2, "满族", "registered", n.baibu, "2021-06-01", NULL);
    add_residents(reg, 3, "03", "registered", n.nanyuan, "2022-02-01", NULL);
    add_residents(reg, 1, "蒙古族", "migrant", n.nanyuan, "2023-05-01", NULL);
    add_residents(reg, 5, "苗族", "流动", n.cq, "2019-01-01", NULL);
    add_residents(reg, 1, "Hui", "migrant", n.cq, "2019-01-01", "2023-06-30");
    int64_t populated = tx_of(reg);
    CHECK(populated > units_only);

    /* --- population as JSON ------------------------------------------------------------ */
    const char *pop_req = "{\"op\":\"population\",\"args\":{\"as_of\":\"2024-12-31\","
                          "\"by\":[\"ethnicity\"]}}";
    char *json = EXEC_OK(reg, pop_req);
    CHECK_HAS(json, "\"format\":1");
    CHECK_HAS(json, fmt(buf, sizeof buf, "\"transaction\":%lld", (long long)populated));
    CHECK_HAS(json, "\"dimensions\":[\"ethnicity\"]");
    CHECK_HAS(json, "\"periods\":[\"2024-12-31\"]");
    CHECK(cell(json, "320500", NULL, NULL, "headcount") == 17);
    CHECK(cell(json, "320500", "03", NULL, "headcount") == 9);
    CHECK(cell(json, "320500", "11", NULL, "headcount") == 2);
    CHECK(cell(json, "320500", "06", NULL, "headcount") == 5);
    CHECK(cell(json, "320500", NULL, NULL, "components") == 4);
    CHECK(cell(json, "320508", NULL, NULL, "headcount") == 12);
    CHECK(cell(json, "320508", "06", NULL, "headcount") == ABSENT); /* no zero cells */
    CHECK(cell(json, "320506", NULL, NULL, "headcount") == 5);
    CHECK(cell(json, "320506", "03", NULL, "headcount") == ABSENT); /* gone in 2023 */
    CHECK(cell(json, "320508021017", "03", NULL, "headcount") == 6);
    CHECK(cell(json, "320508021018", "02", NULL, "headcount") == 1);
    CHECK(cell(json, "320508021018", NULL, NULL, "headcount") == 4);
    /* No denominators yet: population and share are missing, not zero. */
    CHECK(cell(json, "320508", NULL, NULL, "population") == NULL_CELL);
    CHECK(cell(json, "320508", NULL, NULL, "share") == NULL_CELL);
    int rows = row_count(json);
    /* 8 units with totals; cells: city 4, 姑苏 3, 双塔 3, 百步街 2, 南园 2, 吴中 1, 长桥 1 + 1. */
    CHECK_MSG(rows == 8 + 4 + 3 + 3 + 2 + 2 + 1 + 1 + 1, json);
    CHECK(rows_with_status(json, "published", 1) == rows);

    /* --- the same table as CSV: a header and one line per row ------------------------- */
    char *csv = csv_ok(reg, pop_req);
    CHECK_MSG(starts_with(csv, "period,unit,code,name,level,level_zh,path,depth,ethnicity,"
                               "ethnicity_name,headcount,components,migrant_share,population,"
                               "share,status,status_zh,split\n"),
              csv);
    CHECK(lines_of(csv) == rows + 1);
    int hc = csv_column(csv, "headcount");
    CHECK(hc == 10);
    /* The city's total row and its 回族 cell. */
    fmt(req, sizeof req, "2024-12-31,%lld,320500,苏州市,city,市,苏州市,0,", (long long)n.city);
    csv_line(csv, req, ",合计,", line, sizeof line);
    CHECK_MSG(strcmp(line + strlen(req), ",合计,17,4,0.35294117647058826,,,published,公布,false")
                  == 0, line);
    csv_line(csv, req, ",03,回族,", line, sizeof line);
    CHECK_MSG(strcmp(line + strlen(req), "03,回族,9,1,0.0,,,published,公布,false") == 0, line);
    /* 百步街社区: the path, depth 3; its 回族 cell read field by field. */
    fmt(req, sizeof req, "2024-12-31,%lld,320508021017,百步街社区,community,社区,",
        (long long)n.baibu);
    csv_line(csv, req, ",合计,", line, sizeof line);
    CHECK_MSG(contains(line, ",苏州市/姑苏区/双塔街道/百步街社区,3,,合计,8,2,"), line);
    csv_line(csv, req, ",03,回族,", line, sizeof line);
    CHECK(strcmp(csv_field(line, hc, field, sizeof field), "6") == 0);
    CHECK(strcmp(csv_field(line, csv_column(csv, "status"), field, sizeof field), "published") ==
          0);
    CHECK(strcmp(csv_field(line, csv_column(csv, "split"), field, sizeof field), "false") == 0);
    csv_line(csv, req, ",11,满族,", line, sizeof line);
    CHECK(strcmp(csv_field(line, hc, field, sizeof field), "2") == 0);
    shiliu_string_free(csv);
    shiliu_string_free(json);

    /* Migrants' share and a level filter, CSV: 吴中 is all migrants. */
    csv = csv_ok(reg, "{\"op\":\"population\",\"args\":{\"as_of\":\"2024-12-31\","
                      "\"level\":\"district\"}}");
    CHECK_MSG(starts_with(csv, "period,unit,code,name,level,level_zh,path,depth,headcount,"),
              csv);
    CHECK_MSG(lines_of(csv) == 3, csv);
    csv_line(csv, fmt(buf, sizeof buf, "2024-12-31,%lld,320506,", (long long)n.wuzhong), NULL,
             line, sizeof line);
    CHECK_MSG(strcmp(csv_field(line, csv_column(csv, "migrant_share"), field, sizeof field),
                     "1.0") == 0, line);
    CHECK_MSG(strcmp(csv_field(line, csv_column(csv, "headcount"), field, sizeof field),
                     "5") == 0, line);
    shiliu_string_free(csv);

    /* A request pinned to the transaction before any resident answers as it did then. */
    csv = csv_ok(reg, fmt(req, sizeof req,
        "{\"op\":\"population\",\"args\":{\"as_of\":\"2024-12-31\",\"level\":\"city\"},"
        "\"transaction\":%lld}", (long long)units_only));
    CHECK_MSG(lines_of(csv) == 2, csv);
    csv_line(csv, "2024-12-31,", NULL, line, sizeof line);
    CHECK_MSG(strcmp(csv_field(line, csv_column(csv, "headcount"), field, sizeof field), "0") == 0,
              line);
    shiliu_string_free(csv);

    /* --- a trend: one period per year, flows -------------------------------------------- */
    const char *trend_req = "{\"op\":\"population_trend\",\"args\":{\"from\":\"2020-01-01\","
                            "\"to\":\"2023-12-31\",\"period\":\"year\",\"level\":\"city\"}}";
    json = EXEC_OK(reg, trend_req);
    CHECK_HAS(json, "\"periods\":[\"2020-12-31\",\"2021-12-31\",\"2022-12-31\",\"2023-12-31\"]");
    CHECK(row_count(json) == 4);
    CHECK(cell(json, "320500", NULL, "2020-12-31", "headcount") == 12);
    CHECK(cell(json, "320500", NULL, "2021-12-31", "headcount") == 14);
    CHECK(cell(json, "320500", NULL, "2022-12-31", "headcount") == 17);
    CHECK(cell(json, "320500", NULL, "2023-12-31", "headcount") == 17);
    CHECK(cell(json, "320500", NULL, "2023-12-31", "arrivals") == 1);
    CHECK(cell(json, "320500", NULL, "2023-12-31", "departures") == 1);
    CHECK(cell(json, "320500", NULL, "2021-12-31", "arrivals") == 2);
    CHECK(cell(json, "320500", NULL, "2021-12-31", "departures") == 0);
    CHECK(cell(json, "320500", NULL, "2021-12-31", "growth") == 2);
    CHECK(cell(json, "320500", NULL, "2020-12-31", "growth") == NULL_CELL); /* no previous */
    shiliu_string_free(json);
    csv = csv_ok(reg, trend_req);
    CHECK_MSG(contains(csv, ",headcount,components,migrant_share,population,share,arrivals,"
                            "departures,growth,status,status_zh,split\n"), csv);
    CHECK(lines_of(csv) == 5);
    csv_line(csv, "2020-12-31,", NULL, line, sizeof line);
    CHECK(strcmp(csv_field(line, csv_column(csv, "headcount"), field, sizeof field), "12") == 0);
    csv_line(csv, "2022-12-31,", NULL, line, sizeof line);
    CHECK(strcmp(csv_field(line, csv_column(csv, "arrivals"), field, sizeof field), "3") == 0);
    shiliu_string_free(csv);
    /* Quarters: from is the first day of the first period. */
    json = EXEC_OK(reg, "{\"op\":\"population_trend\",\"args\":{\"from\":\"2023-01-01\","
                        "\"to\":\"2023-12-31\",\"period\":\"季度\",\"level\":\"city\"}}");
    CHECK_HAS(json, "\"periods\":[\"2023-03-31\",\"2023-06-30\",\"2023-09-30\",\"2023-12-31\"]");
    /* The 回族 resident left on 2023-06-30 (not counted that day) as the 蒙古族 one came. */
    CHECK(cell(json, "320500", NULL, "2023-03-31", "headcount") == 17);
    CHECK(cell(json, "320500", NULL, "2023-06-30", "headcount") == 17);
    CHECK(cell(json, "320500", NULL, "2023-06-30", "components") == 4);
    CHECK(cell(json, "320500", NULL, "2023-06-30", "arrivals") == 1);
    CHECK(cell(json, "320500", NULL, "2023-06-30", "departures") == 1);
    CHECK(cell(json, "320500", NULL, "2023-09-30", "arrivals") == 0);
    shiliu_string_free(json);

    /* --- summary (JSON only) ------------------------------------------------------------ */
    json = EXEC_OK(reg, fmt(req, sizeof req,
        "{\"op\":\"summary\",\"args\":{\"unit\":%lld,\"as_of\":\"2024-12-31\"}}",
        (long long)n.gusu));
    CHECK_HAS(json, "\"name\":\"姑苏区\"");
    CHECK_HAS(json, "\"code\":\"320508\"");
    CHECK_HAS(json, "\"headcount\":12");
    CHECK_HAS(json, "\"components\":3");
    CHECK_HAS(json, "\"population\":null");
    CHECK_HAS(json, "\"status\":\"published\"");
    shiliu_string_free(json);
    /* A summary is not a table: no CSV. */
    csv_fails(reg, fmt(req, sizeof req,
        "{\"op\":\"summary\",\"args\":{\"unit\":%lld,\"as_of\":\"2024-12-31\"}}",
        (long long)n.gusu), V, "summary");

    /* --- an aggregate table: census totals become denominators -------------------------- */
    write_file(census,
               "苏州市第七次人口普查\n"
               "单位代码,民族,日期,人数\n"
               "320500,合计,2020-11-01,\"12,000\"\n"
               "320508,,2020-11-01,4000\n"
               "苏州市/吴中区,total,2020-11-01,1000\n"
               "999999,合计,2020-11-01,3\n"
               "320506,火星族,2020-11-01,3\n");
    int64_t before_import = tx_of(reg);
    fmt(req, sizeof req,
        "{\"op\":\"import_aggregates\",\"args\":{\"path\":\"%s\",\"name\":\"七普\","
        "\"dry_run\":true}}", census);
    json = EXEC_OK(reg, req);
    CHECK_HAS(json, "\"rows_read\":5");
    CHECK_HAS(json, "\"stored\":3");
    CHECK(tx_of(reg) == before_import);
    shiliu_string_free(json);
    fmt(req, sizeof req, "{\"op\":\"import_aggregates\",\"args\":{\"path\":\"%s\",\"name\":\"七普\"}}",
        census);
    json = EXEC_OK(reg, req);
    CHECK(tx_of(reg) == before_import + 1);
    CHECK_HAS(json, fmt(buf, sizeof buf, "\"transaction\":%lld", (long long)before_import + 1));
    CHECK_HAS(json, "\"rows_read\":5");
    CHECK_HAS(json, "\"stored\":3");
    CHECK_HAS(json, "\"unchanged\":0");
    CHECK_HAS(json, "\"code\":\"aggregate.unknown_unit\"");
    CHECK_HAS(json, "\"code\":\"aggregate.bad_ethnicity\"");
    CHECK_HAS(json, "\"row\":6");
    CHECK_HAS(json, "\"row\":7");
    shiliu_string_free(json);
    json = EXEC_OK(reg, req); /* again: nothing changes */
    CHECK_HAS(json, "\"stored\":0");
    CHECK_HAS(json, "\"unchanged\":3");
    CHECK(tx_of(reg) == before_import + 1);
    shiliu_string_free(json);

    /* Shares: headcount / census population in ‰ (and in %). */
    const char *share_req = "{\"op\":\"population\",\"args\":{\"as_of\":\"2024-12-31\","
                            "\"level\":\"district\",\"by\":[\"ethnicity\"]}}";
    json = EXEC_OK(reg, share_req);
    CHECK_HAS(json, "\"share_unit\":\"permille\"");
    CHECK(cell(json, "320508", NULL, NULL, "population") == 4000);
    CHECK(cell(json, "320506", NULL, NULL, "population") == 1000);
    {
        const char *end = NULL;
        int checked = 0;
        for (const char *row = next_row(json, NULL, &end); row != NULL;
             row = next_row(json, end + 1, &end)) {
            if (row_has(row, end, "\"code\":\"320508\"") &&
                row_has(row, end, "\"ethnicity\":null")) {
                const char *s = row_value(row, end, "share");
                CHECK(s != NULL && strncmp(s, "null", 4) != 0);
                double share = strtod(s, NULL);
                CHECK_MSG(share > 2.9999 && share < 3.0001, row); /* 12 / 4000 ‰ */
                checked++;
            }
        }
        CHECK(checked == 1);
    }
    shiliu_string_free(json);
    csv = csv_ok(reg, "{\"op\":\"population\",\"args\":{\"as_of\":\"2024-12-31\","
                      "\"level\":\"district\",\"share_unit\":\"percent\"}}");
    csv_line(csv, fmt(buf, sizeof buf, "2024-12-31,%lld,320506,", (long long)n.wuzhong), NULL,
             line, sizeof line);
    CHECK_MSG(strcmp(csv_field(line, csv_column(csv, "population"), field, sizeof field),
                     "1000") == 0, line);
    CHECK_MSG(strcmp(csv_field(line, csv_column(csv, "share"), field, sizeof field), "0.5") == 0,
              line);
    shiliu_string_free(csv);
    /* Before the census date there is no denominator. */
    csv = csv_ok(reg, "{\"op\":\"population\",\"args\":{\"as_of\":\"2019-12-31\","
                      "\"level\":\"district\"}}");
    csv_line(csv, fmt(buf, sizeof buf, "2019-12-31,%lld,320506,", (long long)n.wuzhong), NULL,
             line, sizeof line);
    CHECK_MSG(strcmp(csv_field(line, csv_column(csv, "population"), field, sizeof field), "") == 0,
              line);
    CHECK_MSG(strcmp(csv_field(line, csv_column(csv, "share"), field, sizeof field), "") == 0,
              line);
    shiliu_string_free(csv);
    /* The aggregate table itself as a source. */
    json = EXEC_OK(reg, "{\"op\":\"population\",\"args\":{\"as_of\":\"2021-01-01\","
                        "\"source\":\"七普\",\"by\":[\"ethnicity\"]}}");
    CHECK(cell(json, "320500", NULL, NULL, "headcount") == 12000);
    CHECK(cell(json, "320508", NULL, NULL, "headcount") == 4000);
    shiliu_string_free(json);
    /* The summary now has a share. */
    json = EXEC_OK(reg, fmt(req, sizeof req,
        "{\"op\":\"summary\",\"args\":{\"unit\":%lld,\"as_of\":\"2024-12-31\","
        "\"denominators\":\"七普\"}}", (long long)n.wuzhong));
    CHECK_HAS(json, "\"population\":1000");
    CHECK_HAS(json, "\"share\":5.0");
    shiliu_string_free(json);

    /* --- a cube reported upward, then protected with k = 5 ------------------------------ */
    json = EXEC_OK(reg, fmt(req, sizeof req,
        "{\"op\":\"export_cube\",\"args\":{\"path\":\"%s\",\"as_of\":\"2024-12-31\","
        "\"by\":[\"ethnicity\"]}}", cube));
    CHECK_HAS(json, fmt(buf, sizeof buf, "\"rows\":%d", rows));
    shiliu_string_free(json);
    {
        char *text = read_file(cube);
        CHECK_MSG(starts_with(text, "code_path,level,name,ethnicity,headcount\n"), text);
        CHECK(lines_of(text) == rows + 1);
        CHECK_HAS(text, "\n320500/320508,district,姑苏区,,12\n");
        CHECK_HAS(text, "\n320500/320508/320508021/320508021017,community,百步街社区,11,2\n");
        free(text);
    }
    fmt(req, sizeof req, "{\"op\":\"protect_cube\",\"args\":{\"path\":\"%s\",\"k\":5}}", cube);
    json = EXEC_OK(reg, req);
    CHECK_HAS(json, "\"k\":5");
    CHECK(row_count(json) == rows);
    /* Primary: every cell of 1..4 — 蒙古族 and 满族 in the city, 姑苏区 and 双塔街道, 满族 in
     * 百步街, and all of 南园 (4: its total, 1 蒙古族, 3 回族). */
    int primary = rows_with_status(json, "primary", 5);
    CHECK_MSG(primary == 2 + 2 + 2 + 1 + 3, json);
    CHECK(cell(json, "320508021017", "11", NULL, "headcount") == NULL_CELL); /* 2 < 5 */
    CHECK(cell(json, "320508021018", NULL, NULL, "headcount") == NULL_CELL); /* 4 < 5 */
    CHECK(cell(json, "320500", NULL, NULL, "headcount") == 17);
    CHECK_HAS(json, "\"status_zh\":\"主隐藏\"");
    int secondary = rows_with_status(json, "secondary", 5);
    int published = rows_with_status(json, "published", 5);
    CHECK_MSG(secondary >= 1, json); /* primaries alone could be recovered by subtraction */
    CHECK(primary + secondary + published == rows);
    /* The same protection the registry applies to its own table with k = 5. */
    {
        char *own = EXEC_OK(reg, "{\"op\":\"population\",\"args\":{\"as_of\":\"2024-12-31\","
                                 "\"by\":[\"ethnicity\"],\"k\":5}}");
        CHECK_HAS(own, "\"k\":5");
        CHECK(row_count(own) == rows);
        const char *end_a = NULL, *end_b = NULL;
        const char *a = next_row(json, NULL, &end_a), *b = next_row(own, NULL, &end_b);
        for (; a != NULL && b != NULL;
             a = next_row(json, end_a + 1, &end_a), b = next_row(own, end_b + 1, &end_b)) {
            static const char *const keys[] = {"code", "ethnicity", "headcount", "status"};
            for (int i = 0; i < 4; i++) {
                const char *va = row_value(a, end_a, keys[i]), *vb = row_value(b, end_b, keys[i]);
                CHECK(va != NULL && vb != NULL);
                size_t la = strcspn(va, ",}"), lb = strcspn(vb, ",}");
                CHECK_MSG(la == lb && strncmp(va, vb, la) == 0, keys[i]);
            }
        }
        CHECK(a == NULL && b == NULL);
        shiliu_string_free(own);
    }
    csv = csv_ok(reg, req);
    CHECK(starts_with(csv, "period,unit,code,name,level,level_zh,path,depth,ethnicity,"
                           "ethnicity_name,headcount,"));
    CHECK(lines_of(csv) == rows + 1);
    CHECK(count_of(csv, ",primary,主隐藏,") == primary);
    CHECK(count_of(csv, ",secondary,次隐藏,") == secondary);
    /* Suppressed counts are empty cells; the code path is the cube's. */
    csv_line(csv, "", ",320500/320508/320508021/320508021017,3,11,满族,", line, sizeof line);
    CHECK_MSG(contains(line, ",3,11,满族,,"), line);
    CHECK_MSG(strcmp(csv_field(line, csv_column(csv, "status"), field, sizeof field), "primary") ==
                  0, line);
    shiliu_string_free(csv);
    shiliu_string_free(json);

    /* --- bad input ---------------------------------------------------------------------- */
    int64_t tx = tx_of(reg);
    /* An unknown field is named, through both entry points. */
    csv_fails(reg, "{\"op\":\"population\",\"args\":{\"as_of\":\"2024-12-31\",\"colour\":1}}",
              V, "colour");
    exec_fails_naming(reg, "{\"op\":\"population\",\"args\":{\"as_of\":\"2024-12-31\","
                           "\"colour\":1}}", V, "colour");
    csv_fails(reg, "{\"op\":\"population\",\"args\":{\"as_of\":\"2024-12-31\","
                   "\"by\":[\"religion\"]}}", V, "by");
    csv_fails(reg, "{\"op\":\"population_trend\",\"args\":{\"from\":\"2020-01-01\","
                   "\"to\":\"2021-12-31\",\"period\":\"fortnight\"}}", V, "period");
    csv_fails(reg, "{\"op\":\"population\",\"args\":{\"as_of\":\"2024-02-30\"}}", V, "as_of");
    csv_fails(reg, "{\"op\":\"population\",\"args\":{},\"colour\":1}", V, "colour");
    exec_fails_naming(reg, fmt(req, sizeof req,
        "{\"op\":\"import_aggregates\",\"args\":{\"path\":\"%s\",\"name\":\"x\",\"sheets\":1}}",
        census), V, "sheets");
    /* Not a table. */
    csv_fails(reg, "{\"op\":\"tree\",\"args\":{\"as_of\":\"2024-12-31\"}}", V, "tree");
    csv_fails(reg, fmt(req, sizeof req,
        "{\"op\":\"add_unit\",\"args\":{\"kind\":\"community\",\"name\":\"新社区\","
        "\"parent\":%lld,\"valid_from\":\"2024-01-01\"}}", (long long)n.shuangta), V, "add_unit");
    csv_fails(reg, fmt(req, sizeof req,
        "{\"op\":\"export_cube\",\"args\":{\"path\":\"%s\",\"as_of\":\"2024-12-31\"}}", missing),
        V, "export_cube");
    CHECK(access(missing, F_OK) != 0);
    csv_fails(reg, "{\"op\":\"no_such_op\"}", V, "no_such_op");
    csv_fails(reg, "{\"args\":{}}", V, "op");
    csv_fails(reg, "[1,2", V, NULL);
    csv_fails(reg, "", V, NULL);
    /* Files. */
    fmt(req, sizeof req, "{\"op\":\"protect_cube\",\"args\":{\"path\":\"%s\",\"k\":5}}", missing);
    CHECK(csv_fails(reg, req, SHILIU_STATUS_STORAGE, NULL) == 4002);
    fmt(req, sizeof req, "{\"op\":\"protect_cube\",\"args\":{\"path\":\"%s\",\"k\":5}}", census);
    csv_fails(reg, req, V, NULL); /* not a cube */
    fmt(req, sizeof req, "{\"op\":\"import_aggregates\",\"args\":{\"path\":\"%s\",\"name\":\"x\"}}",
        missing);
    EXEC_FAILS(reg, req, SHILIU_STATUS_STORAGE);
    fmt(req, sizeof req, "{\"op\":\"import_aggregates\",\"args\":{\"path\":\"%s\",\"name\":\" \"}}",
        census);
    EXEC_FAILS(reg, req, V);
    /* NULLs and bytes that are not UTF-8. */
    char *none = NULL;
    CHECK_FAILS(shiliu_registry_execute_csv(NULL, CS(pop_req), &none, &err), V, 1006);
    CHECK(shiliu_registry_execute_csv(NULL, CS(pop_req), &none, NULL) == V);
    CHECK_FAILS(shiliu_registry_execute_csv(reg, CS(pop_req), NULL, &err), V, 1006);
    CHECK(shiliu_registry_execute_csv(reg, CS(pop_req), NULL, NULL) == V);
    CHECK_FAILS(shiliu_registry_execute_csv(reg, NULL, 5, &none, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_execute_csv(reg, NULL, 0, &none, &err), V, 0);
    CHECK_FAILS(shiliu_registry_execute_csv(reg, S("\xff\xfe"), &none, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_execute_csv(
                    reg, S("{\"op\":\"population\",\"args\":{\"level\":\"\xe5\xb8\"}}"), &none,
                    &err),
                V, 1006);
    CHECK_FAILS(shiliu_registry_execute(
                    reg, S("{\"op\":\"population\",\"args\":{\"level\":\"\xc0\xaf\"}}"), &none,
                    &err),
                V, 1006);
    CHECK(none == NULL);
    CHECK(tx_of(reg) == tx); /* nothing was written by any of it */
    shiliu_registry_close(reg);

    /* --- an analyst of 姑苏区: aggregates only, k at least 5, no cubes ------------------- */
    reg = NULL;
    CHECK_OK(shiliu_registry_open(CS(db), CS(fmt(buf, sizeof buf,
        "{\"principal\":{\"name\":\"an\",\"role\":\"analyst\",\"scope\":%lld,"
        "\"purpose\":\"年报\"},\"today\":\"2025-06-30\",\"must_exist\":true}",
        (long long)n.gusu)), &reg, &err));
    json = EXEC_OK(reg, pop_req);
    CHECK_HAS(json, "\"k\":5");
    CHECK(cell(json, "320500", NULL, NULL, "headcount") == ABSENT); /* out of scope */
    CHECK(cell(json, "320508021017", NULL, NULL, "headcount") == 8);
    /* 南园's 4 is primary, so 姑苏区 (= 百步街 + 南园) and 双塔街道 are suppressed too. */
    CHECK(cell(json, "320508021018", NULL, NULL, "headcount") == NULL_CELL);
    CHECK(cell(json, "320508", NULL, NULL, "headcount") == NULL_CELL);
    CHECK(cell(json, "320508021", NULL, NULL, "headcount") == NULL_CELL);
    CHECK(cell(json, "320508", NULL, NULL, "population") == 4000);
    CHECK(cell(json, "320508021017", "11", NULL, "headcount") == NULL_CELL);
    CHECK(rows_with_status(json, "primary", 5) >= 1);
    shiliu_string_free(json);
    csv = csv_ok(reg, pop_req);
    CHECK_LACKS(csv, ",320500,");
    CHECK_HAS(csv, ",primary,主隐藏,");
    shiliu_string_free(csv);
    csv_fails(reg, "{\"op\":\"population\",\"args\":{\"as_of\":\"2024-12-31\",\"k\":2}}",
              SHILIU_STATUS_ACCESS_DENIED, NULL);
    csv_fails(reg, fmt(req, sizeof req,
        "{\"op\":\"population\",\"args\":{\"as_of\":\"2024-12-31\",\"under\":%lld}}",
        (long long)n.wuzhong), SHILIU_STATUS_ACCESS_DENIED, NULL);
    EXEC_FAILS(reg, fmt(req, sizeof req,
        "{\"op\":\"export_cube\",\"args\":{\"path\":\"%s\",\"as_of\":\"2024-12-31\"}}", missing),
        SHILIU_STATUS_ACCESS_DENIED);
    CHECK(access(missing, F_OK) != 0);
    shiliu_registry_close(reg);

    /* --- readers of execute_csv on one handle while it writes ---------------------------- */
    reg = NULL;
    CHECK_OK(shiliu_registry_open(CS(db), S("{\"today\":\"2025-06-30\",\"must_exist\":true}"),
                                  &reg, &err));
    {
        pthread_t threads[READERS];
        reader_job jobs[READERS];
        for (int i = 0; i < READERS; i++) {
            jobs[i] = (reader_job){reg, n.city, n.gusu, n.wuzhong, 0};
            CHECK(pthread_create(&threads[i], NULL, reader, &jobs[i]) == 0);
        }
        add_residents(reg, WRITES, "壮族", "registered", n.cq, "2024-01-01", NULL);
        for (int i = 0; i < READERS; i++) {
            CHECK(pthread_join(threads[i], NULL) == 0);
            CHECK(jobs[i].failures == 0);
        }
    }
    csv = csv_ok(reg, pop_req);
    CHECK(csv_total(csv, n.city, "320500") == 17 + WRITES);
    CHECK(csv_total(csv, n.wuzhong, "320506") == 5 + WRITES);
    CHECK(csv_total(csv, n.gusu, "320508") == 12);
    shiliu_string_free(csv);
    shiliu_registry_close(reg);

    puts("test_stats: ok");
    return 0;
}
