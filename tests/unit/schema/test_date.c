/* Unit tests for src/schema/date.c: calendar arithmetic and text forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "schema/date.h"

static date_t D(int y, int m, int d)
{
    date_t x = {y, m, d};
    return x;
}

static void assert_date(date_t got, int y, int m, int d)
{
    assert_int_equal(got.year, y);
    assert_int_equal(got.month, m);
    assert_int_equal(got.day, d);
}

static int parse(const char *s, date_t *out)
{
    return date_parse(s, strlen(s), out);
}

static void test_leap_years(void **state)
{
    (void)state;
    assert_true(date_is_leap(2024));
    assert_true(date_is_leap(2000));  /* divisible by 400 */
    assert_false(date_is_leap(1900)); /* century */
    assert_false(date_is_leap(2100));
    assert_false(date_is_leap(2025));
    assert_int_equal(date_days_in_month(2024, 2), 29);
    assert_int_equal(date_days_in_month(2025, 2), 28);
    assert_int_equal(date_days_in_month(1900, 2), 28);
    assert_int_equal(date_days_in_month(2000, 2), 29);
    assert_int_equal(date_days_in_month(2025, 4), 30);
    assert_int_equal(date_days_in_month(2025, 12), 31);
    assert_int_equal(date_days_in_month(2025, 13), 0);
}

static void test_parse_valid(void **state)
{
    (void)state;
    date_t d;
    assert_int_equal(parse("2025-12-11", &d), 0);
    assert_date(d, 2025, 12, 11);
    assert_int_equal(parse("2024-02-29", &d), 0);
    assert_date(d, 2024, 2, 29);
    assert_int_equal(parse("2000-02-29", &d), 0);
    assert_int_equal(parse("0001-01-01", &d), 0);
    assert_int_equal(parse("9999-12-31", &d), 0);
}

static void test_parse_invalid(void **state)
{
    (void)state;
    const char *bad[] = {
        "2025-02-29", "1900-02-29",  "2025-02-30",  "2025-04-31",  "2025-13-01", "2025-00-10",
        "2025-01-00", "2025-01-32",  "0000-01-01",  "2025-1-01",   "2025-01-1",  "25-01-01",
        "2025/01/01", "2025-01-01T", " 2025-01-01", "2025-01-01 ", "2025-0a-01", "+025-01-01",
        "",           "20250101",    "2025-01-01Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        date_t d = D(7, 7, 7);
        if (parse(bad[i], &d) == 0)
            fail_msg("accepted %s", bad[i]);
        assert_date(d, 7, 7, 7); /* untouched */
    }
}

static void test_format(void **state)
{
    (void)state;
    char s[DATE_STR_SIZE];
    date_format(D(2025, 3, 7), s);
    assert_string_equal(s, "2025-03-07");
    date_format(D(12, 1, 1), s);
    assert_string_equal(s, "0012-01-01");
}

static void test_days_round_trip(void **state)
{
    (void)state;
    assert_int_equal(date_to_days(D(1970, 1, 1)), 0);
    assert_int_equal(date_to_days(D(1970, 1, 2)), 1);
    assert_int_equal(date_to_days(D(1969, 12, 31)), -1);
    assert_int_equal(date_to_days(D(2000, 3, 1)), 11017);
    /* Every day from 1899 to 2101 survives a round trip and follows its predecessor. */
    date_t d = D(1899, 1, 1);
    int64_t n = date_to_days(d);
    while (d.year < 2101) {
        date_t back = date_from_days(n);
        assert_date(back, d.year, d.month, d.day);
        d.day++;
        if (d.day > date_days_in_month(d.year, d.month)) {
            d.day = 1;
            if (++d.month > 12) {
                d.month = 1;
                d.year++;
            }
        }
        n++;
        assert_int_equal(date_to_days(d), n);
    }
}

static void test_add_days(void **state)
{
    (void)state;
    assert_date(date_add_days(D(2024, 2, 28), 1), 2024, 2, 29);
    assert_date(date_add_days(D(2025, 2, 28), 1), 2025, 3, 1);
    assert_date(date_add_days(D(2025, 12, 31), 1), 2026, 1, 1);
    assert_date(date_add_days(D(2025, 1, 1), -1), 2024, 12, 31);
    assert_date(date_add_days(D(2024, 1, 1), 366), 2025, 1, 1);
}

