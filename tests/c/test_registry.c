/* The registry through the C ABI: typed writes, reorganisations, as-of queries through
 * shiliu_registry_execute, transactions, and the CSV unit import. */
#include "test_util.h"

typedef struct {
    int64_t city, canglang, pingjiang, fuqian, nanmen, daoqian, south, gusu;
    int64_t body, leader_post, deputy_post, person, membership, position, org;
} network;

static int64_t tx_of(const struct shiliu_registry *reg) {
    int64_t tx = -1;
    CHECK_OK(shiliu_registry_transaction(reg, &tx, &err));
    CHECK(tx >= 0);
    return tx;
}

/* Checks that a write recorded exactly one new transaction. */
static int64_t advanced(const struct shiliu_registry *reg, int64_t before) {
    int64_t now = tx_of(reg);
    CHECK(now == before + 1);
    return now;
}

static int64_t add_unit(const struct shiliu_registry *reg, const char *json) {
    int64_t before = tx_of(reg), id = 0;
    CHECK_OK(shiliu_registry_add_unit(reg, CS(json), &id, &err));
    CHECK(id > 0);
    advanced(reg, before);
    return id;
}

static void build(const struct shiliu_registry *reg, network *n) {
    char buf[1024];
    CHECK(tx_of(reg) == 0);
    n->city = add_unit(reg, "{\"kind\":\"city\",\"name\":\"苏州市\",\"code\":\"320500\","
                            "\"valid_from\":\"1983-01-18\"}");
    n->canglang = add_unit(reg, fmt(buf, sizeof buf,
        "{\"kind\":\"区\",\"name\":\"沧浪区\",\"code\":\"320502\",\"parent\":%lld,"
        "\"valid_from\":\"1983-01-18\"}", (long long)n->city));
    n->pingjiang = add_unit(reg, fmt(buf, sizeof buf,
        "{\"kind\":\"district\",\"name\":\"平江区\",\"code\":\"320503\",\"parent\":%lld,"
        "\"valid_from\":\"1983-01-18\"}", (long long)n->city));
    n->fuqian = add_unit(reg, fmt(buf, sizeof buf,
        "{\"kind\":\"街道\",\"name\":\"府前街道\",\"parent\":%lld,\"valid_from\":\"1983-01-18\"}",
        (long long)n->canglang));
    n->nanmen = add_unit(reg, fmt(buf, sizeof buf,
        "{\"kind\":\"street\",\"name\":\"南门街道\",\"parent\":%lld,\"valid_from\":\"1983-01-18\"}",
        (long long)n->canglang));
    n->daoqian = add_unit(reg, fmt(buf, sizeof buf,
        "{\"kind\":\"社区\",\"name\":\"道前社区\",\"parent\":%lld,\"valid_from\":\"2000-01-01\"}",
        (long long)n->fuqian));
    n->south = add_unit(reg, fmt(buf, sizeof buf,
        "{\"kind\":\"联络片\",\"name\":\"南片\",\"parent\":%lld,\"valid_from\":\"2002-01-01\"}",
        (long long)n->fuqian));

    /* 道前社区 joins its 联络片 in the working hierarchy. */
    int64_t before = tx_of(reg);
    char *out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"set_parent\",\"args\":{\"unit\":%lld,\"hierarchy\":\"working\",\"parent\":%lld,"
        "\"from\":\"2002-01-01\"}}", (long long)n->daoqian, (long long)n->south));
    CHECK_HAS(out, "\"format\":1");
    shiliu_string_free(out);
    advanced(reg, before);

    before = tx_of(reg);
    CHECK_OK(shiliu_registry_add_body(reg, CS(fmt(buf, sizeof buf,
        "{\"unit\":%lld,\"kind\":\"领导小组\",\"name\":\"府前街道社区少数民族工作领导小组\","
        "\"valid_from\":\"2002-03-01\"}", (long long)n->fuqian)), &n->body, &err));
    before = advanced(reg, before);
    CHECK_OK(shiliu_registry_add_post(reg, CS(fmt(buf, sizeof buf,
        "{\"body\":%lld,\"role\":\"组长\",\"responsibility\":\"全面负责\","
        "\"valid_from\":\"2002-03-01\"}", (long long)n->body)), &n->leader_post, &err));
    before = advanced(reg, before);
    CHECK_OK(shiliu_registry_add_post(reg, CS(fmt(buf, sizeof buf,
        "{\"body\":%lld,\"role\":\"deputy_leader\",\"valid_from\":\"2002-03-01\"}",
        (long long)n->body)), &n->deputy_post, &err));
    before = advanced(reg, before);
    CHECK_OK(shiliu_registry_add_person(reg, S("{\"name\":\"张明\",\"phone\":\"13812345678\"}"),
                                        &n->person, &err));
    before = advanced(reg, before);
    CHECK_OK(shiliu_registry_add_membership(reg, CS(fmt(buf, sizeof buf,
        "{\"post\":%lld,\"person\":%lld,\"valid_from\":\"2002-03-01\"}",
        (long long)n->leader_post, (long long)n->person)), &n->membership, &err));
    before = advanced(reg, before);
    CHECK_OK(shiliu_registry_add_position(reg, CS(fmt(buf, sizeof buf,
        "{\"person\":%lld,\"title\":\"街道党工委书记\",\"unit\":%lld,"
        "\"valid_from\":\"2002-03-01\"}", (long long)n->person, (long long)n->fuqian)),
        &n->position, &err));
    before = advanced(reg, before);
    CHECK_OK(shiliu_registry_add_organisation(reg, CS(fmt(buf, sizeof buf,
        "{\"name\":\"辖区医院\",\"credit_code\":\"91110000600037341L\",\"unit\":%lld,"
        "\"kind\":\"医院\",\"valid_from\":\"2002-09-01\"}", (long long)n->nanmen)), &n->org, &err));
    advanced(reg, before);

    int64_t ids[] = {n->body, n->leader_post, n->deputy_post, n->person, n->membership,
                     n->position, n->org};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        CHECK(ids[i] > n->south);
        for (size_t j = 0; j < i; j++) {
            CHECK(ids[i] != ids[j]);
        }
    }
}

