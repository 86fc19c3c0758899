#include "trace/trace-hvpart_hw_synic.h"
