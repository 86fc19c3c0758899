#include "trace/trace-hvpart_hw_netvsc_vsp.h"
