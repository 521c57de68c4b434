#!/bin/bash
# topology.sh NAME            QEMU arguments of an emulated host, one per line
# topology.sh --kernel NAME   the kernel flavour it boots (fetch-kernel.sh: bookworm|backports)
# topology.sh --cmdline NAME  kernel command line words it needs (may be empty)
# topology.sh --list          the known names
#
# Arguments describe the machine only (q35, CPUs, NUMA memory, IOMMU, PCIe
# expander bridges, devices); the caller adds -kernel/-initrd/-append, the
# serial ports and the accelerator. One argument per line and no spaces in
# them, so both `mapfile -t ARGS < <(topology.sh NAME)` and an unquoted
# `$(topology.sh NAME)` work.
#
# Layout shared by all topologies (pattern of seeds/004: PCIe expander
# bridges give devices a NUMA node):
#   -cpu max (TCG: has pdpe1gb, so 1 GiB hugepages exist), 4 CPUs, 2 NUMA
#   nodes (CPUs 0-1 + 3 GiB, CPUs 2-3 + 3 GiB), no default devices, a VGA
#   display at 00:01.0 (boot_vga=1, as a cloud VM's console), the IOMMU at
#   00:02.0 when it is a PCI device (virtio-iommu-pci), one pxb-pcie per node
#   (node 0: bus 0x20 at 00:10.0, node 1: bus 0x40 at 00:11.0), one
#   pcie-root-port per "GPU" on its node's bridge (root port N at bridge slot
#   N, so the GPU of port N is on bus BRIDGE+1+N, device 0).
#   TOPOLOGY_NODE_MEM=SIZE (GiB, default 3) changes the memory of each node;
#   the boot lab's scenarios use 10: a 1 GiB page reserved at run time needs a
#   fully free aligned GiB, and the boot node loses about 4 GiB of them (the PCI
#   hole, the kernel, the unpacked initramfs) and the other about 2 (see
#   tests/lab/README.md). The fixtures were captured with 3.
#   "GPU" = e1000e 8086:10d3 (no network backend). In the *-8gpu-* layouts
#   each GPU is a multifunction slot: e1000e at function 0 and an
#   ich9-intel-hda 8086:293e "HDMI audio" at function 1, like a real GPU.
#   pcie-root-port has ACS by default in QEMU (disable-acs=false), so each
#   root port's slot is its own IOMMU group.
set -euo pipefail

names="virtio-2node-4dev intel-8gpu-2node virtio-8gpu-2node"

usage() {
    echo "usage: $0 [--kernel|--cmdline] NAME | --list" >&2
    echo "names: $names" >&2
    exit 2
}

what=args
case ${1:-} in
    --list) printf '%s\n' $names; exit 0 ;;
    --kernel) what=kernel; shift ;;
    --cmdline) what=cmdline; shift ;;
    -h|--help|'') usage ;;
esac
[ $# -eq 1 ] || usage
name=$1

case $name in
    virtio-2node-4dev) iommu=virtio; per_node=2; audio=no ;;
    intel-8gpu-2node)  iommu=intel;  per_node=4; audio=yes ;;
    virtio-8gpu-2node) iommu=virtio; per_node=4; audio=yes ;;
    *) echo "topology.sh: unknown topology '$name'" >&2; usage ;;
esac

case $what in
    kernel)
        # Debian 12's own kernel (6.1) has no virtio-iommu driver.
        if [ $iommu = virtio ]; then echo backports; else echo bookworm; fi
        exit 0 ;;
    cmdline)
        if [ $iommu = intel ]; then echo "intel_iommu=on"; else echo ""; fi
        exit 0 ;;
esac

a() { printf '%s\n' "$@"; }

if [ $iommu = intel ]; then
    a -machine q35,kernel-irqchip=split
else
    a -machine q35
fi
mem=${TOPOLOGY_NODE_MEM:-3}
mem=${mem%G}
case $mem in ''|*[!0-9]*) echo "topology.sh: TOPOLOGY_NODE_MEM must be a number of GiB" >&2; exit 2 ;; esac
a -cpu max -smp 4,sockets=2,cores=2,threads=1 -m $((2 * mem))G
a -object memory-backend-ram,id=m0,size=${mem}G
a -numa node,nodeid=0,cpus=0-1,memdev=m0
a -object memory-backend-ram,id=m1,size=${mem}G
a -numa node,nodeid=1,cpus=2-3,memdev=m1
a -nodefaults
if [ $iommu = intel ]; then
    # Before any other PCI device.
    a -device intel-iommu,intremap=on
fi
a -device VGA,bus=pcie.0,addr=0x1
if [ $iommu = virtio ]; then
    a -device virtio-iommu-pci,bus=pcie.0,addr=0x2
fi

chassis=0
for node in 0 1; do
    busnr=$(( node == 0 ? 0x20 : 0x40 ))
    printf -- '-device\npxb-pcie,id=pxb%d,bus_nr=0x%x,numa_node=%d,bus=pcie.0,addr=0x%x\n' \
        "$node" "$busnr" "$node" $(( 0x10 + node ))
    for (( i = 0; i < per_node; i++ )); do
        chassis=$(( chassis + 1 ))
        rp=rp$node$i
        printf -- '-device\npcie-root-port,id=%s,bus=pxb%d,chassis=%d,slot=%d,addr=0x%x\n' \
            "$rp" "$node" "$chassis" "$chassis" "$i"
        if [ $audio = yes ]; then
            a -device "e1000e,id=gpu$node$i,bus=$rp,addr=00.0,multifunction=on"
            a -device "ich9-intel-hda,id=hda$node$i,bus=$rp,addr=00.1"
        else
            a -device "e1000e,id=gpu$node$i,bus=$rp,addr=00.0"
        fi
    done
done
