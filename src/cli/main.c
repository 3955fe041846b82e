/*
 * main.c — the `reel` command: argument dispatch only.
 */
#include "reel.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("reel 0.1.0\n");
        return 0;
    }
    fprintf(stderr, "reel: usage: reel <command> [options]\n");
    return 2;
}
