/* The libFuzzer entry point every target in tests/fuzz/ defines.
 *
 * A target is tests/fuzz/fuzz_<name>.c, listed in tests/fuzz/meson.build. It is
 * built twice: with clang and libFuzzer by `make fuzz` (build-fuzz/), and in
 * every normal build linked with replay.c as the meson test `fuzz_<name>`,
 * which runs the inputs in tests/fuzz/corpus/fuzz_<name>/ (seeds and every
 * crash found so far: add the crashing input there when you fix a bug). A
 * target reports a broken property with abort(), never with assert (asserts
 * are compiled out of release builds). */
#ifndef TODO_TESTS_FUZZ_H
#define TODO_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/** Runs one input; returns 0 (libFuzzer ignores other values). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
