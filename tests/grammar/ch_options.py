# SPDX-License-Identifier: LGPL-2.1-or-later
"""The options of the cloud-hypervisor command line and their sub-options.

Taken from the Cloud Hypervisor snapshot v53.0-246-gae44c2971 (commit
ae44c2971c83dd2b1bd704fa81102ec0dec4e7d4, 2026-08-20): cloud-hypervisor/src/main.rs for
the options (which take a value, which repeat, which need a build feature) and
vmm/src/config.rs for each option's sub-options and their types. Options behind build
features that neither the default nor the release build enables (dbus_api, guest_debug,
fw_cfg, igvm, sev_snp, ivshmem, pvmemcontrol) are refused: nestvirt targets release builds.

The command line is read the way clap (the argument parser Cloud Hypervisor uses) reads
it: --name VALUE or --name=VALUE; an option that repeats (--disk, --device, ...) takes
every following word up to the next one starting with '-' (--disk A B is two disks); any
other option may be given once; a value may not start with '-' unless written --name=-...;
there are no positional arguments.
"""

import dataclasses

import ch_values as V

CH_REVISION = 'v53.0-246-gae44c2971 (ae44c2971c83dd2b1bd704fa81102ec0dec4e7d4)'

PCI = {'id': V.to_string, 'pci_segment': V.unsigned(16), 'pci_device_id': V.unsigned(8)}
PCI_IOMMU = dict(PCI, iommu=V.toggle)
RATE_LIMIT = {k: V.unsigned(64) for k in ('bw_size', 'bw_one_time_burst', 'bw_refill_time',
                                          'ops_size', 'ops_one_time_burst', 'ops_refill_time')}
CONSOLE_MODES = ('off', 'pty', 'tty', 'null')

