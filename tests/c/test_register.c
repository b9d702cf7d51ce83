/* The resident register through the C ABI: the ledger import with a progress callback
 * (shiliu_registry_import_residents), and the register's JSON operations through
 * shiliu_registry_execute — masked reads, audited reveals, exports, circumstances and
 * the ethnicity-change rules — plus every bad-input path of the import. */
#include "test_util.h"

#define V SHILIU_STATUS_VALIDATION

/* What the progress callback saw. */
typedef struct {
    uint64_t done, total;
    int calls;
} progress_seen;

static void on_progress(uint64_t done, uint64_t total, void *user_data) {
    progress_seen *seen = (progress_seen *)user_data;
    seen->done = done;
    seen->total = total;
    seen->calls++;
}

typedef struct {
    int64_t city, district, street, community;
} network;

static int64_t tx_of(const struct shiliu_registry *reg) {
    int64_t tx = -1;
    CHECK_OK(shiliu_registry_transaction(reg, &tx, &err));
    CHECK(tx >= 0);
    return tx;
}

/* A valid 18-character ID number (GB 11643-1999) from its first 17 digits: the check
 * character of ISO 7064 MOD 11-2. */
static void id_number(char out[19], const char *first17) {
    static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char map[] = "10X98765432";
    int sum = 0;
    CHECK(strlen(first17) == 17);
    for (int i = 0; i < 17; i++) {
        CHECK(first17[i] >= '0' && first17[i] <= '9');
        sum += (first17[i] - '0') * weights[i];
    }
    memcpy(out, first17, 17);
    out[17] = map[sum % 11];
    out[18] = '\0';
}

static int64_t add_unit(const struct shiliu_registry *reg, const char *json) {
    int64_t id = 0;
    CHECK_OK(shiliu_registry_add_unit(reg, CS(json), &id, &err));
    CHECK(id > 0);
    return id;
}

static void build(const struct shiliu_registry *reg, network *n) {
    char buf[512];
    n->city = add_unit(reg, "{\"kind\":\"city\",\"name\":\"苏州市\",\"code\":\"320500\","
                            "\"valid_from\":\"1983-01-18\"}");
    n->district = add_unit(reg, fmt(buf, sizeof buf,
        "{\"kind\":\"district\",\"name\":\"姑苏区\",\"code\":\"320508\",\"parent\":%lld,"
        "\"valid_from\":\"2000-01-01\"}", (long long)n->city));
    n->street = add_unit(reg, fmt(buf, sizeof buf,
        "{\"kind\":\"street\",\"name\":\"双塔街道\",\"code\":\"320508021\",\"parent\":%lld,"
        "\"valid_from\":\"2000-01-01\"}", (long long)n->district));
    n->community = add_unit(reg, fmt(buf, sizeof buf,
        "{\"kind\":\"community\",\"name\":\"百步街社区\",\"code\":\"320508021017\","
        "\"parent\":%lld,\"valid_from\":\"2000-01-01\"}", (long long)n->street));
}

/* The row number of the (only) rejected row with `code` in an import report. */
static long rejected_row(const char *json, const char *code) {
    char needle[128];
    fmt(needle, sizeof needle, "\"code\":\"%s\"", code);
    CHECK_MSG(count_of(json, needle) == 1, needle);
    const char *at = strstr(json, needle);
    const char *open = at;
    while (open > json && *open != '{') {
        open--;
    }
    const char *close = strchr(at, '}');
    const char *row = strstr(open, "\"row\":");
    CHECK_MSG(row != NULL && close != NULL && row < close, json);
    return strtol(row + strlen("\"row\":"), NULL, 10);
}

/* The "id" of each object of the top-level "result" array of a response (the keys at
 * depth 3: document, array, object), in order; returns how many. */
