#include "trace/trace-hvpart_hw_vmbus.h"
