#include "schema/date.h"

bool date_is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int date_days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    if (month == 2 && date_is_leap(year))
        return 29;
    return days[month - 1];
}

bool date_is_valid(date_t d)
{
    return d.year >= DATE_YEAR_MIN && d.year <= DATE_YEAR_MAX && d.month >= 1 && d.month <= 12 &&
           d.day >= 1 && d.day <= date_days_in_month(d.year, d.month);
}

/* Days from civil: count in 400-year eras that start on March 1st, so the
 * leap day is the last day of each shifted year. */
int64_t date_to_days(date_t d)
{
    int64_t y = d.year - (d.month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                         /* 0-399 */
    int64_t mp = (d.month + 9) % 12;                     /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d.day - 1;        /* 0-365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0-146096 */
    return era * 146097 + doe - 719468;                  /* 1970-03-01 shift */
}

date_t date_from_days(int64_t days)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    date_t d;
    d.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    d.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    d.year = (int)(yoe + era * 400 + (d.month <= 2));
    return d;
}

date_t date_add_days(date_t d, int64_t n)
{
    return date_from_days(date_to_days(d) + n);
}

int date_compare(date_t a, date_t b)
{
    if (a.year != b.year)
        return a.year < b.year ? -1 : 1;
    if (a.month != b.month)
        return a.month < b.month ? -1 : 1;
    if (a.day != b.day)
        return a.day < b.day ? -1 : 1;
    return 0;
}

int date_weekday(date_t d)
{
    int64_t days = date_to_days(d); /* 1970-01-01 was a Thursday (4) */
    int64_t wd = (days + 3) % 7;    /* 0 = Monday */
    if (wd < 0)
        wd += 7;
    return (int)wd + 1;
}

date_t date_week_start(date_t d)
{
    return date_add_days(d, -(date_weekday(d) - 1));
}

/* Reads n decimal digits at s; -1 if any is not a digit. */
static int read_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int date_parse(const char *s, size_t n, date_t *out)
{
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    date_t d = {read_digits(s, 4), read_digits(s + 5, 2), read_digits(s + 8, 2)};
    if (d.year < 0 || d.month < 0 || d.day < 0 || !date_is_valid(d))
        return -1;
    *out = d;
    return 0;
}

/* Writes v (taken modulo 10^width, never negative) as width digits. */
static void put_digits(char *out, int v, int width)
{
    unsigned u = v < 0 ? 0U : (unsigned)v;
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + u % 10);
        u /= 10;
    }
}

void date_format(date_t d, char out[DATE_STR_SIZE])
{
    put_digits(out, d.year, 4);
    out[4] = '-';
    put_digits(out + 5, d.month, 2);
    out[7] = '-';
    put_digits(out + 8, d.day, 2);
    out[10] = '\0';
}

int date_parse_time(const char *s, size_t n, date_time_of_day_t *out)
{
    if ((n != 5 && n != 8) || s[2] != ':' || (n == 8 && s[5] != ':'))
        return -1;
    date_time_of_day_t t = {read_digits(s, 2), read_digits(s + 3, 2), 0};
    if (n == 8)
        t.second = read_digits(s + 6, 2);
    if (t.hour < 0 || t.hour > 23 || t.minute < 0 || t.minute > 59 || t.second < 0 || t.second > 59)
        return -1;
    *out = t;
    return 0;
}

void date_format_time(date_time_of_day_t t, char out[DATE_TIME_STR_SIZE])
{
    put_digits(out, t.hour, 2);
    out[2] = ':';
    put_digits(out + 3, t.minute, 2);
    out[5] = ':';
    put_digits(out + 6, t.second, 2);
    out[8] = '\0';
}

int date_parse_stamp(const char *s, size_t n, date_t *date, date_time_of_day_t *time)
{
    date_t d;
    date_time_of_day_t t;
    if (n != 20 || s[10] != 'T' || s[19] != 'Z' || date_parse(s, 10, &d) != 0 ||
        date_parse_time(s + 11, 8, &t) != 0)
        return -1;
    if (date != NULL)
        *date = d;
    if (time != NULL)
        *time = t;
    return 0;
}

void date_utc_now(time_t t, char stamp[DATE_STAMP_STR_SIZE], date_t *today)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    date_t d = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
    if (stamp != NULL) {
        date_format(d, stamp);
        stamp[10] = 'T';
        date_time_of_day_t tod = {tm.tm_hour, tm.tm_min, tm.tm_sec > 59 ? 59 : tm.tm_sec};
        date_format_time(tod, stamp + 11);
        stamp[19] = 'Z';
        stamp[20] = '\0';
    }
    if (today != NULL)
        *today = d;
}