static int result_ids(const char *json, int64_t *ids, int max) {
    int depth = 0, n = 0, in_string = 0;
    for (const char *p = json; *p != '\0'; p++) {
        if (in_string) {
            if (*p == '\\' && p[1] != '\0') {
                p++;
            } else if (*p == '"') {
                in_string = 0;
            }
        } else if (*p == '"') {
            if (depth == 3 && strncmp(p, "\"id\":", 5) == 0) {
                CHECK(n < max);
                ids[n++] = strtoll(p + 5, NULL, 10);
                p += 4; /* at the colon: the key is consumed */
            } else {
                in_string = 1;
            }
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            depth--;
        }
    }
    return n;
}

/* Imports with `options` (must succeed); returns the response. */
static char *import_ok(const struct shiliu_registry *reg, const char *options,
                       progress_seen *seen) {
    char *out = NULL;
    CHECK_OK(shiliu_registry_import_residents(reg, CS(options), seen ? on_progress : NULL, seen,
                                              &out, &err));
    CHECK(out != NULL);
    CHECK_HAS(out, "\"format\":1");
    CHECK_HAS(out, "\"warnings\":[]");
    return out;
}

static int file_starts_with(const char *path, const char *prefix, size_t len) {
    char head[16] = {0};
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return 0;
    }
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    return got >= len && memcmp(head, prefix, len) == 0;
}

