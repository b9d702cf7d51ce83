/* Codes: ethnicity (GB/T 3304), citizen ID numbers (GB 11643), division codes
 * (GB/T 2260 + statistical codes), unified social credit codes (GB 32100). */
#include "test_util.h"

/* Parses an ethnicity that must be 回族 (code 03). */
static void ethnicity_is_hui(const uint8_t *text, size_t len) {
    char *out = NULL;
    CHECK_OK(shiliu_ethnicity_parse(text, len, &out, &err));
    CHECK_HAS(out, "\"format\":1");
    CHECK_HAS(out, "\"code\":\"03\"");
    CHECK_HAS(out, "\"name\":\"回族\"");
    CHECK_HAS(out, "\"roman\":\"Hui\"");
    CHECK_HAS(out, "\"alpha2\":\"HU\"");
    CHECK_HAS(out, "\"is_minority\":true");
    CHECK_HAS(out, "\"warnings\":[]");
    shiliu_string_free(out);
}

static void test_ethnicity_parse(void) {
    ethnicity_is_hui(S("回族"));
    ethnicity_is_hui(S("回"));
    ethnicity_is_hui(S("03"));
    ethnicity_is_hui(S("3"));
    ethnicity_is_hui(S("Hui"));
    ethnicity_is_hui(S("HU"));
    ethnicity_is_hui(S("０３")); /* full-width digits */
    ethnicity_is_hui(S(" 回族 "));
    /* The length is honoured: no NUL terminator is needed, trailing bytes are ignored. */
    ethnicity_is_hui((const uint8_t *)"回族XYZ", strlen("回族"));

    /* Legacy name: accepted with a warning. */
    char *out = NULL;
    CHECK_OK(shiliu_ethnicity_parse(S("崩龙族"), &out, &err));
    CHECK_HAS(out, "\"name\":\"德昂族\"");
    CHECK_HAS(out, "\"code\":\"ethnicity.legacy_name\"");
    shiliu_string_free(out);

    /* Unknown input. */
    out = NULL;
    CHECK_FAILS(shiliu_ethnicity_parse(S("火星族"), &out, &err), SHILIU_STATUS_VALIDATION, 1001);
    CHECK(out == NULL);
    CHECK_FAILS(shiliu_ethnicity_parse(S("99"), &out, &err), SHILIU_STATUS_VALIDATION, 1001);
    CHECK_FAILS(shiliu_ethnicity_parse(NULL, 0, &out, &err), SHILIU_STATUS_VALIDATION, 1001);
    CHECK(out == NULL);
}

/* Copies the JSON object starting at `start` (up to its first '}') into buf. */
static void object_at(const char *start, char *buf, size_t size) {
    const char *end = strchr(start, '}');
    CHECK(start[0] == '{' && end != NULL && (size_t)(end - start) + 2 <= size);
    memcpy(buf, start, (size_t)(end - start) + 1);
    buf[end - start + 1] = '\0';
}

static void test_ethnicity_list(void) {
    char *out = NULL;
    CHECK_OK(shiliu_ethnicity_list(&out, &err));
    CHECK_HAS(out, "\"format\":1");
    CHECK(count_of(out, "\"code\":") == 56);
    CHECK(count_of(out, "\"is_standard\":true") == 56);

    char obj[512];
    const char *first = strstr(out, "\"result\":[{");
    CHECK(first != NULL);
    object_at(first + strlen("\"result\":["), obj, sizeof obj);
    CHECK_HAS(obj, "\"code\":\"01\"");
    CHECK_HAS(obj, "\"name\":\"汉族\"");
    CHECK_HAS(obj, "\"is_minority\":false");

    const char *tail = strstr(out, "}]");
    CHECK(tail != NULL);
    const char *last = tail;
    while (last > out && *last != '{') {
        last--;
    }
    object_at(last, obj, sizeof obj);
    CHECK_HAS(obj, "\"code\":\"56\"");
    CHECK_HAS(obj, "\"name\":\"基诺族\"");
    CHECK_HAS(obj, "\"is_minority\":true");
    shiliu_string_free(out);
}

