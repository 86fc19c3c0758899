/*
 * The synthetic network adapter (vmbus-net) with the real Linux guest.
 *
 * /hvpart/net/slirp: on -netdev user, Debian's hv_netvsc binds to the
 * device and takes the MAC address given on the command line, DHCP gives
 * it slirp's first address, NET_MB MiB of random data go each way over TCP
 * (guest to a listener of this test through slirp's host alias, host to
 * the guest through hostfwd) and arrive with the same SHA-256, and QMP
 * set_link off/on shows in the guest's carrier. With -smp 2 the guest
 * takes one vRSS sub-channel: two receive and two transmit queues. Host
 * sockets are on the loopback interface only.
 *
 * /hvpart/net/hotplug: device_add of a vmbus-net on a running guest gives
 * it a new hv_netvsc interface with the MAC address given, device_del
 * removes it from the guest and ends with DEVICE_DELETED; twice, on the
 * same netdev.
 *
 * /hvpart/net/stream: two guests joined by a -netdev stream link (on the
 * loopback interface), both with a 9000-byte MTU, ping each other, and
 * NET_PEER_MB MiB sent from one to the other over TCP (in jumbo frames)
 * arrive with the same SHA-256.
 *
 * /hvpart/net/tulip: the same guest has vmbus-net and QEMU's tulip (the
 * legacy NIC, a DEC 21143), each on its own -netdev user; both drivers
 * bind with the MAC addresses given and get DHCP leases, NET_TULIP_MB MiB
 * go from the guest to the host over both NICs at once, and NET_TULIP_MB
 * MiB from the host to the guest over tulip, all with the same SHA-256.
 *
 * /hvpart/net/tap: a multi-queue tap with a host address (root only): the
 * guest takes a static address, NET_MB MiB go each way through the host's
 * own TCP stack (whose segments reach the guest with the tap's offloads)
 * with the same SHA-256, two queues, set_link.
 *
 * /hvpart/net/migrate: while the guest sends NET_MIG_MB MiB over TCP
 * (paced, through a slirp guestfwd to a socket chardev, a connection that
 * slirp migrates), it is live-migrated to a second QEMU; the transfer goes
 * on there and what arrives through both QEMUs' chardevs, in order, has
 * the guest's SHA-256.
 *
 * /hvpart/net/csum: the test is the other end of a -netdev dgram link and
 * sends the guest UDP (IPv4, IPv6) and TCP segments to closed ports, with
 * good and with bad checksums, and a few malformed ones. vmbus-net checks
 * the checksums (rx-csum-verify) and vouches for exactly the good ones
 * (rx-csum-verified), which the guest's stack takes without checking; the
 * guest finds every bad one itself (its checksum-error counters).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "hvpart-guest-util.h"

#define NET_MB          64
#define NET_TULIP_MB    16
#define NET_MIG_MB      64
#define NET_PEER_MB     8
#define NET_JUMBO_MTU   9000
#define NET_MAC         "52:54:00:4e:56:53"
#define NET_GUEST_IP    "10.0.2.15"     /* slirp's first DHCP address */
#define NET_GUEST_PORT  5001            /* tests/guest/scripts/net.sh */
/* Host sockets give up after this long without progress */
#define NET_IO_TIMEOUT_S 600

typedef struct NetTransfer {
    int fd;                 /* listening (sink) or connected (source) */
    guint64 size;           /* bytes to send (source) */
    guint64 bytes;
    char *sha256;           /* of the bytes moved, when done */
    const char *error;
} NetTransfer;

/* A listening TCP socket on IPv4 address @ip, any port (*@port). */
static int net_listen_on(const char *ip, int *port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(inet_pton(AF_INET, ip, &sa.sin_addr), ==, 1);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(fd, 4), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &len), ==, 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static int net_listen_loopback(int *port)
{
    return net_listen_on("127.0.0.1", port);
}

/* A loopback port that was free a moment ago, for hostfwd. */
static int net_free_port(void)
{
    int port;
    int fd = net_listen_loopback(&port);

    close(fd);
    return port;
}

static bool net_wait_fd(int fd, short events)
{
    struct pollfd pfd = { .fd = fd, .events = events };

    return poll(&pfd, 1, NET_IO_TIMEOUT_S * 1000) == 1;
}

/* Guest to host: accept one connection and hash all it brings. */
static gpointer net_sink_thread(gpointer opaque)
{
    NetTransfer *t = opaque;
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree uint8_t *buf = g_malloc(64 * KiB);
    int conn;

    if (!net_wait_fd(t->fd, POLLIN)) {
        t->error = "no connection from the guest";
        return NULL;
    }
    conn = accept(t->fd, NULL, NULL);
    if (conn < 0) {
        t->error = "accept failed";
        return NULL;
    }
    for (;;) {
        ssize_t n;

        if (!net_wait_fd(conn, POLLIN)) {
            t->error = "the guest stopped sending";
            break;
        }
        n = read(conn, buf, 64 * KiB);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            t->error = "read failed";
            break;
        }
        if (n == 0) {
            t->sha256 = g_strdup(g_checksum_get_string(sum));
            break;
        }
        g_checksum_update(sum, buf, n);
        t->bytes += n;
    }
    close(conn);
    return NULL;
}

/* Host to guest: t->size pseudo-random bytes, hashed as they go. */
static gpointer net_source_thread(gpointer opaque)
{
    NetTransfer *t = opaque;
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree uint64_t *buf = g_malloc(64 * KiB);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    guint64 left = t->size;

    while (left) {
        size_t chunk = MIN(left, 64 * KiB), off = 0, i;

        for (i = 0; i < 64 * KiB / sizeof(uint64_t); i++) {
            /* xorshift64 */
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = x;
        }
        g_checksum_update(sum, (uint8_t *)buf, chunk);
        while (off < chunk) {
            ssize_t n;

            if (!net_wait_fd(t->fd, POLLOUT)) {
                t->error = "the guest stopped receiving";
                goto out;
            }
            n = send(t->fd, (uint8_t *)buf + off, chunk - off, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                t->error = "send failed";
                goto out;
            }
            off += n;
            t->bytes += n;
        }
        left -= chunk;
    }
    t->sha256 = g_strdup(g_checksum_get_string(sum));
out:
    shutdown(t->fd, SHUT_WR);
    return NULL;
}

