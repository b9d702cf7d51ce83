/* Every bad-input path of the C ABI, storage refusals, and access control (scope,
 * roles, masking). */
#include "test_util.h"

#define V SHILIU_STATUS_VALIDATION

#define UNIT_JSON "{\"kind\":\"city\",\"name\":\"苏州市\",\"valid_from\":\"1983-01-18\"}"

static int64_t tx_of(const struct shiliu_registry *reg) {
    int64_t tx = -1;
    CHECK_OK(shiliu_registry_transaction(reg, &tx, &err));
    return tx;
}

static void test_version(void) {
    char want[32];
    fmt(want, sizeof want, "%d.%d.%d", SHILIU_VERSION_MAJOR, SHILIU_VERSION_MINOR,
        SHILIU_VERSION_PATCH);
    CHECK(shiliu_version() != NULL);
    CHECK(strcmp(shiliu_version(), want) == 0);
    CHECK(shiliu_version() == shiliu_version()); /* static, never freed */
    CHECK(shiliu_abi_version() == SHILIU_ABI_VERSION);
    CHECK(SHILIU_FORMAT_VERSION == 1);
}

static void test_null_objects(void) {
    shiliu_error_free(NULL);
    shiliu_string_free(NULL);
    shiliu_registry_close(NULL);
    CHECK(shiliu_error_status(NULL) == 0);
    CHECK(shiliu_error_code(NULL) == 0);
    CHECK(shiliu_error_message(NULL) != NULL);
    CHECK(strcmp(shiliu_error_message(NULL), "") == 0);
}

