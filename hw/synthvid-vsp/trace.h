#include "trace/trace-hvpart_hw_synthvid_vsp.h"
