/* Rule sets through the C ABI: the preset read as text and parsed into a shiliu_rules
 * handle, its summary, the hand-checked Suzhou scenario evaluated with
 * shiliu_registry_evaluate (findings read back field by field), recorded runs
 * reproduced, activities recorded through shiliu_registry_execute, one rule-set handle
 * shared by several threads, and every bad-input path of the new functions. */
#include "test_util.h"

#include <pthread.h>

#define V SHILIU_STATUS_VALIDATION

typedef struct {
    int64_t city, district, street, daoqian, nanmen;
    int64_t group, leader_post, person_a, person_b;
    int64_t meetings[3], resident, hospitalised, visit;
    int64_t tx_before_visit;
} scenario;

static int64_t tx_of(const struct shiliu_registry *reg) {
    int64_t tx = -1;
    CHECK_OK(shiliu_registry_transaction(reg, &tx, &err));
    CHECK(tx >= 0);
    return tx;
}

/* The integer after `key` (e.g. "\"result\":") in a response. */
static int64_t int_after(const char *json, const char *key) {
    const char *p = strstr(json, key);
    CHECK_MSG(p != NULL, json);
    char *end = NULL;
    int64_t v = strtoll(p + strlen(key), &end, 10);
    CHECK_MSG(end != p + strlen(key), json);
    return v;
}

/* Runs a write whose result is an id; returns it. */
static int64_t write_id(const struct shiliu_registry *reg, const char *request) {
    int64_t before = tx_of(reg);
    char *out = EXEC_OK(reg, request);
    int64_t id = int_after(out, "\"result\":");
    CHECK_MSG(id > 0, out);
    shiliu_string_free(out);
    CHECK(tx_of(reg) == before + 1);
    return id;
}

/* record_activity: {"id":N,"outcome":"inserted"}; returns the id. */
static int64_t record(const struct shiliu_registry *reg, const char *args) {
    char buf[1024];
    int64_t before = tx_of(reg);
    char *out = EXEC_OK(reg, fmt(buf, sizeof buf, "{\"op\":\"record_activity\",\"args\":%s}", args));
    CHECK_HAS(out, "\"outcome\":\"inserted\"");
    int64_t id = int_after(out, "\"result\":{\"id\":");
    CHECK(id > 0);
    shiliu_string_free(out);
    CHECK(tx_of(reg) == before + 1);
    return id;
}

/* 府前街道 with two communities; its leadership group's leader post held by A (the
 * street's party secretary) 2023-01-01..2024-03-01 and by B from 2024-04-10: vacant 40
 * days; 联络员会议 in Q1, Q2 and Q4 of 2024 only; a resident hospitalised on 2024-05-01
 * and visited on 2024-05-10 (9 days: late against 7). */
static void build(const struct shiliu_registry *reg, scenario *s) {
    char buf[1024];
    s->city = write_id(reg, "{\"op\":\"add_unit\",\"args\":{\"kind\":\"city\",\"name\":\"苏州市\","
                            "\"code\":\"320500\",\"valid_from\":\"1983-01-18\"}}");
    s->district = write_id(reg, fmt(buf, sizeof buf,
        "{\"op\":\"add_unit\",\"args\":{\"kind\":\"district\",\"name\":\"姑苏区\",\"code\":\"320508\","
        "\"parent\":%lld,\"valid_from\":\"2012-09-01\"}}", (long long)s->city));
    s->street = write_id(reg, fmt(buf, sizeof buf,
        "{\"op\":\"add_unit\",\"args\":{\"kind\":\"街道\",\"name\":\"府前街道\",\"code\":\"320508001\","
        "\"parent\":%lld,\"valid_from\":\"2012-09-01\"}}", (long long)s->district));
    s->daoqian = write_id(reg, fmt(buf, sizeof buf,
        "{\"op\":\"add_unit\",\"args\":{\"kind\":\"community\",\"name\":\"道前社区\","
        "\"code\":\"320508001001\",\"parent\":%lld,\"valid_from\":\"2012-09-01\"}}",
        (long long)s->street));
    s->nanmen = write_id(reg, fmt(buf, sizeof buf,
        "{\"op\":\"add_unit\",\"args\":{\"kind\":\"社区\",\"name\":\"南门社区\","
        "\"code\":\"320508001002\",\"parent\":%lld,\"valid_from\":\"2012-09-01\"}}",
        (long long)s->street));

    s->group = write_id(reg, fmt(buf, sizeof buf,
        "{\"op\":\"add_body\",\"args\":{\"unit\":%lld,\"kind\":\"leadership_group\","
        "\"name\":\"府前街道民族工作领导小组\",\"valid_from\":\"2023-01-01\"}}", (long long)s->street));
    s->leader_post = write_id(reg, fmt(buf, sizeof buf,
        "{\"op\":\"add_post\",\"args\":{\"body\":%lld,\"role\":\"leader\","
        "\"valid_from\":\"2023-01-01\"}}", (long long)s->group));
    s->person_a = write_id(reg, "{\"op\":\"add_person\",\"args\":{\"name\":\"张明\"}}");
    s->person_b = write_id(reg, "{\"op\":\"add_person\",\"args\":{\"name\":\"李华\"}}");
    write_id(reg, fmt(buf, sizeof buf,
        "{\"op\":\"add_position\",\"args\":{\"person\":%lld,\"title\":\"街道党工委书记\","
        "\"unit\":%lld,\"valid_from\":\"2023-01-01\",\"valid_to\":\"2024-03-01\"}}",
        (long long)s->person_a, (long long)s->street));
    write_id(reg, fmt(buf, sizeof buf,
        "{\"op\":\"add_membership\",\"args\":{\"post\":%lld,\"person\":%lld,"
        "\"valid_from\":\"2023-01-01\",\"valid_to\":\"2024-03-01\"}}",
        (long long)s->leader_post, (long long)s->person_a));
    write_id(reg, fmt(buf, sizeof buf,
        "{\"op\":\"add_position\",\"args\":{\"person\":%lld,\"title\":\"街道党工委书记\","
        "\"unit\":%lld,\"valid_from\":\"2024-04-10\"}}", (long long)s->person_b,
        (long long)s->street));
    write_id(reg, fmt(buf, sizeof buf,
        "{\"op\":\"add_membership\",\"args\":{\"post\":%lld,\"person\":%lld,"
        "\"valid_from\":\"2024-04-10\"}}", (long long)s->leader_post, (long long)s->person_b));

    static const char *const days[3] = {"2024-02-20", "2024-05-15", "2024-11-12"};
    for (int i = 0; i < 3; i++) {
        s->meetings[i] = record(reg, fmt(buf, sizeof buf,
            "{\"kind\":\"%s\",\"subtype\":\"联络员会议\",\"date\":\"%s\",\"unit\":%lld,"
            "\"participants\":[%lld],\"title\":\"第%d次联络员会议\","
            "\"evidence\":[{\"document\":\"会议纪要%s.pdf\"}]}",
            i == 1 ? "会议" : "meeting", days[i], (long long)s->street,
            (long long)(i == 0 ? s->person_a : s->person_b), i + 1, days[i]));
    }

    s->resident = write_id(reg, fmt(buf, sizeof buf,
        "{\"op\":\"add_resident\",\"args\":{\"name\":\"马小龙\",\"sex\":\"male\","
        "\"birth_date\":\"1950-03-04\",\"ethnicity\":\"回族\",\"category\":\"registered\","
        "\"community\":%lld,\"arrived_on\":\"2015-06-01\"}}", (long long)s->daoqian));
    s->hospitalised = write_id(reg, fmt(buf, sizeof buf,
        "{\"op\":\"add_life_event\",\"args\":{\"resident\":%lld,\"kind\":\"住院\","
        "\"date\":\"2024-05-01\"}}", (long long)s->resident));
    s->tx_before_visit = tx_of(reg);
    s->visit = record(reg, fmt(buf, sizeof buf,
        "{\"kind\":\"走访\",\"date\":\"2024-05-10\",\"unit\":%lld,\"subjects\":[%lld],"
        "\"participants\":[%lld],\"note\":\"住院慰问\",\"reference\":\"FQ-2024-017\"}",
        (long long)s->daoqian, (long long)s->resident, (long long)s->person_b));
}

