// SPDX-License-Identifier: GPL-2.0
/* ikehelper: the kesp IKEv2 daemon. Options, config check, then the loop. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

#define DEFAULT_CONFIG "/etc/kesp/ikehelper.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ikehelper [-c FILE] [-f] [-d LEVEL] [--check-config] [--version]\n"
		"  -c, --config FILE   configuration in swanctl.conf syntax (default %s)\n"
		"  -f, --foreground    stay in the foreground and log to stderr (else syslog)\n"
		"  -d, --debug LEVEL   log level -1..4 for all subsystems, or e.g. ike=2,knl=3\n"
		"                      (subsystems: dmn cfg net ike chd knl ctl)\n"
		"      --check-config  read and validate the configuration, print each error\n"
		"                      as FILE:LINE: what is wrong, exit 1 if there is one\n"
		"      --version       print the version\n",
		DEFAULT_CONFIG);
}

/* Config diagnostics go to stderr as they are: "FILE:LINE: what". */
static void print_diag(void *ctx, bool error, const char *msg)
{
	(void)ctx;
	(void)error;
	fprintf(stderr, "%s\n", msg);
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 256 };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", required_argument, NULL, 'd' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = DEFAULT_CONFIG;
	bool foreground = false, check = false;
	char why[160];
	int c;

	while ((c = getopt_long(argc, argv, "c:fd:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'd':
			if (!log_set_levels(optarg, why, sizeof(why))) {
				fprintf(stderr, "ikehelper: -d %s: %s\n", optarg, why);
				return 2;
			}
			break;
		case OPT_CHECK:
			check = true;
			break;
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
	if (optind < argc) {
		fprintf(stderr, "ikehelper: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (check) {
		struct config *cfg = config_load(config_path, print_diag, NULL);

		if (!cfg)
			return 1;
		printf("%s: %zu connection%s, %zu secret%s: OK\n", config_path, cfg->nconns,
		       cfg->nconns == 1 ? "" : "s", cfg->npsks, cfg->npsks == 1 ? "" : "s");
		config_free(cfg);
		return 0;
	}
	(void)foreground;
	fprintf(stderr, "ikehelper: the daemon itself is not built yet; only --check-config\n");
	return 2;
}
