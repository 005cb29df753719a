// SPDX-License-Identifier: GPL-2.0
/* ikehelper: the kesp IKEv2 daemon. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: ikehelper [--version] [--help]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'V':
			printf("ikehelper %s\n", KESP_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	fprintf(stderr, "ikehelper: no IKE daemon yet; only --version\n");
	return 2;
}
