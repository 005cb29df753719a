// SPDX-License-Identifier: GPL-2.0
/* ikehelper: the kesp IKEv2 daemon. Options, config check, then the loop. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "fetch.h"
#include "loop.h"
#include "service.h"

#define DEFAULT_CONFIG "/etc/kesp/ikehelper.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ikehelper [-c FILE] [-f] [-d LEVEL] [-S DIR] [--check-config] [--version]\n"
		"  -c, --config FILE   configuration in swanctl.conf syntax (default %s)\n"
		"  -f, --foreground    stay in the foreground and log to stderr (else syslog)\n"
		"  -d, --debug LEVELS  log levels -1..4: one for every subsystem (2), or some\n"
		"                      (ike=2,knl=3), or a default and some (1,ike=3);\n"
		"                      over the config's ikehelper { log { } } section\n"
		"                      (subsystems: dmn cfg net ike chd knl ctl enc)\n"
		"  -s, --socket PATH   control socket (default %s)\n"
		"  -S, --state-dir DIR restart state, adopted by the next start (default %s;\n"
		"                      \"none\": keep none, adopt nothing)\n"
		"      --check-config  read and validate the configuration, print each error\n"
		"                      as FILE:LINE: what is wrong, exit 1 if there is one\n"
		"      --version       print the version\n",
		DEFAULT_CONFIG, CONTROL_PATH, PERSIST_DIR);
}

/* Config diagnostics go to stderr as they are: "FILE:LINE: what". */
static void print_diag(void *ctx, bool error, const char *msg)
{
	(void)ctx;
	(void)error;
	fprintf(stderr, "%s\n", msg);
}

/* At run time (and for SIGHUP): to the log as well. */
static void log_diag(void *ctx, bool error, const char *msg)
{
	(void)ctx;
	log_msg(LOG_CFG, error ? 0 : 1, "%s", msg);
}

struct run {
	struct loop loop;
	struct net net;
	struct daemon *d;
	const char *config_path;
	const char *socket_path;
	int sfd;
	struct curl_fetcher *fetcher;	/* OCSP and CRL fetches (revoke.c) */
	struct fetch_ops fops;
};

/* READY=1 for a Type=notify unit, with a status line for systemctl status. */
static void notify_ready(struct run *r)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%zu connection%s, control socket %s",
		 r->d->cfg->nconns, r->d->cfg->nconns == 1 ? "" : "s", r->socket_path);
	service_notify(msg);
}

static void on_signal(void *arg, int fd)
{
	struct run *r = arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			struct config *cfg = config_load(r->config_path, log_diag, NULL);

			log_msg(LOG_DMN, 0, "SIGHUP: reloading %s", r->config_path);
			if (!cfg) {
				log_msg(LOG_CFG, 0, "%s has errors; the running configuration stays",
					r->config_path);
				continue;
			}
			service_notify("RELOADING=1");
			config_resolve_names(cfg);
			log_configure(&cfg->set.log);
			daemon_reload(r->d, cfg);
			notify_ready(r);
		} else {
			log_msg(LOG_DMN, 0, "signal %u: deleting every SA and stopping", si.ssi_signo);
			service_notify("STOPPING=1\nSTATUS=deleting every SA and stopping");
			daemon_shutdown(r->d);
			r->loop.stop = true;
		}
	}
}

