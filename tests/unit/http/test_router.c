/* Unit tests for src/http/router.c: literal and {name} segments, a trailing
 * slash being another path, 405 with the path's methods, and a literal
 * segment winning over a parameter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/router.h"

static void handler_a(api_req_t *r)
{
    (void)r;
}

static void handler_b(api_req_t *r)
{
    (void)r;
}

/* The shape of the application's table, plus two routes that compete with
 * the {user_id} pattern. */
static const route_t routes[] = {
    {.method = "GET", .pattern = "/health", .handler = handler_a},
    {.method = "GET", .pattern = "/api/{user_id}/tasks", .handler = handler_a},
    {.method = "POST", .pattern = "/api/{user_id}/tasks", .handler = handler_a},
    {.method = "GET", .pattern = "/api/{user_id}/tasks/{id}", .handler = handler_a},
    {.method = "PUT", .pattern = "/api/{user_id}/tasks/{id}", .handler = handler_a},
    {.method = "PATCH", .pattern = "/api/{user_id}/tasks/{id}", .handler = handler_a},
    {.method = "DELETE", .pattern = "/api/{user_id}/tasks/{id}", .handler = handler_a},
    {.method = "PATCH", .pattern = "/api/{user_id}/tasks/{id}/complete", .handler = handler_a},
    {.method = "GET", .pattern = "/api/{user_id}/me", .handler = handler_a},
    {.method = "GET", .pattern = "/api/auth/me", .handler = handler_b},
    {.method = "POST", .pattern = "/api/auth/login", .handler = handler_b},
};

static router_t *router;

static int setup(void **state)
{
    (void)state;
    router = router_new(routes, sizeof(routes) / sizeof(routes[0]));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    router_free(router);
    return 0;
}

static router_status_t match(const char *method, const char *path, router_match_t *m)
{
    return router_match(router, method, strlen(method), path, strlen(path), m);
}

static void assert_param(const router_match_t *m, size_t i, const char *name, const char *value)
{
    assert_true(i < m->n_params);
    assert_string_equal(m->param_names[i], name);
    assert_int_equal(m->param_lens[i], strlen(value));
    assert_memory_equal(m->param_values[i], value, strlen(value));
}