/* Every registry function on a NULL handle: VALIDATION, with and without `err`. */
static void test_null_handle(void) {
    const struct shiliu_registry *none = NULL;
    char *out = NULL;
    int64_t id = 0;
    CHECK_FAILS(shiliu_registry_execute(none, S("{\"op\":\"audit_log\"}"), &out, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_transaction(none, &id, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_add_unit(none, S("{}"), &id, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_add_body(none, S("{}"), &id, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_add_post(none, S("{}"), &id, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_add_person(none, S("{}"), &id, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_add_position(none, S("{}"), &id, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_add_membership(none, S("{}"), &id, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_add_organisation(none, S("{}"), &id, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_reorganise(none, S("{}"), &out, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_import_units(none, S("/tmp/x.csv"), NULL, 0, &out, &err), V, 1006);
    CHECK(out == NULL && id == 0);

    /* Without an error slot: the status alone, nothing allocated (the leak checker). */
    CHECK(shiliu_registry_execute(none, S("{}"), &out, NULL) == V);
    CHECK(shiliu_registry_transaction(none, &id, NULL) == V);
    CHECK(shiliu_registry_add_unit(none, S("{}"), &id, NULL) == V);
    CHECK(shiliu_registry_reorganise(none, S("{}"), &out, NULL) == V);
    CHECK(shiliu_registry_import_units(none, S("x"), NULL, 0, &out, NULL) == V);
    CHECK(out == NULL && id == 0);
}

/* Bad arguments to the stateless functions. */
static void test_bad_arguments(void) {
    char *out = NULL;
    /* NULL out pointers. */
    CHECK_FAILS(shiliu_ethnicity_parse(S("回族"), NULL, &err), V, 1006);
    CHECK_FAILS(shiliu_ethnicity_list(NULL, &err), V, 1006);
    CHECK_FAILS(shiliu_id_number_parse(S("11010519491231002X"), NULL, 0, NULL, &err), V, 1006);
    CHECK_FAILS(shiliu_division_code_parse(S("320508"), NULL, &err), V, 1006);
    CHECK_FAILS(shiliu_credit_code_parse(S("91110000600037341L"), NULL, 0, NULL, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_open_in_memory(NULL, 0, NULL, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_open(S("/tmp/never-created.db"), NULL, 0, NULL, &err), V, 1006);
    CHECK(access("/tmp/never-created.db", F_OK) != 0);

    /* A NULL `err` is accepted: the status is still returned. */
    CHECK(shiliu_ethnicity_parse(S("火星族"), &out, NULL) == V);
    CHECK(shiliu_id_number_parse(S("110105194912310021"), NULL, 0, &out, NULL) == V);
    CHECK(shiliu_ethnicity_list(NULL, NULL) == V);
    CHECK(out == NULL);

    /* Invalid UTF-8. */
    CHECK_FAILS(shiliu_ethnicity_parse(S("\xff\xfe"), &out, &err), V, 1006);
    CHECK_FAILS(shiliu_division_code_parse(S("3205\xff"), &out, &err), V, 1006);
    CHECK_FAILS(shiliu_id_number_parse(S("\xff\xfe"), NULL, 0, &out, &err), V, 1006);
    CHECK_FAILS(shiliu_id_number_parse(S("11010519491231002X"), S("\xfe"), &out, &err), V, 1006);
    CHECK_FAILS(shiliu_credit_code_parse(S("\xc3"), NULL, 0, &out, &err), V, 1006);
    CHECK_FAILS(shiliu_credit_code_parse(S("91110000600037341L"), S("[\"\xff\"]"), &out, &err), V,
                1006);

    /* NULL pointer with a non-zero length. */
    CHECK_FAILS(shiliu_ethnicity_parse(NULL, 3, &out, &err), V, 1006);
    CHECK_FAILS(shiliu_division_code_parse(NULL, 6, &out, &err), V, 1006);
    CHECK_FAILS(shiliu_id_number_parse(NULL, 18, NULL, 0, &out, &err), V, 1006);
    CHECK_FAILS(shiliu_credit_code_parse(NULL, 18, NULL, 0, &out, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_open(NULL, 5, NULL, 0, NULL, &err), V, 0);
    CHECK(out == NULL);

    /* Opening: empty path, bad options. */
    struct shiliu_registry *reg = NULL;
    CHECK_FAILS(shiliu_registry_open(NULL, 0, NULL, 0, &reg, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_open(S("\xff.db"), NULL, 0, &reg, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_open_in_memory(S("{\"today\":"), &reg, &err), V, 1007);
    CHECK_FAILS(shiliu_registry_open_in_memory(S("{\"colour\":1}"), &reg, &err), V, 1007);
    CHECK_FAILS(shiliu_registry_open_in_memory(S("\xff"), &reg, &err), V, 1006);
    /* Only an administrator may act without a scope unit. */
    CHECK_FAILS(shiliu_registry_open_in_memory(
                    S("{\"principal\":{\"name\":\"v\",\"role\":\"viewer\"}}"), &reg, &err), V, 1006);
    /* A scope unit that does not exist. */
    CHECK_FAILS(shiliu_registry_open_in_memory(
                    S("{\"principal\":{\"name\":\"v\",\"role\":\"viewer\",\"scope\":42}}"), &reg,
                    &err), SHILIU_STATUS_NOT_FOUND, 2001);
    CHECK(shiliu_registry_open_in_memory(S("{\"today\":"), &reg, NULL) == V);
    CHECK(reg == NULL);
    /* Empty options are the defaults. */
    CHECK_OK(shiliu_registry_open_in_memory(S(""), &reg, &err));
    shiliu_registry_close(reg);
}

/* Bad requests to an open registry. */
static void test_bad_requests(void) {
    struct shiliu_registry *reg = NULL;
    CHECK_OK(shiliu_registry_open_in_memory(S("{\"today\":\"2024-12-31\"}"), &reg, &err));
    char *out = NULL;
    int64_t id = 0;

    CHECK_FAILS(shiliu_registry_add_unit(reg, S("{\"kind\":"), &id, &err), V, 1007);
    CHECK_FAILS(shiliu_registry_add_unit(reg, S("{\"kind\":\"city\"}"), &id, &err), V, 1007);
    CHECK_FAILS(shiliu_registry_add_unit(reg, S("{\"kind\":\"city\",\"name\":\"x\","
        "\"valid_from\":\"2000-01-01\",\"colour\":\"red\"}"), &id, &err), V, 1007);
    CHECK_FAILS(shiliu_registry_add_unit(reg, S("\xff\xfe"), &id, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_add_unit(reg, NULL, 4, &id, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_add_unit(reg, S("{\"kind\":\"city\",\"name\":\" \","
        "\"valid_from\":\"2000-01-01\"}"), &id, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_add_unit(reg, S("{\"kind\":\"city\",\"name\":\"x\","
        "\"valid_from\":\"2000-01-01\",\"valid_to\":\"1999-01-01\"}"), &id, &err), V, 0);
    CHECK_FAILS(shiliu_registry_add_body(reg, S("{\"kind\":"), &id, &err), V, 1007);
    CHECK_FAILS(shiliu_registry_add_post(reg, S("[]"), &id, &err), V, 1007);
    CHECK_FAILS(shiliu_registry_add_person(reg, S("{\"name\":"), &id, &err), V, 1007);
    CHECK_FAILS(shiliu_registry_add_position(reg, S("\xff"), &id, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_add_membership(reg, S("{}"), &id, &err), V, 1007);
    CHECK_FAILS(shiliu_registry_add_organisation(reg, S("{\"name\":1}"), &id, &err), V, 1007);
    CHECK_FAILS(shiliu_registry_reorganise(reg, S("{\"event\":\"explode\"}"), &out, &err), V, 1007);
    CHECK_FAILS(shiliu_registry_reorganise(reg, S("{\"event\":"), &out, &err), V, 1007);
    CHECK_FAILS(shiliu_registry_execute(reg, S("{\"op\":"), &out, &err), V, 1007);
    CHECK_FAILS(shiliu_registry_execute(reg, S("{\"kind\":"), &out, &err), V, 1007);
    CHECK_FAILS(shiliu_registry_execute(reg, S("{\"op\":\"frobnicate\",\"args\":{}}"), &out, &err),
                V, 1006);
    CHECK_FAILS(shiliu_registry_execute(reg, S("{\"op\":\"tree\",\"args\":{\"as_of\":\"2024-02-30\"}}"),
                                        &out, &err), V, 1005);
    CHECK_FAILS(shiliu_registry_execute(reg, S("{\"op\":\"tree\",\"args\":{\"as_of\":\"2024-01-01\",\"hierarchy\":\"bogus\"}}"),
                                        &out, &err), V, 1007);
    CHECK_FAILS(shiliu_registry_execute(reg, S("\xff\xfe"), &out, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_execute(reg, NULL, 7, &out, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_execute(reg, NULL, 0, &out, &err), V, 1007);
    CHECK_FAILS(shiliu_registry_import_units(reg, S("\xff"), NULL, 0, &out, &err), V, 1006);
    /* Missing things. */
    CHECK_FAILS(shiliu_registry_execute(reg, S("{\"op\":\"unit\",\"args\":{\"unit\":99,"
        "\"as_of\":\"2000-01-01\"}}"), &out, &err), SHILIU_STATUS_NOT_FOUND, 2001);
    CHECK_FAILS(shiliu_registry_add_body(reg, S("{\"unit\":99,\"kind\":\"领导小组\",\"name\":\"x\","
        "\"valid_from\":\"2000-01-01\"}"), &id, &err), SHILIU_STATUS_NOT_FOUND, 2001);
    CHECK(shiliu_registry_execute(reg, S("{\"op\":"), &out, NULL) == V);
    CHECK(out == NULL && id == 0);
    CHECK(tx_of(reg) == 0);

    /* A conflict: two units with one code on the same days. */
    CHECK_OK(shiliu_registry_add_unit(reg, S("{\"kind\":\"city\",\"name\":\"苏州市\","
        "\"code\":\"320500\",\"valid_from\":\"1983-01-18\"}"), &id, &err));
    CHECK_FAILS(shiliu_registry_add_unit(reg, S("{\"kind\":\"city\",\"name\":\"苏州\","
        "\"code\":\"320500\",\"valid_from\":\"1990-01-01\"}"), &id, &err),
                SHILIU_STATUS_CONFLICT, 5001);
    CHECK(tx_of(reg) == 1);
    CHECK_FAILS(shiliu_registry_transaction(reg, NULL, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_execute(reg, S("{\"op\":\"audit_log\"}"), NULL, &err), V, 1006);
    CHECK(tx_of(reg) == 1);
    shiliu_registry_close(reg);
}

/*
 * Contract checks that failed against the library when this suite was written (see the
 * C-test report); they run last so that everything else is checked first.
 */
static void test_reported_contract_gaps(void) {
    struct shiliu_registry *reg = NULL;
    CHECK_OK(shiliu_registry_open_in_memory(S("{\"today\":\"2024-12-31\"}"), &reg, &err));
    char *out = NULL;

    /* 1. A NULL output slot must be refused before anything is written. */
    int64_t before = tx_of(reg);
    CHECK_FAILS(shiliu_registry_add_unit(reg, S(UNIT_JSON), NULL, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_add_person(reg, S("{\"name\":\"张明\"}"), NULL, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_execute(reg, S("{\"op\":\"add_person\",\"args\":{\"name\":\"李华\"}}"),
                                        NULL, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_reorganise(reg, S("{\"event\":\"open\",\"unit\":" UNIT_JSON "}"),
                                           NULL, &err), V, 1006);
    char dir[128], csv[160];
    make_temp_dir(dir, sizeof dir, "gaps");
    write_file(fmt(csv, sizeof csv, "%s/units.csv", dir),
               "code,name,level,parent_code,valid_from,valid_to\n320500,苏州市,city,,1990-01-01,\n");
    CHECK_FAILS(shiliu_registry_import_units(reg, CS(csv), NULL, 0, NULL, &err), V, 1006);
    remove_dir(dir);
    CHECK_MSG(tx_of(reg) == before, "contract gap 1: a write whose output slot is NULL "
              "reports VALIDATION but was committed");

    /* 2. A NULL optional argument with a non-zero length is a caller bug, as for the
     *    required ones, not "argument absent". */
    struct shiliu_registry *other = NULL;
    CHECK_FAILS(shiliu_registry_open_in_memory(NULL, 2, &other, &err), V, 1006);
    CHECK(other == NULL);
    CHECK_FAILS(shiliu_id_number_parse(S("11010519491231002X"), NULL, 10, &out, &err), V, 1006);
    CHECK_FAILS(shiliu_credit_code_parse(S("91110000600037341M"), NULL, 5, &out, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_import_units(reg, S("/tmp/x.csv"), NULL, 3, &out, &err), V, 1006);
    CHECK(out == NULL);

    /* 3. A path with an interior NUL is an invalid argument, not a storage failure. */
    CHECK_FAILS(shiliu_registry_open((const uint8_t *)"/tmp/a\0b.db", 11, NULL, 0, &other, &err), V,
                1006);
    CHECK(other == NULL);
    shiliu_registry_close(reg);
}

/* A file that is not a shiliu database is refused and left as it was. */
static void test_not_a_database(void) {
    char dir[128], path[160];
    make_temp_dir(dir, sizeof dir, "notdb");
    fmt(path, sizeof path, "%s/registry.db", dir);
    static const char text[] = "code,name\n320500,苏州市\nthis is not a database\n";
    write_file(path, text);

    struct shiliu_registry *reg = NULL;
    CHECK_FAILS(shiliu_registry_open(CS(path), NULL, 0, &reg, &err), SHILIU_STATUS_STORAGE, 4003);
    CHECK(shiliu_registry_open(CS(path), NULL, 0, &reg, NULL) == SHILIU_STATUS_STORAGE);
    CHECK(reg == NULL);

    char back[sizeof text + 16];
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    size_t n = fread(back, 1, sizeof back, f);
    CHECK(fclose(f) == 0);
    CHECK(n == sizeof text - 1 && memcmp(back, text, n) == 0);
    char side[192];
    CHECK(access(fmt(side, sizeof side, "%s-wal", path), F_OK) != 0);
    CHECK(access(fmt(side, sizeof side, "%s-journal", path), F_OK) != 0);
    CHECK(unlink(path) == 0);

    /* must_exist refuses to create a file. */
    CHECK_FAILS(shiliu_registry_open(CS(path), S("{\"must_exist\":true}"), &reg, &err),
                SHILIU_STATUS_NOT_FOUND, 2001);
    CHECK(access(path, F_OK) != 0);
    remove_dir(dir);
}

static struct shiliu_registry *open_as(const char *db, const char *role, int64_t scope) {
    char opts[256];
    struct shiliu_registry *reg = NULL;
    CHECK_OK(shiliu_registry_open(CS(db), CS(fmt(opts, sizeof opts,
        "{\"principal\":{\"name\":\"op\",\"role\":\"%s\",\"scope\":%lld,\"purpose\":\"test\"},"
        "\"today\":\"2024-12-31\",\"must_exist\":true}", role, (long long)scope)), &reg, &err));
    return reg;
}

/* Scope and roles, on a file registry reopened for different principals. */
static void test_access(void) {
    char dir[128];
    make_temp_dir(dir, sizeof dir, "access");
    char db[128], buf[512];
    fmt(db, sizeof db, "%s/registry.db", dir);

    struct shiliu_registry *reg = NULL;
    CHECK_OK(shiliu_registry_open(CS(db), S("{\"today\":\"2024-12-31\"}"), &reg, &err));
    int64_t city, a, b, body, post, person, m;
    CHECK_OK(shiliu_registry_add_unit(reg, S("{\"kind\":\"city\",\"name\":\"苏州市\","
        "\"code\":\"320500\",\"valid_from\":\"1983-01-18\"}"), &city, &err));
    CHECK_OK(shiliu_registry_add_unit(reg, CS(fmt(buf, sizeof buf, "{\"kind\":\"district\","
        "\"name\":\"沧浪区\",\"parent\":%lld,\"valid_from\":\"1983-01-18\"}", (long long)city)),
        &a, &err));
    CHECK_OK(shiliu_registry_add_unit(reg, CS(fmt(buf, sizeof buf, "{\"kind\":\"district\","
        "\"name\":\"平江区\",\"parent\":%lld,\"valid_from\":\"1983-01-18\"}", (long long)city)),
        &b, &err));
    CHECK_OK(shiliu_registry_add_body(reg, CS(fmt(buf, sizeof buf, "{\"unit\":%lld,"
        "\"kind\":\"leadership_group\",\"name\":\"领导小组\",\"valid_from\":\"2002-03-01\"}",
        (long long)a)), &body, &err));
    CHECK_OK(shiliu_registry_add_post(reg, CS(fmt(buf, sizeof buf, "{\"body\":%lld,"
        "\"role\":\"leader\",\"valid_from\":\"2002-03-01\"}", (long long)body)), &post, &err));
    CHECK_OK(shiliu_registry_add_person(reg, S("{\"name\":\"张明\"}"), &person, &err));
    CHECK_OK(shiliu_registry_add_membership(reg, CS(fmt(buf, sizeof buf, "{\"post\":%lld,"
        "\"person\":%lld,\"valid_from\":\"2002-03-01\"}", (long long)post, (long long)person)),
        &m, &err));
    shiliu_registry_close(reg);

    char tree_a[128], tree_b[128], holders_a[128];
    fmt(tree_a, sizeof tree_a, "{\"op\":\"tree\",\"args\":{\"root\":%lld,\"as_of\":\"2003-06-30\"}}",
        (long long)a);
    fmt(tree_b, sizeof tree_b, "{\"op\":\"tree\",\"args\":{\"root\":%lld,\"as_of\":\"2003-06-30\"}}",
        (long long)b);
    fmt(holders_a, sizeof holders_a,
        "{\"op\":\"post_holders\",\"args\":{\"unit\":%lld,\"as_of\":\"2003-06-30\"}}", (long long)a);

    /* An operator of 沧浪区. */
    reg = open_as(db, "operator", a);
    int64_t id = 0, before = tx_of(reg);
    CHECK_FAILS(shiliu_registry_add_unit(reg, CS(fmt(buf, sizeof buf, "{\"kind\":\"street\","
        "\"name\":\"观前街道\",\"parent\":%lld,\"valid_from\":\"2000-01-01\"}", (long long)b)), &id,
        &err), SHILIU_STATUS_ACCESS_DENIED, 3001);
    CHECK_FAILS(shiliu_registry_add_unit(reg, S(UNIT_JSON), &id, &err),
                SHILIU_STATUS_ACCESS_DENIED, 3001); /* a root needs an unscoped administrator */
    CHECK(tx_of(reg) == before);
    EXEC_FAILS(reg, tree_b, SHILIU_STATUS_ACCESS_DENIED);
    char *out = EXEC_OK(reg, tree_a);
    CHECK_HAS(out, "\"name\":\"沧浪区\"");
    CHECK_LACKS(out, "平江区");
    shiliu_string_free(out);
    out = EXEC_OK(reg, "{\"op\":\"tree\",\"args\":{\"as_of\":\"2003-06-30\"}}");
    CHECK_HAS(out, "\"name\":\"沧浪区\"");
    CHECK_LACKS(out, "平江区");
    shiliu_string_free(out);
    CHECK_OK(shiliu_registry_add_unit(reg, CS(fmt(buf, sizeof buf, "{\"kind\":\"street\","
        "\"name\":\"府前街道\",\"parent\":%lld,\"valid_from\":\"2000-01-01\"}", (long long)a)), &id,
        &err));
    CHECK(tx_of(reg) == before + 1);
    out = EXEC_OK(reg, holders_a);
    CHECK_HAS(out, "\"name\":\"张明\"");
    shiliu_string_free(out);
    EXEC_FAILS(reg, "{\"op\":\"audit_log\"}", SHILIU_STATUS_ACCESS_DENIED); /* administrators only */
    out = EXEC_OK(reg, "{\"op\":\"transaction_info\",\"args\":{\"transaction\":8}}");
    CHECK_HAS(out, "\"principal\":\"op\"");
    shiliu_string_free(out);
    shiliu_registry_close(reg);

    /* A viewer: names masked, no writes. */
    reg = open_as(db, "viewer", a);
    out = EXEC_OK(reg, holders_a);
    CHECK_HAS(out, "\"masked\":true");
    CHECK_HAS(out, "\"name\":\"张*\"");
    CHECK_LACKS(out, "张明");
    shiliu_string_free(out);
    out = EXEC_OK(reg, fmt(buf, sizeof buf, "{\"op\":\"history\",\"args\":{\"id\":%lld}}",
                           (long long)person));
    CHECK_LACKS(out, "张明");
    shiliu_string_free(out);
    before = tx_of(reg);
    CHECK_FAILS(shiliu_registry_add_person(reg, S("{\"name\":\"李华\"}"), &id, &err),
                SHILIU_STATUS_ACCESS_DENIED, 3001);
    CHECK_FAILS(shiliu_registry_add_unit(reg, CS(fmt(buf, sizeof buf, "{\"kind\":\"street\","
        "\"name\":\"南门街道\",\"parent\":%lld,\"valid_from\":\"2000-01-01\"}", (long long)a)), &id,
        &err), SHILIU_STATUS_ACCESS_DENIED, 3001);
    EXEC_FAILS(reg, "{\"op\":\"add_person\",\"args\":{\"name\":\"李华\"}}",
               SHILIU_STATUS_ACCESS_DENIED);
    EXEC_FAILS(reg, fmt(buf, sizeof buf, "{\"op\":\"end\",\"args\":{\"id\":%lld,"
               "\"date\":\"2010-01-01\"}}", (long long)m), SHILIU_STATUS_ACCESS_DENIED);
    CHECK(tx_of(reg) == before);
    EXEC_FAILS(reg, "{\"op\":\"audit_log\"}", SHILIU_STATUS_ACCESS_DENIED);
    shiliu_registry_close(reg);

    /* An analyst: the network, never people. */
    reg = open_as(db, "analyst", a);
    EXEC_FAILS(reg, holders_a, SHILIU_STATUS_ACCESS_DENIED);
    EXEC_FAILS(reg, fmt(buf, sizeof buf, "{\"op\":\"person_history\",\"args\":{\"person\":%lld}}",
               (long long)person), SHILIU_STATUS_ACCESS_DENIED);
    out = EXEC_OK(reg, tree_a);
    CHECK_HAS(out, "\"name\":\"府前街道\"");
    shiliu_string_free(out);
    shiliu_registry_close(reg);

    /* A viewer of 平江区 does not see 沧浪区's people. */
    reg = open_as(db, "viewer", b);
    EXEC_FAILS(reg, holders_a, SHILIU_STATUS_ACCESS_DENIED);
    EXEC_FAILS(reg, fmt(buf, sizeof buf, "{\"op\":\"history\",\"args\":{\"id\":%lld}}",
               (long long)m), SHILIU_STATUS_ACCESS_DENIED);
    shiliu_registry_close(reg);

    remove_dir(dir);
    CHECK(access(dir, F_OK) != 0);
}

int main(void) {
    test_version();
    test_null_objects();
    test_null_handle();
    test_bad_arguments();
    test_not_a_database();
    test_access();
    test_bad_requests();
    test_reported_contract_gaps();
    return 0;
}