SUBOPTIONS = {
    'api-socket': {'path': V.to_path, 'fd': V.signed32},
    'event-monitor': {'path': V.to_path, 'fd': V.signed32},
    'cpus': {
        'boot': V.unsigned(32), 'max': V.unsigned(32), 'topology': V.cpu_topology,
        'kvm_hyperv': V.toggle, 'max_phys_bits': V.unsigned(8),
        'affinity': V.tuple_list(V.unsigned(32), V.integer_list(64)),
        'features': V.string_list, 'nested': V.toggle,
        'core_scheduling': V.choice('vm', 'vcpu', 'off'),
        'profile': V.choice('Host', lowercase=False),
    },
    'memory': {
        'size': V.byte_size, 'file': V.to_string, 'mergeable': V.toggle,
        'hotplug_method': V.choice('acpi', 'virtio-mem'), 'hotplug_size': V.byte_size,
        'hotplugged_size': V.byte_size, 'shared': V.toggle, 'hugepages': V.toggle,
        'hugepage_size': V.byte_size, 'prefault': V.toggle, 'reserve': V.toggle, 'thp': V.toggle,
    },
    'memory-zone': {
        'id': V.to_string, 'size': V.byte_size, 'file': V.to_path, 'shared': V.toggle,
        'hugepages': V.toggle, 'hugepage_size': V.byte_size, 'host_numa_node': V.unsigned(32),
        'hotplug_size': V.byte_size, 'hotplugged_size': V.byte_size, 'prefault': V.toggle,
        'reserve': V.toggle, 'mergeable': V.toggle,
    },
    'rate-limit-group': dict(RATE_LIMIT, id=V.to_string),
    'disk': dict(PCI_IOMMU, **RATE_LIMIT, **{
        'path': V.to_path, 'readonly': V.toggle, 'direct': V.toggle, 'queue_size': V.unsigned(16),
        'num_queues': V.unsigned(64), 'vhost_user': V.toggle, 'socket': V.to_path,
        '_disable_io_uring': V.toggle, '_disable_aio': V.toggle, 'serial': V.to_string,
        'rate_limit_group': V.to_string,
        'queue_affinity': V.tuple_list(V.unsigned(16), V.integer_list(64)),
        'backing_files': V.toggle, 'sparse': V.toggle,
        'image_type': V.choice('raw', 'qcow2', 'vhd', 'vhdx', 'vmdk'),
        'lock_granularity': V.choice('byte-range', 'full', lowercase=False),
    }),
    'net': dict(PCI_IOMMU, **RATE_LIMIT, **{
        'tap': V.to_string, 'ip': V.ip_address, 'mask': V.ip_address, 'mac': V.mac_address,
        'host_mac': V.mac_address, 'offload_tso': V.toggle, 'offload_ufo': V.toggle,
        'offload_csum': V.toggle, 'mtu': V.unsigned(16), 'queue_size': V.unsigned(16),
        'num_queues': V.unsigned(64), 'vhost_user': V.toggle, 'socket': V.to_path,
        'vhost_mode': V.choice('client', 'server'), 'fd': V.integer_list(64),
    }),
    'rng': dict(PCI_IOMMU, src=V.to_path),
    'rtc': dict(PCI_IOMMU),
    'balloon': dict(PCI_IOMMU, size=V.byte_size, deflate_on_oom=V.toggle, free_page_reporting=V.toggle),
    'generic-vhost-user': dict(PCI, device_type=V.to_string, virtio_id=V.to_string,
                               queue_sizes=V.integer_list(16), socket=V.to_path),
    'fs': dict(PCI, tag=V.to_string, queue_size=V.unsigned(16), num_queues=V.unsigned(64),
               socket=V.to_path),
    'pmem': dict(PCI_IOMMU, size=V.byte_size, file=V.to_path, discard_writes=V.toggle),
    'serial': {'file': V.to_path, 'socket': V.to_path},
    'console': dict(PCI_IOMMU, file=V.to_path, socket=V.to_path),
    'debug-console': {'file': V.to_path, 'iobase': V.io_port},
    'device': dict(PCI_IOMMU, path=V.to_path, fd=V.signed32, x_nv_gpudirect_clique=V.unsigned(8),
                   x_exclude_mmap_bars=V.integer_list(64)),
    'user-device': dict(PCI, socket=V.to_path),
    'vdpa': dict(PCI_IOMMU, path=V.to_path, num_queues=V.unsigned(64)),
    'vsock': dict(PCI_IOMMU, socket=V.to_path, cid=V.unsigned(32)),
    'numa': {
        'guest_numa_id': V.unsigned(32), 'cpus': V.integer_list(32, truncates=True),
        'distances': V.tuple_list(V.unsigned(64), V.plain_unsigned(64)), 'device_id': V.to_string,
        'memory_zones': V.string_list, 'pci_segments': V.integer_list(16, truncates=True),
    },
    'pci-segment': {'pci_segment': V.unsigned(16), 'mmio32_aperture_weight': V.unsigned(32),
                    'mmio64_aperture_weight': V.unsigned(32)},
    'platform': dict({k: V.to_string for k in (
        'system_manufacturer', 'system_product_name', 'system_version', 'system_serial_number',
        'system_uuid', 'system_sku_number', 'system_family', 'chassis_asset_tag',
        'serial_number', 'uuid')}, **{
        'num_pci_segments': V.unsigned(16), 'iommu_segments': V.integer_list(16, truncates=True),
        'iommu_address_width': V.unsigned(8), 'oem_strings': V.string_list, 'iommufd': V.toggle,
        'iommufd_fd': V.signed32, 'vfio_p2p_dma': V.toggle}),
    'tpm': {'socket': V.to_path},
    'landlock-rules': {'path': V.to_path, 'access': V.to_string},
    'restore': {
        'source_url': V.to_string, 'prefault': V.toggle,
        'memory_restore_mode': V.choice('copy', 'ondemand'),
        'net_fds': V.tuple_list(V.to_string, V.integer_list(64)),
        'vfio_fds': V.tuple_list(V.to_string, V.plain_unsigned(64)), 'iommufd_fd': V.signed32,
        'resume': V.toggle, 'zone_updates': V.tuple_list(V.to_string, V.plain_unsigned(32)),
    },
}
VALUELESS = {'serial': CONSOLE_MODES, 'console': CONSOLE_MODES, 'debug-console': CONSOLE_MODES}
# Sub-options Cloud Hypervisor requires (config.rs), and those nestvirt always gives.
REQUIRED = {
    'memory-zone': ['id'], 'fs': ['tag', 'socket'], 'pmem': ['file'], 'vsock': ['socket', 'cid'],
    'user-device': ['socket'], 'vdpa': ['path'], 'tpm': ['socket'], 'numa': ['guest_numa_id'],
    'landlock-rules': ['path', 'access'], 'restore': ['source_url'],
    'generic-vhost-user': ['socket', 'queue_sizes'],
}
REQUIRED_BY_NESTVIRT = {'memory-zone': ['size']}