/* Runs `reorganise` and checks the response and the new transaction. */
static char *reorganise(const struct shiliu_registry *reg, const char *json) {
    int64_t before = tx_of(reg);
    char *out = NULL;
    CHECK_OK(shiliu_registry_reorganise(reg, CS(json), &out, &err));
    int64_t now = advanced(reg, before);
    char want[64];
    CHECK_HAS(out, "\"format\":1");
    CHECK_HAS(out, fmt(want, sizeof want, "\"transaction\":%lld", (long long)now));
    CHECK_HAS(out, "\"successors\":[");
    return out;
}

static void reorganisations(const struct shiliu_registry *reg, network *n) {
    char buf[1024], want[64];
    /* 2003-12-31: the leader leaves (ends a membership: a new version of the record). */
    int64_t before = tx_of(reg);
    char *out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"end\",\"args\":{\"id\":%lld,\"date\":\"2003-12-31\"}}", (long long)n->membership));
    shiliu_string_free(out);
    advanced(reg, before);
    out = EXEC_OK(reg, fmt(buf, sizeof buf, "{\"op\":\"history\",\"args\":{\"id\":%lld}}",
                           (long long)n->membership));
    CHECK(count_of(out, "\"recorded_in\":") == 2);
    CHECK(count_of(out, "\"superseded_in\":null") == 1);
    CHECK_HAS(out, "\"to\":\"2003-12-31\"");
    shiliu_string_free(out);

    /* 2004-03-01: 府前街道 merges into 南门街道. */
    out = reorganise(reg, fmt(buf, sizeof buf,
        "{\"event\":\"merge\",\"date\":\"2004-03-01\",\"units\":[%lld],\"into\":%lld,"
        "\"note\":\"府前街道并入南门街道\"}", (long long)n->fuqian, (long long)n->nanmen));
    CHECK_HAS(out, fmt(want, sizeof want, "\"successors\":[%lld]", (long long)n->nanmen));
    shiliu_string_free(out);

    /* 2012-09-01: 沧浪区 + 平江区 merge into a new 姑苏区. */
    out = reorganise(reg, fmt(buf, sizeof buf,
        "{\"event\":\"merge\",\"date\":\"2012-09-01\",\"units\":[%lld,%lld],"
        "\"into\":{\"kind\":\"district\",\"name\":\"姑苏区\",\"code\":\"320508\",\"parent\":%lld,"
        "\"valid_from\":\"2012-09-01\"},\"note\":\"国函〔2012〕111号\"}",
        (long long)n->canglang, (long long)n->pingjiang, (long long)n->city));
    const char *succ = strstr(out, "\"successors\":[");
    CHECK(succ != NULL);
    n->gusu = strtoll(succ + strlen("\"successors\":["), NULL, 10);
    CHECK(n->gusu > n->org);
    shiliu_string_free(out);

    /* 2012-12-21: 南门街道 is renamed 沧浪街道. */
    int64_t before_rename = tx_of(reg);
    out = reorganise(reg, fmt(buf, sizeof buf,
        "{\"event\":\"rename\",\"unit\":%lld,\"date\":\"2012-12-21\",\"name\":\"沧浪街道\"}",
        (long long)n->nanmen));
    CHECK_HAS(out, fmt(want, sizeof want, "\"successors\":[%lld]", (long long)n->nanmen));
    shiliu_string_free(out);

    /* A read pinned to the transaction before the rename answers as it did then. */
    out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"unit\",\"args\":{\"unit\":%lld,\"as_of\":\"2024-12-31\"},\"transaction\":%lld}",
        (long long)n->nanmen, (long long)before_rename));
    CHECK_HAS(out, "\"name\":\"南门街道\"");
    CHECK_HAS(out, fmt(want, sizeof want, "\"transaction\":%lld", (long long)before_rename));
    shiliu_string_free(out);
    out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"unit\",\"args\":{\"unit\":%lld,\"as_of\":\"2024-12-31\"}}", (long long)n->nanmen));
    CHECK_HAS(out, "\"name\":\"沧浪街道\"");
    shiliu_string_free(out);

    /* A second rename on the same day contradicts the record. */
    out = NULL;
    CHECK_FAILS(shiliu_registry_reorganise(reg, CS(fmt(buf, sizeof buf,
        "{\"event\":\"rename\",\"unit\":%lld,\"date\":\"2012-12-21\",\"name\":\"别名街道\"}",
        (long long)n->nanmen)), &out, &err), SHILIU_STATUS_CONFLICT, 5001);
    CHECK(out == NULL);
}

