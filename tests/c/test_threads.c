/* One file registry handle shared by 4 reader threads and 1 writer thread; then a
 * second handle on the same file sees the writer's work on its next query. */
#include "test_util.h"

#include <pthread.h>

#define READERS 4
#define QUERIES 200
#define WRITES 40

typedef struct {
    const struct shiliu_registry *reg;
    int64_t root;
    int failures;
    int64_t last_id; /* writer: the last unit it added */
} job;

static void *reader(void *arg) {
    job *j = arg;
    char request[160];
    fmt(request, sizeof request,
        "{\"op\":\"tree\",\"args\":{\"root\":%lld,\"as_of\":\"2024-12-31\"}}", (long long)j->root);
    for (int i = 0; i < QUERIES; i++) {
        char *out = NULL;
        struct shiliu_error *err = NULL;
        int32_t st = shiliu_registry_execute(j->reg, CS(request), &out, &err);
        if (st != SHILIU_STATUS_OK || err != NULL || !contains(out, "\"name\":\"姑苏区\"")) {
            fprintf(stderr, "reader: status %d: %s\n", (int)st, shiliu_error_message(err));
            j->failures++;
        }
        shiliu_error_free(err);
        shiliu_string_free(out);
        int64_t tx = 0;
        if (shiliu_registry_transaction(j->reg, &tx, NULL) != SHILIU_STATUS_OK || tx < 1) {
            j->failures++;
        }
    }
    return NULL;
}

static void *writer(void *arg) {
    job *j = arg;
    for (int i = 0; i < WRITES; i++) {
        char spec[256];
        fmt(spec, sizeof spec, "{\"kind\":\"street\",\"name\":\"街道%02d\",\"code\":\"320508%03d\","
            "\"parent\":%lld,\"valid_from\":\"2012-09-01\"}", i, i + 1, (long long)j->root);
        int64_t id = 0;
        struct shiliu_error *err = NULL;
        int32_t st = shiliu_registry_add_unit(j->reg, CS(spec), &id, &err);
        if (st != SHILIU_STATUS_OK || id <= j->last_id) {
            fprintf(stderr, "writer: status %d: %s\n", (int)st, shiliu_error_message(err));
            j->failures++;
        }
        shiliu_error_free(err);
        j->last_id = id;
    }
    return NULL;
}

int main(void) {
    char dir[128];
    make_temp_dir(dir, sizeof dir, "threads");
    char db[128];
    fmt(db, sizeof db, "%s/registry.db", dir);

    struct shiliu_registry *reg = NULL;
    CHECK_OK(shiliu_registry_open(CS(db), S("{\"today\":\"2024-12-31\"}"), &reg, &err));
    int64_t city = 0, gusu = 0;
    CHECK_OK(shiliu_registry_add_unit(reg, S("{\"kind\":\"city\",\"name\":\"苏州市\","
        "\"code\":\"320500\",\"valid_from\":\"1983-01-18\"}"), &city, &err));
    char buf[256];
    CHECK_OK(shiliu_registry_add_unit(reg, CS(fmt(buf, sizeof buf, "{\"kind\":\"district\","
        "\"name\":\"姑苏区\",\"code\":\"320508\",\"parent\":%lld,\"valid_from\":\"2012-09-01\"}",
        (long long)city)), &gusu, &err));

    /* A second handle on the same file, which has already read the registry. */
    struct shiliu_registry *other = NULL;
    CHECK_OK(shiliu_registry_open(CS(db), S("{\"must_exist\":true}"), &other, &err));
    char *out = EXEC_OK(other, "{\"op\":\"tree\",\"args\":{\"as_of\":\"2024-12-31\"}}");
    CHECK_HAS(out, "\"name\":\"姑苏区\"");
    CHECK_LACKS(out, "街道");
    shiliu_string_free(out);

    job readers[READERS], w;
    pthread_t threads[READERS + 1];
    memset(&w, 0, sizeof w);
    w.reg = reg;
    w.root = gusu;
    for (int i = 0; i < READERS; i++) {
        readers[i] = w;
        CHECK(pthread_create(&threads[i], NULL, reader, &readers[i]) == 0);
    }
    CHECK(pthread_create(&threads[READERS], NULL, writer, &w) == 0);
    for (int i = 0; i <= READERS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
    }
    for (int i = 0; i < READERS; i++) {
        CHECK(readers[i].failures == 0);
    }
    CHECK(w.failures == 0);
    CHECK(w.last_id > gusu);

    /* The sharing handle sees every write. */
    out = EXEC_OK(reg, "{\"op\":\"tree\",\"args\":{\"as_of\":\"2024-12-31\"}}");
    CHECK(count_of(out, "\"kind\":\"street\"") == WRITES);
    shiliu_string_free(out);

    /* The other handle sees the writer's last unit on its next query. */
    char want[64];
    out = EXEC_OK(other, "{\"op\":\"find_by_code\",\"args\":{\"code\":\"320508040\","
                         "\"as_of\":\"2024-12-31\"}}");
    CHECK_HAS(out, fmt(want, sizeof want, "\"id\":%lld,", (long long)w.last_id));
    CHECK_HAS(out, "\"name\":\"街道39\"");
    shiliu_string_free(out);
    int64_t tx_reg = 0, tx_other = 0;
    CHECK_OK(shiliu_registry_transaction(reg, &tx_reg, &err));
    CHECK_OK(shiliu_registry_transaction(other, &tx_other, &err));
    CHECK(tx_reg == tx_other && tx_reg == 2 + WRITES);

    /* And the other way round. */
    int64_t id = 0;
    CHECK_OK(shiliu_registry_add_unit(other, CS(fmt(buf, sizeof buf, "{\"kind\":\"street\","
        "\"name\":\"双塔街道\",\"parent\":%lld,\"valid_from\":\"2012-09-01\"}", (long long)gusu)),
        &id, &err));
    out = EXEC_OK(reg, "{\"op\":\"find_by_path\",\"args\":{\"path\":\"姑苏区/双塔街道\","
                       "\"as_of\":\"2024-12-31\"}}");
    CHECK_HAS(out, fmt(want, sizeof want, "\"id\":%lld,", (long long)id));
    shiliu_string_free(out);

    shiliu_registry_close(other);
    shiliu_registry_close(reg);
    remove_dir(dir);
    CHECK(access(dir, F_OK) != 0);
    return 0;
}