/* record_activity and the activity reads, through shiliu_registry_execute. */
static void activities(const struct shiliu_registry *reg, const scenario *s) {
    char buf[1024];
    char *out = EXEC_OK(reg, fmt(buf, sizeof buf, "{\"op\":\"activity\",\"args\":{\"id\":%lld}}",
                                 (long long)s->visit));
    CHECK_HAS(out, "\"kind\":\"visit\"");
    CHECK_HAS(out, "\"kind_zh\":\"走访\"");
    CHECK_HAS(out, "\"date\":\"2024-05-10\"");
    CHECK_HAS(out, fmt(buf, sizeof buf, "\"subjects\":[%lld]", (long long)s->resident));
    CHECK_HAS(out, "\"reference\":\"FQ-2024-017\"");
    CHECK_HAS(out, "\"unit_name\":\"道前社区\"");
    shiliu_string_free(out);

    /* The same reference and content again: unchanged, no new transaction. */
    int64_t before = tx_of(reg);
    out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"record_activity\",\"args\":{\"kind\":\"visit\",\"date\":\"2024-05-10\","
        "\"unit\":%lld,\"subjects\":[%lld],\"participants\":[%lld],\"note\":\"住院慰问\","
        "\"reference\":\"FQ-2024-017\"}}",
        (long long)s->daoqian, (long long)s->resident, (long long)s->person_b));
    CHECK_HAS(out, "\"outcome\":\"unchanged\"");
    CHECK(int_after(out, "\"result\":{\"id\":") == s->visit);
    shiliu_string_free(out);
    CHECK(tx_of(reg) == before);

    out = EXEC_OK(reg, fmt(buf, sizeof buf,
        "{\"op\":\"activities\",\"args\":{\"under\":%lld,\"from\":\"2024-01-01\","
        "\"to\":\"2024-12-31\"}}", (long long)s->street));
    CHECK(count_of(out, "\"subtype\":\"联络员会议\"") == 3);
    CHECK(count_of(out, "\"kind\":\"visit\"") == 1);
    CHECK_HAS(out, "\"document\":\"会议纪要2024-11-12.pdf\"");
    shiliu_string_free(out);

    /* Refusals: an unknown unit, a bad date, an unknown field. */
    CHECK(EXEC_FAILS(reg, "{\"op\":\"record_activity\",\"args\":{\"kind\":\"meeting\","
                          "\"date\":\"2024-13-01\",\"unit\":1}}", V) != 0);
    CHECK(EXEC_FAILS(reg, fmt(buf, sizeof buf,
        "{\"op\":\"record_activity\",\"args\":{\"kind\":\"meeting\",\"date\":\"2024-03-01\","
        "\"unit\":%lld,\"colour\":\"red\"}}", (long long)s->street), V) != 0);
    CHECK(tx_of(reg) == before);
}

