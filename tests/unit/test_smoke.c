/* Smoke test for the test pipeline itself: cmocka links, runs under ASan+UBSan, and its
 * allocation tracking (which the library tests will rely on to catch leaks) is live. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

static void smoke_assertions_work(void **state)
{
    (void)state;
    const char text[] = "membrane";

    assert_int_equal(strlen(text), 8);
    assert_string_equal(text, "membrane");
    assert_true(sizeof(uint32_t) == 4);
}

static void smoke_tracked_allocations_balance(void **state)
{
    (void)state;
    /* test_calloc/test_free are cmocka's tracked allocator: a block not freed by the
     * end of the test fails it, so a balanced pair must pass. */
    unsigned char *block = test_calloc(16, 1);

    assert_non_null(block);
    for (size_t i = 0; i < 16; i++)
        assert_int_equal(block[i], 0);
    test_free(block);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(smoke_assertions_work),
        cmocka_unit_test(smoke_tracked_allocations_balance),
    };

    return cmocka_run_group_tests_name("smoke", tests, NULL, NULL);
}
