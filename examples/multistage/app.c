#include <stdio.h>

int main(void) {
    puts("Hello from a multistage build!");
    return 0;
}
