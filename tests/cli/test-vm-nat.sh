#!/bin/bash
# Network=nat with real parts: 'nestvirt vm net-up' in a network namespace standing in for the
# host, a namespace behind the VM's tap standing in for the guest (a veth, since a tap nobody
# reads carries nothing) and one for "the outside". Asserts the guest's traffic reaches the
# outside, masqueraded to the host's address; one rule after two net-ups, none after net-down;
# a subnet the host already routes is refused; the seed's network-config matches the --net
# option. Touches only namespaces it made. TAP output.
#
# usage: test-vm-nat.sh BUILD_DIR
set -uo pipefail

build=$(realpath "$1")
nestvirt=$build/src/nestvirt/nestvirt
work=$(mktemp -d)
suffix=$$
host=nvt-host-$suffix guest=nvt-guest-$suffix outside=nvt-out-$suffix
listener=""
cleanup() {
        [ -z "$listener" ] || kill "$listener" 2>/dev/null
        for ns in "$host" "$guest" "$outside"; do ip netns del "$ns" 2>/dev/null; done
        rm -rf "$work"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root for network namespaces"; exit 0; fi
for tool in ip nft isoinfo genisoimage python3 timeout; do
        command -v "$tool" >/dev/null || { echo "1..0 # SKIP $tool is missing"; exit 0; }
done
ip netns add "$host" 2>/dev/null || { echo "1..0 # SKIP cannot create network namespaces here"; exit 0; }
ip netns add "$guest" && ip netns add "$outside" || { echo "Bail out! cannot create namespaces"; exit 1; }

. "$(dirname "$0")/tap.sh"

in_host() { ip netns exec "$host" "$@"; }
in_guest() { ip netns exec "$guest" "$@"; }
in_outside() { ip netns exec "$outside" "$@"; }

# An image root: two NAT VMs, one on the default pool with a seed, one with HostAddress=; the
# host's resolv.conf names only systemd-resolved's stub, its upstream list two usable servers.
img=$work/image
mkdir -p "$img/etc/nestvirt/web" "$img/run/systemd/resolve" "$img/var/lib"
: > "$img/var/lib/vmlinux"
printf 'instance-id: web-1\n' > "$img/etc/nestvirt/web/meta-data"
printf '#cloud-config\n' > "$img/etc/nestvirt/web/user-data"
printf 'nameserver 127.0.0.53\noptions edns0\n' > "$img/etc/resolv.conf"
printf 'nameserver 9.9.9.9\nnameserver ::1\nnameserver 2001:db8::53\nnameserver 149.112.112.112\n' \
        > "$img/run/systemd/resolve/resolv.conf"
cat > "$img/etc/nestvirt.conf" <<'CONF'
[VM web]
CPUs=1
Memory=1G
Kernel=/var/lib/vmlinux
CloudInit=/etc/nestvirt/web
Network=nat

[VM db]
CPUs=1
Memory=1G
Kernel=/var/lib/vmlinux
Network=nat
HostAddress=10.99.0.1/24
CONF
chmod -R go-w "$img"
nv() { "$nestvirt" --root "$img" "$@"; }

# What the generator puts on Cloud Hypervisor's command line: tap, MAC, host address, mask.
net=$(nv vm argv web | grep -A1 -x -- --net | tail -1)
tap=$(sed -n 's/^tap=\([^,]*\),.*/\1/p' <<<"$net")
mac=$(sed -n 's/.*mac=\([^,]*\).*/\1/p' <<<"$net")
host_ip=$(sed -n 's/.*ip=\([^,]*\).*/\1/p' <<<"$net")
check "--net names the tap, the MAC and the host's address in 192.168.240.0/20 (/30)" \
        grep -Eq '^tap=nv-web,mac=[0-9a-f:]{17},ip=192\.168\.(24[0-9]|25[0-5])\.[0-9]+,mask=255\.255\.255\.252$' <<<"$net"

# The seed: the guest's address in the same /30, the host as gateway, reachable DNS only.
expect "vm prepare builds the seed with Network=nat's network-config" 0 "network-config for Network=nat" \
        -- nv vm prepare web
config=$(isoinfo -R -x /network-config -i "$img/run/nestvirt/vm/web/cidata.iso")
guest_cidr=$(sed -n 's/^ *- \([0-9.]*\/30\)$/\1/p' <<<"$config")
guest_ip=${guest_cidr%/*}
check "the network-config matches the MAC of --net" grep -q "macaddress: \"$mac\"" <<<"$config"
check "the guest's address is the host's neighbour in the /30" \
        python3 -c "import ipaddress,sys; g=ipaddress.ip_interface('$guest_cidr'); sys.exit(not (ipaddress.ip_address('$host_ip') in g.network and g.ip != ipaddress.ip_address('$host_ip')))"
check "the default route goes via the host's address" grep -q "via: $host_ip" <<<"$config"
check "DNS: resolved's upstream IPv4 servers, not its stub nor IPv6" \
        bash -c '[ "$(grep -Eo "^ +- [0-9a-f.:]+$" <<<"$1" | tr -d " -" | tr "\n" " ")" = "9.9.9.9 149.112.112.112 " ]' _ "$config"
printf 'version: 2\n' > "$img/etc/nestvirt/web/network-config"
expect "an admin's own network-config wins, with a notice" 0 "has its own network-config" \
        -- nv vm prepare web
check "and it is the one in the seed" cmp -s <(isoinfo -R -x /network-config -i "$img/run/nestvirt/vm/web/cidata.iso") \
        "$img/etc/nestvirt/web/network-config"

# The wiring: guest -- veth named like the tap -- host -- uplink -- outside.
in_host ip link add "$tap" type veth peer name eth0 netns "$guest"
in_host ip link add uplink type veth peer name eth0 netns "$outside"
in_host ip addr add "$host_ip/30" dev "$tap"      # what Cloud Hypervisor does from ip=, mask=
in_host ip addr add 198.51.100.2/24 dev uplink
for ns in "$host" "$guest" "$outside"; do ip netns exec "$ns" ip link set lo up; done
in_host ip link set "$tap" up
in_host ip link set uplink up
in_guest ip addr add "$guest_cidr" dev eth0
in_guest ip link set eth0 up
in_guest ip route add default via "$host_ip"
in_outside ip addr add 198.51.100.1/24 dev eth0
in_outside ip link set eth0 up

# The outside: a listener that writes down the address of every peer it sees.
# Not through a function: $! must be the listener itself (ip netns exec execs it), or it
# would outlive the test holding meson's pipe.
ip netns exec "$outside" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.51.100.1", 8080)); s.listen(8)
print("listening", flush=True)
while True:
    c, peer = s.accept(); print(peer[0], flush=True); c.close()' > "$work/peers" 2>&1 < /dev/null &
listener=$!
for _ in $(seq 50); do grep -q listening "$work/peers" 2>/dev/null && break; sleep 0.1; done

# A TCP connection from the guest, bounded: it completes only if replies find their way back.
reaches() {
        ip netns exec "$guest" timeout 5 python3 -c \
                'import socket; socket.create_connection(("198.51.100.1", 8080), timeout=2).close()' 2>/dev/null
}
unreachable() { ! reaches; }
rules() { in_host nft list table ip nestvirt 2>/dev/null | grep -c masquerade; }

check "before net-up the guest reaches nothing outside" unreachable
expect "net-up turns on forwarding and adds the rule" 0 "masqueraded" -- in_host "$nestvirt" --root "$img" vm net-up web
check "forwarding is on in the host namespace" grep -qx 1 <(in_host cat /proc/sys/net/ipv4/ip_forward)
: > "$work/peers"
check "the guest reaches the outside" reaches
check "the outside sees the host's address 198.51.100.2, not the guest's (masqueraded)" \
        grep -qx 198.51.100.2 "$work/peers"

expect "net-up again succeeds" 0 -- in_host "$nestvirt" --root "$img" vm net-up web
check "net-up twice leaves one rule" test "$(rules)" = 1
check "the rule masquerades the VM's /30 leaving by any interface but its tap" \
        grep -q "ip saddr ${host_ip%.*}.$(( ${host_ip##*.} - 1 ))/30 oifname != \"$tap\" masquerade" \
        <(in_host nft list table ip nestvirt)

expect "net-down removes it" 0 -- in_host "$nestvirt" --root "$img" vm net-down web
check "no rule after net-down" test "$(rules)" = 0
check "without the rule the guest's traffic gets no reply" unreachable
expect "net-down without net-up is fine" 0 -- in_host "$nestvirt" --root "$img" vm net-down web
expect "net-down needs no configuration" 0 -- in_host "$nestvirt" --config /nonexistent vm net-down web

# A subnet the host already routes elsewhere is refused before any rule is added.
in_host ip route add 10.99.0.0/16 dev uplink
expect "net-up refuses a subnet the host routes elsewhere" 1 \
        "10\.99\.0\.0/24 of VM db overlaps the route 10\.99\.0\.0/16 on uplink" "HostAddress=" \
        -- in_host "$nestvirt" --root "$img" vm net-up db
check "and adds no rule for it" bash -c "! ip netns exec $host nft list table ip nestvirt | grep -q 'vm-db'"
sed 's/^Network=nat$/Network=tap/' "$img/etc/nestvirt.conf" > "$work/tap.conf"
expect "net-up refuses a VM without Network=nat" 1 "VM db has Network=tap; 'vm net-up' is for Network=nat" \
        -- "$nestvirt" --config "$work/tap.conf" vm net-up db

echo "1..$n"
[ "$failed" = 0 ]