int main(void) {
    char dir[128], db[192], ledger[192], more[192], csv_out[192], xlsx_out[192];
    char buf[2048], opts[512];
    char id1[19], id2[19], id3[19], id4[19], id5[19];
    make_temp_dir(dir, sizeof dir, "register");
    fmt(db, sizeof db, "%s/register.db", dir);
    fmt(ledger, sizeof ledger, "%s/台账.csv", dir);
    fmt(more, sizeof more, "%s/more.csv", dir);
    fmt(csv_out, sizeof csv_out, "%s/export.csv", dir);
    fmt(xlsx_out, sizeof xlsx_out, "%s/export.xlsx", dir);
    id_number(id1, "64010419900501001");
    id_number(id2, "22240119850203002");
    id_number(id3, "53310319950909003");
    id_number(id4, "11010519800101001");
    id_number(id5, "64010419920707005");
    /* The check character of a well-known example number. */
    {
        char known[19];
        id_number(known, "11010519491231002");
        CHECK(strcmp(known, "11010519491231002X") == 0);
    }

    struct shiliu_registry *reg = NULL;
    CHECK_OK(shiliu_registry_open(CS(db), S("{\"today\":\"2024-12-31\"}"), &reg, &err));
    network n;
    build(reg, &n);

    /* --- the ledger: a title row, Chinese headers, 3 good rows, 2 bad, a total row ------ */
    fmt(buf, sizeof buf,
        "双塔街道少数民族居民台账（2024年）,,,,,,,,,\n"
        "姓名,性别,民族,公民身份号码,出生日期,联系电话,所属社区,人员类别,流出地,来苏时间\n"
        "马小龙,男,回族,%s,1990-05-01,13812345678,320508021017,流动,640104,2015-03-05\n"
        "金美玉,女,朝鲜族,%s,1985-02-03,13912345678,320508021017,户籍,,2010-07-01\n"
        "岩温,男,傣族,%s,1995-09-09,13712345678,320508021017,流动,533103,2019-06-01\n"
        "错一,男,回族,1.10105E+17,,13612345678,320508021017,流动,,2015-01-01\n"
        "错二,男,火星族,%s,1980-01-01,13512345678,320508021017,流动,,2015-01-01\n"
        "合计,3人,,,,,,,,\n",
        id1, id2, id3, id4);
    write_file(ledger, buf);

    /* --- import with progress -------------------------------------------------------- */
    int64_t before = tx_of(reg);
    progress_seen seen = {0, 0, 0};
    char *out = import_ok(reg, fmt(opts, sizeof opts, "{\"path\":\"%s\"}", ledger), &seen);
    int64_t after = tx_of(reg);
    CHECK(after == before + 1);
    CHECK_HAS(out, fmt(buf, sizeof buf, "\"transaction\":%lld", (long long)after));
    CHECK_HAS(out, "\"inserted\":3");
    CHECK_HAS(out, "\"rows_read\":5");
    CHECK(rejected_row(out, "id_number.excel_mangled") == 6);
    CHECK(rejected_row(out, "ethnicity.unknown") == 7);
    CHECK(count_of(out, "\"message_zh\"") == 2);
    CHECK_HAS(out, "\"column\":\"公民身份号码\"");
    CHECK_HAS(out, "\"value\":\"火星族\"");
    CHECK_HAS(out, "合计"); /* the total row is reported as skipped */
    CHECK_MSG(seen.calls >= 1 && seen.done == 5 && seen.total == 5, out);
    /* No personal number leaks into the report. */
    CHECK_LACKS(out, id1);
    CHECK_LACKS(out, id2);
    CHECK_LACKS(out, id3);
    CHECK_LACKS(out, id4);
    CHECK_LACKS(out, "1.10105E+17");
    {
        /* The mangled number is reported, masked. */
        const char *v = strstr(out, "\"value\":\"1.");
        CHECK_MSG(v != NULL, out);
        const char *end = strchr(v + strlen("\"value\":\""), '"');
        const char *star = strchr(v, '*');
        CHECK_MSG(end != NULL && star != NULL && star < end, out);
    }
    CHECK_LACKS(out, "13812345678");
    CHECK_LACKS(out, "13612345678");
    CHECK_LACKS(out, "13512345678");
    shiliu_string_free(out);

    /* --- re-import: nothing changes ---------------------------------------------------- */
    seen.calls = 0;
    out = import_ok(reg, opts, &seen);
    CHECK_HAS(out, "\"unchanged\":3");
    CHECK_HAS(out, "\"inserted\":0");
    CHECK_HAS(out, "\"transaction\":null");
    CHECK_LACKS(out, fmt(buf, sizeof buf, "\"transaction\":%lld", (long long)after));
    CHECK(seen.calls >= 1 && seen.done == 5 && seen.total == 5);
    shiliu_string_free(out);
    CHECK(tx_of(reg) == after);

    /* --- a second ledger: NULL output imports nothing; dry run counts, writes nothing --- */
    fmt(buf, sizeof buf,
        "姓名,性别,民族,公民身份号码,出生日期,联系电话,所属社区,人员类别,流出地,来苏时间\n"
        "马小虎,男,回族,%s,1992-07-07,13812340000,320508021017,流动,640104,2020-01-01\n",
        id5);
    write_file(more, buf);
    fmt(opts, sizeof opts, "{\"path\":\"%s\"}", more);
    seen.calls = 0;
    CHECK_FAILS(shiliu_registry_import_residents(reg, CS(opts), on_progress, &seen, NULL, &err),
                V, 1006);
    CHECK(seen.calls == 0);
    CHECK(shiliu_registry_import_residents(reg, CS(opts), NULL, NULL, NULL, NULL) == V);
    CHECK(tx_of(reg) == after);

    fmt(opts, sizeof opts, "{\"path\":\"%s\",\"dry_run\":true}", more);
    out = import_ok(reg, opts, NULL); /* a NULL callback is fine */
    CHECK_HAS(out, "\"inserted\":1");
    CHECK_HAS(out, "\"transaction\":null");
    CHECK_LACKS(out, id5);
    shiliu_string_free(out);
    CHECK(tx_of(reg) == after);

    /* --- bad input ---------------------------------------------------------------------- */
    char *none = NULL;
    CHECK_FAILS(shiliu_registry_import_residents(reg, NULL, 5, NULL, NULL, &none, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_import_residents(reg, NULL, 0, NULL, NULL, &none, &err), V, 0);
    CHECK_FAILS(shiliu_registry_import_residents(reg, S("{\"path\":"), NULL, NULL, &none, &err),
                V, 1007);
    CHECK_FAILS(shiliu_registry_import_residents(reg, S("{\"path\":\"x.csv\",\"colour\":1}"),
                                                 NULL, NULL, &none, &err), V, 1007);
    CHECK_FAILS(shiliu_registry_import_residents(reg, S("\xff\xfe"), NULL, NULL, &none, &err),
                V, 1006);
    fmt(opts, sizeof opts, "{\"path\":\"%s/missing.csv\"}", dir);
    CHECK_FAILS(shiliu_registry_import_residents(reg, CS(opts), on_progress, &seen, &none, &err),
                SHILIU_STATUS_STORAGE, 4002);
    CHECK_FAILS(shiliu_registry_import_residents(NULL, CS(opts), NULL, NULL, &none, &err), V, 1006);
    CHECK(shiliu_registry_import_residents(NULL, CS(opts), NULL, NULL, &none, NULL) == V);
    CHECK(none == NULL);
    CHECK(tx_of(reg) == after);

    /* --- masked reads through execute --------------------------------------------------- */
    out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"residents\",\"args\":{\"under\":%lld,\"as_of\":\"2024-12-31\"}}",
        (long long)n.street));
    CHECK(count_of(out, "\"masked\":true") == 3);
    CHECK_HAS(out, "\"name\":\"马**\"");
    CHECK_LACKS(out, "马小龙");
    CHECK_LACKS(out, id1);
    CHECK_LACKS(out, "13812345678");
    int64_t ids[8];
    CHECK_MSG(result_ids(out, ids, 8) == 3, out);
    shiliu_string_free(out);

    int64_t ma = 0;
    for (int i = 0; i < 3; i++) {
        out = EXEC_OK(reg, fmt(buf, sizeof buf,
            "{\"op\":\"resident\",\"args\":{\"resident\":%lld,\"as_of\":\"2024-12-31\"}}",
            (long long)ids[i]));
        CHECK_HAS(out, "\"masked\":true");
        if (contains(out, "\"name\":\"马**\"")) {
            ma = ids[i];
            CHECK_HAS(out, "\"ethnicity_name\":\"回族\"");
            CHECK_HAS(out, "\"phone\":\"138****5678\"");
            CHECK_LACKS(out, id1);
        }
        shiliu_string_free(out);
    }
    CHECK(ma > 0);

    /* The administrator has stated no purpose: no reveal. */
    CHECK(EXEC_FAILS(reg, fmt(buf, sizeof buf,
        "{\"op\":\"reveal_resident\",\"args\":{\"resident\":%lld,\"as_of\":\"2024-12-31\"}}",
        (long long)ma), SHILIU_STATUS_ACCESS_DENIED) == 3001);
    shiliu_registry_close(reg);

    /* --- an operator of the street with a purpose ---------------------------------------- */
    reg = NULL;
    CHECK_OK(shiliu_registry_open(CS(db), CS(fmt(opts, sizeof opts,
        "{\"principal\":{\"name\":\"op\",\"role\":\"operator\",\"scope\":%lld,\"purpose\":\"核查\"},"
        "\"today\":\"2024-12-31\",\"must_exist\":true}", (long long)n.street)), &reg, &err));
    out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"reveal_resident\",\"args\":{\"resident\":%lld,\"as_of\":\"2024-12-31\"}}",
        (long long)ma));
    CHECK_HAS(out, "\"name\":\"马小龙\"");
    CHECK_HAS(out, id1);
    CHECK_HAS(out, "\"phone\":\"13812345678\"");
    CHECK_HAS(out, "\"masked\":false");
    shiliu_string_free(out);

    /* Exports: CSV (UTF-8 with BOM) and XLSX (a zip). */
    out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"export_residents\",\"args\":{\"under\":%lld,\"as_of\":\"2024-12-31\","
        "\"path\":\"%s\",\"format\":\"csv\"}}", (long long)n.street, csv_out));
    CHECK_HAS(out, "\"rows\":3");
    shiliu_string_free(out);
    CHECK(file_starts_with(csv_out, "\xef\xbb\xbf", 3));
    out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"export_residents\",\"args\":{\"under\":%lld,\"as_of\":\"2024-12-31\","
        "\"path\":\"%s\",\"format\":\"xlsx\"}}", (long long)n.street, xlsx_out));
    CHECK_HAS(out, "\"rows\":3");
    shiliu_string_free(out);
    CHECK(file_starts_with(xlsx_out, "PK", 2));

    /* The exported CSV imports again as unchanged (the round trip). */
    out = import_ok(reg, fmt(opts, sizeof opts, "{\"path\":\"%s\"}", csv_out), NULL);
    CHECK_HAS(out, "\"unchanged\":3");
    CHECK_HAS(out, "\"transaction\":null");
    shiliu_string_free(out);

    /* Circumstances: an event, a flag, a declared preference. */
    out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"add_life_event\",\"args\":{\"resident\":%lld,\"kind\":\"住院\","
        "\"date\":\"2024-06-01\",\"note\":\"阑尾炎\"}}", (long long)ma));
    shiliu_string_free(out);
    out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"add_flag\",\"args\":{\"resident\":%lld,\"kind\":\"hardship\","
        "\"detail\":\"因病\",\"valid_from\":\"2024-06-01\"}}", (long long)ma));
    shiliu_string_free(out);
    out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"declare_preference\",\"args\":{\"resident\":%lld,\"kind\":\"halal_diet\","
        "\"value\":\"yes\",\"declared_on\":\"2024-06-02\"}}", (long long)ma));
    shiliu_string_free(out);
    out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"circumstances\",\"args\":{\"resident\":%lld}}", (long long)ma));
    CHECK_HAS(out, "\"kind\":\"hospitalised\"");
    CHECK_HAS(out, "\"note\":\"阑尾炎\"");
    CHECK_HAS(out, "\"kind\":\"hardship\"");
    CHECK_HAS(out, "\"detail\":\"因病\"");
    CHECK_HAS(out, "\"kind\":\"halal_diet\"");
    CHECK_HAS(out, "\"value\":\"yes\"");
    shiliu_string_free(out);
    /* A future event is refused. */
    EXEC_FAILS(reg, fmt(buf, sizeof buf,
        "{\"op\":\"add_life_event\",\"args\":{\"resident\":%lld,\"kind\":\"disaster\","
        "\"date\":\"2025-06-01\"}}", (long long)ma), V);

    /* Ethnicity changes follow a parent's ethnicity (2015 rules). */
    out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"add_resident\",\"args\":{\"name\":\"白小华\",\"sex\":\"female\","
        "\"birth_date\":\"2012-03-04\",\"ethnicity\":\"汉族\",\"category\":\"registered\","
        "\"father_ethnicity\":\"回族\",\"mother_ethnicity\":\"汉族\",\"community\":%lld,"
        "\"arrived_on\":\"2012-03-04\"}}", (long long)n.community));
    const char *result = strstr(out, "\"result\":");
    CHECK(result != NULL);
    int64_t child = strtoll(result + strlen("\"result\":"), NULL, 10);
    CHECK(child > 0);
    shiliu_string_free(out);
    CHECK(EXEC_FAILS(reg, fmt(buf, sizeof buf,
        "{\"op\":\"change_ethnicity\",\"args\":{\"resident\":%lld,\"ethnicity\":\"满族\","
        "\"date\":\"2024-01-01\"}}", (long long)child), V) == 1006);
    out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"change_ethnicity\",\"args\":{\"resident\":%lld,\"ethnicity\":\"回族\","
        "\"date\":\"2024-01-01\",\"reason\":\"苏民宗〔2024〕1号\"}}", (long long)child));
    shiliu_string_free(out);
    out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"resident\",\"args\":{\"resident\":%lld,\"as_of\":\"2024-12-31\"}}",
        (long long)child));
    CHECK_HAS(out, "\"ethnicity_name\":\"回族\"");
    shiliu_string_free(out);
    out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"resident\",\"args\":{\"resident\":%lld,\"as_of\":\"2023-12-31\"}}",
        (long long)child));
    CHECK_HAS(out, "\"ethnicity_name\":\"汉族\"");
    shiliu_string_free(out);

    shiliu_registry_close(reg);
    puts("test_register: ok");
    return 0;
}