static void test_weekday_and_week(void **state)
{
    (void)state;
    assert_int_equal(date_weekday(D(1970, 1, 1)), 4);   /* Thursday */
    assert_int_equal(date_weekday(D(2025, 12, 8)), 1);  /* Monday */
    assert_int_equal(date_weekday(D(2025, 12, 14)), 7); /* Sunday */
    assert_int_equal(date_weekday(D(2024, 2, 29)), 4);
    assert_int_equal(date_weekday(D(1900, 1, 1)), 1);
    assert_int_equal(date_weekday(D(1969, 12, 31)), 3);
    assert_date(date_week_start(D(2025, 12, 10)), 2025, 12, 8); /* Wednesday */
    assert_date(date_week_start(D(2025, 12, 8)), 2025, 12, 8);  /* Monday itself */
    assert_date(date_week_start(D(2025, 12, 14)), 2025, 12, 8); /* Sunday ends the week */
    assert_date(date_week_start(D(2026, 1, 1)), 2025, 12, 29);  /* across a year */
    assert_date(date_week_start(D(2024, 3, 2)), 2024, 2, 26);   /* across a leap day */
}

static void test_compare(void **state)
{
    (void)state;
    assert_true(date_compare(D(2025, 1, 2), D(2025, 1, 1)) > 0);
    assert_true(date_compare(D(2024, 12, 31), D(2025, 1, 1)) < 0);
    assert_true(date_compare(D(2025, 2, 1), D(2025, 1, 31)) > 0);
    assert_int_equal(date_compare(D(2025, 1, 1), D(2025, 1, 1)), 0);
}

static void test_times(void **state)
{
    (void)state;
    date_time_of_day_t t;
    char s[DATE_TIME_STR_SIZE];
    assert_int_equal(date_parse_time("09:00", 5, &t), 0);
    date_format_time(t, s);
    assert_string_equal(s, "09:00:00");
    assert_int_equal(date_parse_time("23:59:59", 8, &t), 0);
    date_format_time(t, s);
    assert_string_equal(s, "23:59:59");
    assert_int_equal(date_parse_time("00:00:00", 8, &t), 0);
    const char *bad[] = {"24:00",      "23:60", "12:00:60", "9:00",   "09:0", "0900",  "09:00:0",
                         "09:00:00.5", "09-00", " 09:00",   "09:00 ", "",     "ab:cd", "09:00:"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (date_parse_time(bad[i], strlen(bad[i]), &t) == 0)
            fail_msg("accepted %s", bad[i]);
}

static void test_stamps(void **state)
{
    (void)state;
    const char *ok = "2025-12-10T10:05:00Z";
    assert_int_equal(date_parse_stamp(ok, strlen(ok), NULL, NULL), 0);
    const char *bad[] = {"2025-12-10T10:05:00",  "2025-12-10 10:05:00Z",
                         "2025-02-30T10:05:00Z", "2025-12-10T24:00:00Z",
                         "2025-12-10T10:05Z",    "2025-12-10T10:05:00+00:00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(date_parse_stamp(bad[i], strlen(bad[i]), NULL, NULL), -1);

    char stamp[DATE_STAMP_STR_SIZE];
    date_t today;
    date_utc_now(1765361100, stamp, &today); /* 2025-12-10T10:05:00Z */
    assert_string_equal(stamp, "2025-12-10T10:05:00Z");
    assert_date(today, 2025, 12, 10);
    date_utc_now(951782400, stamp, &today); /* 2000-02-29T00:00:00Z */
    assert_string_equal(stamp, "2000-02-29T00:00:00Z");
    date_utc_now(1767225599, stamp, NULL);
    assert_string_equal(stamp, "2025-12-31T23:59:59Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_days_round_trip),
        cmocka_unit_test(test_add_days),
        cmocka_unit_test(test_weekday_and_week),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_stamps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