/* --- reading findings: {"result":{...,"findings":[{...},...],...}} ------------------- */

/* The end of the JSON value starting at `p` (one past it), strings respected. */
static const char *value_end(const char *p) {
    int depth = 0, in_string = 0;
    for (; *p != '\0'; p++) {
        if (in_string) {
            if (*p == '\\' && p[1] != '\0') {
                p++;
            } else if (*p == '"') {
                in_string = 0;
                if (depth == 0) {
                    return p + 1;
                }
            }
        } else if (depth == 0 && (*p == ',' || *p == '}' || *p == ']')) {
            return p; /* the end of a scalar */
        } else if (*p == '"') {
            in_string = 1;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            if (--depth == 0) {
                return p + 1;
            }
        }
    }
    return p;
}

typedef struct {
    const char *from, *to; /* the object's text, braces included */
} span;

/* The findings of an evaluation answer; returns how many (at most max). */
static int findings_of(const char *json, span *out, int max) {
    const char *p = strstr(json, "\"findings\":[");
    CHECK_MSG(p != NULL, json);
    p += strlen("\"findings\":[");
    int n = 0;
    while (*p == '{') {
        const char *end = value_end(p);
        CHECK(n < max);
        out[n].from = p;
        out[n].to = end;
        n++;
        p = end;
        if (*p == ',') {
            p++;
        }
    }
    CHECK_MSG(*p == ']', p);
    return n;
}

/* The value text of top-level `key` in an object, copied into buf ("" if absent). */
static const char *field(span obj, const char *key, char *buf, size_t size) {
    char needle[64];
    fmt(needle, sizeof needle, "\"%s\":", key);
    size_t len = strlen(needle);
    int depth = 0, in_string = 0;
    for (const char *p = obj.from; p < obj.to; p++) {
        if (in_string) {
            if (*p == '\\') {
                p++;
            } else if (*p == '"') {
                in_string = 0;
            }
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            depth--;
        } else if (*p == '"') {
            if (depth == 1 && (size_t)(obj.to - p) > len && memcmp(p, needle, len) == 0) {
                const char *v = p + len;
                const char *e = value_end(v);
                CHECK((size_t)(e - v) < size);
                memcpy(buf, v, (size_t)(e - v));
                buf[e - v] = '\0';
                return buf;
            }
            in_string = 1;
        }
    }
    buf[0] = '\0';
    return buf;
}

static int field_is(span obj, const char *key, const char *want) {
    char buf[2048];
    return strcmp(field(obj, key, buf, sizeof buf), want) == 0;
}

#define CHECK_FIELD(obj, key, want)                                                       \
    do {                                                                                  \
        char got_[2048];                                                                  \
        field((obj), (key), got_, sizeof got_);                                           \
        if (strcmp(got_, (want)) != 0) {                                                  \
            fprintf(stderr, "%s:%d: field %s: expected %s, got %s\n  in: %.*s\n", __FILE__, \
                    __LINE__, (key), (want), got_, (int)((obj).to - (obj).from), (obj).from); \
            exit(1);                                                                      \
        }                                                                                 \
    } while (0)

/* The findings of `rule`, in order; returns how many. */
static int of_rule(const span *all, int n, const char *rule, span *out, int max) {
    char want[32];
    fmt(want, sizeof want, "\"%s\"", rule);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (field_is(all[i], "rule", want)) {
            CHECK(k < max);
            out[k++] = all[i];
        }
    }
    return k;
}

/* The whole result value of a response, copied (free with free()). */
static char *result_of(const char *json) {
    const char *p = strstr(json, "\"result\":");
    CHECK_MSG(p != NULL, json);
    p += strlen("\"result\":");
    const char *e = value_end(p);
    char *copy = malloc((size_t)(e - p) + 1);
    CHECK(copy != NULL);
    memcpy(copy, p, (size_t)(e - p));
    copy[e - p] = '\0';
    return copy;
}

static int is_hex64(const char *quoted) {
    if (strlen(quoted) != 66 || quoted[0] != '"' || quoted[65] != '"') {
        return 0;
    }
    for (int i = 1; i < 65; i++) {
        if (strchr("0123456789abcdef", quoted[i]) == NULL) {
            return 0;
        }
    }
    return 1;
}

/* --- the rule set handle --------------------------------------------------------------- */

static struct shiliu_rules *suzhou(char **text_out) {
    char *text = NULL;
    CHECK_OK(shiliu_rules_preset(S("suzhou"), &text, &err));
    CHECK_HAS(text, "id = \"suzhou\"");
    CHECK_HAS(text, "subtype = \"联络员会议\"");
    struct shiliu_rules *rules = NULL;
    CHECK_OK(shiliu_rules_from_text(CS(text), &rules, &err));
    CHECK(rules != NULL);
    *text_out = text;
    return rules;
}

