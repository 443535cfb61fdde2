#include <stdio.h>
#include "jacspec.h"
int main(void) { printf("jacspec %s\n", JS_VERSION); return 0; }
