#include "trace/trace-hvpart_hw_input_vsp.h"