static void summary(const struct shiliu_registry *reg, const struct shiliu_rules *rules,
                    const char *text) {
    char *out = NULL;
    CHECK_OK(shiliu_rules_summary(rules, &out, &err));
    CHECK(strncmp(out, "{\"format\":1,\"result\":{", 22) == 0);
    CHECK_HAS(out, "\"warnings\":[]");
    span doc = {out, out + strlen(out)};
    char res[16384];
    span result = {res, res + strlen(field(doc, "result", res, sizeof res))};
    CHECK_FIELD(result, "id", "\"suzhou\"");
    CHECK_FIELD(result, "version", "\"2024.1\"");
    CHECK_FIELD(result, "name", "\"民族工作进社区制度（苏州预置）\"");
    char hash[128];
    CHECK(is_hex64(field(result, "hash", hash, sizeof hash)));
    CHECK(count_of(res, "\"kind\":\"cadence\"") == 5);
    CHECK(count_of(res, "\"kind\":\"structure\"") == 4);
    CHECK(count_of(res, "\"kind\":\"deadline\"") == 3);
    CHECK(count_of(res, "\"kind\":\"coverage\"") == 1);
    CHECK(count_of(res, "\"kind\":\"threshold\"") == 2);
    CHECK_HAS(res, "{\"id\":\"R6\",\"kind\":\"deadline\",\"title\":\"四个必访");
    CHECK_HAS(res, "\"title_en\":\"At least 90 % of must-visits are on time\"");

    /* The same summary as the check_rules operation. */
    char *op = EXEC_OK(reg, "{\"op\":\"check_rules\",\"args\":{\"preset\":\"suzhou\"}}");
    char *op_result = result_of(op), *own_result = result_of(out);
    CHECK(strcmp(op_result, own_result) == 0);
    free(op_result);
    free(own_result);
    shiliu_string_free(op);

    /* The hash ignores formatting: comments and blank lines change nothing ... */
    size_t n = strlen(text) + 64;
    char *reformatted = malloc(n);
    CHECK(reformatted != NULL);
    fmt(reformatted, n, "# 本地副本\n\n%s\n\n", text);
    struct shiliu_rules *copy = NULL;
    char *copy_out = NULL;
    CHECK_OK(shiliu_rules_from_text(CS(reformatted), &copy, &err));
    CHECK_OK(shiliu_rules_summary(copy, &copy_out, &err));
    CHECK(strcmp(copy_out, out) == 0);
    shiliu_string_free(copy_out);
    shiliu_rules_free(copy);
    free(reformatted);

    /* ... a changed number changes it. */
    const char *at = strstr(text, "within_days = 7");
    CHECK(at != NULL);
    char *edited = malloc(strlen(text) + 1);
    CHECK(edited != NULL);
    strcpy(edited, text);
    edited[at - text + strlen("within_days = ")] = '5';
    CHECK_OK(shiliu_rules_from_text(CS(edited), &copy, &err));
    CHECK_OK(shiliu_rules_summary(copy, &copy_out, &err));
    span edited_doc = {copy_out, copy_out + strlen(copy_out)};
    char res2[16384], hash2[128];
    span result2 = {res2, res2 + strlen(field(edited_doc, "result", res2, sizeof res2))};
    CHECK(is_hex64(field(result2, "hash", hash2, sizeof hash2)));
    CHECK(strcmp(hash, hash2) != 0);
    shiliu_string_free(copy_out);
    shiliu_rules_free(copy);
    free(edited);
    shiliu_string_free(out);
}

/* --- the evaluation ------------------------------------------------------------------ */

static char *evaluate_ok(const struct shiliu_registry *reg, const struct shiliu_rules *rules,
                         const char *request) {
    char *out = NULL;
    CHECK_OK(shiliu_registry_evaluate(reg, rules, CS(request), &out, &err));
    CHECK(out != NULL);
    CHECK(strncmp(out, "{\"format\":1,\"transaction\":", 26) == 0);
    CHECK_HAS(out, "\"warnings\":[]}");
    return out;
}

#define MAX_FINDINGS 64