static int net_connect_to(const char *ip, int port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(inet_pton(AF_INET, ip, &sa.sin_addr), ==, 1);
    sa.sin_port = htons(port);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    return fd;
}

static int net_connect_loopback(int port)
{
    return net_connect_to("127.0.0.1", port);
}

static void net_set_link(HvGuest *g, bool up)
{
    qtest_qmp_assert_success(hvguest_qts(g),
                             "{'execute': 'set_link', 'arguments':"
                             " {'name': 'net0', 'up': %i}}", up);
}

/*
 * A TAP comment, as g_test_message(), also from a test's subprocess (which
 * glib runs quiet).
 */
static void G_GNUC_PRINTF(1, 2) net_note(const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    printf("# %s\n", msg);
    fflush(stdout);
}

/*
 * The two transfers of tests/guest/scripts/net.sh: NET_MB MiB from the
 * guest to @sink (listening; its thread is @sink_thread), then NET_MB MiB
 * from the host to the guest, connecting to @ip:@port once it listens.
 * Both must arrive whole with the sender's SHA-256.
 */
static void net_transfers(HvGuest *g, NetTransfer *sink, GThread *sink_thread,
                          const char *ip, int port, const char *via)
{
    NetTransfer source = { 0 };
    g_autofree char *tx_sha = NULL, *rx_sha = NULL, *bytes = NULL;
    const HvGuestLine *start, *end;
    GThread *thread;

    tx_sha = hvguest_wait_value(g, "net-tx-sha256", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(tx_sha);
    start = hvguest_expect_line(g, "HVTEST: net-tx-sha256=",
                                HVGUEST_TIMEOUT_S);
    end = hvguest_expect_line(g, "HVTEST: net-tx-done rc=0",
                              HVGUEST_TIMEOUT_S);
    g_thread_join(sink_thread);
    close(sink->fd);
    g_assert_null(sink->error);
    net_note("guest to host%s: %" PRIu64 " bytes in %.1f s", via,
             (uint64_t)sink->bytes, hvguest_seconds_between(start, end));
    g_assert_cmpuint(sink->bytes, ==, (guint64)NET_MB * MiB);
    g_assert_cmpstr(sink->sha256, ==, tx_sha);

    start = hvguest_expect_line(g, "HVTEST: net-rx-listening",
                                HVGUEST_TIMEOUT_S);
    source.fd = net_connect_to(ip, port);
    source.size = (guint64)NET_MB * MiB;
    thread = g_thread_new("net-source", net_source_thread, &source);
    end = hvguest_expect_line(g, "HVTEST: net-rx-sha256=",
                              HVGUEST_TIMEOUT_S);
    g_thread_join(thread);
    close(source.fd);
    g_assert_null(source.error);
    rx_sha = hvguest_line_field(end->text, "net-rx-sha256");
    bytes = hvguest_line_field(end->text, "bytes");
    net_note("host to guest%s: %s bytes in %.1f s", via, bytes,
             hvguest_seconds_between(start, end));
    g_assert_cmpstr(rx_sha, ==, source.sha256);
    g_assert_cmpuint(g_ascii_strtoull(bytes, NULL, 10), ==,
                     (guint64)NET_MB * MiB);
    g_free(sink->sha256);
    g_free(source.sha256);
}

static void test_net_slirp(void)
{
    static const char *const devices[] = { "vmbus-net", NULL };
    NetTransfer sink = { 0 };
    g_autofree char *args = NULL, *cmdline = NULL;
    g_autofree char *name = NULL, *mac = NULL;
    g_autofree char *rc = NULL, *ip = NULL;
    const HvGuestLine *line;
    GThread *thread;
    int sink_port, fwd_port;
    uint64_t merged;
    guint pos;
    HvGuest *g;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    sink.fd = net_listen_loopback(&sink_port);
    fwd_port = net_free_port();
    args = g_strdup_printf("-machine q35 -m 512 -smp 2"
                           " -netdev user,id=n0,"
                           "hostfwd=tcp:127.0.0.1:%d-:%d"
                           " -device vmbus-net,id=net0,netdev=n0,mac=%s",
                           fwd_port, NET_GUEST_PORT, NET_MAC);
    cmdline = g_strdup_printf(HVGUEST_CMDLINE_BASE
                              " hvtest.mods=hv_vmbus,hv_netvsc"
                              " hvtest.script=net hvtest.net_port=%d"
                              " hvtest.net_mb=%d", sink_port, NET_MB);
    g = hvguest_start("hvpart", args, cmdline);
    if (!g) {
        close(sink.fd);
        return;
    }
    thread = g_thread_new("net-sink", net_sink_thread, &sink);

    /* hv_netvsc bound and took our MAC address */
    line = hvguest_expect_line(g, "HVTEST: net-if ", HVGUEST_TIMEOUT_S);
    name = hvguest_line_field(line->text, "name");
    mac = hvguest_line_field(line->text, "mac");
    g_test_message("guest: %s", line->text);
    g_assert_nonnull(mac);
    g_assert_cmpstr(mac, ==, NET_MAC);
    hvguest_expect_line(g, "HVTEST: net-carrier=1", HVGUEST_TIMEOUT_S);

    /* DHCP over slirp */
    line = hvguest_expect_line(g, "HVTEST: net-dhcp ", HVGUEST_TIMEOUT_S);
    g_test_message("guest: %s", line->text);
    rc = hvguest_line_field(line->text, "rc");
    ip = hvguest_line_field(line->text, "ip");
    g_assert_cmpstr(rc, ==, "0");
    g_assert_cmpstr(ip, ==, NET_GUEST_IP);

    /* vRSS: with 2 VPs the guest has the primary and one sub-channel */
    line = hvguest_expect_line(g, "HVTEST: net-queues ", HVGUEST_TIMEOUT_S);
    g_test_message("guest: %s", line->text);
    g_assert_nonnull(strstr(line->text, "rx=2 tx=2"));

    /* Guest to host, then host to guest through hostfwd */
    net_transfers(g, &sink, thread, "127.0.0.1", fwd_port, "");
    /*
     * slirp acknowledges every segment the guest sends: ACKs that reached
     * the guest together were merged (ack-coalesce), and the data still
     * arrived whole.
     */
    merged = hvguest_qom_get_u64(hvguest_qts(g), "/machine/peripheral/net0",
                                 "rx-acks-merged");
    net_note("ACKs merged: %" PRIu64, merged);
    g_assert_cmpuint(merged, >, 0);

    /* Link control: the guest's carrier follows set_link */
    hvguest_expect_line(g, "HVTEST: net-link-watch", HVGUEST_TIMEOUT_S);
    pos = hvguest_line_count(g);
    net_set_link(g, false);
    g_assert_nonnull(hvguest_wait_line_from(g, &pos, "HVTEST: net-carrier=0",
                                            HVGUEST_TIMEOUT_S));
    net_set_link(g, true);
    g_assert_nonnull(hvguest_wait_line_from(g, &pos, "HVTEST: net-carrier=1",
                                            HVGUEST_TIMEOUT_S));

    line = hvguest_expect_line(g, "HVTEST: done rc=", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(strstr(line->text, "HVTEST: done rc=0"));
    g_assert_true(hvguest_wait_exit(g, HVGUEST_TIMEOUT_S));
    hvguest_quit(g);
}

/*
 * device_add, then device_del, of vmbus-net @id on netdev n0. The guest
 * must be done with the device (its interface registered) before it is
 * asked to give it back.
 */
static void net_hotplug_once(HvGuest *g, guint *pos, const char *id)
{
    g_autofree char *name = NULL, *mac = NULL, *gone = NULL;
    const HvGuestLine *line;
    QDict *event;

    qtest_qmp_device_add(hvguest_qts(g), "vmbus-net", id,
                         "{'netdev': 'n0', 'mac': '" NET_MAC "'}");
    line = hvguest_wait_line_from(g, pos, "HVTEST: net-if ",
                                  HVGUEST_TIMEOUT_S);
    g_assert_nonnull(line);
    name = hvguest_line_field(line->text, "name");
    mac = hvguest_line_field(line->text, "mac");
    g_test_message("device_add %s: the guest has %s", id, name);
    g_assert_cmpstr(mac, ==, NET_MAC);

    qtest_qmp_device_del_send(hvguest_qts(g), id);
    gone = g_strdup_printf("HVTEST: net-if-gone name=%s", name);
    g_assert_nonnull(hvguest_wait_line_from(g, pos, gone,
                                            HVGUEST_TIMEOUT_S));
    event = hvguest_wait_event(g, "DEVICE_DELETED", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(event);
    g_assert_cmpstr(qdict_get_try_str(qdict_get_qdict(event, "data"),
                                      "device"), ==, id);
    qobject_unref(event);
    g_test_message("device_del %s: gone from the guest and from QEMU", id);
}

static void test_net_hotplug(void)
{
    static const char *const devices[] = { "vmbus-net", NULL };
    guint pos = 0;
    HvGuest *g;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    g = hvguest_start("hvpart", "-machine q35 -m 512 -smp 2"
                      " -netdev user,id=n0",
                      HVGUEST_CMDLINE_BASE " hvtest.mods=hv_vmbus,hv_netvsc"
                      " hvtest.script=net-hotplug");
    if (!g) {
        return;
    }
    g_assert_nonnull(hvguest_wait_line_from(g, &pos,
                                            "HVTEST: net-watch-start",
                                            HVGUEST_TIMEOUT_S));
    net_hotplug_once(g, &pos, "net1");
    net_hotplug_once(g, &pos, "net1");
    hvguest_quit(g);
}

/* /hvpart/net/stream */

static HvGuest *net_start_peer(int port, bool server, const char *mac,
                               const char *ip, const char *peer,
                               const char *role)
{
    g_autofree char *args = NULL, *cmdline = NULL;

    args = g_strdup_printf("-machine q35 -m 512 -smp 2"
                           " -netdev stream,id=n0,server=%s,"
                           "addr.type=inet,addr.host=127.0.0.1,"
                           "addr.port=%d"
                           " -device vmbus-net,id=net0,netdev=n0,mac=%s,"
                           "mtu=%d",
                           server ? "on" : "off", port, mac, NET_JUMBO_MTU);
    cmdline = g_strdup_printf(HVGUEST_CMDLINE_BASE
                              " hvtest.mods=hv_vmbus,hv_netvsc"
                              " hvtest.script=net-peer hvtest.net_ip=%s"
                              " hvtest.net_peer=%s hvtest.net_role=%s"
                              " hvtest.net_mb=%d hvtest.net_mtu=%d", ip, peer,
                              role, NET_PEER_MB, NET_JUMBO_MTU);
    return hvguest_start("hvpart", args, cmdline);
}

static void test_net_stream(void)
{
    static const char *const devices[] = { "vmbus-net", NULL };
    g_autofree char *tx_sha = NULL, *rx_sha = NULL, *bytes = NULL;
    const HvGuestLine *line;
    HvGuest *a, *b;
    int port;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    port = net_free_port();
    /* The server first: the client connects to it when it starts. */
    a = net_start_peer(port, true, "52:54:00:4e:56:01", "192.168.76.1/24",
                       "192.168.76.2", "recv");
    if (!a) {
        return;
    }
    b = net_start_peer(port, false, "52:54:00:4e:56:02", "192.168.76.2/24",
                       "192.168.76.1", "send");
    g_assert_nonnull(b);

    hvguest_expect_line(a, "HVTEST: net-peer-mtu=" G_STRINGIFY(NET_JUMBO_MTU),
                        HVGUEST_TIMEOUT_S);
    hvguest_expect_line(b, "HVTEST: net-peer-mtu=" G_STRINGIFY(NET_JUMBO_MTU),
                        HVGUEST_TIMEOUT_S);
    hvguest_expect_line(a, "HVTEST: net-peer-ping rc=0", HVGUEST_TIMEOUT_S);
    hvguest_expect_line(b, "HVTEST: net-peer-ping rc=0", HVGUEST_TIMEOUT_S);
    tx_sha = hvguest_wait_value(b, "net-peer-tx-sha256", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(tx_sha);
    hvguest_expect_line(b, "HVTEST: net-peer-tx-done rc=0",
                        HVGUEST_TIMEOUT_S);
    line = hvguest_expect_line(a, "HVTEST: net-peer-rx-sha256=",
                               HVGUEST_TIMEOUT_S);
    rx_sha = hvguest_line_field(line->text, "net-peer-rx-sha256");
    bytes = hvguest_line_field(line->text, "bytes");
    g_test_message("guest to guest: %s bytes", bytes);
    g_assert_cmpstr(rx_sha, ==, tx_sha);
    g_assert_cmpuint(g_ascii_strtoull(bytes, NULL, 10), ==,
                     (guint64)NET_PEER_MB * MiB);
    g_assert_true(hvguest_wait_exit(a, HVGUEST_TIMEOUT_S));
    g_assert_true(hvguest_wait_exit(b, HVGUEST_TIMEOUT_S));
    hvguest_quit(b);
    hvguest_quit(a);
}

/* /hvpart/net/tulip */

#define NET_TULIP_MAC   "52:54:00:4e:56:54"
#define NET_TULIP_IP    "10.0.3.15"     /* first address of net=10.0.3.0/24 */
#define NET_TULIP_PORT  5003            /* tests/guest/scripts/net-tulip.sh */

static void test_net_tulip(void)
{
    static const char *const devices[] = { "vmbus-net", "tulip", NULL };
    NetTransfer sink = { 0 }, tsink = { 0 }, source = { 0 };
    g_autofree char *args = NULL, *cmdline = NULL, *tx_sha = NULL;
    g_autofree char *rx_sha = NULL, *bytes = NULL;
    const HvGuestLine *line, *start, *end;
    GThread *thread, *tthread;
    int sink_port, tsink_port, fwd_port, i;
    HvGuest *g;
    static const struct {
        const char *drv, *mac, *ip;
    } nics[] = {
        { "hv_netvsc", NET_MAC, NET_GUEST_IP },
        { "tulip", NET_TULIP_MAC, NET_TULIP_IP },
    };

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    sink.fd = net_listen_loopback(&sink_port);
    tsink.fd = net_listen_loopback(&tsink_port);
    fwd_port = net_free_port();
    args = g_strdup_printf("-machine q35 -m 512 -smp 2"
                           " -netdev user,id=n0"
                           " -device vmbus-net,id=net0,netdev=n0,mac=%s"
                           " -netdev user,id=n1,net=10.0.3.0/24,"
                           "hostfwd=tcp:127.0.0.1:%d-:%d"
                           " -device tulip,id=nic1,netdev=n1,mac=%s",
                           NET_MAC, fwd_port, NET_TULIP_PORT, NET_TULIP_MAC);
    cmdline = g_strdup_printf(HVGUEST_CMDLINE_BASE
                              " hvtest.mods=hv_vmbus,hv_netvsc,tulip"
                              " hvtest.script=net-tulip hvtest.net_port=%d"
                              " hvtest.tulip_port=%d hvtest.net_mb=%d",
                              sink_port, tsink_port, NET_TULIP_MB);
    g = hvguest_start("hvpart", args, cmdline);
    if (!g) {
        close(sink.fd);
        close(tsink.fd);
        return;
    }
    thread = g_thread_new("net-sink", net_sink_thread, &sink);
    tthread = g_thread_new("tulip-sink", net_sink_thread, &tsink);

    /* Both drivers bound with our addresses, both got a DHCP lease. */
    for (i = 0; i < ARRAY_SIZE(nics); i++) {
        g_autofree char *needle = NULL, *mac = NULL, *rc = NULL, *ip = NULL;

        needle = g_strdup_printf("HVTEST: net-if drv=%s ", nics[i].drv);
        line = hvguest_expect_line(g, needle, HVGUEST_TIMEOUT_S);
        g_test_message("guest: %s", line->text);
        mac = hvguest_line_field(line->text, "mac");
        g_assert_cmpstr(mac, ==, nics[i].mac);
        g_free(needle);
        needle = g_strdup_printf("HVTEST: net-dhcp drv=%s ", nics[i].drv);
        line = hvguest_expect_line(g, needle, HVGUEST_TIMEOUT_S);
        g_test_message("guest: %s", line->text);
        rc = hvguest_line_field(line->text, "rc");
        ip = hvguest_line_field(line->text, "ip");
        g_assert_cmpstr(rc, ==, "0");
        g_assert_cmpstr(ip, ==, nics[i].ip);
    }

    /* Guest to host over both at once */
    tx_sha = hvguest_wait_value(g, "net-tx-sha256", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(tx_sha);
    start = hvguest_expect_line(g, "HVTEST: net-tx-sha256=",
                                HVGUEST_TIMEOUT_S);
    end = hvguest_expect_line(g, "HVTEST: net-tx-done drv=hv_netvsc rc=0",
                              HVGUEST_TIMEOUT_S);
    g_test_message("vmbus-net, guest to host: %.1f s",
                   hvguest_seconds_between(start, end));
    end = hvguest_expect_line(g, "HVTEST: net-tx-done drv=tulip rc=0",
                              HVGUEST_TIMEOUT_S);
    g_test_message("tulip, guest to host: %.1f s",
                   hvguest_seconds_between(start, end));
    g_thread_join(thread);
    g_thread_join(tthread);
    close(sink.fd);
    close(tsink.fd);
    g_assert_null(sink.error);
    g_assert_null(tsink.error);
    g_assert_cmpuint(sink.bytes, ==, (guint64)NET_TULIP_MB * MiB);
    g_assert_cmpuint(tsink.bytes, ==, (guint64)NET_TULIP_MB * MiB);
    g_assert_cmpstr(sink.sha256, ==, tx_sha);
    g_assert_cmpstr(tsink.sha256, ==, tx_sha);

    /* Host to guest over tulip */
    start = hvguest_expect_line(g, "HVTEST: net-rx-listening",
                                HVGUEST_TIMEOUT_S);
    source.fd = net_connect_loopback(fwd_port);
    source.size = (guint64)NET_TULIP_MB * MiB;
    thread = g_thread_new("tulip-source", net_source_thread, &source);
    end = hvguest_expect_line(g, "HVTEST: net-rx-sha256=",
                              HVGUEST_TIMEOUT_S);
    g_thread_join(thread);
    close(source.fd);
    g_assert_null(source.error);
    rx_sha = hvguest_line_field(end->text, "net-rx-sha256");
    bytes = hvguest_line_field(end->text, "bytes");
    g_test_message("tulip, host to guest: %s bytes in %.1f s", bytes,
                   hvguest_seconds_between(start, end));
    g_assert_cmpstr(rx_sha, ==, source.sha256);
    g_assert_cmpuint(g_ascii_strtoull(bytes, NULL, 10), ==,
                     (guint64)NET_TULIP_MB * MiB);

    line = hvguest_expect_line(g, "HVTEST: done rc=", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(strstr(line->text, "HVTEST: done rc=0"));
    g_assert_true(hvguest_wait_exit(g, HVGUEST_TIMEOUT_S));
    g_free(sink.sha256);
    g_free(tsink.sha256);
    g_free(source.sha256);
    hvguest_quit(g);
}

/* /hvpart/net/migrate */

/*
 * The guest's stream through slirp's guestfwd: the source QEMU's chardev
 * connects first and carries what the guest sent before the migration,
 * the destination's carries the rest. Bytes of each are kept apart (the
 * second may arrive before the first is all read) and hashed in order.
 */
typedef struct NetMigSink {
    int fd;                 /* listening */
    guint64 expect;
    GByteArray *part[2];    /* from the source's, the destination's chardev */
    gint mib_seen;          /* MiB received so far (g_atomic) */
    char *sha256;
    const char *error;
} NetMigSink;

static gpointer net_mig_sink_thread(gpointer opaque)
{
    NetMigSink *t = opaque;
    g_autofree uint8_t *buf = g_malloc(64 * KiB);
    struct pollfd pfd[3] = {
        { .fd = t->fd, .events = POLLIN },
        { .fd = -1, .events = POLLIN },
        { .fd = -1, .events = POLLIN },
    };
    guint64 total = 0;
    int nconn = 0, i;

    t->part[0] = g_byte_array_new();
    t->part[1] = g_byte_array_new();
    while (total < t->expect) {
        int n = poll(pfd, 3, NET_IO_TIMEOUT_S * 1000);

        if (n <= 0) {
            t->error = n ? "poll failed" : "no data for too long";
            break;
        }
        if (pfd[0].revents & POLLIN) {
            int conn = accept(t->fd, NULL, NULL);

            if (conn < 0 || nconn == 2) {
                t->error = "accept failed, or a third connection";
                break;
            }
            pfd[1 + nconn++].fd = conn;
        }
        for (i = 1; i < 3; i++) {
            ssize_t len;

            if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP))) {
                continue;
            }
            len = read(pfd[i].fd, buf, 64 * KiB);
            if (len < 0 && errno == EINTR) {
                continue;
            }
            if (len <= 0) {
                /* the source QEMU quit: nothing more comes from it */
                close(pfd[i].fd);
                pfd[i].fd = -1;
                continue;
            }
            g_byte_array_append(t->part[i - 1], buf, len);
            total += len;
            g_atomic_int_set(&t->mib_seen, total / MiB);
        }
    }
    for (i = 1; i < 3; i++) {
        if (pfd[i].fd >= 0) {
            close(pfd[i].fd);
        }
    }
    if (!t->error) {
        g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);

        g_checksum_update(sum, t->part[0]->data, t->part[0]->len);
        g_checksum_update(sum, t->part[1]->data, t->part[1]->len);
        t->sha256 = g_strdup(g_checksum_get_string(sum));
    }
    return NULL;
}

static HvGuest *net_start_mig_guest(int sink_port, bool incoming)
{
    g_autofree char *args = NULL, *cmdline = NULL;

    args = g_strdup_printf("-machine q35 -m 512 -smp 2"
                           " -chardev socket,id=fwd0,host=127.0.0.1,port=%d"
                           " -netdev user,id=n0,"
                           "guestfwd=tcp:10.0.2.100:1234-chardev:fwd0"
                           " -device vmbus-net,id=net0,netdev=n0,mac=%s%s",
                           sink_port, NET_MAC,
                           incoming ? " -incoming defer" : "");
    cmdline = g_strdup_printf(HVGUEST_CMDLINE_BASE
                              " hvtest.mods=hv_vmbus,hv_netvsc"
                              " hvtest.script=net-migrate hvtest.net_mb=%d"
                              " hvtest.net_gap_ms=500", NET_MIG_MB);
    return hvguest_start("hvpart", args, cmdline);
}

static void test_net_migrate(void)
{
    static const char *const devices[] = { "vmbus-net", NULL };
    NetMigSink sink = { .expect = (guint64)NET_MIG_MB * MiB };
    g_autofree char *tx_sha = NULL, *rc = NULL, *ip = NULL;
    g_autofree char *sock = NULL, *uri = NULL;
    const HvGuestLine *line;
    gint64 deadline;
    GThread *thread;
    guint dpos = 0;
    int sink_port, at_migration;
    HvGuest *src, *dst;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    sink.fd = net_listen_loopback(&sink_port);
    src = net_start_mig_guest(sink_port, false);
    if (!src) {
        close(sink.fd);
        return;
    }
    thread = g_thread_new("net-mig-sink", net_mig_sink_thread, &sink);
    line = hvguest_expect_line(src, "HVTEST: net-dhcp ", HVGUEST_TIMEOUT_S);
    g_test_message("guest: %s", line->text);
    rc = hvguest_line_field(line->text, "rc");
    ip = hvguest_line_field(line->text, "ip");
    g_assert_cmpstr(rc, ==, "0");
    g_assert_cmpstr(ip, ==, NET_GUEST_IP);
    tx_sha = hvguest_wait_value(src, "net-mig-tx-sha256", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(tx_sha);
    hvguest_expect_line(src, "HVTEST: net-mig-tx-start", HVGUEST_TIMEOUT_S);

    /* Migrate once the transfer is well under way. */
    deadline = g_get_monotonic_time() + HVGUEST_TIMEOUT_S * G_USEC_PER_SEC;
    while (g_atomic_int_get(&sink.mib_seen) < 4) {
        g_assert_null(sink.error);
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(100 * 1000);
    }
    dst = net_start_mig_guest(sink_port, true);
    g_assert_nonnull(dst);
    sock = g_strdup_printf("%s/hvpart-net-migrate-%d.sock", g_get_tmp_dir(),
                           (int)getpid());
    uri = g_strdup_printf("unix:%s", sock);
    unlink(sock);
    at_migration = g_atomic_int_get(&sink.mib_seen);
    hvguest_migrate(src, dst, uri);
    unlink(sock);
    g_test_message("migrated with %d MiB of %d received; the guest goes on "
                   "on the destination", at_migration, NET_MIG_MB);

    g_thread_join(thread);
    close(sink.fd);
    g_assert_null(sink.error);
    g_test_message("through the source: %u bytes, through the destination: "
                   "%u bytes", sink.part[0]->len, sink.part[1]->len);
    g_assert_cmpuint(sink.part[0]->len + sink.part[1]->len, ==, sink.expect);
    g_assert_cmpuint(sink.part[1]->len, >, 0);
    g_assert_cmpstr(sink.sha256, ==, tx_sha);

    /* The guest lives on the destination, with its NIC. */
    g_assert_nonnull(hvguest_wait_line_from(dst, &dpos,
                                            "HVTEST: net-mig-alive",
                                            HVGUEST_TIMEOUT_S));
    g_byte_array_unref(sink.part[0]);
    g_byte_array_unref(sink.part[1]);
    g_free(sink.sha256);
    hvguest_quit(dst);
    hvguest_quit(src);
}

/* /hvpart/net/tap */

#define NET_TAP_HOST_IP     "198.18.237.1"      /* RFC 2544's range */
#define NET_TAP_GUEST_IP    "198.18.237.2"

static bool net_run(const char *cmd)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL, *errout = NULL;
    int status;

    if (!g_spawn_command_line_sync(cmd, &out, &errout, &status, &err) ||
        !WIFEXITED(status) || WEXITSTATUS(status)) {
        g_test_message("'%s' failed: %s", cmd,
                       err ? err->message : errout);
        return false;
    }
    return true;
}

/* The name of this run's tap interface (at most 15 characters). */
static char *net_tap_name(void)
{
    return g_strdup_printf("hvtap%d", (int)(getpid() % 1000000));
}

/* Runs in a subprocess: the parent removes the tap whatever happens. */
static void net_tap_case(const char *tap)
{
    NetTransfer sink = { 0 };
    g_autofree char *args = NULL, *cmdline = NULL, *mac = NULL;
    const HvGuestLine *line;
    GThread *thread;
    int sink_port;
    HvGuest *g;

    sink.fd = net_listen_on(NET_TAP_HOST_IP, &sink_port);
    args = g_strdup_printf("-machine q35 -m 512 -smp 2"
                           " -netdev tap,id=n0,ifname=%s,script=no,"
                           "downscript=no,vhost=off,queues=2"
                           " -device vmbus-net,id=net0,netdev=n0,mac=%s",
                           tap, NET_MAC);
    cmdline = g_strdup_printf(HVGUEST_CMDLINE_BASE
                              " hvtest.mods=hv_vmbus,hv_netvsc"
                              " hvtest.script=net hvtest.net_port=%d"
                              " hvtest.net_mb=%d hvtest.net_ip=%s/24"
                              " hvtest.net_host=%s", sink_port, NET_MB,
                              NET_TAP_GUEST_IP, NET_TAP_HOST_IP);
    g = hvguest_start("hvpart", args, cmdline);
    g_assert_nonnull(g);
    thread = g_thread_new("net-sink", net_sink_thread, &sink);

    line = hvguest_expect_line(g, "HVTEST: net-if ", HVGUEST_TIMEOUT_S);
    mac = hvguest_line_field(line->text, "mac");
    g_assert_cmpstr(mac, ==, NET_MAC);
    hvguest_expect_line(g, "HVTEST: net-carrier=1", HVGUEST_TIMEOUT_S);
    /* One sub-channel per extra VP, each on its own tap queue. */
    line = hvguest_expect_line(g, "HVTEST: net-queues ", HVGUEST_TIMEOUT_S);
    net_note("guest: %s", line->text);
    g_assert_nonnull(strstr(line->text, "rx=2 tx=2"));

    /*
     * Guest to host, then host to guest, through the host's kernel stack
     * (whose segments may reach the guest with partial checksums: the
     * tap's offloads).
     */
    net_transfers(g, &sink, thread, NET_TAP_GUEST_IP, NET_GUEST_PORT,
                  " over tap");

    hvguest_expect_line(g, "HVTEST: net-link-watch", HVGUEST_TIMEOUT_S);
    net_set_link(g, false);
    hvguest_expect_line(g, "HVTEST: net-carrier=0", HVGUEST_TIMEOUT_S);
    net_set_link(g, true);
    line = hvguest_expect_line(g, "HVTEST: done rc=", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(strstr(line->text, "HVTEST: done rc=0"));
    g_assert_true(hvguest_wait_exit(g, HVGUEST_TIMEOUT_S));
    hvguest_quit(g);
}

/*
 * A multi-queue tap with a host address (as on a host bridge): static
 * addresses, NET_MB MiB each way through the host's own TCP stack with the
 * same sha256, two queues in the guest, link control. Needs root,
 * /dev/net/tun and iproute2's "ip"; skipped otherwise.
 */
static void test_net_tap(void)
{
    static const char *const devices[] = { "vmbus-net", NULL };
    g_autofree char *tap = net_tap_name();
    g_autofree char *ip = g_find_program_in_path("ip");
    g_autofree char *cmd = NULL;
    bool ok;

    if (g_test_subprocess()) {
        net_tap_case(g_getenv("HVPART_NET_TAP"));
        return;
    }
    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) || !ip) {
        g_test_skip("a tap needs root, /dev/net/tun and iproute2's ip");
        return;
    }
    cmd = g_strdup_printf("ip tuntap add dev %s mode tap multi_queue", tap);
    if (!net_run(cmd)) {
        g_test_skip("cannot create a tap interface here");
        return;
    }
    g_free(cmd);
    cmd = g_strdup_printf("ip addr add %s/24 dev %s", NET_TAP_HOST_IP, tap);
    ok = net_run(cmd);
    g_free(cmd);
    cmd = g_strdup_printf("ip link set %s up", tap);
    ok = ok && net_run(cmd);
    if (ok) {
        g_setenv("HVPART_NET_TAP", tap, true);
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDOUT |
                               G_TEST_SUBPROCESS_INHERIT_STDERR);
    }
    g_free(cmd);
    cmd = g_strdup_printf("ip link del %s", tap);
    net_run(cmd);
    g_assert_true(ok);
    g_test_trap_assert_passed();
}