static void queries(const struct shiliu_registry *reg, const network *n) {
    char buf[1024], want[128];
    int64_t tx = tx_of(reg);

    char *out = EXEC_OK(reg, "{\"op\":\"tree\",\"args\":{\"as_of\":\"2003-06-30\"}}");
    CHECK_HAS(out, "\"format\":1");
    CHECK_HAS(out, fmt(want, sizeof want, "\"transaction\":%lld,", (long long)tx));
    CHECK_HAS(out, "\"warnings\":[]");
    CHECK_HAS(out, "\"name\":\"府前街道\"");
    CHECK_HAS(out, "\"path\":\"苏州市/沧浪区/府前街道/道前社区\"");
    CHECK_LACKS(out, "姑苏区");
    CHECK_LACKS(out, "沧浪街道");
    shiliu_string_free(out);

    out = EXEC_OK(reg, "{\"op\":\"tree\",\"args\":{\"as_of\":\"2024-12-31\"}}");
    CHECK_HAS(out, "\"name\":\"姑苏区\"");
    CHECK_HAS(out, "\"name\":\"沧浪街道\"");
    CHECK_HAS(out, "\"path\":\"苏州市/姑苏区/沧浪街道/道前社区\"");
    CHECK_LACKS(out, "沧浪区");
    CHECK_LACKS(out, "平江区");
    CHECK_LACKS(out, "府前街道");
    shiliu_string_free(out);

    /* The working hierarchy: 道前社区 under its 联络片. */
    out = EXEC_OK(reg, fmt(buf, sizeof buf, "{\"op\":\"tree\",\"args\":{\"root\":%lld,"
        "\"as_of\":\"2003-06-30\",\"hierarchy\":\"working\"}}", (long long)n->fuqian));
    CHECK_HAS(out, "\"path\":\"苏州市/沧浪区/府前街道/南片/道前社区\"");
    shiliu_string_free(out);

    out = EXEC_OK(reg, "{\"op\":\"find_by_path\",\"args\":{\"path\":\"沧浪区/府前街道\","
                       "\"as_of\":\"2003-06-30\"}}");
    CHECK_HAS(out, fmt(want, sizeof want, "\"id\":%lld,", (long long)n->fuqian));
    CHECK_HAS(out, "\"name\":\"府前街道\"");
    shiliu_string_free(out);
    CHECK(EXEC_FAILS(reg, "{\"op\":\"find_by_path\",\"args\":{\"path\":\"沧浪区/府前街道\","
                          "\"as_of\":\"2024-12-31\"}}", SHILIU_STATUS_NOT_FOUND) == 2001);

    out = EXEC_OK(reg, "{\"op\":\"find_by_code\",\"args\":{\"code\":\"320508\","
                       "\"as_of\":\"2024-12-31\"}}");
    CHECK_HAS(out, fmt(want, sizeof want, "\"id\":%lld,", (long long)n->gusu));
    CHECK_HAS(out, "\"name\":\"姑苏区\"");
    CHECK_HAS(out, "\"code\":\"320508\"");
    shiliu_string_free(out);
    EXEC_FAILS(reg, "{\"op\":\"find_by_code\",\"args\":{\"code\":\"320508\","
                    "\"as_of\":\"2003-06-30\"}}", SHILIU_STATUS_NOT_FOUND);

    out = EXEC_OK(reg, fmt(buf, sizeof buf, "{\"op\":\"successors\",\"args\":{\"unit\":%lld,"
        "\"as_of\":\"2024-12-31\"}}", (long long)n->fuqian));
    CHECK_HAS(out, fmt(want, sizeof want, "\"id\":%lld,", (long long)n->nanmen));
    CHECK_HAS(out, "\"name\":\"沧浪街道\"");
    CHECK(count_of(out, "\"id\":") == 1);
    shiliu_string_free(out);

    out = EXEC_OK(reg, fmt(buf, sizeof buf, "{\"op\":\"predecessors\",\"args\":{\"unit\":%lld}}",
                           (long long)n->gusu));
    CHECK_HAS(out, "\"predecessor_name\":\"沧浪区\"");
    CHECK_HAS(out, "\"predecessor_name\":\"平江区\"");
    CHECK_HAS(out, "\"kind\":\"merge\"");
    CHECK_HAS(out, "\"date\":\"2012-09-01\"");
    shiliu_string_free(out);

    out = EXEC_OK(reg, fmt(buf, sizeof buf, "{\"op\":\"post_holders\",\"args\":{\"unit\":%lld,"
        "\"as_of\":\"2003-06-30\"}}", (long long)n->fuqian));
    CHECK_HAS(out, "\"name\":\"张明\"");
    CHECK_HAS(out, "\"masked\":false");
    CHECK_HAS(out, "\"holder_titles\":[\"街道党工委书记\"]");
    CHECK_HAS(out, "\"role_zh\":\"组长\"");
    CHECK_HAS(out, "\"body_name\":\"府前街道社区少数民族工作领导小组\"");
    CHECK_LACKS(out, "13812345678"); /* phones are not part of post holders */
    shiliu_string_free(out);

    out = EXEC_OK(reg, fmt(buf, sizeof buf, "{\"op\":\"vacant_posts\",\"args\":{\"under\":%lld,"
        "\"as_of\":\"2003-06-30\"}}", (long long)n->fuqian));
    CHECK_HAS(out, fmt(want, sizeof want, "\"post\":%lld,", (long long)n->deputy_post));
    CHECK_LACKS(out, fmt(want, sizeof want, "\"post\":%lld,", (long long)n->leader_post));
    shiliu_string_free(out);
    /* After the leader left, both posts are vacant. */
    out = EXEC_OK(reg, fmt(buf, sizeof buf, "{\"op\":\"vacant_posts\",\"args\":{\"under\":%lld,"
        "\"as_of\":\"2004-01-15\"}}", (long long)n->fuqian));
    CHECK_HAS(out, fmt(want, sizeof want, "\"post\":%lld,", (long long)n->leader_post));
    CHECK_HAS(out, fmt(want, sizeof want, "\"post\":%lld,", (long long)n->deputy_post));
    shiliu_string_free(out);

    out = EXEC_OK(reg, fmt(buf, sizeof buf, "{\"op\":\"person_history\",\"args\":{\"person\":%lld}}",
                           (long long)n->person));
    CHECK_HAS(out, "\"title\":\"街道党工委书记\"");
    CHECK_HAS(out, "\"unit_name\":\"府前街道\"");
    shiliu_string_free(out);

    /* Reads leave the transaction as it was; the audit log holds the personal reads. */
    CHECK(tx_of(reg) == tx);
    out = EXEC_OK(reg, "{\"op\":\"audit_log\"}");
    CHECK_HAS(out, "\"broken_at\":null");
    shiliu_string_free(out);
    out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"transaction_info\",\"args\":{\"transaction\":%lld}}", (long long)tx));
    CHECK_HAS(out, "\"principal\":\"local-administrator\"");
    shiliu_string_free(out);

    /* A write through execute answers with the transaction it recorded. */
    out = EXEC_OK(reg, "{\"op\":\"add_person\",\"args\":{\"name\":\"李华\"}}");
    CHECK_HAS(out, fmt(want, sizeof want, "\"transaction\":%lld,", (long long)tx + 1));
    shiliu_string_free(out);
    CHECK(tx_of(reg) == tx + 1);
}