static void hand_checked(const struct shiliu_registry *reg, const struct shiliu_rules *rules,
                         const scenario *s) {
    char buf[256], want[256];
    int64_t tx = tx_of(reg);
    char *out = evaluate_ok(reg, rules, "{\"period\":\"2024\",\"record\":false}");
    CHECK(tx_of(reg) == tx); /* nothing recorded */
    CHECK(int_after(out, "\"transaction\":") == tx);
    CHECK_HAS(out, "\"rule_set\":\"suzhou\"");
    CHECK_HAS(out, "\"today\":\"2024-12-31\"");
    CHECK_HAS(out, "\"period\":{\"from\":\"2024-01-01\",\"to\":\"2024-12-31\"}");
    CHECK_HAS(out, "\"run\":null");
    span doc = {out, out + strlen(out)};
    char res[65536];
    span result = {res, res + strlen(field(doc, "result", res, sizeof res))};
    char digest[128];
    CHECK(is_hex64(field(result, "digest", digest, sizeof digest)));

    span all[MAX_FINDINGS], f[8];
    int n = findings_of(out, all, MAX_FINDINGS);
    CHECK(n >= 8);

    /* R2: one finding per quarter for the street; only Q3 is breached. */
    CHECK(of_rule(all, n, "R2", f, 8) == 4);
    static const char *const from[4] = {"2024-01-01", "2024-04-01", "2024-07-01", "2024-10-01"};
    static const char *const to[4] = {"2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31"};
    for (int q = 0; q < 4; q++) {
        CHECK_FIELD(f[q], "rule_kind", "\"cadence\"");
        CHECK_FIELD(f[q], "subject_kind", "\"unit\"");
        CHECK_FIELD(f[q], "subject", fmt(want, sizeof want, "%lld", (long long)s->street));
        CHECK_FIELD(f[q], "subject_name", "\"府前街道\"");
        CHECK_FIELD(f[q], "unit_name", "\"府前街道\"");
        CHECK_FIELD(f[q], "version", "\"2024.1\"");
        CHECK_FIELD(f[q], "period_from", fmt(want, sizeof want, "\"%s\"", from[q]));
        CHECK_FIELD(f[q], "period_to", fmt(want, sizeof want, "\"%s\"", to[q]));
        CHECK_FIELD(f[q], "expected", "1.0");
        CHECK_FIELD(f[q], "triggered", "null");
        CHECK_FIELD(f[q], "due", "null");
        if (q == 2) {
            CHECK_FIELD(f[q], "status", "\"breach\"");
            CHECK_FIELD(f[q], "actual", "0.0");
            CHECK_FIELD(f[q], "evidence", "[]");
            CHECK(contains(field(f[q], "explanation_zh", buf, sizeof buf), "要求至少1次"));
        } else {
            int m = q == 3 ? 2 : q; /* Q1, Q2, Q4: meetings 0, 1, 2 */
            CHECK_FIELD(f[q], "status", "\"met\"");
            CHECK_FIELD(f[q], "actual", "1.0");
            CHECK_FIELD(f[q], "evidence", fmt(want, sizeof want, "[%lld]",
                                              (long long)s->meetings[m]));
        }
    }

    /* R1: no 联络片组长会议 at all. */
    CHECK(of_rule(all, n, "R1", f, 8) == 1);
    CHECK_FIELD(f[0], "status", "\"breach\"");
    CHECK_FIELD(f[0], "expected", "2.0");
    CHECK_FIELD(f[0], "actual", "0.0");

    /* R3: the leader post without a party secretary 2024-03-01..2024-04-09 (40 days). */
    CHECK(of_rule(all, n, "R3", f, 8) == 1);
    CHECK_FIELD(f[0], "rule_kind", "\"structure\"");
    CHECK_FIELD(f[0], "subject_kind", "\"post\"");
    CHECK_FIELD(f[0], "subject", fmt(want, sizeof want, "%lld", (long long)s->leader_post));
    CHECK_FIELD(f[0], "unit", fmt(want, sizeof want, "%lld", (long long)s->street));
    CHECK_FIELD(f[0], "status", "\"breach\"");
    CHECK_FIELD(f[0], "expected", "30.0");
    CHECK_FIELD(f[0], "actual", "40.0");
    CHECK(contains(field(f[0], "explanation", buf, sizeof buf), "40 days (2024-03-01 to 2024-04-09)"));
    CHECK(contains(field(f[0], "explanation_zh", buf, sizeof buf), "空缺40天"));

    /* R6: hospitalised 2024-05-01, due 2024-05-08, visited 2024-05-10: late by 9 days. */
    CHECK(of_rule(all, n, "R6", f, 8) == 1);
    CHECK_FIELD(f[0], "rule_kind", "\"deadline\"");
    CHECK_FIELD(f[0], "subject_kind", "\"resident\"");
    CHECK_FIELD(f[0], "subject", fmt(want, sizeof want, "%lld", (long long)s->resident));
    CHECK_FIELD(f[0], "subject_name", "null"); /* no personal data in findings */
    CHECK_FIELD(f[0], "unit", fmt(want, sizeof want, "%lld", (long long)s->daoqian));
    CHECK_FIELD(f[0], "status", "\"late\"");
    CHECK_FIELD(f[0], "expected", "7.0");
    CHECK_FIELD(f[0], "actual", "9.0");
    CHECK_FIELD(f[0], "triggered", "\"2024-05-01\"");
    CHECK_FIELD(f[0], "due", "\"2024-05-08\"");
    CHECK_FIELD(f[0], "evidence", fmt(want, sizeof want, "[%lld]", (long long)s->visit));
    CHECK_LACKS(out, "马小龙");

    /* R12: the must-visit on-time rate of the street is 0 (one late of one). */
    CHECK(of_rule(all, n, "R12", f, 8) == 1);
    CHECK_FIELD(f[0], "status", "\"breach\"");
    CHECK_FIELD(f[0], "actual", "0.0");
    CHECK_HAS(out, "\"compliance\":[{");

    /* Byte for byte what the evaluate operation answers. */
    char *op = EXEC_OK(reg, "{\"op\":\"evaluate\",\"args\":{\"preset\":\"suzhou\","
                            "\"period\":\"2024\",\"record\":false}}");
    CHECK_MSG(strcmp(op, out) == 0, op);
    shiliu_string_free(op);

    /* One quarter; only some rules; a subtree. */
    char *q3 = evaluate_ok(reg, rules, "{\"period\":\"2024-Q3\",\"record\":false,"
                                       "\"only\":[\"R2\",\"R6\"]}");
    CHECK(findings_of(q3, all, MAX_FINDINGS) == 1);
    CHECK_FIELD(all[0], "rule", "\"R2\"");
    CHECK_FIELD(all[0], "status", "\"breach\"");
    shiliu_string_free(q3);
    char *sub = evaluate_ok(reg, rules, fmt(buf, sizeof buf,
        "{\"period\":\"2024\",\"under\":%lld,\"hierarchy\":\"legal\",\"record\":false,"
        "\"only\":[\"R2\",\"R6\"]}", (long long)s->daoqian));
    n = findings_of(sub, all, MAX_FINDINGS);
    CHECK(n == 1 && of_rule(all, n, "R6", f, 8) == 1);
    CHECK_HAS(sub, fmt(want, sizeof want, "\"under\":%lld", (long long)s->daoqian));
    shiliu_string_free(sub);

    /* As recorded before the visit: the hospitalisation was never answered. */
    char *past = evaluate_ok(reg, rules, fmt(buf, sizeof buf,
        "{\"period\":\"2024\",\"only\":[\"R6\"],\"transaction\":%lld}",
        (long long)s->tx_before_visit));
    CHECK(int_after(past, "\"transaction\":") == s->tx_before_visit);
    CHECK(findings_of(past, all, MAX_FINDINGS) == 1);
    CHECK_FIELD(all[0], "status", "\"overdue\"");
    CHECK_FIELD(all[0], "actual", "null");
    CHECK_FIELD(all[0], "due", "\"2024-05-08\"");
    CHECK_HAS(past, "\"run\":null");
    shiliu_string_free(past);
    CHECK(tx_of(reg) == tx);

    /* Recorded (the default for a writer): a new transaction; reproduced exactly. */
    char *rec = evaluate_ok(reg, rules, "{\"period\":\"2024\"}");
    CHECK(tx_of(reg) == tx + 1);
    CHECK(int_after(rec, "\"transaction\":") == tx); /* the transaction evaluated */
    int64_t run = int_after(rec, "\"run\":");
    CHECK(run > 0);
    CHECK_HAS(rec, fmt(want, sizeof want, "\"digest\":%s", digest));
    shiliu_string_free(rec);

    /* A later write does not change what the run reproduces. */
    record(reg, fmt(buf, sizeof buf,
        "{\"kind\":\"meeting\",\"subtype\":\"联络员会议\",\"date\":\"2024-08-20\",\"unit\":%lld}",
        (long long)s->street));
    char *now = evaluate_ok(reg, rules, "{\"period\":\"2024\",\"record\":false}");
    CHECK_LACKS(now, fmt(want, sizeof want, "\"digest\":%s", digest));
    findings_of(now, all, MAX_FINDINGS);
    CHECK(of_rule(all, findings_of(now, all, MAX_FINDINGS), "R2", f, 8) == 4);
    CHECK_FIELD(f[2], "status", "\"met\"");
    shiliu_string_free(now);

    char *rep = EXEC_OK(reg, fmt(buf, sizeof buf, "{\"op\":\"reproduce\",\"args\":{\"run\":%lld}}",
                                 (long long)run));
    CHECK_HAS(rep, fmt(want, sizeof want, "\"digest\":%s", digest));
    CHECK_HAS(rep, fmt(want, sizeof want, "\"run\":%lld", (long long)run));
    CHECK(int_after(rep, "\"transaction\":") == tx);
    shiliu_string_free(rep);
    char *info = EXEC_OK(reg, fmt(buf, sizeof buf, "{\"op\":\"run_info\",\"args\":{\"run\":%lld}}",
                                  (long long)run));
    CHECK_HAS(info, fmt(want, sizeof want, "\"digest\":%s", digest));
    CHECK_HAS(info, "\"rule_set\":\"suzhou\"");
    CHECK(int_after(info, "\"findings\":") == findings_of(out, all, MAX_FINDINGS));
    shiliu_string_free(info);
    shiliu_string_free(out);
}