/* /hvpart/net/csum */

#define NET_CSUM_MAC    "52:54:00:4e:56:55"
#define NET_CSUM_GOOD   8       /* segments with a good checksum, each kind */
#define NET_CSUM_BAD    4       /* and with a bad one */

typedef enum NetCsumProto {
    NET_CSUM_UDP4,
    NET_CSUM_UDP6,
    NET_CSUM_TCP4,
} NetCsumProto;

typedef enum NetCsumKind {
    NET_CSUM_OK,
    NET_CSUM_WRONG,
    NET_CSUM_NONE,          /* UDP without a checksum (0) */
    NET_CSUM_UDP_LONG,      /* UDP length beyond the IP payload */
    NET_CSUM_IP_LONG,       /* IPv4 total length beyond the frame */
} NetCsumKind;

static uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i + 1 < len; i += 2) {
        sum += p[i] << 8 | p[i + 1];
    }
    if (len & 1) {
        sum += p[len - 1] << 8;
    }
    return sum;
}

static uint16_t net_csum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum;
}

/*
 * An Ethernet frame from the test's peer (192.168.77.1, fd00:4e56::1) to a
 * closed port of the guest: a UDP datagram or a TCP SYN, of @kind, in @f.
 * Returns its length.
 */
static size_t net_csum_frame(uint8_t *f, NetCsumProto proto, NetCsumKind kind,
                             uint16_t port)
{
    static const uint8_t guest_mac[] = { 0x52, 0x54, 0x00, 0x4e, 0x56, 0x55 };
    static const uint8_t peer_mac[] = { 0x52, 0x54, 0x00, 0x4e, 0x56, 0x99 };
    static const uint8_t ip4[2][4] = { { 192, 168, 77, 1 },
                                       { 192, 168, 77, 2 } };
    static const uint8_t ip6[2][16] = {
        { 0xfd, 0x00, 0x4e, 0x56, [15] = 1 },
        { 0xfd, 0x00, 0x4e, 0x56, [15] = 2 },
    };
    bool tcp = proto == NET_CSUM_TCP4;
    size_t l3 = 14, l4, l4_len = (tcp ? 20 : 8) + 18, i;
    uint8_t *h;
    uint32_t sum;
    uint16_t csum;

    memset(f, 0, 14 + 40 + l4_len);
    memcpy(f, guest_mac, 6);
    memcpy(f + 6, peer_mac, 6);
    if (proto == NET_CSUM_UDP6) {
        stw_be_p(f + 12, 0x86dd);
        h = f + l3;
        h[0] = 0x60;
        stw_be_p(h + 4, l4_len);
        h[6] = 17;
        h[7] = 64;
        memcpy(h + 8, ip6[0], 16);
        memcpy(h + 24, ip6[1], 16);
        l4 = l3 + 40;
        sum = net_csum_add(0, h + 8, 32) + l4_len + 17;
    } else {
        stw_be_p(f + 12, 0x0800);
        h = f + l3;
        h[0] = 0x45;
        stw_be_p(h + 2, 20 + l4_len + (kind == NET_CSUM_IP_LONG ? 64 : 0));
        stw_be_p(h + 4, port);
        stw_be_p(h + 6, 0x4000);        /* don't fragment */
        h[8] = 64;
        h[9] = tcp ? 6 : 17;
        memcpy(h + 12, ip4[0], 4);
        memcpy(h + 16, ip4[1], 4);
        stw_be_p(h + 10, net_csum_fold(net_csum_add(0, h, 20)));
        l4 = l3 + 20;
        sum = net_csum_add(0, h + 12, 8) + l4_len + h[9];
    }
    h = f + l4;
    stw_be_p(h, 40000);
    stw_be_p(h + 2, port);
    for (i = tcp ? 20 : 8; i < l4_len; i++) {
        h[i] = i * 7 + port;
    }
    if (tcp) {
        stl_be_p(h + 4, port * 1000);   /* sequence number */
        h[12] = 5 << 4;
        h[13] = 0x02;                   /* SYN */
        stw_be_p(h + 14, 1024);
    } else {
        stw_be_p(h + 4, l4_len + (kind == NET_CSUM_UDP_LONG ? 100 : 0));
    }
    csum = net_csum_fold(net_csum_add(sum, h, l4_len));
    if (!tcp && !csum) {
        csum = 0xffff;
    }
    if (kind == NET_CSUM_WRONG) {
        csum = csum == 0x1234 ? 0x4321 : 0x1234;
    } else if (kind == NET_CSUM_NONE) {
        csum = 0;
    }
    stw_be_p(h + (tcp ? 16 : 6), csum);
    return l4 + l4_len;
}

