/* Private to src/schema/: reading and writing a field's slot in a struct. */
#ifndef TODO_SCHEMA_SCHEMA_INTERNAL_H
#define TODO_SCHEMA_SCHEMA_INTERNAL_H

#include <stdint.h>

#include "schema/schema.h"

/** The integer value of an INT, INT64 or BOOL slot. */
int64_t schema__get_int(const schema_field_t *f, const void *obj);
/** Stores v in an INT, INT64 or BOOL slot (BOOL stores v != 0). */
void schema__set_int(const schema_field_t *f, void *obj, int64_t v);
/** The pointer in a STR slot. */
const char *schema__get_str(const schema_field_t *f, const void *obj);
/** Stores s in a STR slot. */
void schema__set_str(const schema_field_t *f, void *obj, const char *s);

#endif