/* --- bad input ------------------------------------------------------------------------ */

/* A rule text that must be refused with VALIDATION, the message naming each needle. */
static void refused(const char *text, const char *needle1, const char *needle2) {
    struct shiliu_rules *rules = NULL;
    struct shiliu_error *err = NULL;
    int32_t st = shiliu_rules_from_text(CS(text), &rules, &err);
    if (st != V || err == NULL || rules != NULL ||
        !contains(shiliu_error_message(err), needle1) ||
        !contains(shiliu_error_message(err), needle2)) {
        fprintf(stderr, "rule text refused wrongly (status %d): %s\n  text: %s\n", (int)st,
                shiliu_error_message(err), text);
        exit(1);
    }
    CHECK(shiliu_error_status(err) == V);
    CHECK(shiliu_error_code(err) == 1006);
    shiliu_error_free(err);
}

#define RULE_HEAD "id = \"t\"\nversion = \"1\"\n"

static void bad_rules(void) {
    refused(RULE_HEAD "[[rule]]\nid = \"R1\"\nkind = \"cadence\"\nactivity = \"meeting\"\n"
            "min = 1\nperiod = \"quarter\"\nof = { unit_kind = \"street\" }\n"
            "[[rule]]\nid = \"R2\"\nkind = \"cadence\"\nactivity = \"meeting\"\n"
            "min = 1\nperiod = \"quater\"\nof = { unit_kind = \"street\" }\n",
            "R2", "period");
    refused(RULE_HEAD "[[rule]]\nid = \"R7\"\nkind = \"cadance\"\n", "R7", "kind");
    refused(RULE_HEAD "[[rule]]\nid = \"R8\"\nkind = \"deadline\"\non = { activity = [\"matter\"] }\n"
            "activity = \"briefing\"\nwithin_dayz = 14\n", "R8", "within_dayz");
    refused(RULE_HEAD "[[rule]]\nid = \"A\"\nkind = \"threshold\"\nof = { unit_kind = \"street\" }\n"
            "left = \"compliance('R9')\"\nop = \">=\"\nright = \"0.9\"\n", "A", "R9");
    refused(RULE_HEAD "[[rule]]\nid = \"R1\"\nkind = \"structure\"\nrole = \"leader\"\n"
            "of = { body_kind = \"leadership_group\" }\n[[rule]]\nid = \"R1\"\nkind = \"structure\"\n"
            "role = \"leader\"\nof = { body_kind = \"leadership_group\" }\n", "R1", "id");
    refused("id = \"t\"\nversion = \n", "line 2", "rule set");
    refused("{\"id\":\"t\",\"version\":\"1\",\"rules\":[{\"id\":\"J1\",\"kind\":\"cadence\","
            "\"activity\":\"meeting\",\"min\":-1,\"period\":\"year\",\"of\":{\"unit_kind\":\"street\"}}]}",
            "J1", "min");
    refused("version = \"1\"\n", "id", "rule set");
    refused("", "id", "rule set"); /* NULL with length 0 reads as "" */

    /* The assessment scheme preset is not a rule set. */
    char *scheme = NULL;
    CHECK_OK(shiliu_rules_preset(S("model_community"), &scheme, &err));
    struct shiliu_rules *rules = NULL;
    CHECK_FAILS(shiliu_rules_from_text(CS(scheme), &rules, &err), V, 0);
    CHECK(rules == NULL);
    shiliu_string_free(scheme);

    /* Unknown preset: the message lists the built-in ones. */
    char *text = NULL;
    struct shiliu_error *err = NULL;
    CHECK(shiliu_rules_preset(S("shanghai"), &text, &err) == V);
    CHECK(contains(shiliu_error_message(err), "suzhou"));
    shiliu_error_free(err);
    CHECK(text == NULL);
}

