#include "trace/trace-hvpart_accel_hvpart.h"