static void test_id_numbers(void) {
    char *out = NULL;
    CHECK_OK(shiliu_id_number_parse(S("11010519491231002X"), S("2024-12-31"), &out, &err));
    CHECK_HAS(out, "\"number\":\"11010519491231002X\"");
    CHECK_HAS(out, "\"birth_date\":\"1949-12-31\"");
    CHECK_HAS(out, "\"sex\":\"female\"");
    CHECK_HAS(out, "\"region\":\"110105\"");
    CHECK_HAS(out, "\"upgraded\":false");
    shiliu_string_free(out);

    /* A lower-case x and NULL today (the system date) are fine too. */
    out = NULL;
    CHECK_OK(shiliu_id_number_parse(S("11010519491231002x"), NULL, 0, &out, &err));
    CHECK_HAS(out, "\"number\":\"11010519491231002X\"");
    shiliu_string_free(out);

    /* Wrong check character: the message names the right one but never the number. */
    out = NULL;
    {
        struct shiliu_error *err = NULL;
        int32_t st = shiliu_id_number_parse(S("110105194912310021"), S("2024-12-31"), &out, &err);
        CHECK(st == SHILIU_STATUS_VALIDATION);
        CHECK(out == NULL);
        CHECK(err != NULL);
        CHECK(shiliu_error_status(err) == SHILIU_STATUS_VALIDATION);
        CHECK(shiliu_error_code(err) == 1002);
        const char *msg = shiliu_error_message(err);
        CHECK_LACKS(msg, "110105194912310021");
        CHECK_LACKS(msg, "19491231");
        CHECK_HAS(msg, "should be X");
        shiliu_error_free(err);
    }

    /* 15-digit numbers are upgraded to 18. */
    out = NULL;
    CHECK_OK(shiliu_id_number_parse(S("110105491231002"), S("2024-12-31"), &out, &err));
    CHECK_HAS(out, "\"number\":\"11010519491231002X\"");
    CHECK_HAS(out, "\"upgraded\":true");
    CHECK_HAS(out, "\"birth_date\":\"1949-12-31\"");
    shiliu_string_free(out);

    /* A birth date after `today`. */
    out = NULL;
    CHECK_FAILS(shiliu_id_number_parse(S("11010519491231002X"), S("1949-12-30"), &out, &err),
                SHILIU_STATUS_VALIDATION, 1002);
    CHECK(out == NULL);
    /* The birth date itself is fine. */
    CHECK_OK(shiliu_id_number_parse(S("11010519491231002X"), S("1949-12-31"), &out, &err));
    shiliu_string_free(out);

    /* Bad `today`, wrong length, wrong characters. */
    out = NULL;
    CHECK_FAILS(shiliu_id_number_parse(S("11010519491231002X"), S("2024-13-01"), &out, &err),
                SHILIU_STATUS_VALIDATION, 1005);
    CHECK_FAILS(shiliu_id_number_parse(S("1101051949123"), S("2024-12-31"), &out, &err),
                SHILIU_STATUS_VALIDATION, 1002);
    CHECK_FAILS(shiliu_id_number_parse(S("11010519491231A02X"), S("2024-12-31"), &out, &err),
                SHILIU_STATUS_VALIDATION, 1002);
    CHECK(out == NULL);
}

static void test_division_codes(void) {
    char *out = NULL;
    CHECK_OK(shiliu_division_code_parse(S("320508021017"), &out, &err));
    CHECK_HAS(out, "\"code\":\"320508021017\"");
    CHECK_HAS(out, "\"level\":\"residents_committee\"");
    CHECK_HAS(out, "\"parent\":\"320508021\"");
    shiliu_string_free(out);

    out = NULL;
    CHECK_OK(shiliu_division_code_parse(S("320508"), &out, &err));
    CHECK_HAS(out, "\"code\":\"320508\"");
    CHECK_HAS(out, "\"level\":\"county\"");
    CHECK_HAS(out, "\"parent\":\"320500\"");
    shiliu_string_free(out);

    /* A 12-digit statistical code padded with zeros shortens. */
    out = NULL;
    CHECK_OK(shiliu_division_code_parse(S("320508000000"), &out, &err));
    CHECK_HAS(out, "\"code\":\"320508\"");
    shiliu_string_free(out);

    out = NULL;
    CHECK_FAILS(shiliu_division_code_parse(S("garbage"), &out, &err), SHILIU_STATUS_VALIDATION, 1003);
    CHECK_FAILS(shiliu_division_code_parse(S("3205"), &out, &err), SHILIU_STATUS_VALIDATION, 1003);
    CHECK(out == NULL);
}

static void test_credit_codes(void) {
    char *out = NULL;
    CHECK_OK(shiliu_credit_code_parse(S("91110000600037341L"), NULL, 0, &out, &err));
    CHECK_HAS(out, "\"code\":\"91110000600037341L\"");
    CHECK_HAS(out, "\"check_ok\":true");
    CHECK_HAS(out, "\"warnings\":[]");
    shiliu_string_free(out);

    out = NULL;
    CHECK_FAILS(shiliu_credit_code_parse(S("91110000600037341M"), NULL, 0, &out, &err),
                SHILIU_STATUS_VALIDATION, 1004);
    CHECK(out == NULL);
    /* An allow list naming another code does not help. */
    CHECK_FAILS(shiliu_credit_code_parse(S("91110000600037341M"), S("[\"91110000600037341N\"]"),
                                         &out, &err),
                SHILIU_STATUS_VALIDATION, 1004);
    CHECK(out == NULL);

    CHECK_OK(shiliu_credit_code_parse(S("91110000600037341M"), S("[\"91110000600037341M\"]"), &out,
                                      &err));
    CHECK_HAS(out, "\"check_ok\":false");
    CHECK_HAS(out, "\"code\":\"credit_code.check_failed_allowed\"");
    shiliu_string_free(out);

    /* The allow list must be a JSON array of strings. */
    out = NULL;
    CHECK_FAILS(shiliu_credit_code_parse(S("91110000600037341M"), S("{\"x\":"), &out, &err),
                SHILIU_STATUS_VALIDATION, 1007);
    CHECK(out == NULL);
}

int main(void) {
    test_ethnicity_parse();
    test_ethnicity_list();
    test_id_numbers();
    test_division_codes();
    test_credit_codes();
    return 0;
}