static void bad_arguments(const struct shiliu_registry *reg, const struct shiliu_rules *rules,
                          const scenario *s) {
    char *out = NULL;
    char buf[256];
    struct shiliu_rules *made = NULL;
    int64_t tx = tx_of(reg);

    /* NULL handles and NULL out pointers. */
    shiliu_rules_free(NULL);
    CHECK_FAILS(shiliu_rules_from_text(S("id = \"t\"\nversion = \"1\"\n"), NULL, &err), V, 1006);
    CHECK_FAILS(shiliu_rules_from_text(NULL, 12, &made, &err), V, 1006);
    CHECK_FAILS(shiliu_rules_summary(NULL, &out, &err), V, 1006);
    CHECK_FAILS(shiliu_rules_summary(rules, NULL, &err), V, 1006);
    CHECK_FAILS(shiliu_rules_preset(S("suzhou"), NULL, &err), V, 1006);
    CHECK_FAILS(shiliu_rules_preset(NULL, 6, &out, &err), V, 1006);
    CHECK_FAILS(shiliu_rules_preset(NULL, 0, &out, &err), V, 1006); /* "" is no preset */
    CHECK_FAILS(shiliu_registry_evaluate(NULL, rules, S("{\"period\":\"2024\"}"), &out, &err), V,
                1006);
    CHECK_FAILS(shiliu_registry_evaluate(reg, NULL, S("{\"period\":\"2024\"}"), &out, &err), V,
                1006);
    CHECK_FAILS(shiliu_registry_evaluate(reg, rules, NULL, 5, &out, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_evaluate(reg, rules, S("{\"period\":\"2024\"}"), NULL, &err), V,
                1006);

    /* Invalid UTF-8. */
    CHECK_FAILS(shiliu_rules_from_text(S("id = \"\xff\"\nversion = \"1\"\n"), &made, &err), V, 1006);
    CHECK_FAILS(shiliu_rules_preset(S("suzh\xc3"), &out, &err), V, 1006);
    CHECK_FAILS(shiliu_registry_evaluate(reg, rules, S("{\"period\":\"\xfe\"}"), &out, &err), V,
                1006);

    /* Without an error slot: the status alone, nothing allocated. */
    CHECK(shiliu_rules_from_text(S("kind = 1"), &made, NULL) == V);
    CHECK(shiliu_rules_summary(NULL, &out, NULL) == V);
    CHECK(shiliu_rules_preset(S("x"), &out, NULL) == V);
    CHECK(shiliu_registry_evaluate(reg, rules, S("{}"), &out, NULL) == V);
    CHECK(made == NULL && out == NULL);

    /* Bad requests: the message names the field. */
    static const struct {
        const char *request, *needle;
        uint32_t code;
    } bad[] = {
        {"{\"period\":\"2024\"", "evaluation request", 1007},
        {"[]", "not a JSON object", 1006},
        {"{}", "field period", 1006},
        {"{\"period\":\"2024\",\"colour\":1}", "colour", 1007},
        {"{\"period\":2024}", "period", 1007},
        {"{\"period\":\"2024-Q5\"}", "2024-Q5", 1006},
        {"{\"period\":\"2024-12-31..2024-01-01\"}", "period", 0},
        {"{\"period\":\"2024\",\"hierarchy\":\"sideways\"}", "hierarchy", 1007},
        {"{\"period\":\"2024\",\"only\":[\"R99\"]}", "R99", 1006},
        {"{\"period\":\"2024\",\"record\":\"yes\"}", "record", 1007},
        {"{\"period\":\"2024\",\"transaction\":1,\"record\":true}", "record", 1006},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct shiliu_error *err = NULL;
        int32_t st = shiliu_registry_evaluate(reg, rules, CS(bad[i].request), &out, &err);
        if (st != V || err == NULL || out != NULL ||
            !contains(shiliu_error_message(err), bad[i].needle) ||
            (bad[i].code != 0 && shiliu_error_code(err) != bad[i].code)) {
            fprintf(stderr, "request %s: status %d, code %u: %s\n", bad[i].request, (int)st,
                    (unsigned)shiliu_error_code(err), shiliu_error_message(err));
            exit(1);
        }
        shiliu_error_free(err);
    }
    /* A unit that does not exist; a transaction that does not exist. */
    CHECK_FAILS(shiliu_registry_evaluate(reg, rules, S("{\"period\":\"2024\",\"under\":999999}"),
                                         &out, &err), SHILIU_STATUS_NOT_FOUND, 0);
    CHECK_FAILS(shiliu_registry_evaluate(reg, rules, CS(fmt(buf, sizeof buf,
        "{\"period\":\"2024\",\"transaction\":%lld}", (long long)(tx + 100))), &out, &err),
        SHILIU_STATUS_NOT_FOUND, 0);
    CHECK(out == NULL);
    CHECK(tx_of(reg) == tx);
    (void)s;
}

/* A viewer may evaluate but not record; a scoped principal only within its scope. */
static void principals(const char *db, const struct shiliu_rules *rules, const scenario *s) {
    char opts[256], buf[256];
    struct shiliu_registry *viewer = NULL;
    CHECK_OK(shiliu_registry_open(CS(db), CS(fmt(opts, sizeof opts,
        "{\"principal\":{\"name\":\"督查\",\"role\":\"viewer\",\"scope\":%lld},"
        "\"today\":\"2024-12-31\",\"must_exist\":true}", (long long)s->street)), &viewer, &err));
    int64_t tx = tx_of(viewer);
    char *out = evaluate_ok(viewer, rules, "{\"period\":\"2024\",\"only\":[\"R3\"]}");
    CHECK_HAS(out, "\"run\":null"); /* a viewer's evaluation is not recorded */
    CHECK_HAS(out, "\"actual\":40.0");
    shiliu_string_free(out);
    out = NULL;
    CHECK_FAILS(shiliu_registry_evaluate(viewer, rules, S("{\"period\":\"2024\",\"record\":true}"),
                                         &out, &err), SHILIU_STATUS_ACCESS_DENIED, 0);
    CHECK(out == NULL && tx_of(viewer) == tx);
    shiliu_registry_close(viewer);

    struct shiliu_registry *local = NULL;
    CHECK_OK(shiliu_registry_open(CS(db), CS(fmt(opts, sizeof opts,
        "{\"principal\":{\"name\":\"社区\",\"role\":\"operator\",\"scope\":%lld},"
        "\"today\":\"2024-12-31\",\"must_exist\":true}", (long long)s->daoqian)), &local, &err));
    CHECK_FAILS(shiliu_registry_evaluate(local, rules, CS(fmt(buf, sizeof buf,
        "{\"period\":\"2024\",\"under\":%lld}", (long long)s->street)), &out, &err),
        SHILIU_STATUS_ACCESS_DENIED, 0);
    /* Without `under`: its own scope; the street's rules have no subject there. */
    out = evaluate_ok(local, rules, "{\"period\":\"2024\",\"record\":false,"
                                    "\"only\":[\"R2\",\"R6\"]}");
    CHECK_LACKS(out, "\"rule\":\"R2\"");
    CHECK_HAS(out, "\"status\":\"late\"");
    shiliu_string_free(out);
    shiliu_registry_close(local);
}

/* --- one rule-set handle, many threads ------------------------------------------------- */

#define THREADS 4
#define ROUNDS 5

typedef struct {
    const struct shiliu_registry *reg;
    const struct shiliu_rules *rules;
    const char *expected;
    int failures;
} job;

static void *evaluator(void *arg) {
    job *j = arg;
    for (int i = 0; i < ROUNDS; i++) {
        char *out = NULL, *sum = NULL;
        struct shiliu_error *err = NULL;
        int32_t st = shiliu_registry_evaluate(j->reg, j->rules, S("{\"period\":\"2024\","
                                              "\"record\":false}"), &out, &err);
        if (st != SHILIU_STATUS_OK || out == NULL || strcmp(out, j->expected) != 0) {
            fprintf(stderr, "evaluator: status %d: %s\n", (int)st, shiliu_error_message(err));
            j->failures++;
        }
        shiliu_error_free(err);
        shiliu_string_free(out);
        if (shiliu_rules_summary(j->rules, &sum, NULL) != SHILIU_STATUS_OK ||
            !contains(sum, "\"id\":\"suzhou\"")) {
            j->failures++;
        }
        shiliu_string_free(sum);
    }
    return NULL;
}

static void shared_across_threads(const struct shiliu_registry *reg,
                                  const struct shiliu_rules *rules) {
    char *expected = evaluate_ok(reg, rules, "{\"period\":\"2024\",\"record\":false}");
    pthread_t threads[THREADS];
    job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (job){reg, rules, expected, 0};
        CHECK(pthread_create(&threads[i], NULL, evaluator, &jobs[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(jobs[i].failures == 0);
    }
    shiliu_string_free(expected);
}

int main(void) {
    char dir[128], db[192];
    make_temp_dir(dir, sizeof dir, "rules");
    fmt(db, sizeof db, "%s/fuqian.db", dir);

    struct shiliu_registry *reg = NULL;
    CHECK_OK(shiliu_registry_open(CS(db), S("{\"today\":\"2024-12-31\"}"), &reg, &err));
    scenario s;
    memset(&s, 0, sizeof s);
    build(reg, &s);
    activities(reg, &s);

    char *text = NULL;
    struct shiliu_rules *rules = suzhou(&text);
    summary(reg, rules, text);
    hand_checked(reg, rules, &s);
    bad_rules();
    bad_arguments(reg, rules, &s);
    shared_across_threads(reg, rules);

    /* The rule set outlives the registry it was evaluated against. */
    shiliu_registry_close(reg);
    principals(db, rules, &s);
    char *out = NULL;
    CHECK_OK(shiliu_rules_summary(rules, &out, &err));
    CHECK_HAS(out, "\"id\":\"R12\"");
    shiliu_string_free(out);

    shiliu_rules_free(rules);
    shiliu_string_free(text);
    puts("test_rules: ok");
    return 0;
}
