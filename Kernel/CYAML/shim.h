#ifndef KERNEL_CYAML_SHIM_H
#define KERNEL_CYAML_SHIM_H
#include <yaml.h>
#endif
