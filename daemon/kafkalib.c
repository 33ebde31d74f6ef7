/* SPDX-License-Identifier: ISC */
/*
 * kafkalib.c: load librdkafka on first use (see kafkalib.h). The library
 * stays loaded for the life of the process: a producer's threads may
 * outlive any one output.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "kafkalib.h"

static pthread_mutex_t kafkalib_mu = PTHREAD_MUTEX_INITIALIZER;
static struct kafkalib kafkalib_funcs;
static const struct kafkalib *kafkalib_loaded;

static int
kafkalib_open(char *err, size_t errlen)
{
	void *h, *f;

	if ((h = dlopen(KAFKALIB_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "type \"kafka\" needs librdkafka "
		    "(Debian package librdkafka1): %s", dlerror());
		return -1;
	}
#define KAFKALIB_SYM(fn)						\
	if ((f = dlsym(h, "rd_kafka_" #fn)) == NULL) {			\
		snprintf(err, errlen, "%s: no rd_kafka_%s: too old a "	\
		    "librdkafka", KAFKALIB_SONAME, #fn);		\
		dlclose(h);						\
		return -1;						\
	}								\
	*(void **)&kafkalib_funcs.fn = f;
	KAFKALIB_FUNCS(KAFKALIB_SYM)
#undef KAFKALIB_SYM
	return 0;
}

const struct kafkalib *
kafkalib_load(char *err, size_t errlen)
{
	const struct kafkalib *kl;

	pthread_mutex_lock(&kafkalib_mu);
	if (kafkalib_loaded == NULL && kafkalib_open(err, errlen) == 0)
		kafkalib_loaded = &kafkalib_funcs;
	kl = kafkalib_loaded;
	pthread_mutex_unlock(&kafkalib_mu);
	return kl;
}
