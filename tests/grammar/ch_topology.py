# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks across --numa, --platform, --pci-segment, the pci_segment= of devices and the
physical address space, as Cloud Hypervisor makes them (revision in ch_options.py):

  vmm/src/config.rs    NumaConfig::parse/validate, PlatformConfig::validate,
                       PciSegmentConfig::validate, PciDeviceCommonConfig::validate,
                       DeviceConfig::validate, VmConfig::validate (the NUMA loop)
  vmm/src/vm.rs        Vm::create_numa_nodes (ids, zones and distances; after validate())
  vmm/src/device_manager.rs  create_mmio_allocators (a segment left without aperture panics)

Messages marked "nestvirt rule" name what Cloud Hypervisor accepts but turns into a guest
topology nestvirt never means: it only warns, truncates, or quietly puts a vCPU, zone or
segment into proximity domain 0 (vmm/src/cpu.rs CpuManager::new, acpi.rs create_srat_table
and create_slit_table, device_manager.rs numa_node_id_from_pci_segment_id).
"""

import ch_mmio

MAX_NUM_PCI_SEGMENTS = 96          # config.rs
MAX_GPUDIRECT_CLIQUE = 15          # 4 bits in NVIDIA's capability; QEMU's x-nv-gpudirect-clique
PHYS_BITS = (36, 52)               # nestvirt rule: x86 MAXPHYADDR range (36 is CH's CPUID fallback)
LOCAL_DISTANCE, UNREACHABLE = 10, 255


def _segments_valid(checks):
    """With num_pci_segments= out of range, only that is reported, not every segment."""
    return 1 <= checks.segments <= MAX_NUM_PCI_SEGMENTS


def platform(checks, problems):
    item = checks.one('platform')
    if not item:
        return
    label = item.label
    if not 1 <= checks.segments <= MAX_NUM_PCI_SEGMENTS:
        problems.append(f'{label}: num_pci_segments={checks.segments} is not in 1 to '
                        f'{MAX_NUM_PCI_SEGMENTS}')
    for segment in item.get('iommu_segments', []):
        if segment >= checks.segments:
            problems.append(f'{label}: iommu_segments= names segment {segment}, which does not exist')
    if item.get('iommu_address_width', 64) > 64:
        problems.append(f'{label}: iommu_address_width= is above 64')
    if item.get('iommufd_fd') is not None and not item.get('iommufd', True):
        problems.append(f'{label}: iommufd_fd= needs iommufd=on')
    for old, new in (('serial_number', 'system_serial_number'), ('uuid', 'system_uuid')):
        if item.has(old):
            problems.append(f'{label}: {old}= is deprecated, write {new}= (nestvirt rule; '
                            f'Cloud Hypervisor warns)')


def device_segments(checks, problems, device_options):
    if not _segments_valid(checks):
        return
    platform_item = checks.one('platform')
    iommu_segments = platform_item.get('iommu_segments', []) if platform_item else []
    for option in device_options:
        for item in checks.all(option):
            segment, slot = item.get('pci_segment', 0), item.get('pci_device_id')
            if segment >= checks.segments:
                problems.append(f'{item.label}: pci_segment={segment} does not exist '
                                f'(num_pci_segments={checks.segments})')
            if segment in iommu_segments and not item.get('iommu', False):
                problems.append(f'{item.label}: segment {segment} is behind the IOMMU: needs iommu=on')
            if slot is not None and (slot >= 32 or (slot == 0 and segment == 0)):
                problems.append(f'{item.label}: pci_device_id={slot} is out of range or reserved')
    for dev in checks.all('device'):
        clique = dev.get('x_nv_gpudirect_clique')
        if clique is not None and clique > MAX_GPUDIRECT_CLIQUE:
            problems.append(f'{dev.label}: x_nv_gpudirect_clique={clique} is above '
                            f'{MAX_GPUDIRECT_CLIQUE} (nestvirt rule: the clique is a 4-bit field; '
                            f'Cloud Hypervisor shifts any u8 into the capability)')


def pci_segments(checks, problems):
    if not _segments_valid(checks):
        return
    seen = {}
    for seg in checks.all('pci-segment'):
        number = seg.get('pci_segment', 0)
        if number >= checks.segments:
            problems.append(f'{seg.label}: pci_segment={number} does not exist '
                            f'(num_pci_segments={checks.segments})')
        for kind in ('mmio32', 'mmio64'):
            if seg.get(f'{kind}_aperture_weight', 1) == 0:
                problems.append(f'{seg.label}: {kind}_aperture_weight=0: weights start at 1')
        if number in seen:
            problems.append(f'{seg.label}: segment {number} is already set by {seen[number]} '
                            f'(nestvirt rule; Cloud Hypervisor keeps the last)')
        seen.setdefault(number, seg.label)


def weights(checks, kind):
    """mmio32 or mmio64 aperture weight per segment (device_manager.rs DeviceManager::new)."""
    result = [1] * max(checks.segments, 0)
    for seg in checks.all('pci-segment'):
        number = seg.get('pci_segment', 0)
        if number < len(result):
            result[number] = seg.get(f'{kind}_aperture_weight', 1)
    return result


def guest_memory(checks):
    """The RAM layout ch_mmio needs: (size, page size) per zone, or None when unknown."""
    memory = checks.one('memory')
    if not memory:
        return None
    size = memory.get('size', 512 << 20)
    if size:
        return [(size, memory.get('hugepage_size') or ch_mmio.PAGE_SIZE)]
    zones = checks.all('memory-zone')
    if not zones or len(zones) != len(checks.items.get('memory-zone', [])):
        return None
    return [(z.get('size', 512 << 20), (z.get('hugepage_size') or ch_mmio.PAGE_SIZE)
             if z.get('hugepages', False) else ch_mmio.PAGE_SIZE) for z in zones]


def address_space(checks, problems):
    """max_phys_bits and the apertures it leaves: the best case, a host with at least
    max_phys_bits (the guest gets min(host, max_phys_bits), vm.rs physical_bits)."""
    cpus = checks.one('cpus')
    bits = cpus.get('max_phys_bits', ch_mmio.DEFAULT_MAX_PHYS_BITS) if cpus else \
        ch_mmio.DEFAULT_MAX_PHYS_BITS
    low, high = PHYS_BITS
    if cpus and cpus.has('max_phys_bits') and not low <= bits <= high:
        problems.append(f'{cpus.label}: max_phys_bits={bits} is not in {low} to {high} '
                        f'(nestvirt rule: x86 physical address widths)')
        return
    if not _segments_valid(checks) or any(
            w == 0 for k in ('mmio32', 'mmio64') for w in weights(checks, k)):
        return                                 # reported above
    try:
        ch_mmio.apertures(ch_mmio.MEM_32BIT_DEVICES_START,
                          ch_mmio.MEM_32BIT_DEVICES_START + ch_mmio.MEM_32BIT_DEVICES_SIZE - 1,
                          weights(checks, 'mmio32'), ch_mmio.MMIO32_SEGMENT_ALIGN)
    except ValueError as e:
        problems.append(f'--pci-segment: 32-bit apertures: {e} (Cloud Hypervisor panics)')
    memory = guest_memory(checks)
    if memory is None:
        return
    try:
        start, end = ch_mmio.device_area_64(bits, memory)
        ch_mmio.apertures(start, end, weights(checks, 'mmio64'), ch_mmio.MMIO64_SEGMENT_ALIGN)
    except ValueError as e:
        problems.append(f'64-bit apertures with {bits} physical address bits: {e}')


class _Numa:
    def __init__(self, checks):
        self.checks = checks
        # A node without guest_numa_id= is refused already (NumaConfig::parse).
        self.nodes = [n for n in checks.all('numa') if n.has('guest_numa_id')]
        # Coverage checks only when every node parsed whole, not to repeat its problem.
        self.complete = len(self.nodes) == len(checks.items['numa']) and \
            not any(n.problems for n in self.nodes)
        self.ids = [n.get('guest_numa_id') for n in self.nodes]


def numa(checks, problems):
    if not checks.items.get('numa'):
        return
    state = _Numa(checks)
    for node in state.nodes:
        _node_shape(checks, node, problems)
    _node_ids(state, problems)
    _zones(state, problems)
    _segments(state, problems)
    _vcpus(state, problems)
    for node in state.nodes:
        _distances(state, node, problems)


def _node_shape(checks, node, problems):
    """NumaConfig::parse and NumaConfig::validate (config.rs)."""
    label = node.label
    has_cpus, has_zones, has_device = node.has('cpus'), node.has('memory_zones'), node.has('device_id')
    if has_device and (has_cpus or has_zones):
        problems.append(f'{label}: device_id= excludes cpus= and memory_zones=')
    elif not has_device and not (has_cpus or has_zones):
        problems.append(f'{label}: needs device_id= or cpus=/memory_zones=')
    elif has_device:
        ids = {i.get('id') for o in ('disk', 'net', 'fs', 'pmem', 'device', 'user-device', 'vdpa',
                                     'vsock', 'generic-vhost-user') for i in checks.all(o)}
        if node.get('device_id') not in ids:
            problems.append(f"{label}: device_id='{node.get('device_id')}' names no device "
                            f"(nestvirt rule; Cloud Hypervisor only warns)")
    elif has_cpus and not has_zones:
        problems.append(f'{label}: cpus= without memory_zones= makes a memoryless node '
                        f'(nestvirt rule)')


def _node_ids(state, problems):
    """Vm::create_numa_nodes refuses an id given twice; the SLIT is indexed by position
    while the SRAT uses the ids, so they must count 0, 1, ... (nestvirt rule)."""
    seen = {}
    for node, ident in zip(state.nodes, state.ids):
        if ident in seen:
            problems.append(f'{node.label}: guest_numa_id={ident} is already used by {seen[ident]}')
        seen.setdefault(ident, node.label)
    if state.complete and sorted(seen) != list(range(len(seen))):
        problems.append(f'--numa: guest_numa_id= values {sorted(seen)} do not count 0 to '
                        f'{len(seen) - 1} (nestvirt rule: the SLIT is indexed by position)')


def _zones(state, problems):
    """VmConfig::validate (MemoryZoneReused) and Vm::create_numa_nodes (unknown zone)."""
    defined = [z.get('id') for z in state.checks.all('memory-zone')]
    owner = {}
    for node in state.nodes:
        for zone in node.get('memory_zones', []):
            if zone not in defined:
                problems.append(f"{node.label}: memory zone '{zone}' is not defined by --memory-zone")
            if zone in owner:
                problems.append(f"{node.label}: memory zone '{zone}' already belongs to {owner[zone]}")
            owner.setdefault(zone, node.label)
    for zone in defined:
        if zone not in owner and state.complete and any(n.has('memory_zones') for n in state.nodes):
            problems.append(f"--memory-zone '{zone}' is in no --numa node (nestvirt rule: "
                            f"Cloud Hypervisor leaves it out of the SRAT)")


def _segments(state, problems):
    """VmConfig::validate: InvalidPciSegment, DefaultPciSegmentInvalidNode, PciSegmentReused."""
    count = state.checks.segments
    if not _segments_valid(state.checks):
        return
    owner = {}
    for node, ident in zip(state.nodes, state.ids):
        for segment in node.get('pci_segments', []):
            if segment >= count:
                problems.append(f'{node.label}: pci_segments= names segment {segment}, which '
                                f'does not exist (num_pci_segments={count})')
            elif segment == 0 and ident != 0:
                problems.append(f'{node.label}: pci segment 0 belongs to guest NUMA node 0, '
                                f'not {ident}')
            elif segment in owner:
                problems.append(f'{node.label}: pci segment {segment} already belongs to '
                                f'{owner[segment]}')
            owner.setdefault(segment, node.label)
    missing = [s for s in range(1, count) if s not in owner]
    if owner and missing and state.complete:
        problems.append(f'--numa: {_which("pci segment", missing)} in no node (nestvirt '
                        f'rule: Cloud Hypervisor puts it on node 0)')


def _vcpus(state, problems):
    """Cloud Hypervisor checks none of this: a vCPU in two nodes gets two SRAT entries and
    the last node's _PXM, one in no node gets _PXM 0 and no SRAT entry, one beyond max=
    gets an SRAT entry for a CPU that does not exist (cpu.rs, acpi.rs)."""
    top = state.checks.max
    owner = {}
    for node in state.nodes:
        for vcpu in node.get('cpus', []):
            if vcpu >= top:
                problems.append(f'{node.label}: cpus= names vCPU {vcpu}, but the VM has {top} '
                                f'(nestvirt rule)')
            elif vcpu in owner:
                problems.append(f'{node.label}: vCPU {vcpu} already belongs to {owner[vcpu]} '
                                f'(nestvirt rule)')
            owner.setdefault(vcpu, node.label)
    missing = [v for v in range(top) if v not in owner]
    if owner and missing and state.complete:
        problems.append(f'--numa: {_which("vCPU", missing)} in no node (nestvirt rule: '
                        f'Cloud Hypervisor gives it proximity domain 0)')


def _distances(state, node, problems):
    """Vm::create_numa_nodes: the destination must be a node, once per node; a self
    distance other than 10 is ignored. NumaConfig::parse truncates the destination to
    u32 and the distance to u8 (nestvirt rule); Linux drops a SLIT whose remote distance
    is 10 or less (nestvirt rule), and 255 means unreachable."""
    label, ident = node.label, node.get('guest_numa_id')
    seen = set()
    for destination, distance in node.get('distances', []):
        if destination >= 1 << 32 or distance > 0xff:
            problems.append(f'{label}: distances= {destination}@{distance} does not fit '
                            f'u32@u8 (nestvirt rule: Cloud Hypervisor truncates it)')
            continue
        if destination not in state.ids and state.complete:
            problems.append(f'{label}: distances= names guest NUMA node {destination}, which '
                            f'does not exist')
        if destination in seen:
            problems.append(f'{label}: distances= gives node {destination} twice')
        seen.add(destination)
        if destination == ident and distance != LOCAL_DISTANCE:
            problems.append(f'{label}: distance to itself must be {LOCAL_DISTANCE} (nestvirt '
                            f'rule: Cloud Hypervisor ignores {distance})')
        elif destination != ident and not LOCAL_DISTANCE < distance < UNREACHABLE:
            problems.append(f'{label}: distance {distance} to node {destination} is not in '
                            f'{LOCAL_DISTANCE + 1} to {UNREACHABLE - 1} (nestvirt rule: the '
                            f'guest kernel rejects the SLIT)')


def _which(what, values):
    return f'{what} {values[0]} is' if len(values) == 1 else f'{what}s {_ranges(values)} are'


def _ranges(values):
    parts, start = [], None
    for i, v in enumerate(values):
        if start is None:
            start = v
        if i + 1 == len(values) or values[i + 1] != v + 1:
            parts.append(str(start) if start == v else f'{start}-{v}')
            start = None
    return ','.join(parts)
