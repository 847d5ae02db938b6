/* Calendar arithmetic on the proleptic Gregorian calendar, and the strict
 * text forms the API uses: dates "YYYY-MM-DD", times "HH:MM:SS" (input may be
 * "HH:MM") and UTC timestamps "YYYY-MM-DDTHH:MM:SSZ". Pure functions except
 * date_utc_now(); no locale, no time zone database. */
#ifndef TODO_SCHEMA_DATE_H
#define TODO_SCHEMA_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/** A calendar date; valid dates have year 1-9999. */
typedef struct date {
    int year;
    int month; /* 1-12 */
    int day;   /* 1-31 */
} date_t;

/** A time of day. */
typedef struct date_time_of_day {
    int hour, minute, second;
} date_time_of_day_t;

enum {
    DATE_STR_SIZE = 11,       /* "YYYY-MM-DD" and its NUL */
    DATE_TIME_STR_SIZE = 9,   /* "HH:MM:SS" and its NUL */
    DATE_STAMP_STR_SIZE = 21, /* "YYYY-MM-DDTHH:MM:SSZ" and its NUL */
    DATE_YEAR_MIN = 1,
    DATE_YEAR_MAX = 9999,
};

/** True for leap years (divisible by 4, except centuries not divisible by 400). */
bool date_is_leap(int year);
/** Days in that month (28-31); 0 for a month outside 1-12. */
int date_days_in_month(int year, int month);
/** True when d is a real date with year 1-9999. */
bool date_is_valid(date_t d);
/** Days since 1970-01-01 (negative before). */
int64_t date_to_days(date_t d);
/** The date that many days after 1970-01-01. */
date_t date_from_days(int64_t days);
/** d moved by n days (n may be negative). */
date_t date_add_days(date_t d, int64_t n);
/** Negative, zero or positive as a is before, equal to or after b. */
int date_compare(date_t a, date_t b);
/** ISO weekday: 1 = Monday ... 7 = Sunday. */
int date_weekday(date_t d);
/** The Monday of d's ISO week (Monday-Sunday). */
date_t date_week_start(date_t d);

/** Parses exactly "YYYY-MM-DD" (n bytes, no more) as a real date with year
 *  1-9999. Returns 0, or -1 (then *out is untouched). */
int date_parse(const char *s, size_t n, date_t *out);
/** Writes "YYYY-MM-DD" and a NUL into out. */
void date_format(date_t d, char out[DATE_STR_SIZE]);

/** Parses exactly "HH:MM" or "HH:MM:SS" (00-23, 00-59, 00-59). Returns 0 or -1. */
int date_parse_time(const char *s, size_t n, date_time_of_day_t *out);
/** Writes "HH:MM:SS" and a NUL into out. */
void date_format_time(date_time_of_day_t t, char out[DATE_TIME_STR_SIZE]);

/** Checks exactly "YYYY-MM-DDTHH:MM:SSZ" with a real date and time. Returns 0 or -1. */
int date_parse_stamp(const char *s, size_t n, date_t *date, date_time_of_day_t *time);

/** The UTC timestamp "YYYY-MM-DDTHH:MM:SSZ" of t (whole seconds) into stamp,
 *  and its UTC date into *today (either may be NULL). */
void date_utc_now(time_t t, char stamp[DATE_STAMP_STR_SIZE], date_t *today);

#endif
