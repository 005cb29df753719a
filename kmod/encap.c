// SPDX-License-Identifier: GPL-2.0
/*
 * ESP in UDP (RFC 3948) on sockets the key manager owns. The manager binds
 * its UDP socket (port 4500 normally: IKE and ESP share it behind a NAT)
 * and attaches it to a kesp device by file descriptor, as OpenVPN's ovpn
 * does. The socket's encapsulation hook then sees every datagram first:
 * ESP is taken into the module, NAT keepalives are dropped, and IKE (the
 * non-ESP marker) carries on to the socket untouched.
 *
 * The socket stays the manager's: the module holds a reference on the
 * struct sock, never on the file, so closing it works as usual and undoes
 * the attachment through the encap_destroy hook. Attaching, detaching and
 * that hook are serialised by encap_mutex; the receive path reads the
 * attachment under RCU.
 */
#include <linux/file.h>
#include <linux/net.h>
#include <linux/udp.h>
#include <net/sock.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>

#include "encap.h"
#include "esp.h"
#include "main.h"

struct kesp_encap_sock {
	struct kesp_device *kd;	/* NULL once detached */
	struct sock *sk;	/* a counted reference */
	u16 port;		/* local, host order */
	u8 slot;		/* in kd->encap: 0 IPv4, 1 IPv6 */
	struct rcu_head rcu;
};

static DEFINE_MUTEX(encap_mutex);

static int encap_slot(int family)
{
	return family == AF_INET6;
}

/* Datagrams that arrive on an attached socket: RCU, softirq. */
static int encap_recv(struct sock *sk, struct sk_buff *skb)
{
	unsigned int len = skb->len - sizeof(struct udphdr);
	struct kesp_encap_sock *es;
	struct kesp_device *kd;
	const u8 *data;

	es = rcu_dereference_sk_user_data(sk);
	kd = es ? READ_ONCE(es->kd) : NULL;
	if (!kd)
		return 1;	/* detached meanwhile: an ordinary datagram */
	if (!pskb_may_pull(skb, sizeof(struct udphdr) + min(len, 4U)))
		return 1;
	data = skb->data + sizeof(struct udphdr);
	/* RFC 3948 2.3: a NAT keepalive has done its job by arriving. */
	if (len == 1 && data[0] == 0xff) {
		kesp_dev_count(kd, KESP_DEV_CNT_ENCAP_KEEPALIVES);
		consume_skb(skb);
		return 0;
	}
	/* RFC 3948 2.2: a zero non-ESP marker (IKE), or too short for ESP. */
	if (len < 4 || !get_unaligned((const u32 *)data)) {
		kesp_dev_count(kd, KESP_DEV_CNT_ENCAP_IKE);
		return 1;
	}
	kesp_dev_count(kd, KESP_DEV_CNT_ENCAP_ESP);
	return kesp_esp_input_encap(skb, kd, sizeof(struct udphdr));
}

static void encap_free_rcu(struct rcu_head *head)
{
	struct kesp_encap_sock *es = container_of(head, struct kesp_encap_sock,
						  rcu);

	sock_put(es->sk);
	kfree(es);
	kesp_obj_gone(KESP_OBJ_ENCAP_SOCK);
}

/*
 * Undoes an attachment, under encap_mutex: first no receiver can find ES
 * any more, then it is freed after a grace period, so receivers that
 * found it under RCU finish first (and before the module's text can go:
 * rcu_barrier at unload). A socket being closed is still hashed while
 * its destroy hook runs (sk_common_release unhashes after), so even then
 * its hooks are cleared before ES goes, as udp_tunnel_sock_release()
 * does; its lock is not taken there, nothing else writes them then.
 * Otherwise the socket goes back to being a plain UDP socket.
 */
static void encap_release(struct kesp_encap_sock *es, bool socket_closing)
{
	struct sock *sk = es->sk;

	lockdep_assert_held(&encap_mutex);
	RCU_INIT_POINTER(es->kd->encap[es->slot], NULL);
	WRITE_ONCE(es->kd, NULL);
	if (socket_closing) {
		WRITE_ONCE(udp_sk(sk)->encap_rcv, NULL);
		rcu_assign_sk_user_data(sk, NULL);
	} else {
		lock_sock(sk);
		WRITE_ONCE(udp_sk(sk)->encap_rcv, NULL);
		WRITE_ONCE(udp_sk(sk)->encap_destroy, NULL);
		WRITE_ONCE(udp_sk(sk)->encap_type, 0);
		rcu_assign_sk_user_data(sk, NULL);
		release_sock(sk);
	}
	call_rcu(&es->rcu, encap_free_rcu);
}

/* The socket's owner closed it: the device lets go of it. */
static void encap_destroy(struct sock *sk)
{
	struct kesp_encap_sock *es;

	mutex_lock(&encap_mutex);
	rcu_read_lock();
	es = rcu_dereference_sk_user_data(sk);
	rcu_read_unlock();
	/* Under the mutex, a socket still pointing at ES is attached. */
	if (es && es->kd)
		encap_release(es, true);
	mutex_unlock(&encap_mutex);
}