@dataclasses.dataclass
class Spec:
    kind: str                 # 'value' (once), 'multi' (repeats), 'flag', 'count', 'optional'
    group: str = ''           # clap group: vm (needs a payload), payload, vmm, logging
    value: object = None      # converter of a plain value; None: an option string (SUBOPTIONS)
    feature: str = ''         # build feature the option needs


def _plain_path(raw):
    if not raw.startswith('/'):
        raise ValueError(f'{raw!r} is not an absolute path (nestvirt rule: every path is absolute)')
    return raw


OPTIONS = {
    'api-socket': Spec('value', 'vmm'), 'balloon': Spec('value', 'vm'),
    'cmdline': Spec('value', 'vm', value=str), 'console': Spec('value', 'vm'),
    'cpus': Spec('value', 'vm'), 'debug-console': Spec('value', 'vm'),
    'device': Spec('multi', 'vm'), 'disk': Spec('multi', 'vm'),
    'event-monitor': Spec('value', 'vmm'), 'firmware': Spec('value', 'payload', value=_plain_path),
    'fs': Spec('multi', 'vm'), 'generic-vhost-user': Spec('multi', 'vm'),
    'initramfs': Spec('value', 'vm', value=_plain_path),
    'kernel': Spec('value', 'payload', value=_plain_path),
    'landlock': Spec('flag', 'vm'), 'landlock-rules': Spec('multi', 'vm'),
    'log-file': Spec('value', 'logging', value=_plain_path),
    'log-format': Spec('value', 'logging', value=str),
    'memory': Spec('value', 'vm'), 'memory-zone': Spec('multi', 'vm'), 'net': Spec('multi', 'vm'),
    'no-shutdown': Spec('flag', 'vmm'), 'numa': Spec('multi', 'vm'),
    'pci-segment': Spec('multi', 'vm'), 'platform': Spec('value', 'vm'), 'pmem': Spec('multi', 'vm'),
    'pvpanic': Spec('flag', 'vm'), 'rate-limit-group': Spec('multi', 'vm'),
    'restore': Spec('value', 'vmm'), 'rng': Spec('value', 'vm'), 'rtc': Spec('optional', 'vm'),
    'seccomp': Spec('value', value=V.choice('true', 'false', 'log', 'errno', lowercase=False)),
    'serial': Spec('value', 'vm'), 'tpm': Spec('value', 'vm'), 'user-device': Spec('multi', 'vm'),
    'vdpa': Spec('multi', 'vm'), 'version': Spec('flag'), 'vsock': Spec('value', 'vm'),
    'watchdog': Spec('flag', 'vm'), 'v': Spec('count', 'logging'),
    'dbus-object-path': Spec('value', 'vmm', feature='dbus_api'),
    'dbus-service-name': Spec('value', 'vmm', feature='dbus_api'),
    'dbus-system-bus': Spec('flag', 'vmm', feature='dbus_api'),
    'gdb': Spec('value', 'vmm', feature='guest_debug'),
    'fw-cfg-config': Spec('value', 'payload', feature='fw_cfg'),
    'igvm': Spec('value', 'payload', feature='igvm'),
    'host-data': Spec('value', 'vm', feature='sev_snp'),
    'ivshmem': Spec('value', 'vm', feature='ivshmem'),
    'pvmemcontrol': Spec('flag', 'vm', feature='pvmemcontrol'),
}
SHORT = {'v': 'v', 'V': 'version'}


