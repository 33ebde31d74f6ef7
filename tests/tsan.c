/* SPDX-License-Identifier: ISC */
/*
 * tsan.c: lets criterion start under ThreadSanitizer (make SANITIZE=thread);
 * empty in every other build.
 *
 * criterion maps its inheritable arena (BoxFort) with MAP_FIXED at
 * 0x2000'0000'0000 + rand_r() * 16 MiB, and gives up after ten candidates.
 * Under TSan almost all of that range is TSan's shadow or a protected gap;
 * only the range where TSan expects PIE binaries (0x5500'0000'0000 to
 * 0x5680'0000'0000) may be mapped by the application, so about four starts
 * in five abort with "Could not initialize inheritable arena" (criterion
 * issue #274). This rand_r() therefore answers criterion, and criterion
 * only, with a candidate inside that range; every other caller (the fuzzing
 * tests) gets glibc's own.
 */
#ifdef __SANITIZE_THREAD__

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#define TSAN_ARENA_BASE	0x200000000000ULL	/* BoxFort's first candidate */
#define TSAN_ARENA_STEP	0x1000000ULL		/* between two candidates */
#define TSAN_PIE_LO	0x550000000000ULL	/* TSan's PIE application range */
#define TSAN_PIE_HI	0x568000000000ULL

int
rand_r(unsigned int *seed)
{
	static int	(*libc_rand_r)(unsigned int *);
	unsigned long long first, slots;
	Dl_info		 caller;

	if (dladdr(__builtin_return_address(0), &caller) != 0 &&
	    caller.dli_fname != NULL &&
	    strstr(caller.dli_fname, "libcriterion") != NULL) {
		first = (TSAN_PIE_LO - TSAN_ARENA_BASE) / TSAN_ARENA_STEP;
		slots = (TSAN_PIE_HI - TSAN_PIE_LO) / TSAN_ARENA_STEP - 1;
		*seed = *seed * 1103515245 + 12345;
		return (int)(first + (*seed >> 8) % slots);
	}
	if (libc_rand_r == NULL)
		*(void **)&libc_rand_r = dlsym(RTLD_NEXT, "rand_r");
	return libc_rand_r(seed);
}

#endif
