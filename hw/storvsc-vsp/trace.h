#include "trace/trace-hvpart_hw_storvsc_vsp.h"