static void test_network(void) {
    struct shiliu_registry *reg = NULL;
    CHECK_OK(shiliu_registry_open_in_memory(S("{\"today\":\"2024-12-31\"}"), &reg, &err));
    CHECK(reg != NULL);
    network n;
    memset(&n, 0, sizeof n);
    build(reg, &n);
    reorganisations(reg, &n);
    queries(reg, &n);
    shiliu_registry_close(reg);
}

static void test_import(void) {
    char dir[128];
    make_temp_dir(dir, sizeof dir, "import");
    char path[256];
    fmt(path, sizeof path, "%s/units.csv", dir);
    write_file(path,
        "code,name,level,parent_code,valid_from,valid_to\n"         /* row 1 */
        "320500,苏州市,city,,1990-01-01,\n"                         /* row 2 */
        "320502,沧浪区,district,320500,1990-01-01,2012-09-01\n"     /* row 3 */
        "320508,姑苏区,district,320500,2012-09-01,\n"               /* row 4 */
        "320502001,双塔街道,street,320502,1990-01-01,2012-09-01\n"  /* row 5 */
        "320502001,双塔街道,street,320508,2012-09-01,\n"            /* row 6 */
        "320502001001,百步街社区,community,320502001,1990-01-01,\n" /* row 7 */
        "320599001,无主街道,street,329999,1990-01-01,\n"            /* row 8: orphan */
        "320502,沧浪区,district,320500,2000-01-01,\n");             /* row 9: overlap */

    struct shiliu_registry *reg = NULL;
    CHECK_OK(shiliu_registry_open_in_memory(S("{\"today\":\"2024-12-31\"}"), &reg, &err));
    char *out = NULL;
    CHECK_OK(shiliu_registry_import_units(reg, CS(path), NULL, 0, &out, &err));
    CHECK_HAS(out, "\"format\":1");
    CHECK_HAS(out, "\"rows_read\":8");
    CHECK_HAS(out, "\"units_created\":5");
    CHECK_HAS(out, "\"file\":\"units.csv\"");
    CHECK_HAS(out, "\"row\":8,");
    CHECK_HAS(out, "\"code\":\"unit.orphan\"");
    CHECK_HAS(out, "\"row\":9,");
    CHECK_HAS(out, "\"code\":\"unit.overlap\"");
    CHECK(count_of(out, "\"row\":") == 2);
    CHECK_LACKS(out, "\"events\":0");
    shiliu_string_free(out);
    CHECK(tx_of(reg) == 1);

    /* The street changed parent on 2012-09-01. */
    out = EXEC_OK(reg, "{\"op\":\"find_by_path\",\"args\":{\"path\":\"沧浪区/双塔街道\","
                       "\"as_of\":\"2012-08-31\"}}");
    CHECK_HAS(out, "\"code\":\"320502001\"");
    shiliu_string_free(out);
    out = EXEC_OK(reg, "{\"op\":\"find_by_path\",\"args\":{\"path\":\"姑苏区/双塔街道/百步街社区\","
                       "\"as_of\":\"2012-09-01\"}}");
    CHECK_HAS(out, "\"code\":\"320502001001\"");
    shiliu_string_free(out);

    /* Importing the same file again changes nothing. */
    out = NULL;
    CHECK_OK(shiliu_registry_import_units(reg, CS(path), NULL, 0, &out, &err));
    CHECK_HAS(out, "\"units_created\":0");
    CHECK_HAS(out, "\"units_unchanged\":5");
    shiliu_string_free(out);

    /* A missing file is a storage error; nothing is written. */
    char missing[300];
    fmt(missing, sizeof missing, "%s/none.csv", dir);
    out = NULL;
    CHECK_FAILS(shiliu_registry_import_units(reg, CS(missing), NULL, 0, &out, &err),
                SHILIU_STATUS_STORAGE, 4002);
    CHECK(out == NULL);

    shiliu_registry_close(reg);
    remove_dir(dir);
    CHECK(access(dir, F_OK) != 0);
}

int main(void) {
    test_network();
    test_import();
    return 0;
}