static void test_literal_route(void **state)
{
    (void)state;
    router_match_t m;
    assert_int_equal(match("GET", "/health", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[0]);
    assert_int_equal(m.n_params, 0);
}

static void test_parameters_are_captured_raw(void **state)
{
    (void)state;
    router_match_t m;
    assert_int_equal(match("PATCH", "/api/u%31/tasks/42/complete", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[7]);
    assert_int_equal(m.n_params, 2);
    assert_param(&m, 0, "user_id", "u%31");
    assert_param(&m, 1, "id", "42");

    assert_int_equal(match("DELETE", "/api/bob/tasks/abc", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[6]);
    assert_param(&m, 1, "id", "abc");
}

static void test_trailing_slash_and_empty_segments_are_404(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "/health/",
        "/api/u1/tasks/",
        "/api/u1/tasks/1/",
        "/api//tasks",
        "/api/u1/tasks//1",
        "/",
        "",
        "health",
        "//health",
        "/api/u1/tasks/1/complete/",
    };
    router_match_t m;
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        assert_int_equal(match("GET", paths[i], &m), ROUTER_NOT_FOUND);
        assert_null(m.route);
        assert_int_equal(m.methods, 0);
    }
}

static void test_case_sensitive_paths(void **state)
{
    (void)state;
    router_match_t m;
    assert_int_equal(match("GET", "/HEALTH", &m), ROUTER_NOT_FOUND);
    assert_int_equal(match("GET", "/api/u1/TASKS", &m), ROUTER_NOT_FOUND);
}

static void test_wrong_method_lists_the_paths_methods(void **state)
{
    (void)state;
    router_match_t m;
    char allow[96];
    assert_int_equal(match("DELETE", "/api/u1/tasks", &m), ROUTER_METHOD_NOT_ALLOWED);
    assert_null(m.route);
    assert_string_equal(router_methods_str(m.methods, allow, sizeof(allow)), "GET, POST");

    assert_int_equal(match("POST", "/api/u1/tasks/7", &m), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(router_methods_str(m.methods, allow, sizeof(allow)),
                        "GET, PUT, PATCH, DELETE");

    assert_int_equal(match("GET", "/api/u1/tasks/7/complete", &m), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(router_methods_str(m.methods, allow, sizeof(allow)), "PATCH");

    /* unknown and lower-case methods are just other methods */
    assert_int_equal(match("BREW", "/health", &m), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(router_methods_str(m.methods, allow, sizeof(allow)), "GET");
    assert_int_equal(match("get", "/health", &m), ROUTER_METHOD_NOT_ALLOWED);
    assert_int_equal(match("OPTIONS", "/health", &m), ROUTER_METHOD_NOT_ALLOWED);
}

static void test_literal_beats_parameter(void **state)
{
    (void)state;
    router_match_t m;
    assert_int_equal(match("GET", "/api/auth/me", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[9]);
    assert_int_equal(m.n_params, 0);

    assert_int_equal(match("GET", "/api/bob/me", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[8]);
    assert_param(&m, 0, "user_id", "bob");

    /* POST /api/auth/me: neither route has POST; both give their methods */
    assert_int_equal(match("POST", "/api/auth/me", &m), ROUTER_METHOD_NOT_ALLOWED);
    assert_int_equal(m.methods, ROUTER_GET);

    /* /api/auth/tasks is the tasks route with user_id "auth" */
    assert_int_equal(match("GET", "/api/auth/tasks", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[1]);
    assert_param(&m, 0, "user_id", "auth");
}

static void test_too_many_segments(void **state)
{
    (void)state;
    router_match_t m;
    char path[256];
    for (size_t i = 0; i < 40; i++)
        memcpy(path + 2 * i, "/a", 2);
    path[80] = '\0';
    assert_int_equal(match("GET", path, &m), ROUTER_NOT_FOUND);
}

static void test_all_methods_and_method_bits(void **state)
{
    (void)state;
    char s[96];
    assert_string_equal(router_methods_str(router_all_methods(router), s, sizeof(s)),
                        "GET, POST, PUT, PATCH, DELETE");
    assert_int_equal(router_method_bit("PATCH", 5), ROUTER_PATCH);
    assert_int_equal(router_method_bit("PATC", 4), 0);
    assert_int_equal(router_method_bit("patch", 5), 0);
    /* truncation keeps the string terminated */
    assert_string_equal(router_methods_str(ROUTER_GET | ROUTER_POST, s, 6), "GET");
}

static void test_empty_table(void **state)
{
    (void)state;
    router_t *empty = router_new(NULL, 0);
    router_match_t m;
    assert_int_equal(router_match(empty, "GET", 3, "/health", 7, &m), ROUTER_NOT_FOUND);
    router_free(empty);
    router_free(NULL);
}

/* "/" is a route of its own (the web app): one empty segment. */
static void test_root_route(void **state)
{
    (void)state;
    static const route_t web[] = {
        {.method = "GET", .pattern = "/", .handler = handler_a},
        {.method = "GET", .pattern = "/app/{name}", .handler = handler_b},
        {.method = "GET", .pattern = "/{page}", .handler = handler_b},
    };
    router_t *r = router_new(web, 3);
    router_match_t m;
    assert_int_equal(router_match(r, "GET", 3, "/", 1, &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &web[0]);
    assert_int_equal(m.n_params, 0);
    assert_int_equal(router_match(r, "POST", 4, "/", 1, &m), ROUTER_METHOD_NOT_ALLOWED);
    assert_int_equal(m.methods, ROUTER_GET);
    assert_int_equal(router_match(r, "GET", 3, "//", 2, &m), ROUTER_NOT_FOUND);
    assert_int_equal(router_match(r, "GET", 3, "/app/", 5, &m), ROUTER_NOT_FOUND);
    assert_int_equal(router_match(r, "GET", 3, "/x", 2, &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &web[2]);
    assert_int_equal(router_match(r, "GET", 3, "/app/a.js", 9, &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &web[1]);
    router_free(r);
    /* Without a "/" route, "/" is no path at all. */
    assert_int_equal(match("GET", "/", &m), ROUTER_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_route),
        cmocka_unit_test(test_parameters_are_captured_raw),
        cmocka_unit_test(test_trailing_slash_and_empty_segments_are_404),
        cmocka_unit_test(test_case_sensitive_paths),
        cmocka_unit_test(test_wrong_method_lists_the_paths_methods),
        cmocka_unit_test(test_literal_beats_parameter),
        cmocka_unit_test(test_too_many_segments),
        cmocka_unit_test(test_all_methods_and_method_bits),
        cmocka_unit_test(test_empty_table),
        cmocka_unit_test(test_root_route),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
