/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Resolves PATH (absolute) the way the kernel would if ROOT were "/", like systemd's chase()
 * with CHASE_PREFIX_ROOT|CHASE_NONEXISTENT: symlinks are followed component by component, an
 * absolute link target starts again at ROOT, and ".." never climbs above ROOT. So an image's
 * /etc/nestvirt.conf -> /opt/x is read from IMAGE/opt/x, never from the build host's /opt/x.
 * ROOT NULL or "/" is the running system.
 *
 * *ret is the resolved path inside the root ("/opt/x", without ROOT; path_under_root() gives
 * the one to open). Returns 1 when it exists, 0 when a component is missing (the rest of PATH
 * is then appended as it stands, "." and ".." applied), or -ELOOP (more than 32 links),
 * -ENOTDIR, -EINVAL (PATH not absolute), -ENOMEM, or lstat()'s or readlink()'s errno. */
int chase_in_root(const char *root, const char *path, char **ret);