@dataclasses.dataclass
class Occurrence:
    option: str
    value: object             # the raw string; None for flags
    label: str                # how messages name it: --disk #2


def _is_option_word(w):
    return w.startswith('-') and w != '-'


def split_argv(args):
    """clap's reading of ARGS (argv without argv[0]); returns (occurrences, problems)."""
    occurrences, problems, counts = [], [], {}
    i = 0

    def add(name, value):
        counts[name] = counts.get(name, 0) + 1
        spec = OPTIONS[name]
        if counts[name] == 2 and spec.kind in ('value', 'flag', 'optional'):
            problems.append(f"--{name} is given more than once: Cloud Hypervisor (clap) refuses that")
        label = f'--{name}' + (f' #{counts[name]}' if spec.kind == 'multi' else '')
        occurrences.append(Occurrence(name, value, label))

    while i < len(args):
        word = args[i]
        i += 1
        if word == '--':
            problems.append("'--' ends the options, and cloud-hypervisor takes no other arguments")
            continue
        if not _is_option_word(word):
            problems.append(f'unexpected argument {word!r}: cloud-hypervisor takes no positional '
                            f'arguments (a value that starts a new word after its option?)')
            continue
        if not word.startswith('--'):
            letters = word[1:]
            if all(c in SHORT for c in letters):
                for c in letters:
                    add(SHORT[c], None)
            else:
                problems.append(f'unknown option {word!r}')
            continue
        name, eq, attached = word[2:].partition('=')
        spec = OPTIONS.get(name)
        if spec is None or name == 'v':
            problems.append(f"unknown option '--{name}'")
            while not eq and i < len(args) and not _is_option_word(args[i]):
                i += 1         # its values: one report is enough
            continue
        if spec.feature:
            problems.append(f"--{name} exists only in Cloud Hypervisor builds with the "
                            f"'{spec.feature}' feature, which release builds lack")
        if spec.kind in ('flag', 'count'):
            if eq:
                problems.append(f"--{name} takes no value, but got '={attached}'")
            add(name, None)
            continue
        if eq:
            add(name, attached)
            continue
        if spec.kind == 'optional':
            if i < len(args) and not _is_option_word(args[i]):
                add(name, args[i])
                i += 1
            else:
                add(name, '')
            continue
        if i >= len(args) or _is_option_word(args[i]):
            got = f' (the next word {args[i]!r} starts with "-": write --{name}=VALUE)' if i < len(args) else ''
            problems.append(f'--{name} needs a value{got}')
            continue
        add(name, args[i])
        i += 1
        while spec.kind == 'multi' and i < len(args) and not _is_option_word(args[i]):
            add(name, args[i])
            i += 1
    return occurrences, problems


def parse_suboptions(option, text):
    """Returns ({name: converted value}, problems) of the option string of --OPTION."""
    names = SUBOPTIONS[option]
    try:
        items, problems = V.parse_options(text, names, VALUELESS.get(option, ()))
    except V.SyntaxProblem as e:
        return None, [str(e)]
    values, seen = {}, set()
    for name, raw in items:
        if name in seen:
            problems.append(f"'{name}' is given twice (Cloud Hypervisor silently keeps the last)")
        seen.add(name)
        if name in VALUELESS.get(option, ()):
            values[name] = True
            continue
        if raw == '':
            problems.append(f"'{name}=' is empty: Cloud Hypervisor treats it as not given")
            continue
        try:
            values[name] = names[name](raw)
        except ValueError as e:
            problems.append(f'{name}={raw}: {e}')
    for name in REQUIRED.get(option, []):
        if name not in values and not any(name in p for p in problems):
            problems.append(f"'{name}=' is required")
    for name in REQUIRED_BY_NESTVIRT.get(option, []):
        if name not in values and not any(name in p for p in problems):
            problems.append(f"'{name}=' is missing (nestvirt rule: always give it; "
                            f"Cloud Hypervisor would pick a default)")
    return values, problems
