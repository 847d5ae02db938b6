/* The application's route table (src/app.c). */
#ifndef TODO_APP_H
#define TODO_APP_H

#include <stddef.h>

#include "core/buf.h"
#include "core/settings.h"
#include "http/api.h"

/** Every route the server answers, in one const table. */
extern const route_t app_routes[];
extern const size_t app_routes_count;

/** How many routes of app_routes to serve with these settings: all of them,
 *  or all but the web app's (the last ones) when WEB_APP is false. */
size_t app_routes_serving(const settings_t *s);

/** Appends the OpenAPI 3.1 document of app_routes (src/schema/openapi.h),
 *  with the application's title, tags and path parameters. */
void app_openapi_write(buf_t *out);

#endif