static int net_udp_socket(int *port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    g_assert_cmpint(fd, >=, 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &len), ==, 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void test_net_csum(void)
{
    static const char *const devices[] = { "vmbus-net", NULL };
    static const struct {
        NetCsumProto proto;
        NetCsumKind kind;
        int count;
    } sends[] = {
        { NET_CSUM_UDP4, NET_CSUM_OK, NET_CSUM_GOOD },
        { NET_CSUM_UDP4, NET_CSUM_WRONG, NET_CSUM_BAD },
        { NET_CSUM_UDP4, NET_CSUM_NONE, 1 },
        { NET_CSUM_UDP4, NET_CSUM_UDP_LONG, 1 },
        { NET_CSUM_UDP6, NET_CSUM_OK, NET_CSUM_GOOD },
        { NET_CSUM_UDP6, NET_CSUM_WRONG, NET_CSUM_BAD },
        { NET_CSUM_TCP4, NET_CSUM_OK, NET_CSUM_GOOD },
        { NET_CSUM_TCP4, NET_CSUM_WRONG, NET_CSUM_BAD },
        { NET_CSUM_TCP4, NET_CSUM_IP_LONG, 1 },
    };
    /* what the guest's stack counts, in net-csum.sh's order */
    static const struct {
        const char *key;
        int value;
    } expect[] = {
        { "udp4-noports", NET_CSUM_GOOD + 1 },
        { "udp4-csumerrs", NET_CSUM_BAD },
        { "udp4-inerrs", NET_CSUM_BAD + 1 },    /* the long datagram too */
        { "udp6-noports", NET_CSUM_GOOD },
        { "udp6-csumerrs", NET_CSUM_BAD },
        { "tcp4-rsts", NET_CSUM_GOOD },
        { "tcp4-csumerrs", NET_CSUM_BAD },
    };
    struct sockaddr_in qemu_sa = { .sin_family = AF_INET };
    g_autofree char *args = NULL, *cmdline = NULL;
    const HvGuestLine *line;
    uint8_t frame[128];
    int fd, port, qemu_port, total = 0, i, j;
    uint16_t dport = 33000;
    uint64_t verified;
    HvGuest *g;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    for (i = 0; i < ARRAY_SIZE(expect); i++) {
        total += expect[i].value;
    }
    fd = net_udp_socket(&port);
    close(net_udp_socket(&qemu_port));
    args = g_strdup_printf("-machine q35 -m 512 -smp 2"
                           " -netdev dgram,id=n0,local.type=inet,"
                           "local.host=127.0.0.1,local.port=%d,"
                           "remote.type=inet,remote.host=127.0.0.1,"
                           "remote.port=%d"
                           " -device vmbus-net,id=net0,netdev=n0,mac=%s",
                           qemu_port, port, NET_CSUM_MAC);
    cmdline = g_strdup_printf(HVGUEST_CMDLINE_BASE
                              " hvtest.mods=hv_vmbus,hv_netvsc"
                              " hvtest.script=net-csum"
                              " hvtest.net_ip=192.168.77.2/24"
                              " hvtest.net_ip6=fd00:4e56::2/64"
                              " hvtest.csum_expect=%d", total);
    g = hvguest_start("hvpart", args, cmdline);
    if (!g) {
        close(fd);
        return;
    }
    line = hvguest_expect_line(g, "HVTEST: net-if ", HVGUEST_TIMEOUT_S);
    g_test_message("guest: %s", line->text);
    hvguest_expect_line(g, "HVTEST: net-csum-ready", HVGUEST_TIMEOUT_S);

    qemu_sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    qemu_sa.sin_port = htons(qemu_port);
    for (i = 0; i < ARRAY_SIZE(sends); i++) {
        for (j = 0; j < sends[i].count; j++) {
            size_t len = net_csum_frame(frame, sends[i].proto,
                                        sends[i].kind, dport++);

            g_assert_cmpint(sendto(fd, frame, len, 0,
                                   (struct sockaddr *)&qemu_sa,
                                   sizeof(qemu_sa)), ==, len);
        }
    }

    /*
     * The guest found every bad checksum itself (vmbus-net did not vouch
     * for them) and took every good one without checking (vmbus-net
     * checked them): exactly the good ones of the three kinds.
     */
    line = hvguest_expect_line(g, "HVTEST: net-csum ", HVGUEST_TIMEOUT_S);
    g_test_message("guest: %s", line->text);
    for (i = 0; i < ARRAY_SIZE(expect); i++) {
        g_autofree char *v = hvguest_line_field(line->text, expect[i].key);

        g_assert_nonnull(v);
        g_assert_cmpint(atoi(v), ==, expect[i].value);
    }
    verified = hvguest_qom_get_u64(hvguest_qts(g), "/machine/peripheral/net0",
                                   "rx-csum-verified");
    g_assert_cmpuint(verified, ==, 3 * NET_CSUM_GOOD);
    g_assert_true(hvguest_wait_exit(g, HVGUEST_TIMEOUT_S));
    close(fd);
    hvguest_quit(g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/hvpart/net/slirp", test_net_slirp);
    qtest_add_func("/hvpart/net/hotplug", test_net_hotplug);
    qtest_add_func("/hvpart/net/stream", test_net_stream);
    qtest_add_func("/hvpart/net/tulip", test_net_tulip);
    qtest_add_func("/hvpart/net/tap", test_net_tap);
    qtest_add_func("/hvpart/net/migrate", test_net_migrate);
    qtest_add_func("/hvpart/net/csum", test_net_csum);
    return g_test_run();
}
