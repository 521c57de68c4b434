#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tests of ch_mmio: Cloud Hypervisor's MMIO apertures and BAR placement (README-mmio.md).
Expected values are worked out from the formulas by hand in the comments, or checked
against a second, brute-force reading of the same rules."""

import os
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ch_mmio as M  # noqa: E402

KIB, MIB, GIB, TIB = M.KIB, M.MIB, M.GIB, 1 << 40


def top(bits):
    return (1 << bits) - 64 * KIB - 1 * MIB - 1


class AllocatorTest(unittest.TestCase):
    def test_example_of_vm_allocator(self):
        # The doc example of AddressAllocator::allocate in vm-allocator/src/address.rs.
        pool = M.Allocator(0x1000, 0x10000)
        self.assertEqual(pool.allocate(0x110, 0x100), 0x10e00)
        self.assertEqual(pool.allocate(0x100, 0x100), 0x10d00)

    def test_top_down_natural_alignment(self):
        pool = M.Allocator(3 * GIB, 10 * GIB)          # [3G, 13G)
        self.assertEqual(pool.allocate(4 * GIB, 4 * GIB), 8 * GIB)   # highest 4G multiple
        self.assertEqual(pool.allocate(4 * GIB, 4 * GIB), 4 * GIB)
        self.assertIsNone(pool.allocate(4 * GIB, 4 * GIB))           # [3G,4G) and [12G,13G) left
        self.assertEqual(pool.allocate(1 * GIB, 1 * GIB), 12 * GIB)  # a gap above is used first
        self.assertEqual(pool.allocate(1 * GIB, 1 * GIB), 3 * GIB)

    def test_refuses_what_cloud_hypervisor_refuses(self):
        pool = M.Allocator(0, 1 << 20)
        self.assertIsNone(pool.allocate(0, 4096))
        self.assertIsNone(pool.allocate(3 * 4096, 3 * 4096))         # not a power of two


class LayoutTest(unittest.TestCase):
    def test_ram_end(self):
        self.assertEqual(M.ram_end(2 * GIB), 2 * GIB - 1)
        # 16 GiB of 1 GiB pages: 3 GiB below the hole, 13 GiB from 4 GiB.
        self.assertEqual(M.ram_end([(8 * GIB, GIB), (8 * GIB, GIB)]), 4 * GIB + 13 * GIB - 1)
        # 1.5 GiB of 2 MiB pages, then a 1 GiB-page zone at 1.5 GiB, then one that no
        # longer fits below 3 GiB and moves to 4 GiB.
        self.assertEqual(M.ram_end([(3 * GIB // 2, 2 * MIB), (GIB, GIB), (GIB, GIB)]), 5 * GIB - 1)
        with self.assertRaises(ValueError):
            M.ram_end([(3 * GIB // 2, GIB)])

    def test_device_area(self):
        self.assertEqual(M.device_area_64(46, 2 * GIB), (4 * GIB, top(46)))
        self.assertEqual(M.device_area_64(46, [(1024 * GIB, GIB)]), (1025 * GIB, top(46)))
        self.assertEqual(M.guest_phys_bits(46, 52), 46)
        self.assertEqual(M.guest_phys_bits(46, 40), 40)

    def test_apertures_add_up(self):
        start, end = M.device_area_64(46, [(1024 * GIB, GIB)])
        for weights in ([1], [1] * 8, [1, 3, 2], [5, 1]):
            windows = M.apertures(start, end, weights, M.MMIO64_SEGMENT_ALIGN)
            self.assertEqual(windows[0][0], start)
            self.assertEqual(sum(size for _, size in windows), end - start + 1)
            if len(weights) == 1:
                continue                         # the last segment takes the whole rest
            unit = windows[0][1] // weights[0]
            self.assertEqual(unit % (4 * GIB), 0)
            for (base, size), (next_base, _), w in zip(windows, windows[1:], weights):
                self.assertEqual(base + size, next_base)
                self.assertEqual(size, unit * w)
            self.assertGreaterEqual(windows[-1][1], unit * weights[-1])

    def test_empty_aperture(self):
        with self.assertRaises(ValueError):      # 2^36 leaves ~47 GiB: no 4 GiB unit for 201
            M.apertures(*M.device_area_64(36, 2 * GIB), [100, 100, 1], M.MMIO64_SEGMENT_ALIGN)
        with self.assertRaises(ValueError):      # RAM above the top of the address space
            M.apertures(*M.device_area_64(36, [(80 * GIB, GIB)]), [1], M.MMIO64_SEGMENT_ALIGN)


H100 = [128 * GIB, 32 * MIB]          # BAR1 and BAR3 of an H100 (64-bit, prefetchable)


class FitTest(unittest.TestCase):
    def test_eight_gpus_on_eight_segments(self):
        fit = M.mmio64_fits({s: H100 for s in range(8)}, 46, [1] * 8, memory=[(1024 * GIB, GIB)])
        self.assertTrue(fit, fit.problems)
        for segment, placed in fit.placements.items():
            base, size = fit.windows[segment]
            spans = sorted(placed)
            for address, length in placed:
                self.assertEqual(address % length, 0)
                self.assertTrue(base <= address and address + length <= base + size)
            for (a, la), (b, _) in zip(spans, spans[1:]):
                self.assertLessEqual(a + la, b)

    def test_top_slot_is_lost_to_the_platform_area(self):
        # 40 bits, 512 GiB RAM: area [513G, 1T - 1M - 64K). 128 GiB slots at 640G and 768G
        # fit; the one at 896G would end at 1T, inside the reserved top.
        memory = [(512 * GIB, GIB)]
        self.assertTrue(M.mmio64_fits({0: [128 * GIB] * 2}, 46, [1], memory=memory, host_phys_bits=40))
        fit = M.mmio64_fits({0: [128 * GIB] * 3}, 46, [1], memory=memory, host_phys_bits=40)
        self.assertFalse(fit)
        self.assertIn('128 GiB', fit.problems[0])
        self.assertTrue(M.mmio64_fits({0: [128 * GIB] * 3}, 46, [1], memory=memory, host_phys_bits=41))

    def test_weights_decide(self):
        # 40 bits, 64 GiB RAM: area [65G, 1T-...), 959 GiB. Equal weights: unit 476 GiB,
        # segment 1 is [541G, 1T-...) and holds no 256 GiB-aligned 256 GiB slot. Weights 1:7:
        # unit 116 GiB, segment 1 is [181G, ...) and holds 256G-512G and 512G-768G.
        bars = {1: [256 * GIB, 256 * GIB]}
        memory = [(64 * GIB, GIB)]
        self.assertFalse(M.mmio64_fits(bars, 40, [1, 1], memory=memory))
        self.assertTrue(M.mmio64_fits(bars, 40, [1, 7], memory=memory))

    def test_virtio_bars_take_their_own_alignment(self):
        fit = M.mmio64_fits({0: [M.VIRTIO_BAR, M.VIRTIO_BAR]}, 46, [1], memory=2 * GIB)
        self.assertTrue(fit)
        (a, la), (b, _) = fit.placements[0]
        self.assertEqual((a % (8 * MIB), la, b % (8 * MIB)), (0, 512 * KIB, 0))
        self.assertEqual(a - b, 8 * MIB)

    def test_unknown_segment(self):
        self.assertFalse(M.mmio64_fits({2: [GIB]}, 46, [1, 1], memory=2 * GIB))

    def test_mmio32_agrees_with_brute_force(self):
        # One BAR of size S fits a window iff some multiple of S lies in [base, end - S + 1].
        for weights in ([1], [1, 1], [1] * 3, [2, 1, 1, 1], [1] * 8, [1] * 96):
            windows = M.apertures(M.MEM_32BIT_DEVICES_START,
                                  M.MEM_32BIT_DEVICES_START + M.MEM_32BIT_DEVICES_SIZE - 1,
                                  weights, M.MMIO32_SEGMENT_ALIGN)
            for shift in range(12, 31):
                size = 1 << shift
                for segment, (base, length) in enumerate(windows):
                    first = -(-base // size) * size
                    want = first + size <= base + length
                    got = bool(M.mmio32_fits({segment: [size]}, weights))
                    self.assertEqual(got, want, (weights, segment, size))


if __name__ == '__main__':
    unittest.main()