static int daemon_main(const char *config_path, const char *socket_path, const char *state_dir,
		       bool foreground)
{
	struct run *r = calloc(1, sizeof(*r));
	struct config *cfg;
	struct kernel *k = NULL;
	struct control *ctl = NULL;
	struct nonce_bias *bias = NULL;
	const char *bias_spec = getenv("IKEHELPER_TEST_NONCES");
	sigset_t set;
	char why[512];
	int rc = 1;

	if (!r)
		return 1;
	if (bias_spec && !(bias = nonce_bias_parse(bias_spec, why, sizeof(why)))) {
		fprintf(stderr, "ikehelper: IKEHELPER_TEST_NONCES: %s\n", why);
		free(r);
		return 1;
	}
	r->config_path = config_path;
	r->socket_path = socket_path;
	r->sfd = -1;
	cfg = config_load(config_path, print_diag, NULL);
	if (!cfg)
		goto out;
	log_open(foreground);
	log_configure(&cfg->set.log);
	config_resolve_names(cfg);
	if (ike_crypto_init()) {
		log_msg(LOG_DMN, 0, "cannot initialise GnuTLS");
		goto out_cfg;
	}
	k = kernel_kesp_new(why, sizeof(why));
	if (!k) {
		log_msg(LOG_DMN, 0, "no kernel backend: %s", why);
		if (!foreground)
			fprintf(stderr, "ikehelper: %s\n", why);
		goto out_cfg;
	}
	if (loop_init(&r->loop)) {
		log_msg(LOG_DMN, 0, "cannot create the event loop: %s", strerror(errno));
		goto out_cfg;
	}
	r->d = daemon_new(cfg, k, &net_io_ops, &r->net, loop_now_ms());
	cfg = NULL;
	if (!r->d)
		goto out_loop;
	if (bias) {
		nonce_bias_describe(bias, why, sizeof(why));
		log_msg(LOG_DMN, 0, "IKEHELPER_TEST_NONCES is set, for tests only: the CREATE_CHILD_SA "
			"nonces of %s are biased", why);
		r->d->nonce_bias = bias;
		bias = NULL;
	}
	r->loop.d = r->d;
	if (loop_add_kernel(&r->loop, k))
		log_msg(LOG_KNL, 0, "not watching kesp.ko's events: no volume lifetimes, traps nor "
			"NAT mapping changes");
	if (loop_watch_addresses(&r->loop))
		log_msg(LOG_NET, 0, "not watching address and route changes: MOBIKE does not "
			"follow them (%s)", strerror(errno));
	for (int f = 0; f < 2; f++)
		for (int p = 0; p < 2; p++)
			r->net.fd[f][p] = -1;
	if (net_open(&r->net, &r->loop, r->d->cfg->set.port, r->d->cfg->set.port_nat_t,
		     r->d->cfg->set.fwmark, why, sizeof(why))) {
		log_msg(LOG_DMN, 0, "cannot open the IKE sockets: %s", why);
		if (!foreground)
			fprintf(stderr, "ikehelper: %s\n", why);
		goto out_daemon;
	}
	r->d->encap_fd = net_encap_fd;
	ctl = control_open(&r->loop, r->d, socket_path, config_path, why, sizeof(why));
	if (!ctl) {
		log_msg(LOG_DMN, 0, "%s", why);
		goto out_net;
	}
	r->fetcher = curl_fetcher_new(&r->loop, r->d);
	if (r->fetcher) {
		r->fops = curl_fetch_ops;
		r->fops.ctx = r->fetcher;
		r->d->fetch = &r->fops;
	} else {
		log_msg(LOG_DMN, 0, "libcurl does not start: OCSP and CRLs are not fetched");
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	r->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r->sfd < 0 || !loop_add(&r->loop, r->sfd, on_signal, r)) {
		log_msg(LOG_DMN, 0, "cannot watch signals: %s", strerror(errno));
		goto out_ctl;
	}
	for (size_t i = 0; i < r->d->cfg->nconns; i++) {
		uint32_t ifindex;

		if (daemon_device(r->d, r->d->cfg->conns[i]->device, &ifindex))
			log_msg(LOG_KNL, 0, "device %s of connection %s: %s",
				r->d->cfg->conns[i]->device, r->d->cfg->conns[i]->name, k->error);
	}
	/* Before anything starts: the previous run's IKE SAs are adopted. */
	if (strcmp(state_dir, "none") && !persist_open(r->d, state_dir))
		persist_adopt(r->d);
	if (service_drop_capabilities(why, sizeof(why)))
		log_msg(LOG_DMN, 0, "keeping more capabilities than CAP_NET_ADMIN: %s", why);
	if (!foreground && daemon(0, 0)) {
		log_msg(LOG_DMN, 0, "cannot detach: %s", strerror(errno));
		goto out_ctl;
	}
	log_msg(LOG_DMN, 0, "ikehelper %s started: %zu connection%s, control socket %s", KESP_VERSION,
		r->d->cfg->nconns, r->d->cfg->nconns == 1 ? "" : "s", socket_path);
	notify_ready(r);
	daemon_start_all(r->d);
	loop_run(&r->loop);
	rc = 0;
out_ctl:
	if (r->sfd >= 0)
		close(r->sfd);
	r->d->fetch = NULL;
	curl_fetcher_free(r->fetcher);
	control_close(ctl);
out_net:
	net_close(&r->net);
out_daemon:
	daemon_free(r->d);
out_loop:
	loop_free(&r->loop);
out_cfg:
	config_free(cfg);
	kernel_destroy(k);
	ike_crypto_deinit();
	log_msg(LOG_DMN, 0, "ikehelper stopped");
	log_close();
out:
	nonce_bias_free(bias);
	free(r);
	return rc;
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 256 };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = DEFAULT_CONFIG, *socket_path = CONTROL_PATH,
		   *state_dir = PERSIST_DIR;
	bool foreground = false, check = false;
	char why[160];
	int c;

	while ((c = getopt_long(argc, argv, "c:fd:s:S:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 's':
			socket_path = optarg;
			break;
		case 'S':
			state_dir = optarg;
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
		printf("%s: %zu connection%s, %zu secret%s, %zu EAP user%s: OK\n", config_path,
		       cfg->nconns, cfg->nconns == 1 ? "" : "s", cfg->npsks,
		       cfg->npsks == 1 ? "" : "s", cfg->neaps, cfg->neaps == 1 ? "" : "s");
		config_free(cfg);
		return 0;
	}
	return daemon_main(config_path, socket_path, state_dir, foreground);
}
