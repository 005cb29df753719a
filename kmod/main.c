// SPDX-License-Identifier: GPL-2.0
/* kesp: route-based ESP (RFC 4303). Module init and exit. */
#include <linux/module.h>
#include <net/genetlink.h>
#include <linux/kesp.h>

#include "kesp.h"

static int __init kesp_mod_init(void)
{
	int ret;

	ret = kesp_sad_init();
	if (ret)
		return ret;
	ret = kesp_device_init();
	if (ret)
		goto err_sad;
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
	kesp_sad_uninit();
	pr_info("kesp unloaded\n");
}

module_init(kesp_mod_init);
module_exit(kesp_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kesp: route-based IPsec ESP");
MODULE_VERSION(KESP_VERSION);
MODULE_ALIAS_RTNL_LINK("kesp");
MODULE_ALIAS_GENL_FAMILY(KESP_GENL_NAME);
