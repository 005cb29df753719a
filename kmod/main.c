// SPDX-License-Identifier: GPL-2.0
/* kesp: route-based ESP (RFC 4303). Module init and exit. */
#include <linux/module.h>
#include <net/genetlink.h>
#include <linux/kesp.h>

#include "device.h"
#include "esp.h"
#include "main.h"
#include "netlink.h"
#include "parallel.h"
#include "sad.h"

DEFINE_PER_CPU(long [KESP_OBJ_COUNT], kesp_live_objs);

/*
 * Called last at unload, when every device, SA and socket attachment is
 * gone and their RCU callbacks and work items have run: anything still
 * counted was leaked, and a WARN makes the selftests' splat check fail.
 */
static void kesp_check_leaks(void)
{
	static const char *const names[KESP_OBJ_COUNT] = {
		[KESP_OBJ_SA] = "SAs",
		[KESP_OBJ_PACKET] = "packet contexts",
		[KESP_OBJ_TRAP] = "traps",
		[KESP_OBJ_ENCAP_SOCK] = "socket attachments",
	};
	int kind, cpu;
	long live;

	for (kind = 0; kind < KESP_OBJ_COUNT; kind++) {
		live = 0;
		for_each_possible_cpu(cpu)
			live += per_cpu(kesp_live_objs, cpu)[kind];
		WARN(live, "kesp: %ld %s leaked\n", live, names[kind]);
	}
}

static int __init kesp_mod_init(void)
{
	int ret;

	ret = kesp_sad_init();
	if (ret)
		return ret;
	ret = kesp_par_init();
	if (ret)
		goto err_sad;
	ret = kesp_device_init();
	if (ret)
		goto err_par;
	ret = kesp_esp_input_init();
	if (ret)
		goto err_device;
	ret = kesp_netlink_init();
	if (ret)
		goto err_input;
	pr_info("kesp %s loaded (genl family %s v%d)\n", KESP_VERSION,
		KESP_GENL_NAME, KESP_GENL_VERSION);
	return 0;

err_input:
	kesp_esp_input_uninit();
err_device:
	kesp_device_uninit();
err_par:
	kesp_par_uninit();
err_sad:
	kesp_sad_uninit();
	return ret;
}

static void __exit kesp_mod_exit(void)
{
	kesp_netlink_uninit();
	kesp_esp_input_uninit();
	kesp_device_uninit();
	/* After the devices (and with them every SA) are gone. */
	kesp_par_uninit();
	kesp_esp_output_uninit();
	kesp_sad_uninit();
	kesp_check_leaks();
	pr_info("kesp unloaded\n");
}

module_init(kesp_mod_init);
module_exit(kesp_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kesp: route-based IPsec ESP");
MODULE_VERSION(KESP_VERSION);
MODULE_ALIAS_RTNL_LINK("kesp");
MODULE_ALIAS_GENL_FAMILY(KESP_GENL_NAME);
