/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel command line parser, which the generator runs on every boot: whatever a boot
 * loader passes, it must not crash, and the answer must not depend on words we do not own. */

#include <stdint.h>

#include "proc-cmdline.h"
#include "fuzz-util.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* /proc/cmdline is at most a few KiB; longer inputs only slow the search. */
        if (size > 16384)
                return 0;
        _cleanup_(freep) char *line = fuzz_string(data, size);
        if (!line)
                return 0;

        KernelSwitches main_system, initrd;
        if (kernel_switches_parse(line, false, &main_system) < 0 ||
            kernel_switches_parse(line, true, &initrd) < 0)
                abort();   /* it has no reason to fail */

        /* Words that are not ours, appended, change nothing. */
        _cleanup_(freep) char *more = strjoin(line, " quiet splash nestvirtual=0 rd.nestvirt.other=1");
        KernelSwitches x;
        if (!more || strchr(line, '"'))   /* an open quote would swallow the extra words */
                return 0;
        if (kernel_switches_parse(more, true, &x) < 0 || x.enabled != initrd.enabled ||
            x.autostart != initrd.autostart)
                abort();
        return 0;
}
