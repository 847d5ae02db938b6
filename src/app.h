/* The application's route table (src/app.c). */
#ifndef TODO_APP_H
#define TODO_APP_H

#include <stddef.h>

#include "http/api.h"

/** Every route the server answers, in one const table. */
extern const route_t app_routes[];
extern const size_t app_routes_count;

#endif
