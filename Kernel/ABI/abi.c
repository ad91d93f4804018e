/* Compiled so that SwiftPM has a C target for the header; the ABI is header-only. */
#include "kernel_module.h"
_Static_assert(sizeof(kernel_module_descriptor) == 40, "descriptor layout of ABI 1.0");
