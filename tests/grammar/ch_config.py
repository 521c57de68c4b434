# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks across options, as Cloud Hypervisor's VmConfig::validate() (vmm/src/config.rs),
PayloadConfig::validate() (vmm/src/vm_config.rs) and the memory manager's zone checks
(vmm/src/memory_manager.rs) make them, of the revision named in ch_options.py. Messages
marked "nestvirt rule" are stricter than Cloud Hypervisor: they catch what it accepts
silently but nestvirt never means (DESIGN.md, "Cloud Hypervisor facts").
"""

import ch_options as O
import ch_topology as T

GIB = 1 << 30
DEFAULTS = {'cpus': 'boot=1', 'memory': 'size=512M', 'serial': 'null', 'console': 'tty',
            'rng': 'src=/dev/urandom', 'debug-console': 'off'}
MAX_CPUS = 8192
ID_OPTIONS = ('rate-limit-group', 'disk', 'net', 'fs', 'generic-vhost-user', 'pmem', 'rng', 'rtc',
              'console', 'user-device', 'vdpa', 'balloon', 'device', 'vsock', 'memory-zone')
PCI_DEVICE_OPTIONS = ('disk', 'net', 'rng', 'rtc', 'balloon', 'generic-vhost-user', 'fs', 'pmem',
                      'console', 'device', 'user-device', 'vdpa', 'vsock')
VIRTIO_DEVICE_TYPES = {
    'net', 'block', 'console', 'rng', 'balloon', 'iomem', 'rpmsg', 'scsi', '9p', 'mac80211_wlan',
    'rproc_serial', 'caif', 'memory_balloon', 'gpu', 'clock', 'input', 'vsock', 'crypto',
    'signal_dist', 'pstore', 'mem', 'sound', 'fs', 'pmem', 'rpmb', 'mac80211_hwsim',
    'video_encoder', 'video_decoder', 'scmi', 'nitro_sec_mod', 'i2c', 'can', 'dmabuf',
    'param_serv', 'audio_policy', 'bt', 'gpio', 'rdma', 'camera', 'ism', 'spi', 'tee',
    'cpu_balloon', 'media', 'usb'}


class Item:
    """One occurrence of an option with its parsed sub-options (or plain value)."""

    def __init__(self, occurrence, values, problems):
        self.option, self.label = occurrence.option, occurrence.label
        self.raw, self.values, self.problems = occurrence.value, values, problems
        # Its string did not parse: checks across options leave it out, not to repeat that.
        self.failed = values is None and O.OPTIONS[self.option].kind not in ('flag', 'count')

    def get(self, name, default=None):
        return self.values.get(name, default) if isinstance(self.values, dict) else default

    def has(self, name):
        return isinstance(self.values, dict) and name in self.values


def _power_of_two(v):
    return v > 0 and v & (v - 1) == 0


def _parse_item(occ):
    spec = O.OPTIONS[occ.option]
    if spec.kind in ('flag', 'count') or spec.feature:
        return Item(occ, None, [])
    if spec.value is not None:
        try:
            return Item(occ, spec.value(occ.value), [])
        except ValueError as e:
            return Item(occ, None, [str(e)])
    text = occ.value
    if occ.option == 'api-socket' and '=' not in text:
        text = 'path=' + text           # a bare path is Cloud Hypervisor's fallback
    values, problems = O.parse_suboptions(occ.option, text)
    item = Item(occ, values, problems)
    if values is None:
        return item
    if occ.option in ('api-socket', 'event-monitor') and len(set(values) & {'path', 'fd'}) != 1:
        problems.append('needs exactly one of path=PATH or fd=FD')
    if occ.option in O.VALUELESS:
        modes = [m for m in O.CONSOLE_MODES + ('file', 'socket') if m in values]
        if not modes:
            problems.append('needs a mode: off, pty, tty, null, file=PATH'
                            + ('' if occ.option == 'debug-console' else ' or socket=PATH'))
        elif len(modes) > 1:
            problems.append(f"gives {len(modes)} modes ({', '.join(modes)}); Cloud Hypervisor uses "
                            f"the first of off, pty, tty, null, file, socket (nestvirt rule: one mode)")
    return item


def check_arguments(args):
    """All problems of a cloud-hypervisor argv (without argv[0])."""
    occurrences, problems = O.split_argv(args)
    items = {}
    for occ in occurrences:
        item = _parse_item(occ)
        problems += [f'{item.label}: {p}' for p in item.problems]
        items.setdefault(occ.option, []).append(item)
    for name, text in DEFAULTS.items():
        if name not in items:
            items[name] = [_parse_item(O.Occurrence(name, text, f'--{name} (default)'))]
    checks = Checks(items)
    for check in (checks.payload, checks.cpus, checks.memory, checks.identifiers, checks.disks,
                  checks.nets, checks.vhost_user, checks.devices, checks.pci, checks.numa,
                  checks.misc):
        check(problems)
    return problems


class Checks:
    def __init__(self, items):
        self.items = items
        cpus = self.one('cpus')
        self.boot = cpus.get('boot', 1) if cpus else 1
        self.max = cpus.get('max', self.boot) if cpus else self.boot
        platform = self.one('platform')
        self.segments = platform.get('num_pci_segments', 1) if platform else 1

    def all(self, option):
        return [i for i in self.items.get(option, []) if not i.failed]

    def one(self, option):
        found = self.all(option)
        return found[0] if found else None

    def payload(self, problems):
        kernel, firmware = self.items.get('kernel'), self.items.get('firmware')
        if kernel and firmware:
            problems.append('--kernel and --firmware exclude each other')
        if not kernel and not firmware and not self.items.get('restore'):
            problems.append('neither --kernel nor --firmware: Cloud Hypervisor has nothing to boot')
        if firmware:
            for option in ('cmdline', 'initramfs'):
                if self.items.get(option):
                    problems.append(f'--{option} is ignored with --firmware (Cloud Hypervisor '
                                    f'only warns)')

    def cpus(self, problems):
        cpus = self.one('cpus')
        if not cpus:
            return
        label = cpus.label
        if self.max < self.boot:
            problems.append(f'{label}: max={self.max} is lower than boot={self.boot}')
        if self.max > MAX_CPUS:
            problems.append(f'{label}: {self.max} vCPUs, the limit is {MAX_CPUS}')
        topology = cpus.get('topology')
        if topology:
            product = topology[0] * topology[1] * topology[2] * topology[3]
            if 0 in topology:
                problems.append(f'{label}: no part of topology= may be 0')
            elif topology[0] > 2:
                problems.append(f'{label}: topology= allows at most 2 threads per core')
            elif product != self.max:
                problems.append(f'{label}: topology= gives {product} vCPUs, max is {self.max}')
        seen = set()
        for vcpu, host_cpus in cpus.get('affinity', []):
            if vcpu >= self.max:
                problems.append(f'{label}: affinity= names vCPU {vcpu}, but the VM has {self.max} '
                                f'(nestvirt rule)')
            if vcpu in seen:
                problems.append(f'{label}: affinity= names vCPU {vcpu} twice (nestvirt rule)')
            seen.add(vcpu)
        for feature in cpus.get('features', []):
            if feature != 'amx':
                problems.append(f"{label}: unknown CPU feature '{feature}' (only amx)")

    def _hugepages(self, item, problems, mergeable=False):
        # A zone without mergeable= takes the one of --memory (config.rs MemoryConfig::parse).
        huge, size = item.get('hugepages', False), item.get('hugepage_size')
        if size is not None and not huge:
            problems.append(f'{item.label}: hugepage_size= without hugepages=on')
        if size is not None and not _power_of_two(size):
            problems.append(f'{item.label}: hugepage_size= {size} is not a power of two')
        if huge and size is None:
            problems.append(f'{item.label}: hugepages=on without hugepage_size= (nestvirt rule: '
                            f'always give hugepage_size=1G)')
        if item.get('shared', False) and item.get('mergeable', mergeable):
            problems.append(f'{item.label}: shared=on and mergeable=on exclude each other'
                            + ('' if item.has('mergeable') else ' (mergeable=on from --memory)'))

    def _hotplug(self, item, problems, method):
        plug, plugged = item.get('hotplug_size'), item.get('hotplugged_size')
        if plugged is not None and plug is None:
            problems.append(f'{item.label}: hotplugged_size= without hotplug_size=')
        elif plugged is not None and plugged > plug:
            problems.append(f'{item.label}: hotplugged_size= is larger than hotplug_size=')
        if plugged is not None and method == 'acpi':
            problems.append(f'{item.label}: hotplugged_size= needs hotplug_method=virtio-mem')

    def memory(self, problems):
        memory, zones = self.one('memory'), self.all('memory-zone')
        if not memory or len(zones) != len(self.items.get('memory-zone', [])):
            return
        size = memory.get('size', 512 << 20)
        method = memory.get('hotplug_method', 'acpi')
        self._hugepages(memory, problems)
        if size == 0 and not zones:
            problems.append(f'{memory.label}: size=0 needs at least one --memory-zone')
        if size != 0 and zones:
            problems.append(f'{memory.label}: --memory-zone needs size=0 here')
        if not zones:
            self._hotplug(memory, problems, method)
        for zone in zones:
            self._hugepages(zone, problems, memory.get('mergeable', False))
            self._hotplug(zone, problems, method)
            if zone.get('hotplug_size') is not None and method == 'acpi':
                problems.append(f'{zone.label}: hotplug_size= in a zone needs '
                                f'hotplug_method=virtio-mem on --memory')
            page, zsize = zone.get('hugepage_size'), zone.get('size')
            if page and zsize is not None and zsize % page:
                problems.append(f'{zone.label}: size= is not a whole number of {page >> 20} MiB '
                                f'pages (nestvirt rule)')
            if zone.get('shared', False) and zone.get('file') and zone.get('host_numa_node') is not None:
                problems.append(f'{zone.label}: shared=on with file= cannot take host_numa_node=')
        total = (size or sum(z.get('size', 512 << 20) for z in zones))
        balloon = self.one('balloon')
        if balloon and balloon.get('size', 0) >= total:
            problems.append(f'{balloon.label}: size= is not smaller than the guest memory')

    def identifiers(self, problems):
        owners = {}
        for option in ID_OPTIONS:
            for item in self.all(option):
                ident = item.get('id')
                if ident is None:
                    continue
                if ident.startswith('__'):
                    problems.append(f"{item.label}: identifier '{ident}' may not start with '__'")
                if ident in owners:
                    problems.append(f"identifier '{ident}' is used twice ({owners[ident]} and "
                                    f"{item.label}): identifiers are unique across all devices "
                                    f"and memory zones")
                owners.setdefault(ident, item.label)
        for group in self.all('rate-limit-group'):
            bw = group.get('bw_size', 0) and group.get('bw_refill_time', 0)
            ops = group.get('ops_size', 0) and group.get('ops_refill_time', 0)
            if not group.get('id') or not (bw or ops):
                problems.append(f'{group.label}: needs id= and a bandwidth or ops limit')

    def _queues(self, item, problems, default_size, minimum=0):
        size = item.get('queue_size', default_size)
        if not _power_of_two(size) or size <= minimum:
            problems.append(f'{item.label}: queue_size={size} must be a power of two'
                            + (f' above {minimum}' if minimum else ''))

    def disks(self, problems):
        groups = {g.get('id') for g in self.all('rate-limit-group')}
        for disk in self.all('disk'):
            label = disk.label
            vhost, path, socket = disk.get('vhost_user', False), disk.get('path'), disk.get('socket')
            if path and socket:
                problems.append(f'{label}: path= and socket= exclude each other')
            if vhost and not socket:
                problems.append(f'{label}: vhost_user=on needs socket=')
            if not vhost and not path:
                problems.append(f'{label}: needs path=')
            if path and not disk.has('image_type'):
                problems.append(f'{label}: no image_type= (nestvirt rule: without it a raw image '
                                f'has sector 0 write-protected)')
            if disk.get('num_queues', 1) > self.boot:
                problems.append(f'{label}: num_queues= is more than the {self.boot} boot vCPUs')
            self._queues(disk, problems, 128, minimum=2)
            if len(disk.get('serial', '').encode()) > 20:
                problems.append(f'{label}: serial= is longer than 20 bytes')
            limited = any(disk.has(k) for k in O.RATE_LIMIT)
            group = disk.get('rate_limit_group')
            if group is not None and group not in groups:
                problems.append(f"{label}: rate_limit_group='{group}' names no --rate-limit-group")
            if group is not None and limited:
                problems.append(f'{label}: rate_limit_group= and bw_/ops_ limits exclude each other')
            if vhost and (limited or group is not None or disk.get('iommu', False)):
                problems.append(f'{label}: vhost_user=on allows no rate limits and no iommu')

    def nets(self, problems):
        for net in self.all('net'):
            label = net.label
            if (net.has('ip')) != (net.has('mask')):
                problems.append(f'{label}: ip= and mask= go together')
            queues = net.get('num_queues', 2)
            if queues < 2:
                problems.append(f'{label}: num_queues= must be at least 2')
            if queues // 2 > self.boot:
                problems.append(f'{label}: num_queues={queues} needs {queues // 2} boot vCPUs')
            self._queues(net, problems, 256)
            if net.get('mtu', 1500) < 1280:
                problems.append(f'{label}: mtu= is below 1280')
            if not net.get('offload_csum', True) and (net.get('offload_tso', True) or net.get('offload_ufo', True)):
                problems.append(f'{label}: offload_tso and offload_ufo need offload_csum=on')
            fds = net.get('fd')
            if fds is not None and (len(fds) * 2 != queues or min(fds) <= 2):
                problems.append(f'{label}: fd= needs one descriptor above 2 per queue pair')
            tap = net.get('tap')
            if tap is not None and len(tap.encode()) > 15:
                problems.append(f"{label}: tap='{tap}' is longer than 15 bytes")
            if net.get('vhost_user', False) and (not net.get('socket') or net.get('iommu', False)):
                problems.append(f'{label}: vhost_user=on needs socket= and allows no iommu')

    def _shared_memory(self):
        memory = self.one('memory')
        if not memory or memory.get('shared', False) or memory.get('hugepages', False):
            return True
        zones = self.all('memory-zone')
        return memory.get('size', 1) == 0 and all(z.get('shared', False) or z.get('hugepages', False)
                                                  for z in zones)

    def vhost_user(self, problems):
        users = [i for o in ('fs', 'generic-vhost-user', 'user-device') for i in self.all(o)]
        users += [i for o in ('disk', 'net') for i in self.all(o) if i.get('vhost_user', False)]
        if users and not self._shared_memory():
            problems.append(f'{users[0].label}: needs shared memory (shared=on or hugepages=on)')
        for fs in self.all('fs'):
            if len(fs.get('tag', '').encode()) > 36:
                problems.append(f'{fs.label}: tag= is longer than 36 bytes')
            if fs.get('num_queues', 1) > self.boot:
                problems.append(f'{fs.label}: num_queues= is more than the {self.boot} boot vCPUs')
            self._queues(fs, problems, 1024)
        for dev in self.all('generic-vhost-user'):
            kind = dev.get('device_type') or dev.get('virtio_id')
            if kind is None:
                problems.append(f"{dev.label}: 'device_type=' is required")
            elif kind in ('watchdog', 'iommu', '35', '23') or not (
                    kind in VIRTIO_DEVICE_TYPES or (kind[:1] in '123456789' and kind.isdigit())):
                problems.append(f"{dev.label}: device_type='{kind}' is unknown or unsupported")
            for size in dev.get('queue_sizes', []):
                if not _power_of_two(size):
                    problems.append(f'{dev.label}: queue size {size} is not a power of two')

    def devices(self, problems):
        paths = {}
        platform = self.one('platform')
        for dev in self.all('device'):
            path, fd = dev.get('path'), dev.get('fd')
            if (path is None) == (fd is None):
                problems.append(f'{dev.label}: needs exactly one of path= or fd=')
            if fd is not None and not (platform and platform.get('iommufd_fd') is not None):
                problems.append(f'{dev.label}: fd= needs --platform iommufd_fd=')
            if path in paths:
                problems.append(f'{dev.label}: path {path} is already given by {paths[path]}')
            paths.setdefault(path, dev.label)
            if any(bar > 5 for bar in dev.get('x_exclude_mmap_bars', [])):
                problems.append(f'{dev.label}: x_exclude_mmap_bars= takes BARs 0 to 5')
            if dev.get('x_nv_gpudirect_clique') is not None and platform and \
                    not platform.get('vfio_p2p_dma', True):
                problems.append(f'{dev.label}: x_nv_gpudirect_clique= needs vfio_p2p_dma=on')
        vsock = self.one('vsock')
        if vsock and vsock.get('cid') in (0, 1, 2, 0xffffffff):
            problems.append(f'{vsock.label}: cid={vsock.get("cid")} is reserved')

    def pci(self, problems):
        T.platform(self, problems)
        T.device_segments(self, problems, PCI_DEVICE_OPTIONS)
        T.pci_segments(self, problems)
        T.address_space(self, problems)

    def numa(self, problems):
        T.numa(self, problems)

    def misc(self, problems):
        # vmm/src/config.rs, ValidationError::DoubleTtyMode: one terminal, one reader of it.
        serial, console = self.one('serial'), self.one('console')
        if serial and console and serial.has('tty') and console.has('tty'):
            problems.append('--serial and --console both use tty; Cloud Hypervisor allows that for one only')
        for rule in self.all('landlock-rules'):
            access = rule.get('access', 'r')
            if len(access) > 2 or not access or any(c not in 'rw' for c in access):
                problems.append(f"{rule.label}: access='{access}' must be r, w or rw")
        restore = self.one('restore')
        if restore and restore.get('prefault', False) and restore.get('memory_restore_mode') == 'ondemand':
            problems.append(f'{restore.label}: prefault=on excludes memory_restore_mode=ondemand')