int kesp_encap_attach(struct kesp_device *kd, int fd,
		      struct netlink_ext_ack *extack)
{
	struct udp_tunnel_sock_cfg cfg = {
		.encap_type = UDP_ENCAP_ESPINUDP,
		.encap_rcv = encap_recv,
		.encap_destroy = encap_destroy,
	};
	struct kesp_encap_sock *es;
	struct socket *sock;
	struct sock *sk;
	int err, slot;

	sock = sockfd_lookup(fd, &err);
	if (!sock) {
		NL_SET_ERR_MSG(extack, "the file descriptor is not a socket of the caller");
		return err;
	}
	sk = sock->sk;
	err = -EINVAL;
	if (sk->sk_type != SOCK_DGRAM || sk->sk_protocol != IPPROTO_UDP ||
	    (sk->sk_family != AF_INET && sk->sk_family != AF_INET6)) {
		NL_SET_ERR_MSG(extack, "the socket is not a UDP socket");
		goto out_put;
	}
	if (!net_eq(sock_net(sk), kd->underlay_net)) {
		NL_SET_ERR_MSG(extack,
			       "the socket is in another network namespace than the device's underlay");
		goto out_put;
	}
	es = kzalloc(sizeof(*es), GFP_KERNEL_ACCOUNT);
	if (!es) {
		err = -ENOMEM;
		goto out_put;
	}
	slot = encap_slot(sk->sk_family);

	mutex_lock(&encap_mutex);
	lock_sock(sk);
	if (READ_ONCE(kd->dead)) {
		NL_SET_ERR_MSG(extack, "the device is being deleted");
		err = -ENODEV;
	} else if (!inet_sk(sk)->inet_num) {
		NL_SET_ERR_MSG(extack, "the socket is not bound: bind it to its port first");
	} else if (READ_ONCE(udp_sk(sk)->encap_type) ||
		   READ_ONCE(sk->sk_user_data)) {
		NL_SET_ERR_MSG(extack,
			       "the socket already carries an encapsulation (UDP_ENCAP, or attached elsewhere)");
		err = -EBUSY;
	} else if (rcu_access_pointer(kd->encap[slot])) {
		NL_SET_ERR_MSG(extack,
			       "the device already has a socket of this address family: detach it first");
		err = -EEXIST;
	} else {
		kesp_obj_new(KESP_OBJ_ENCAP_SOCK);
		sock_hold(sk);
		es->sk = sk;
		es->kd = kd;
		es->slot = slot;
		es->port = inet_sk(sk)->inet_num;
		cfg.sk_user_data = es;
		setup_udp_tunnel_sock(sock_net(sk), sock, &cfg);
		rcu_assign_pointer(kd->encap[slot], es);
		es = NULL;
		err = 0;
	}
	release_sock(sk);
	mutex_unlock(&encap_mutex);
	kfree(es);
out_put:
	sockfd_put(sock);
	return err;
}

/* Detaches the socket of FAMILY from KD, or every socket with 0. */
void kesp_encap_detach(struct kesp_device *kd, int family)
{
	struct kesp_encap_sock *es;
	int slot;

	mutex_lock(&encap_mutex);
	for (slot = 0; slot < ARRAY_SIZE(kd->encap); slot++) {
		if (family && slot != encap_slot(family))
			continue;
		es = rcu_dereference_protected(kd->encap[slot],
					       lockdep_is_held(&encap_mutex));
		if (es)
			encap_release(es, false);
	}
	mutex_unlock(&encap_mutex);
}

/*
 * ESP in UDP leaves from the port of the device's socket and comes back to
 * it, so an SA whose own port is another one could only lose its packets.
 * The SA's port on this side is the source port of an outbound SA, the
 * destination port of an inbound one. An SA may come before its socket;
 * it is checked again when it sends.
 */
int kesp_encap_check_port(struct kesp_device *kd, int family, u8 dir,
			  u16 sport, u16 dport, struct netlink_ext_ack *extack)
{
	u16 port = kesp_encap_port(kd, family);

	if (port && port != (dir == KESP_DIR_OUT ? sport : dport)) {
		NL_SET_ERR_MSG(extack,
			       "the SA's own encapsulation port is not the port of the device's UDP socket of its family");
		return -EINVAL;
	}
	return 0;
}

/* The local port of KD's socket of FAMILY, or 0. */
u16 kesp_encap_port(struct kesp_device *kd, int family)
{
	struct kesp_encap_sock *es;
	u16 port = 0;

	rcu_read_lock();
	es = rcu_dereference(kd->encap[encap_slot(family)]);
	if (es)
		port = es->port;
	rcu_read_unlock();
	return port;
}
