#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mil.h"

const mil_table EXEC_MIL_IMAGE = {NULL, 0};
