// The C side of the GSL binding. Only the Stochastic module imports it.
//
// GSL's generator types are C globals (`gsl_rng_mt19937`, ...). Swift 6 refuses to read a
// mutable C global ("not concurrency-safe"), so the accessors below return them from static
// inline functions instead. Other generators are found by name via gsl_rng_types_setup().
#ifndef CLONESIM_CGSL_SHIM_H
#define CLONESIM_CGSL_SHIM_H

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_histogram.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_sort_double.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

static inline const gsl_rng_type *cgsl_rng_mt19937(void) { return gsl_rng_mt19937; }

#endif
