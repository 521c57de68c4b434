/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* journalctl MESSAGE_ID=... finds these events (listed in nestvirt(8), JOURNAL MESSAGES). */
#define MESSAGE_ID_HUGEPAGES_SHORTFALL "da0de3b05c774ef5a572dae12e6312d1"
#define MESSAGE_ID_DEVICE_REFUSED "c9f7ff7d34ba4b29ba1e671cea8cf7c7"
#define MESSAGE_ID_UNSAFE_INTERRUPTS "a62ca494159a4da2bd4b2d75dcb08f92"
