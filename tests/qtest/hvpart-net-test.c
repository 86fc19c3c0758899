/*
 * The synthetic network adapter (vmbus-net) with the real Linux guest.
 *
 * /hvpart/net/slirp: on -netdev user, Debian's hv_netvsc binds to the
 * device and takes the MAC address given on the command line, DHCP gives
 * it slirp's first address, NET_MB MiB of random data go each way over TCP
 * (guest to a listener of this test through slirp's host alias, host to
 * the guest through hostfwd) and arrive with the same SHA-256, and QMP
 * set_link off/on shows in the guest's carrier. Host sockets are on the
 * loopback interface only.
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
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include "qemu/units.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "hvpart-guest-util.h"

#define NET_MB          32
#define NET_PEER_MB     8
#define NET_JUMBO_MTU   9000
#define NET_MAC         "52:54:00:4e:56:53"
#define NET_GUEST_IP    "10.0.2.15"     /* slirp's first DHCP address */
#define NET_GUEST_PORT  5001            /* tests/guest/scripts/net.sh */
/* Host sockets give up after this long without progress */
#define NET_IO_TIMEOUT_S 600

typedef struct NetTransfer {
    int fd;                 /* listening (sink) or connected (source) */
    guint64 bytes;
    char *sha256;           /* of the bytes moved, when done */
    const char *error;
} NetTransfer;

static int net_listen_loopback(int *port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    g_assert_cmpint(fd, >=, 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(fd, 1), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &len), ==, 0);
    *port = ntohs(sa.sin_port);
    return fd;
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

/* Host to guest: NET_MB MiB of pseudo-random bytes, hashed as they go. */
static gpointer net_source_thread(gpointer opaque)
{
    NetTransfer *t = opaque;
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree uint64_t *buf = g_malloc(64 * KiB);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    guint64 left = (guint64)NET_MB * MiB;

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

static int net_connect_loopback(int port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    g_assert_cmpint(fd, >=, 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    return fd;
}

static void net_set_link(HvGuest *g, bool up)
{
    qtest_qmp_assert_success(hvguest_qts(g),
                             "{'execute': 'set_link', 'arguments':"
                             " {'name': 'net0', 'up': %i}}", up);
}

static void test_net_slirp(void)
{
    static const char *const devices[] = { "vmbus-net", NULL };
    NetTransfer sink = { 0 }, source = { 0 };
    g_autofree char *args = NULL, *cmdline = NULL;
    g_autofree char *tx_sha = NULL, *name = NULL, *mac = NULL;
    g_autofree char *rc = NULL, *ip = NULL, *rx_sha = NULL, *bytes = NULL;
    const HvGuestLine *line, *start, *end;
    GThread *thread;
    int sink_port, fwd_port;
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

    /* Guest to host */
    tx_sha = hvguest_wait_value(g, "net-tx-sha256", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(tx_sha);
    start = hvguest_expect_line(g, "HVTEST: net-tx-sha256=",
                                HVGUEST_TIMEOUT_S);
    end = hvguest_expect_line(g, "HVTEST: net-tx-done rc=0",
                              HVGUEST_TIMEOUT_S);
    g_thread_join(thread);
    close(sink.fd);
    g_assert_null(sink.error);
    g_test_message("guest to host: %" PRIu64 " bytes in %.1f s",
                   (uint64_t)sink.bytes, hvguest_seconds_between(start, end));
    g_assert_cmpuint(sink.bytes, ==, (guint64)NET_MB * MiB);
    g_assert_cmpstr(sink.sha256, ==, tx_sha);

    /* Host to guest */
    start = hvguest_expect_line(g, "HVTEST: net-rx-listening",
                                HVGUEST_TIMEOUT_S);
    source.fd = net_connect_loopback(fwd_port);
    thread = g_thread_new("net-source", net_source_thread, &source);
    end = hvguest_expect_line(g, "HVTEST: net-rx-sha256=",
                              HVGUEST_TIMEOUT_S);
    g_thread_join(thread);
    close(source.fd);
    g_assert_null(source.error);
    rx_sha = hvguest_line_field(end->text, "net-rx-sha256");
    bytes = hvguest_line_field(end->text, "bytes");
    g_test_message("host to guest: %s bytes in %.1f s", bytes,
                   hvguest_seconds_between(start, end));
    g_assert_cmpstr(rx_sha, ==, source.sha256);
    g_assert_cmpuint(g_ascii_strtoull(bytes, NULL, 10), ==,
                     (guint64)NET_MB * MiB);

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
    g_free(sink.sha256);
    g_free(source.sha256);
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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/hvpart/net/slirp", test_net_slirp);
    qtest_add_func("/hvpart/net/hotplug", test_net_hotplug);
    qtest_add_func("/hvpart/net/stream", test_net_stream);
    return g_test_run();
}
