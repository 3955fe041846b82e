/*
 * registry.h — how a feature adds itself to a list without editing it.
 *
 * A feature's op table, its reel.db migrations, its time-spec resolvers and
 * its GC-root listers are registered where they are defined, with
 * REEL_REGISTER(list, type, object): a pointer to the object goes into the
 * linker section `reel_<list>`, and REEL_REGISTRY_EACH walks every pointer
 * the final link collected (the linker defines __start_/__stop_ symbols for
 * any section whose name is a C identifier). The lists are read-only and
 * complete before main() runs: no constructor, no global mutable state, no
 * order to get wrong. Users of a list sort it by a key of their own when
 * order matters (the link order is not a contract).
 *
 * Requires the objects to reach the link: libreel's layers are linked
 * whole (meson's link_whole), so a registration is never dropped.
 *
 * Owns: nothing. Must never: hold anything but const pointers.
 */
#ifndef REEL_REGISTRY_H
#define REEL_REGISTRY_H

#define REEL_REGISTRY_CAT_(a, b) a##b
#define REEL_REGISTRY_CAT(a, b) REEL_REGISTRY_CAT_(a, b)

/* Register `object` (an lvalue of type `type`) in list `list`. */
#define REEL_REGISTER(list, type, object)                                                      \
    static const type *const REEL_REGISTRY_CAT(reel_reg_##list##_, __LINE__)                  \
        __attribute__((used, section("reel_" #list), aligned(sizeof(void *)))) = &(object)

/* Declare list `list` of `type` once in the file that walks it. */
#define REEL_REGISTRY_DECLARE(list, type)                                                      \
    extern const type *const __start_reel_##list[] __attribute__((weak));                     \
    extern const type *const __stop_reel_##list[] __attribute__((weak))

/* for (const type *const *it = first; it < end; it++): every registered object. */
#define REEL_REGISTRY_BEGIN(list) (__start_reel_##list)
#define REEL_REGISTRY_END(list) (__stop_reel_##list)
#define REEL_REGISTRY_COUNT(list)                                                              \
    (REEL_REGISTRY_BEGIN(list) ? (size_t)(REEL_REGISTRY_END(list) - REEL_REGISTRY_BEGIN(list)) \
                               : (size_t)0)

#endif
